"""Transfer packages from another court: verified before accepting (吉高法〔2020〕11号 第十二条)."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest
from juanzong_archive.adapters.bagit_package import ExportFormat, PackageExistsError, export_package
from juanzong_archive.adapters.checks import PackageChecker
from juanzong_archive.adapters.transfer import import_transfer_package
from juanzong_archive.domain.package import ArchivePackage
from juanzong_archive.domain.report import CheckOutcome, CheckProperty

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def transfer_tarball(package: ArchivePackage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_package(Path(package.root), tmp_path_factory.mktemp("outbox"), ExportFormat.TARBALL)


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_transfer_package_is_accepted_after_verification_jigaofa_2020_11_article_12(
    transfer_tarball: Path, checker: PackageChecker, package: ArchivePackage, tmp_path: Path
) -> None:
    """吉高法〔2020〕11号 第十二条: the receiving court accepts only a package that passes the check."""
    inbox = tmp_path / "higher-court"
    result = import_transfer_package(transfer_tarball, inbox, checker)
    assert result.accepted, result.reasons
    assert result.report.passed
    assert result.package_root == str(inbox / package.record.archival_code)
    assert _leftovers(inbox) == [package.record.archival_code]
    assert (inbox / package.record.archival_code / "manifest-sha256.txt.p7s").is_file()


def test_import_never_overwrites_an_accepted_package(
    transfer_tarball: Path, checker: PackageChecker, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    first = import_transfer_package(transfer_tarball, inbox, checker)
    manifest = Path(first.package_root) / "manifest-sha256.txt"
    before = manifest.read_bytes()
    with pytest.raises(PackageExistsError):
        import_transfer_package(transfer_tarball, inbox, checker)
    assert manifest.read_bytes() == before
    assert len(_leftovers(inbox)) == 1


def test_truncated_upload_is_rejected(
    transfer_tarball: Path, checker: PackageChecker, tmp_path: Path
) -> None:
    """A truncated transfer is rejected with every property failed and nothing left in the inbox."""
    truncated = tmp_path / transfer_tarball.name
    truncated.write_bytes(transfer_tarball.read_bytes()[: transfer_tarball.stat().st_size // 2])
    inbox = tmp_path / "inbox"
    result = import_transfer_package(truncated, inbox, checker)
    assert not result.accepted
    assert "无法解压" in result.reasons[0]
    assert all(result.report.property_outcome(p) is CheckOutcome.FAILED for p in CheckProperty)
    assert _leftovers(inbox) == []


def test_truncated_upload_with_checksum_file_is_rejected_by_checksum(
    transfer_tarball: Path, checker: PackageChecker, tmp_path: Path
) -> None:
    truncated = tmp_path / transfer_tarball.name
    truncated.write_bytes(transfer_tarball.read_bytes()[:-100])
    shutil.copyfile(
        transfer_tarball.with_name(transfer_tarball.name + ".sha256"), tmp_path / (truncated.name + ".sha256")
    )
    result = import_transfer_package(truncated, tmp_path / "inbox", checker)
    assert not result.accepted
    assert "SHA-256" in result.reasons[0]


def test_tampered_package_inside_transfer_is_rejected(
    package_copy: Path, checker: PackageChecker, tmp_path: Path
) -> None:
    (package_copy / "data/说明文件.txt").write_text("改动过的说明", encoding="utf-8")
    tarball = tmp_path / f"{package_copy.name}.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(package_copy, arcname=package_copy.name)
    inbox = tmp_path / "inbox"
    result = import_transfer_package(tarball, inbox, checker)
    assert not result.accepted
    assert "[ZS-02 真实性] 哈希值不符：data/说明文件.txt" in result.reasons
    assert _leftovers(inbox) == []


def test_path_traversal_member_is_rejected(checker: PackageChecker, tmp_path: Path) -> None:
    tarball = tmp_path / "J011-2020-C-0123.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        data = b"owned"
        info = tarfile.TarInfo("J011-2020-C-0123/../../evil.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    inbox = tmp_path / "inbox"
    result = import_transfer_package(tarball, inbox, checker)
    assert not result.accepted and "不安全" in result.reasons[0]
    assert not (tmp_path / "evil.txt").exists()
    assert _leftovers(inbox) == []
