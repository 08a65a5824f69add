"""Transfer packages (移交信息包) between courts: import only after a passing check.

吉高法〔2020〕11号 第十二条: before a case goes to a higher court the sending department checks the quality
of the e-archive and e-dossier (完整性, 实用性); the receiving side checks again before accepting
(DA/T 70-2018 移交与接收环节). A transfer package is the package folder as a tar.gz (DA/T 93-2022 layout,
see :mod:`juanzong_archive.domain.package`) with a ``.sha256`` file beside it.

Import never trusts the archive: members must be plain files and folders under one top folder, no
absolute paths, no ``..``, no links; XML is parsed without entities; every check of the four-property
report must pass, or nothing is accepted. An existing package is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tarfile
import uuid
import zlib
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict

from juanzong_archive.adapters.bagit_package import PackageExistsError
from juanzong_archive.adapters.checks import PackageChecker
from juanzong_archive.adapters.signing import sha256_file
from juanzong_archive.domain.report import FourPropertyReport


class TransferImportResult(BaseModel):
    """Outcome of importing a transfer package."""

    model_config = ConfigDict(frozen=True)

    accepted: bool
    archival_code: str
    package_root: str | None
    report: FourPropertyReport
    reasons: tuple[str, ...] = ()


class _UnsafeArchive(ValueError):
    pass


def _safe_members(tar: tarfile.TarFile) -> tuple[str, list[tarfile.TarInfo]]:
    members = tar.getmembers()  # reads the whole archive: a truncated upload fails here
    tops: set[str] = set()
    for member in members:
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise _UnsafeArchive(f"成员路径不安全：{member.name}")
        if not (member.isfile() or member.isdir()):
            raise _UnsafeArchive(f"成员不是普通文件或目录：{member.name}")
        tops.add(path.parts[0])
    if len(tops) != 1:
        raise _UnsafeArchive(f"信息包应只有一个以档号命名的顶层目录，实有 {len(tops)} 个")
    return tops.pop(), members


def _sidecar_problem(source: Path) -> str | None:
    sidecar = source.with_name(source.name + ".sha256")
    if not sidecar.is_file():
        return None
    words = sidecar.read_text(encoding="utf-8").split()
    expected = words[0].lower() if words else ""
    if sha256_file(source) != expected:
        return f"信息包文件的 SHA-256 与 {sidecar.name} 不符（传输不完整或被改动）"
    return None


def import_transfer_package(source: Path, accept_root: Path, checker: PackageChecker) -> TransferImportResult:
    """Unpack ``source`` (a tar.gz or a package folder) into quarantine, check it, accept it if it passes.

    Accepted packages land in ``accept_root/<档号>``; rejected ones leave nothing behind. The report is
    returned either way (DA/T 70-2018 接收检测; 吉高法〔2020〕11号 第十二条).
    """
    accept_root.mkdir(parents=True, exist_ok=True)
    staging = accept_root / f".incoming-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    now = dt.datetime.now(dt.UTC)
    guessed_code = source.name.removesuffix(".tar.gz")
    try:
        if source.is_dir():
            top = source.name
            shutil.copytree(source, staging / top, symlinks=True)
        else:
            problem = _sidecar_problem(source)
            if problem is not None:
                report = FourPropertyReport.unreadable(guessed_code, str(source), problem, now)
                return TransferImportResult(
                    accepted=False,
                    archival_code=guessed_code,
                    package_root=None,
                    report=report,
                    reasons=(problem,),
                )
            try:
                with tarfile.open(source, "r:gz") as tar:
                    top, members = _safe_members(tar)
                    tar.extractall(staging, members=members, filter="data")
            except (_UnsafeArchive, tarfile.TarError, EOFError, OSError, zlib.error) as exc:
                reason = f"信息包无法解压：{exc}" if not isinstance(exc, _UnsafeArchive) else str(exc)
                report = FourPropertyReport.unreadable(guessed_code, str(source), reason, now)
                return TransferImportResult(
                    accepted=False,
                    archival_code=guessed_code,
                    package_root=None,
                    report=report,
                    reasons=(reason,),
                )
        report = checker.check(staging / top)
        if not report.passed:
            reasons = tuple(
                f"[{i.code} {i.property.value}] {f}"
                for i in report.failed_items
                for f in (i.findings or (i.detail,))
            )
            return TransferImportResult(
                accepted=False,
                archival_code=report.archival_code,
                package_root=None,
                report=report,
                reasons=reasons,
            )
        final = accept_root / top
        if final.exists():
            raise PackageExistsError(f"信息包已存在，拒绝覆盖：{final}")
        (staging / top).rename(final)
        report = report.model_copy(update={"package_path": str(final)})
        return TransferImportResult(
            accepted=True, archival_code=report.archival_code, package_root=str(final), report=report
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
