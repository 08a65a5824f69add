"""Pure archive rules: 档号, 案号, page sequence, dossier readiness and the report invariants."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.case_facts import court_code, procedure_of
from juanzong_archive.domain.dossier import (
    CaseMetadata,
    CompiledDossier,
    Court,
    DossierDocument,
    PageSource,
    PanelMember,
    Party,
    QcRecord,
    RetentionPeriod,
    SecrecyLevel,
    Volume,
    VolumeKind,
)
from juanzong_archive.domain.metadata_rules import (
    PageSpan,
    dossier_problems,
    page_sequence_problems,
)
from juanzong_archive.domain.package import PackageLayout
from juanzong_archive.domain.report import (
    CheckItem,
    CheckOutcome,
    CheckProperty,
    FourPropertyReport,
    render_html,
    render_text,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


def _case(**overrides: object) -> CaseMetadata:
    values: dict[str, object] = {
        "case_number": "（2020）吉01民终123号",
        "cause": "建设工程施工合同纠纷",
        "parties": (Party(role="上诉人", name="张三"),),
        "procedure": "二审",
        "outcome": "驳回上诉，维持原判",
        "panel": (PanelMember(role="审判长", name="李明"),),
        "judge": "王芳",
        "clerk": "陈晓",
        "retention_period": RetentionPeriod.PERMANENT,
        "secrecy_level": SecrecyLevel.UNCLASSIFIED,
        "court": Court(name="吉林省长春市中级人民法院", code="吉01", fonds_code="J011"),
        "filing_date": dt.date(2020, 3, 2),
        "closing_date": dt.date(2020, 9, 18),
    }
    values.update(overrides)
    return CaseMetadata(**values)  # type: ignore[arg-type]


def _page(page_id: str, *, passed: bool = True) -> PageSource:
    return PageSource(
        page_id=page_id,
        pdf_path=Path(f"/nonexistent/{page_id}.pdf"),
        qc=QcRecord(passed=passed, dpi=300, checked_at=NOW, checked_by="扫描工位-01"),
    )


def _doc(title: str, first: int, last: int, pages: int | None = None, prefix: str = "p") -> DossierDocument:
    count = last - first + 1 if pages is None else pages
    return DossierDocument(
        title=title,
        category="法院文书",
        date=dt.date(2020, 3, 2),
        issuer="长春市中级人民法院",
        first_page=first,
        last_page=last,
        pages=tuple(_page(f"{prefix}{first}-{i}") for i in range(count)),
    )


def _dossier(*volumes: Volume, case: CaseMetadata | None = None) -> CompiledDossier:
    return CompiledDossier(case=case or _case(), volumes=volumes, archive_serial=7)


# ------------------------------------------------------------------ 档号


def test_archival_code_follows_da_t_13_fonds_year_retention_serial() -> None:
    """DA/T 13 档号: 全宗号-年度(结案年度)-保管期限代码-案卷号."""
    dossier = _dossier(Volume(kind=VolumeKind.MAIN, documents=(_doc("起诉状", 1, 2),)))
    code = ArchivalCode.for_dossier(dossier)
    assert str(code) == "J011-2020-Y-0007"
    assert code.volume_code(VolumeKind.SECONDARY, 2) == "J011-2020-Y-0007-F02"
    assert code.document_code(VolumeKind.MAIN, 1, 12) == "J011-2020-Y-0007-Z01-012"
    assert ArchivalCode.parse(str(code)) == code


@pytest.mark.parametrize(
    ("retention", "letter"),
    [(RetentionPeriod.PERMANENT, "Y"), (RetentionPeriod.LONG_TERM, "C"), (RetentionPeriod.SHORT_TERM, "D")],
)
def test_retention_code_in_archival_code_da_t_13(retention: RetentionPeriod, letter: str) -> None:
    code = ArchivalCode(fonds_code="J011", year=2021, retention=retention, serial=12345)
    assert str(code) == f"J011-2021-{letter}-12345"
    assert ArchivalCode.parse(str(code)).retention is retention


@pytest.mark.parametrize(
    "text", ["J011-2020-X-0001", "j011-2020-Y-0001", "J011/2020-Y-0001", "J011-2020-Y-01"]
)
def test_malformed_archival_code_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        ArchivalCode.parse(text)


def test_package_layout_names_folders_and_files_by_archival_code_da_t_93() -> None:
    """DA/T 93-2022: the package's folders are named by 档号."""
    layout = PackageLayout(code=ArchivalCode.parse("J011-2020-C-0123"))
    assert layout.root_name == "J011-2020-C-0123"
    assert layout.volume_pdf(VolumeKind.MAIN, 1) == "data/J011-2020-C-0123-Z01/J011-2020-C-0123-Z01.pdf"
    assert (
        layout.document_pdf(VolumeKind.SECONDARY, 1, 3)
        == "data/J011-2020-C-0123-F01/J011-2020-C-0123-F01-003.pdf"
    )
    assert layout.catalogue_path == "data/目录文件.xml"
    assert layout.description_path == "data/说明文件.txt"


