"""核查 rules on catalog's compiled dossier, the tolerant catalog mapping and case-level metadata assembly
(吉高法〔2020〕11号 第三条(七)；长中法〔2018〕129号 第八条/第九条；青法〔2021〕116号 一)."""

import pytest
from juanzong_archive.adapters.catalog import parse_compiled
from juanzong_archive.domain.case_facts import CaseMetadataIncomplete, assemble_case, court_code, procedure_of
from juanzong_archive.domain.review import PaperItem, review_findings

pytestmark = pytest.mark.unit

CN = "（2025）吉01民终123号"
QC = {"passed": True, "dpi": 300, "checked_at": "2025-06-01T08:00:00Z", "station_id": "st-3"}


def page(pid, number, **qc):
    return {"page_id": pid, "page_number": number, "bucket": "juanzong-pages", "pdf_key": f"pages/{pid}/page.pdf",
            "qc": {**QC, **qc}, "ocr": {"engine": "PP-OCRv5", "confidence": 97, "at": "2025-06-01T08:00:01Z"}}


def body(**overrides):
    b = {"volumes": [{"volume": "main", "documents": [
        {"document_id": "d1", "title": "民事起诉状", "category": "起诉状", "date": "2025-01-02",
         "issuing_party": "张三", "first_page": 1, "last_page": 2, "pages": [page("p1", 1), page("p2", 2)]},
        {"document_id": "d2", "title": "民事判决书", "category": "判决书", "date": "2025-05-02",
         "issuer": "吉林省长春市中级人民法院", "first_page": 3, "last_page": 3, "pages": [page("p3", 3)]}]}],
        "review_queue": [], "case": {"parties": [{"role": "上诉人", "name": "张三"}]}}
    b.update(overrides)
    return b


def test_a_clean_dossier_passes_and_maps_tolerantly():
    staged = parse_compiled(CN, body())
    assert review_findings(staged) == []
    first = staged.volumes[0].documents[0]
    assert first.issuer == "张三" and first.pages[0].qc.checked_by == "st-3"
    assert first.pages[0].ocr.mean_confidence == pytest.approx(0.97)


def test_pages_listed_per_volume_are_grouped_into_documents():
    b = {"volumes": [{"volume": "正卷", "documents": [
        {"document_id": "d1", "title": "起诉状", "category": "起诉状", "date": "2025-01-02", "issuer": "张三"}],
        "pages": [{**page("p1", 1), "document_id": "d1"}, {**page("cover", None), "document_id": "cover"}]}]}
    staged = parse_compiled(CN, b)
    assert [p.page_id for p in staged.volumes[0].documents[0].pages] == ["p1"]


def test_failed_qc_gap_and_pending_documents_are_findings():
    """第三条(七): every page passed QC, catalogue complete, counts consistent."""
    b = body(review_queue=[{"title": "未识别材料"}])
    b["volumes"][0]["documents"][1]["pages"] = [page("p3", 4, passed=False)]
    b["volumes"][0]["documents"][1]["first_page"] = 4
    b["volumes"][0]["documents"][1]["last_page"] = 4
    findings = review_findings(parse_compiled(CN, b))
    assert any("尚未编目归目" in f for f in findings)
    assert any("未通过图像质检" in f for f in findings)
    assert any("第 3–3 页缺失" in f for f in findings)
    assert all("第三条(七)" in f for f in findings)


def test_missing_qc_record_is_a_finding_not_a_guess():
    b = body()
    del b["volumes"][0]["documents"][0]["pages"][0]["qc"]["dpi"]
    assert any("缺少 dpi" in f for f in review_findings(parse_compiled(CN, b)))


def test_paper_list_content_count_and_order():
    """长中法〔2018〕129号 第九条: 电子卷宗与纸质卷宗内容一致、数量一致、顺序一致."""
    staged = parse_compiled(CN, body())
    assert review_findings(staged, [PaperItem(title="民事起诉状", pages=2), PaperItem(title="民事判决书")]) == []
    swapped = review_findings(staged, [PaperItem(title="民事判决书"), PaperItem(title="民事起诉状")])
    assert len(swapped) == 2 and all("第九条" in f for f in swapped)
    short = review_findings(staged, [PaperItem(title="民事起诉状", pages=3)])
    assert any("数量不一致" in f for f in short) and any("页数不一致" in f for f in short)


def test_staged_materials_must_be_present():
    """长中法〔2018〕129号 第八条: 缺少材料的要进行补充扫描."""
    staged = parse_compiled(CN, body(expected_materials=["民事起诉状", {"title": "送达回证"}]))
    assert review_findings(staged) == ["已登记的材料“送达回证”不在电子卷宗中（长中法〔2018〕129号 第八条）"]


COURTS = {"吉01": {"name": "吉林省长春市中级人民法院", "fonds_code": "J011"}}
INTAKE = {"cause": "买卖合同纠纷", "registered_at": "2025-01-05T02:00:00Z", "closed_at": "2025-06-01T02:00:00Z",
          "result": "驳回上诉，维持原判",
          "panel": [{"user_id": "a", "name": "李明", "role": "presiding_judge"},
                    {"user_id": "b", "name": "王芳", "role": "undertaking_judge"},
                    {"user_id": "c", "name": "陈晓", "role": "clerk"}]}


def test_case_metadata_from_intake_catalog_and_entries():
    """青法〔2021〕116号 一: 案号, 案由, 当事人, 审判程序, 结果, 合议庭, 承办人, 书记员, 保管期限, 密级, dates."""
    assert court_code(CN) == "吉01" and procedure_of(CN) == "二审"
    case = assemble_case(CN, intake=INTAKE, catalog={"parties": [{"role": "上诉人", "name": "张三"}]},
                         entered={"retention_period": "长期", "secrecy_level": "非密"}, courts=COURTS)
    assert case.judge == "王芳" and case.clerk == "陈晓" and case.panel[0].role == "审判长"
    assert case.court.fonds_code == "J011" and str(case.closing_date) == "2025-06-01"


def test_missing_case_metadata_is_named():
    with pytest.raises(CaseMetadataIncomplete) as error:
        assemble_case(CN, intake={}, catalog={}, entered={"retention_period": "长期", "secrecy_level": "非密"},
                      courts={})
    assert {"案由", "当事人", "合议庭", "法院（全宗号）", "结案日期"} <= set(error.value.missing)


def test_parties_come_from_intake_registration_qingfa_2021_116():
    """青法〔2021〕116号 一: 当事人 is a case-level item; intake's case.registered carries them."""
    intake = {**INTAKE, "parties": [{"role": "上诉人", "name": "赵立军"}, {"role": "被上诉人", "name": "孙秀梅"}]}
    case = assemble_case(CN, intake=intake, catalog={}, entered={"retention_period": "长期", "secrecy_level": "非密"},
                         courts=COURTS)
    assert [(p.role, p.name) for p in case.parties] == [("上诉人", "赵立军"), ("被上诉人", "孙秀梅")]
