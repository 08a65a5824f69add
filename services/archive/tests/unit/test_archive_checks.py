"""DA/T 70-2018 four-property check: a good package passes; each kind of damage is caught under its property."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pikepdf
import pytest
from juanzong_archive.adapters.bagit_package import manifest_text, read_manifest
from juanzong_archive.adapters.checks import ClamAvScanner, MalwareScan, PackageChecker
from juanzong_archive.adapters.dev_pki import generate_dev_credentials
from juanzong_archive.adapters.pdf_builder import ArchivalPdfBuilder
from juanzong_archive.adapters.signing import SignatureVerifier
from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.dossier import CompiledDossier
from juanzong_archive.domain.package import ArchivePackage
from juanzong_archive.domain.report import CheckOutcome, CheckProperty, FourPropertyReport, render_text

pytestmark = pytest.mark.unit


def _first_document(root: Path) -> Path:
    return min(root.glob("data/*-Z01/*-Z01-001.pdf"))


def _volume(root: Path) -> Path:
    return min(root.glob("data/*-Z01/*-Z01.pdf"))


def _failed(report: FourPropertyReport) -> set[str]:
    return {item.code for item in report.failed_items}


def _findings(report: FourPropertyReport, code: str) -> str:
    return "\n".join(report.item(code).findings)


def test_good_package_passes_every_property(package: ArchivePackage, checker: PackageChecker) -> None:
    """DA/T 70-2018: 真实性, 完整性, 可用性, 安全性 all pass; the missing scanner is 未执行, not 通过."""
    report = checker.check(Path(package.root))
    assert report.failed_items == (), render_text(report)
    assert report.passed
    for prop in CheckProperty:
        assert report.items_for(prop), prop
    assert report.item("AQ-04").outcome is CheckOutcome.SKIPPED
    assert "未安装 ClamAV" in report.item("AQ-04").detail
    assert report.archival_code == package.record.archival_code


def test_one_byte_changed_is_caught_by_hash_and_by_signature(
    package_copy: Path, checker: PackageChecker
) -> None:
    """DA/T 70-2018 真实性: a single flipped byte fails the SHA-256 check and the PDF seal."""
    volume = _volume(package_copy)
    data = bytearray(volume.read_bytes())
    data[len(data) // 3] ^= 0x01
    volume.write_bytes(bytes(data))
    report = checker.check(package_copy)
    assert not report.passed
    rel = volume.relative_to(package_copy).as_posix()
    assert f"哈希值不符：{rel}" in report.item("ZS-02").findings
    assert rel in _findings(report, "ZS-03")
    assert report.property_outcome(CheckProperty.AUTHENTICITY) is CheckOutcome.FAILED


def test_changed_metadata_is_caught_by_hash(package_copy: Path, checker: PackageChecker) -> None:
    metadata = package_copy / "data/元数据.xml"
    metadata.write_bytes(metadata.read_bytes().replace("驳回上诉".encode(), "撤销原判".encode()))
    report = checker.check(package_copy)
    assert report.item("ZS-02").findings == ("哈希值不符：data/元数据.xml",)
    assert not report.passed


def test_rehashed_manifest_is_caught_by_the_manifest_seal(
    package_copy: Path, checker: PackageChecker
) -> None:
    """An attacker who edits a file and recomputes the manifest still breaks the seal over the manifest."""
    metadata = package_copy / "data/元数据.xml"
    metadata.write_bytes(metadata.read_bytes().replace("驳回上诉".encode(), "撤销原判".encode()))
    entries = read_manifest(package_copy).entries
    entries["data/元数据.xml"] = hashlib.sha256(metadata.read_bytes()).hexdigest()
    (package_copy / "manifest-sha256.txt").write_text(manifest_text(entries), encoding="utf-8")
    report = checker.check(package_copy)
    assert "ZS-01" in _failed(report)
    assert "清单摘要与签名不符" in _findings(report, "ZS-01")
    assert "data/元数据.xml" not in _findings(report, "ZS-02")  # the payload hash itself now matches


def test_missing_page_is_reported_under_integrity(package_copy: Path, checker: PackageChecker) -> None:
    """DA/T 70-2018 完整性; 长中法〔2018〕129号 第九条 (数量一致): a page removed from a volume is caught."""
    volume = _volume(package_copy)
    with pikepdf.open(volume, allow_overwriting_input=True) as pdf:
        del pdf.pages[3]
        pdf.save(volume)
    report = checker.check(package_copy)
    assert report.property_outcome(CheckProperty.INTEGRITY) is CheckOutcome.FAILED
    assert "整卷文件" in _findings(report, "WZ-03") and "应为" in _findings(report, "WZ-03")
    assert "ZS-02" in _failed(report) and "ZS-03" in _failed(report)


def test_missing_document_file_is_reported_under_integrity(
    package_copy: Path, checker: PackageChecker
) -> None:
    doc = _first_document(package_copy)
    doc.unlink()
    report = checker.check(package_copy)
    rel = doc.relative_to(package_copy).as_posix()
    assert f"清单所列文件缺失：{rel}" in report.item("WZ-02").findings
    assert f"元数据所列文件缺失：{rel}" in report.item("WZ-02").findings


def test_unsigned_pdf_is_reported_under_authenticity(
    package_copy: Path, checker: PackageChecker, dossier: CompiledDossier
) -> None:
    """法〔2016〕264号 三(五) / DA/T 70-2018 真实性: a PDF without the court seal fails."""
    volume = dossier.volumes[0]
    doc_path = _first_document(package_copy)
    scratch = package_copy.parent / "scratch"
    scratch.mkdir()
    docs = [scratch / f"d{i}.pdf" for i in range(len(volume.documents))]
    ArchivalPdfBuilder().build_volume(
        dossier,
        volume,
        ArchivalCode.for_dossier(dossier),
        scratch / "v.pdf",
        docs,
        created_at=dt.datetime.now(dt.UTC),
    )
    shutil.copyfile(docs[0], doc_path)
    report = checker.check(package_copy)
    rel = doc_path.relative_to(package_copy).as_posix()
    assert f"{rel}：未加盖电子签章" in report.item("ZS-03").findings
    assert report.item("ZS-03").property is CheckProperty.AUTHENTICITY


def test_truncated_file_is_reported_under_usability(package_copy: Path, checker: PackageChecker) -> None:
    """DA/T 70-2018 可用性: a truncated PDF does not open (no silent repair)."""
    volume = _volume(package_copy)
    data = volume.read_bytes()
    volume.write_bytes(data[: len(data) // 2])
    report = checker.check(package_copy)
    rel = volume.relative_to(package_copy).as_posix()
    assert report.property_outcome(CheckProperty.USABILITY) is CheckOutcome.FAILED
    assert rel in _findings(report, "KY-01")
    assert f"哈希值不符：{rel}" in report.item("ZS-02").findings
    # what could not be parsed cannot be declared free of active content
    assert f"{rel}：无法解析，不能确认不含主动内容" in report.item("AQ-01").findings


def test_truncated_metadata_xml_is_reported(package_copy: Path, checker: PackageChecker) -> None:
    metadata = package_copy / "data/元数据.xml"
    metadata.write_bytes(metadata.read_bytes()[:500])
    report = checker.check(package_copy)
    assert "data/元数据.xml" in _findings(report, "KY-01")
    assert {"ZS-04", "WZ-03", "WZ-04", "WZ-05"} <= _failed(report)


def _inject(path: Path, change) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        change(pdf)
        pdf.save(path)


def test_pdf_with_javascript_is_reported_under_security(package_copy: Path, checker: PackageChecker) -> None:
    """DA/T 70-2018 安全性: JavaScript in a PDF is active content."""
    doc = _first_document(package_copy)

    def add_js(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(
            Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')")
        )

    _inject(doc, add_js)
    report = checker.check(package_copy)
    rel = doc.relative_to(package_copy).as_posix()
    assert report.item("AQ-01").outcome is CheckOutcome.FAILED
    assert rel in _findings(report, "AQ-01") and "JavaScript" in _findings(report, "AQ-01")
    assert report.property_outcome(CheckProperty.SECURITY) is CheckOutcome.FAILED


def test_launch_and_submit_form_actions_are_reported(package_copy: Path, checker: PackageChecker) -> None:
    doc = _first_document(package_copy)

    def add_actions(pdf: pikepdf.Pdf) -> None:
        page = pdf.pages[0]
        page.obj.Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pdf.make_indirect(
                        pikepdf.Dictionary(
                            Type=pikepdf.Name.Annot,
                            Subtype=pikepdf.Name.Link,
                            Rect=[0, 0, 10, 10],
                            A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")),
                        )
                    ),
                    pdf.make_indirect(
                        pikepdf.Dictionary(
                            Type=pikepdf.Name.Annot,
                            Subtype=pikepdf.Name.Link,
                            Rect=[10, 10, 20, 20],
                            A=pikepdf.Dictionary(
                                S=pikepdf.Name.SubmitForm, F=pikepdf.String("http://example.invalid/")
                            ),
                        )
                    ),
                ]
            )
        )

    _inject(doc, add_actions)
    report = checker.check(package_copy)
    found = _findings(report, "AQ-02")
    assert "Launch 动作" in found and "SubmitForm 动作" in found


def test_embedded_file_and_dropped_executable_are_reported(
    package_copy: Path, checker: PackageChecker
) -> None:
    doc = _first_document(package_copy)

    def attach(pdf: pikepdf.Pdf) -> None:
        pdf.attachments["tool.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00payload")

    _inject(doc, attach)
    (package_copy / "data" / "readme.pdf.exe").write_bytes(b"MZ\x90\x00\x03")
    report = checker.check(package_copy)
    found = _findings(report, "AQ-03")
    assert "嵌入文件" in found
    assert "data/readme.pdf.exe：Windows 可执行文件" in found
    assert "data/readme.pdf.exe：非归档文件类型" in found
    assert "文件未列入清单：data/readme.pdf.exe" in report.item("WZ-02").findings


def test_package_sealed_by_another_court_is_not_trusted(
    package: ArchivePackage, no_scanner: ClamAvScanner
) -> None:
    other_ca, _, _ = generate_dev_credentials("别的法院")
    report = PackageChecker(SignatureVerifier([other_ca]), scanner=no_scanner).check(Path(package.root))
    assert {"ZS-01", "ZS-03"} <= _failed(report)
    assert "受信任的根证书" in _findings(report, "ZS-01")


def test_renamed_package_folder_does_not_match_its_archival_code(
    package: ArchivePackage, checker: PackageChecker, tmp_path: Path
) -> None:
    moved = tmp_path / "J011-2020-C-9999"
    shutil.copytree(package.root, moved)
    report = checker.check(moved)
    assert "与元数据档号“J011-2020-C-0123”不符" in _findings(report, "ZS-04")


@pytest.mark.skipif(shutil.which("clamscan") is None, reason="ClamAV (clamscan) not installed")
def test_clamav_finds_planted_malware_signature(
    package_copy: Path, verifier: SignatureVerifier, tmp_path: Path
) -> None:
    """DA/T 70-2018 安全性 (病毒检测): with ClamAV present a match fails the item and names the file."""
    planted = package_copy / "data" / "说明文件.txt"
    content = planted.read_bytes()
    database = tmp_path / "juanzong-test.hdb"
    database.write_text(f"{hashlib.md5(content).hexdigest()}:{len(content)}:Juanzong.Test.Marker\n")
    report = PackageChecker(verifier, scanner=ClamAvScanner(database=database)).check(package_copy)
    item = report.item("AQ-04")
    assert item.outcome is CheckOutcome.FAILED
    assert "说明文件.txt" in "\n".join(item.findings) and "Juanzong.Test.Marker" in "\n".join(item.findings)


@pytest.mark.skipif(shutil.which("clamscan") is None, reason="ClamAV (clamscan) not installed")
def test_clamav_clean_scan_passes(
    package: ArchivePackage, verifier: SignatureVerifier, tmp_path: Path
) -> None:
    database = tmp_path / "juanzong-test.hdb"
    database.write_text(f"{'0' * 32}:5:Juanzong.Test.Nothing\n")
    report = PackageChecker(verifier, scanner=ClamAvScanner(database=database)).check(Path(package.root))
    assert report.item("AQ-04").outcome is CheckOutcome.PASSED


class _BrokenScanner(ClamAvScanner):
    def scan(self, path: Path) -> MalwareScan:
        raise RuntimeError("scanner crashed")


class _ErroringScanner(ClamAvScanner):
    def scan(self, path: Path) -> MalwareScan:
        return MalwareScan("error", "ClamAV 未能完成扫描：No supported database files found")


def test_a_check_that_crashes_or_cannot_run_never_reports_success(
    package: ArchivePackage, verifier: SignatureVerifier
) -> None:
    """DA/T 70-2018: an item that could not be carried out is never 通过."""
    crashed = PackageChecker(verifier, scanner=_BrokenScanner()).check(Path(package.root)).item("AQ-04")
    assert crashed.outcome is CheckOutcome.FAILED and "scanner crashed" in crashed.findings[0]
    errored = PackageChecker(verifier, scanner=_ErroringScanner()).check(Path(package.root)).item("AQ-04")
    assert errored.outcome is CheckOutcome.SKIPPED


def test_failed_report_renders_findings_in_chinese(package_copy: Path, checker: PackageChecker) -> None:
    (package_copy / "data/目录文件.xml").unlink()
    text = render_text(checker.check(package_copy))
    assert "总体结论：不通过" in text
    assert "清单所列文件缺失：data/目录文件.xml" in text