# ------------------------------------------------------------------ 案号 and metadata


def test_court_and_procedure_come_from_the_case_number() -> None:
    """《关于人民法院案件案号的若干规定》: （收案年度）+法院代字+类型代字+案件编号+号."""
    assert court_code("（2020）吉01民终123号") == "吉01" and procedure_of("（2020）吉01民终123号") == "二审"
    assert court_code("(2019)最高法民申45号") == "最高法" and procedure_of("(2019)最高法民申45号") == "申请再审审查"
    assert court_code("2020吉01民终123号") is None and procedure_of("（2020）吉01民终号") is None


def test_missing_case_metadata_blocks_archiving_qingfa_2021_116() -> None:
    """青法〔2021〕116号 一: metadata collected with the e-archive; blank 案由/承办人 are refused."""
    dossier = _dossier(
        Volume(kind=VolumeKind.MAIN, documents=(_doc("起诉状", 1, 1),)),
        case=_case(cause=" ", judge="", panel=()),
    )
    problems = dossier_problems(dossier)
    assert any("案由" in p for p in problems)
    assert any("承办人" in p for p in problems)
    assert any("合议庭" in p for p in problems)


def test_malformed_case_number_and_dates_out_of_order_are_reported() -> None:
    case = _case(case_number="吉01民终123", closing_date=dt.date(2020, 1, 1))
    problems = dossier_problems(
        _dossier(Volume(kind=VolumeKind.MAIN, documents=(_doc("起诉状", 1, 1),)), case=case)
    )
    assert any("案号" in p for p in problems)
    assert any("结案日期" in p for p in problems)


def test_state_secret_case_refused_jigaofa_2020_11_article_10() -> None:
    """吉高法〔2020〕11号 第十条: cases involving state secrets are not handled on the paperless platform."""
    volume = Volume(kind=VolumeKind.MAIN, documents=(_doc("起诉状", 1, 1),))
    assert dossier_problems(_dossier(volume, case=_case(secrecy_level=SecrecyLevel.INTERNAL))) == []
    problems = dossier_problems(_dossier(volume, case=_case(secrecy_level=SecrecyLevel.SECRET)))
    assert any("涉密" in p for p in problems)


def test_page_that_failed_qc_blocks_archiving_fa_2016_264_2_5() -> None:
    """法〔2016〕264号 二(五): image clarity is reviewed; a page that failed QC cannot be archived."""
    doc = _doc("起诉状", 1, 2)
    bad = doc.model_copy(update={"pages": (doc.pages[0], _page("bad", passed=False))})
    problems = dossier_problems(_dossier(Volume(kind=VolumeKind.MAIN, documents=(bad,))))
    assert problems == ["正卷第 2 页（起诉状）未通过图像质检"]


def test_dossier_without_main_volume_or_with_duplicate_books_is_refused() -> None:
    secondary = Volume(kind=VolumeKind.SECONDARY, documents=(_doc("审理报告", 1, 1),))
    assert "缺少正卷" in dossier_problems(_dossier(secondary))
    main = Volume(kind=VolumeKind.MAIN, documents=(_doc("起诉状", 1, 1),))
    main_again = Volume(kind=VolumeKind.MAIN, documents=(_doc("答辩状", 1, 1, prefix="q"),))
    assert any("重复" in p for p in dossier_problems(_dossier(main, main_again)))


# ------------------------------------------------------------------ page sequence


def test_continuous_pages_have_no_problem_changzhongfa_2018_129_article_9() -> None:
    """长中法〔2018〕129号 第九条: content, count and order as on paper — a clean sequence passes."""
    spans = [PageSpan("起诉状", 1, 3, 3), PageSpan("答辩状", 4, 4, 1), PageSpan("判决书", 5, 9, 5)]
    assert page_sequence_problems("正卷", spans) == []


def test_gap_in_page_numbers_is_a_missing_page() -> None:
    """《人民法院诉讼文书立卷归档办法》 pages numbered one by one: 1–3 then 5–6 means page 4 is missing."""
    problems = page_sequence_problems("正卷", [PageSpan("起诉状", 1, 3, 3), PageSpan("答辩状", 5, 6, 2)])
    assert problems == ["正卷第 4–4 页缺失（“答辩状”前页码不连续）"]


