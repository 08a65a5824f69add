"""核查 rules on catalog's compiled dossier (compiled-dossier.v1) and case-level metadata assembly
(吉高法〔2020〕11号 第三条(七)；长中法〔2018〕129号 第九条；青法〔2021〕116号 一)."""

import pytest
from juanzong_archive.adapters.catalog import staged_dossier
from juanzong_archive.domain.case_facts import CaseMetadataIncomplete, assemble_case, court_code, procedure_of
from juanzong_archive.domain.review import PaperItem, review_findings
from juanzong_shared.contracts import CompiledDossier

pytestmark = pytest.mark.unit

CN = "（2025）吉01民终123号"
QC = {"width_px": 2480, "height_px": 3508, "effective_dpi": 300, "dpi_source": "declared", "clarity": 0.91,
      "edge_spread_mm": 0.12, "blurred": False, "ink_ratio": 0.05, "blank": False, "skew_degrees": -0.8,
      "needs_rescan": False, "passed": True, "dpi": 300, "checked_at": "2025-06-01T08:00:00Z"}


def page(pid, number, document_id, **qc):
    return {"role": None, "page_id": pid, "document_id": document_id, "page_number": number,
            "bucket": "juanzong-pages", "pdf_key": f"pages/{pid}/page.pdf", "engine": "ppocr",
            "model_version": "PP-OCRv5", "mean_confidence": 0.97, "recognised_at": "2025-06-01T08:00:01Z",
            "qc": {**QC, **qc}}


def document(document_id, title, category_zh, issuer, first, last, page_ids):
    return {"document_id": document_id, "category": "x", "category_zh": category_zh, "title": title,
            "issuing_party": issuer, "date": "2025-01-02", "numbered": True, "first_page": first,
            "last_page": last, "page_ids": page_ids, "confidence": 0.98, "basis": "rule:title"}


def body(review_queue=()):
    """What catalog's GET /v1/dossiers/{cn}/compiled answers: page slots (a generated cover first) and documents."""
    return {"case_number": CN, "case_kind": "civil_second_instance", "case": {"cause": "买卖合同纠纷"},
            "volumes": [{"volume": "main", "name_zh": "正卷", "numbered_pages": 3,
                         "pages": [{"role": "cover", "page_id": None, "page_number": None, "generated": True},
                                   page("p1", 1, "d1"), page("p2", 2, "d1"), page("p3", 3, "d2")],
                         "documents": [document("d1", "民事起诉状", "起诉状", "张三", 1, 2, ["p1", "p2"]),
                                       document("d2", "民事判决书", "判决书", "吉林省长春市中级人民法院", 3, 3, ["p3"])],
                         "catalogue": []}],
            "review_queue": list(review_queue), "complete": not review_queue,
            "cataloguing_rate": {"total_pages": 3, "automatic_pages": 3, "rate": 1.0}}


def staged(answer: dict):
    return staged_dossier(CompiledDossier.model_validate(answer))


def test_a_clean_dossier_passes_and_maps_from_the_contract():
    dossier = staged(body())
    assert review_findings(dossier) == []
    first = dossier.volumes[0].documents[0]
    assert first.issuer == "张三" and first.category == "起诉状"
    assert [p.page_id for p in first.pages] == ["p1", "p2"]  # the generated cover is not a document's page
    assert first.pages[0].qc.checked_by == "scan-ocr" and first.pages[0].qc.dpi == 300
    assert first.pages[0].ocr.mean_confidence == pytest.approx(0.97) and first.pages[0].ocr.engine == "ppocr"
    assert dossier.case_hints == {"cause": "买卖合同纠纷"}


def test_failed_qc_gap_and_pending_documents_are_findings():
    """第三条(七): every page passed QC, catalogue complete, counts consistent."""
    b = body(review_queue=["d9"])
    b["volumes"][0]["pages"][3] = page("p3", 4, "d2", passed=False)
    b["volumes"][0]["documents"][1].update(first_page=4, last_page=4)
    findings = review_findings(staged(b))
    assert any("尚未编目归目" in f for f in findings)
    assert any("未通过图像质检" in f for f in findings)
    assert any("第 3–3 页缺失" in f for f in findings)
    assert all("第三条(七)" in f for f in findings)


def test_a_page_without_a_qc_record_is_a_finding():
    b = body()
    b["volumes"][0]["pages"][1]["qc"] = None
    assert any("没有可用的图像质检记录" in f for f in review_findings(staged(b)))


def test_paper_list_content_count_and_order():
    """长中法〔2018〕129号 第九条: 电子卷宗与纸质卷宗内容一致、数量一致、顺序一致."""
    dossier = staged(body())
    assert review_findings(dossier, [PaperItem(title="民事起诉状", pages=2), PaperItem(title="民事判决书")]) == []
    swapped = review_findings(dossier, [PaperItem(title="民事判决书"), PaperItem(title="民事起诉状")])
    assert len(swapped) == 2 and all("第九条" in f for f in swapped)
    short = review_findings(dossier, [PaperItem(title="民事起诉状", pages=3)])
    assert any("数量不一致" in f for f in short) and any("页数不一致" in f for f in short)


COURTS = {"吉01": {"name": "吉林省长春市中级人民法院", "fonds_code": "J011"}}
INTAKE = {"cause": "买卖合同纠纷", "registered_at": "2025-01-05T02:00:00Z", "closed_at": "2025-06-01T02:00:00Z",
          "result": "驳回上诉，维持原判",
          "panel": [{"user_id": "a", "name": "李明", "role": "presiding_judge"},
                    {"user_id": "b", "name": "王芳", "role": "undertaking_judge"},
                    {"user_id": "c", "name": "陈晓", "role": "clerk"}]}


def test_case_metadata_from_intake_catalog_and_entries():
    """青法〔2021〕116号 一: 案号, 案由, 当事人, 审判程序, 结果, 合议庭, 承办人, 书记员, 保管期限, 密级, dates."""
    assert court_code(CN) == "吉01" and procedure_of(CN) == "二审"
    case = assemble_case(CN, intake={**INTAKE, "cause": None, "parties": [{"role": "上诉人", "name": "张三"}]},
                         catalog={"cause": "买卖合同纠纷"}, entered={"retention_period": "长期", "secrecy_level": "非密"},
                         courts=COURTS)
    assert case.judge == "王芳" and case.clerk == "陈晓" and case.panel[0].role == "审判长"
    assert case.cause == "买卖合同纠纷" and case.parties[0].name == "张三"
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
