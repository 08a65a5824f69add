"""Fixtures for archive tests: a development PKI, a small synthetic dossier, one built package, and the archive's
repositories in memory for the service-layer tests.

Expensive things are built once per session; tests that damage a package work on their own copy.
Everything lives under pytest's temporary directories; no server is involved.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from juanzong_archive.adapters.bagit_package import build_package
from juanzong_archive.adapters.checks import ClamAvScanner, PackageChecker
from juanzong_archive.adapters.dev_pki import SealCredentials, generate_dev_credentials
from juanzong_archive.adapters.repository import Repositories
from juanzong_archive.adapters.signing import CourtSealSigner, SignatureVerifier
from juanzong_archive.domain.dossier import CompiledDossier
from juanzong_archive.domain.package import ArchivePackage
from juanzong_devstack.sample_dossier import make_sample_dossier
from juanzong_shared.testing import FakeUnitOfWork

COURT = "吉林省长春市中级人民法院"
SMALL_SCAN = (310, 438)


@dataclass(frozen=True)
class Pki:
    ca: x509.Certificate
    seal: SealCredentials


@pytest.fixture(scope="session")
def pki() -> Pki:
    ca, _, seal = generate_dev_credentials(COURT)
    return Pki(ca=ca, seal=seal)


@pytest.fixture(scope="session")
def signer(pki: Pki) -> CourtSealSigner:
    return CourtSealSigner(pki.seal, location=COURT)


@pytest.fixture(scope="session")
def verifier(pki: Pki) -> SignatureVerifier:
    return SignatureVerifier([pki.ca])


@pytest.fixture(scope="session")
def no_scanner() -> ClamAvScanner:
    """A scanner whose executable does not exist: AQ-04 must come out 未执行."""
    return ClamAvScanner(executable="juanzong-no-such-clamscan")


@pytest.fixture(scope="session")
def checker(verifier: SignatureVerifier, no_scanner: ClamAvScanner) -> PackageChecker:
    return PackageChecker(verifier, scanner=no_scanner)


@pytest.fixture(scope="session")
def dossier(tmp_path_factory: pytest.TempPathFactory) -> CompiledDossier:
    return make_sample_dossier(
        tmp_path_factory.mktemp("pages"), pages=12, image_px=SMALL_SCAN, max_document_pages=4
    )


@pytest.fixture(scope="session")
def package(
    dossier: CompiledDossier, signer: CourtSealSigner, tmp_path_factory: pytest.TempPathFactory
) -> ArchivePackage:
    return build_package(dossier, tmp_path_factory.mktemp("archive"), signer)


@pytest.fixture
def package_copy(package: ArchivePackage, tmp_path: Path) -> Path:
    """A private copy of the session package that a test may damage (same folder name = 档号)."""
    target = tmp_path / Path(package.root).name
    shutil.copytree(package.root, target)
    return target


# ------------------------------------------------------------------ in-memory repositories (service-layer tests)


def _put(doc: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for name in parents:
        doc = doc.setdefault(name, {})
    doc[last] = value


class MemoryArchives:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    async def get(self, case_number):
        doc = self.docs.get(case_number)
        return copy.deepcopy(doc) if doc is not None else None

    async def insert(self, record):
        assert record["_id"] not in self.docs
        self.docs[record["_id"]] = copy.deepcopy(record)

    async def update(self, case_number, fields, *, push=None, unset=(), set_on_insert=None):
        doc = self.docs.get(case_number)
        if doc is None:
            if set_on_insert is None:
                return
            doc = self.docs[case_number] = {"_id": case_number, **copy.deepcopy(set_on_insert)}
        for path, value in fields.items():
            _put(doc, path, copy.deepcopy(value))
        for name, value in (push or {}).items():
            doc.setdefault(name, []).append(copy.deepcopy(value))
        for name in unset:
            doc.pop(name, None)

    async def code_taken(self, archival_code):
        return any(d.get("archival_code") == archival_code for d in self.docs.values())

    async def claim_conversion(self, case_number, state, now, stale_before):
        doc = self.docs.get(case_number)
        if not doc or doc.get("state") != state or (doc.get("converting") and doc["converting_since"] >= stale_before):
            return False
        doc.update(converting=True, converting_since=now)
        return True

    async def due_for_fixity(self, checked_before, limit):
        due = [d for d in self.docs.values() if d.get("package")
               and (not d.get("fixity") or d["fixity"]["checked_at"] < checked_before)]
        return [d["_id"] for d in due][:limit]


class MemorySerials:
    def __init__(self) -> None:
        self.counters: dict[str, int] = {}

    async def next(self, counter):
        self.counters[counter] = self.counters.get(counter, 0) + 1
        return self.counters[counter]


class MemoryReports:
    def __init__(self) -> None:
        self.docs: list[dict] = []

    async def add(self, report):
        self.docs.append(copy.deepcopy(report))

    async def latest_id(self, case_number, report_id=None):
        found = [d for d in self.docs if d["case_number"] == case_number and report_id in (None, d["_id"])]
        return max(found, key=lambda d: d["checked_at"])["_id"] if found else None

    async def get(self, report_id):
        return next((copy.deepcopy(d) for d in self.docs if d["_id"] == report_id), None)

    async def summaries(self, case_number, *, limit, offset):
        found = sorted((d for d in self.docs if d["case_number"] == case_number), key=lambda d: d["checked_at"],
                       reverse=True)
        return [{k: v for k, v in d.items() if k not in ("report", "text", "html")}
                for d in found[offset:offset + limit + 1]]


class MemoryTransfers:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    async def add(self, entry):
        self.docs[entry["_id"]] = copy.deepcopy(entry)

    async def get(self, transfer_id):
        return copy.deepcopy(self.docs.get(transfer_id))


@pytest.fixture
def memory_uow() -> FakeUnitOfWork[Repositories]:
    """A unit of work over in-memory repositories: ``.repos`` are also what the service reads outside one."""
    return FakeUnitOfWork(Repositories(MemoryArchives(), MemorySerials(), MemoryReports(), MemoryTransfers()))
