"""Fixtures for archive tests: a development PKI, a small synthetic dossier and one built package.

Expensive things are built once per session; tests that damage a package work on their own copy.
Everything lives under pytest's temporary directories; no server is involved.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from juanzong_archive.adapters.bagit_package import build_package
from juanzong_archive.adapters.checks import ClamAvScanner, PackageChecker
from juanzong_archive.adapters.dev_pki import SealCredentials, generate_dev_credentials
from juanzong_archive.adapters.signing import CourtSealSigner, SignatureVerifier
from juanzong_archive.domain.dossier import CompiledDossier
from juanzong_archive.domain.package import ArchivePackage
from juanzong_devstack.sample_dossier import make_sample_dossier

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