def test_document_with_fewer_pages_than_its_range_and_overlaps_are_reported() -> None:
    problems = page_sequence_problems("副卷", [PageSpan("审理报告", 1, 4, 3), PageSpan("评议笔录", 4, 5, 2)])
    assert any("应有 4 页，实有 3 页" in p for p in problems)
    assert any("重叠" in p for p in problems)


def test_dossier_with_missing_page_is_not_ready() -> None:
    volume = Volume(kind=VolumeKind.MAIN, documents=(_doc("起诉状", 1, 3, pages=2),))
    assert any("实有 2 页" in p for p in dossier_problems(_dossier(volume)))


# ------------------------------------------------------------------ report invariants


def _item(
    code: str, prop: CheckProperty, outcome: CheckOutcome = CheckOutcome.PASSED, findings=()
) -> CheckItem:
    return CheckItem(
        code=code, property=prop, name="检测项", outcome=outcome, detail="说明", findings=findings
    )


def _full(*extra: CheckItem) -> FourPropertyReport:
    items = [
        _item("ZS-01", CheckProperty.AUTHENTICITY),
        _item("WZ-01", CheckProperty.INTEGRITY),
        _item("KY-01", CheckProperty.USABILITY),
        _item("AQ-01", CheckProperty.SECURITY),
        *extra,
    ]
    return FourPropertyReport(
        archival_code="J011-2020-Y-0001", package_path="/x", checked_at=NOW, items=tuple(items)
    )


def test_item_with_findings_can_never_be_passed_da_t_70_2018() -> None:
    """DA/T 70-2018: a failing check never reports success."""
    with pytest.raises(ValidationError):
        _item("ZS-02", CheckProperty.AUTHENTICITY, CheckOutcome.PASSED, findings=("哈希值不符：a.pdf",))
    judged = CheckItem.judge(
        "ZS-02", CheckProperty.AUTHENTICITY, "文件哈希值校验", ["哈希值不符：a.pdf"], "一致"
    )
    assert judged.outcome is CheckOutcome.FAILED


def test_item_code_must_belong_to_its_property() -> None:
    with pytest.raises(ValidationError):
        _item("AQ-01", CheckProperty.AUTHENTICITY)


def test_report_passes_only_when_every_property_checked_and_nothing_failed() -> None:
    assert _full().passed
    failed = _full(_item("KY-02", CheckProperty.USABILITY, CheckOutcome.FAILED, ("无法渲染",)))
    assert not failed.passed
    assert failed.property_outcome(CheckProperty.USABILITY) is CheckOutcome.FAILED
    assert failed.property_outcome(CheckProperty.SECURITY) is CheckOutcome.PASSED
    missing_property = FourPropertyReport(
        archival_code="J011-2020-Y-0001",
        package_path="/x",
        checked_at=NOW,
        items=(_item("ZS-01", CheckProperty.AUTHENTICITY),),
    )
    assert not missing_property.passed
    assert "没有检测项" in missing_property.conclusion()


def test_skipped_item_is_noted_not_counted_as_success() -> None:
    report = _full(_item("AQ-04", CheckProperty.SECURITY, CheckOutcome.SKIPPED))
    assert report.passed
    assert report.property_outcome(CheckProperty.SECURITY) is CheckOutcome.SKIPPED
    assert report.conclusion() == "通过（1 项未执行，见说明）"


def test_unreadable_package_fails_all_four_properties() -> None:
    report = FourPropertyReport.unreadable("J011-2020-Y-0001", "/x.tar.gz", "信息包无法解压", NOW)
    assert not report.passed
    assert all(report.property_outcome(p) is CheckOutcome.FAILED for p in CheckProperty)


def test_text_and_html_rendering_in_chinese_and_escaped() -> None:
    report = _full(
        _item("AQ-02", CheckProperty.SECURITY, CheckOutcome.FAILED, ("<script>alert(1)</script>",))
    )
    text = render_text(report)
    for heading in ("一、真实性", "二、完整性", "三、可用性", "四、安全性（不通过）", "总体结论：不通过"):
        assert heading in text
    assert "2026-11-22 16:00:00（北京时间）" in text
    html = render_html(report)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'lang="zh-CN"' in html


def test_report_json_round_trip() -> None:
    report = _full(_item("AQ-04", CheckProperty.SECURITY, CheckOutcome.SKIPPED))
    assert FourPropertyReport.model_validate_json(report.model_dump_json()) == report
