"""The package: layout named by 档号, metadata XML, BagIt manifests, refusal to overwrite, offline backup."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import bagit
import pytest
from juanzong_archive.adapters.bagit_package import (
    DossierNotReadyError,
    ExportFormat,
    PackageCorruptError,
    PackageExistsError,
    build_package,
    export_package,
    read_manifest,
    verify_fixity,
)
from juanzong_archive.adapters.metadata_xml import parse_xml, read_metadata
from juanzong_archive.adapters.signing import CourtSealSigner, SignatureVerifier
from juanzong_archive.domain.dossier import CompiledDossier
from juanzong_archive.domain.metadata_rules import CASE_ELEMENTS
from juanzong_archive.domain.package import ArchivePackage

pytestmark = pytest.mark.unit


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_layout_is_named_by_archival_code_with_da_t_93_documents(package: ArchivePackage) -> None:
    """DA/T 93-2022: 说明文件, 目录文件.xml and folders named by 档号."""
    root = Path(package.root)
    assert root.name == package.record.archival_code == "J011-2020-C-0123"
    for name in (
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "manifest-sha256.txt.p7s",
        "tagmanifest-sha256.txt",
        "data/说明文件.txt",
        "data/目录文件.xml",
        "data/元数据.xml",
    ):
        assert (root / name).is_file(), name
    for volume in package.record.volumes:
        assert (root / volume.file.path).is_file()
        assert Path(volume.file.path).parent.name == volume.code
        for doc in volume.documents:
            assert Path(doc.file.path).name == f"{doc.code}.pdf"


def test_bag_validates_with_the_bagit_library(package: ArchivePackage) -> None:
    """RFC 8493 (BagIt): the reference implementation accepts our bag, SHA-256 manifests only."""
    bag = bagit.Bag(package.root)
    bag.validate()
    assert bag.algorithms == ["sha256"]
    assert bag.info["External-Identifier"] == package.record.archival_code
    assert set(bag.payload_entries()) == set(read_manifest(Path(package.root)).entries)


def test_manifest_signature_verifies(package: ArchivePackage, verifier: SignatureVerifier) -> None:
    root = Path(package.root)
    result = verifier.verify_detached(
        (root / "manifest-sha256.txt").read_bytes(), (root / "manifest-sha256.txt.p7s").read_bytes()
    )
    assert result.ok, result.problems


def test_metadata_xml_round_trips_to_the_record(package: ArchivePackage) -> None:
    recorded = read_metadata((Path(package.root) / "data/元数据.xml").read_bytes())
    assert recorded == package.record


def test_metadata_carries_case_items_page_provenance_and_who_did_what(
    package: ArchivePackage, dossier: CompiledDossier
) -> None:
    """青法〔2021〕116号 一 (元数据采集): case-level items, per-page QC/OCR provenance, 业务行为."""
    root = parse_xml((Path(package.root) / "data/元数据.xml").read_bytes())
    case = root.find("案件")
    for name in CASE_ELEMENTS:
        assert case.find(name) is not None, name
    assert case.findtext("案号") == dossier.case.case_number
    assert case.findtext("册数") == str(len(dossier.volumes))
    assert case.findtext("页数") == str(dossier.page_count)
    pages = root.findall(".//页面")
    assert len(pages) == dossier.page_count
    assert all(p.find("质检") is not None and p.find("识别") is not None for p in pages)
    actions = [e.get("行为") for e in root.iterfind("业务行为列表/业务行为")]
    assert actions[: len(dossier.events)] == [e.action for e in dossier.events]
    assert actions[-2:] == ["转换生成电子档案", "加盖电子签章"]


def test_catalogue_lists_every_document_with_its_page_range(
    package: ArchivePackage, dossier: CompiledDossier
) -> None:
    root = parse_xml((Path(package.root) / "data/目录文件.xml").read_bytes())
    assert root.get("档号") == package.record.archival_code
    listed = [(d.get("题名"), d.get("页号")) for d in root.iter("卷内文件")]
    expected = [(d.title, f"{d.first_page}-{d.last_page}") for v in dossier.volumes for d in v.documents]
    assert listed == expected


def test_description_file_explains_code_rule_and_verification(package: ArchivePackage) -> None:
    text = (Path(package.root) / "data/说明文件.txt").read_text(encoding="utf-8")
    assert "档号 = 全宗号-年度-保管期限代码-案卷号" in text
    assert package.record.seal.sha256_fingerprint in text
    assert "DA/T 93-2022" in text


def test_builder_refuses_to_overwrite_an_existing_package(
    package: ArchivePackage, dossier: CompiledDossier, signer: CourtSealSigner
) -> None:
    """Write-once: building the same 档号 again is refused and the existing package is untouched."""
    root = Path(package.root)
    before = _sha(root / "manifest-sha256.txt")
    with pytest.raises(PackageExistsError):
        build_package(dossier, root.parent, signer)
    assert _sha(root / "manifest-sha256.txt") == before
    assert [p.name for p in root.parent.iterdir()] == [root.name]  # no work folder left behind


def test_dossier_with_missing_page_is_refused_and_nothing_written(
    dossier: CompiledDossier, signer: CourtSealSigner, tmp_path: Path
) -> None:
    """《人民法院诉讼文书立卷归档办法》 / DA/T 70-2018 完整性: a gap in the page sequence stops archiving."""
    volume = dossier.volumes[0]
    first = volume.documents[0]
    short = first.model_copy(update={"pages": first.pages[:-1]})
    broken = dossier.model_copy(
        update={
            "volumes": (
                volume.model_copy(update={"documents": (short, *volume.documents[1:])}),
                *dossier.volumes[1:],
            )
        }
    )
    with pytest.raises(DossierNotReadyError) as caught:
        build_package(broken, tmp_path, signer)
    assert any("实有" in p for p in caught.value.problems)
    assert list(tmp_path.iterdir()) == []


def test_offline_backup_as_tarball_qingfa_2021_116_five(package: ArchivePackage, tmp_path: Path) -> None:
    """青法〔2021〕116号 五: offline backup of the e-archive — tar.gz with its manifest and a checksum file."""
    target = export_package(Path(package.root), tmp_path, ExportFormat.TARBALL)
    assert target.name == f"{package.record.archival_code}.tar.gz"
    sidecar = tmp_path / f"{target.name}.sha256"
    assert sidecar.read_text().split() == [_sha(target), target.name]
    with tarfile.open(target) as tar:
        names = set(tar.getnames())
    root = package.record.archival_code
    assert f"{root}/manifest-sha256.txt" in names and f"{root}/manifest-sha256.txt.p7s" in names
    assert {f"{root}/{p}" for p in read_manifest(Path(package.root)).entries} <= names
    with pytest.raises(PackageExistsError):
        export_package(Path(package.root), tmp_path, ExportFormat.TARBALL)
    assert sidecar.read_text().split()[0] == _sha(target)


def test_offline_backup_as_folder_is_verified_and_never_overwritten(
    package: ArchivePackage, tmp_path: Path
) -> None:
    target = export_package(Path(package.root), tmp_path, ExportFormat.FOLDER)
    assert verify_fixity(target).ok
    (target / "data/说明文件.txt").write_text("changed", encoding="utf-8")
    with pytest.raises(PackageExistsError):
        export_package(Path(package.root), tmp_path, ExportFormat.FOLDER)
    assert (target / "data/说明文件.txt").read_text(encoding="utf-8") == "changed"


def test_corrupt_package_is_not_backed_up(package_copy: Path, tmp_path: Path) -> None:
    metadata = package_copy / "data/元数据.xml"
    metadata.write_bytes(metadata.read_bytes().replace("驳回上诉".encode(), "撤销原判".encode()))
    with pytest.raises(PackageCorruptError) as caught:
        export_package(package_copy, tmp_path / "backup", ExportFormat.TARBALL)
    assert caught.value.problems == ["哈希值不符：data/元数据.xml"]
    assert not (tmp_path / "backup" / f"{package_copy.name}.tar.gz").exists()
