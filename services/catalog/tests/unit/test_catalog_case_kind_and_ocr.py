"""Case kind from the 案号 (立卷归档办法 第十二条/第十三条/第十四条) and reading scan-ocr's page OCR document (page-ocr.v1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from juanzong_catalog.adapters.ocr_results import OcrDocumentRefused, page_fields, read_page_ocr
from juanzong_catalog.adapters.repository import page_text
from juanzong_catalog.domain.case_kind import case_kind_for, type_code
from juanzong_catalog.domain.categories import CaseKind
from juanzong_shared.contracts import OcrLine, PageOcrDocument, PageQc

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("case_number", "code", "kind"), [
    ("（2025）吉01民终123号", "民终", CaseKind.CIVIL_SECOND_INSTANCE),
    ("（2025）吉0104民初88号", "民初", CaseKind.CIVIL_FIRST_INSTANCE),
    ("（2024）吉0102行初5号", "行初", CaseKind.ADMINISTRATIVE_FIRST_INSTANCE),
    ("（2025）吉民再1号", "民再", CaseKind.CIVIL_FIRST_INSTANCE),
    ("(2025)最高法民终3号", "民终", CaseKind.CIVIL_SECOND_INSTANCE),
])
def test_case_kind_follows_the_type_code(case_number: str, code: str, kind: CaseKind) -> None:
    """立卷归档办法 第十三条 for 终 cases; 第十二条 (and 第十四条 by analogy) otherwise."""
    assert type_code(case_number) == code
    assert case_kind_for(case_number) is kind


def test_case_type_from_intake_wins_over_the_number() -> None:
    assert case_kind_for("unreadable", "行终") is CaseKind.CIVIL_SECOND_INSTANCE
    assert case_kind_for("unreadable") is CaseKind.CIVIL_FIRST_INSTANCE


def _document(**overrides) -> dict:
    """A page OCR document as scan-ocr writes it (the shared page-ocr.v1 contract), JSON form."""
    doc = PageOcrDocument(
        page_id="p1", engine="ppocr", model_version="PP-OCRv5", text="民事判决书\n原告：张三", width=2480, height=3508,
        dpi=300, rotation=0, skew_degrees=0.4, born_digital=False, timings={"det": 0.1},
        lines=(OcrLine(text="民事判决书", polygon=((1, 2), (3, 2), (3, 4), (1, 4)), confidence=0.99),
               OcrLine(text="原告：张三", polygon=((1, 5), (9, 5), (9, 7), (1, 7)), confidence=0.9)),
        qc=PageQc(width_px=2480, height_px=3508, effective_dpi=300, dpi_source="declared", clarity=0.9,
                  edge_spread_mm=0.1, blurred=False, ink_ratio=0.04, blank=False, skew_degrees=0.4,
                  needs_rescan=False, passed=True, dpi=300, checked_at=datetime(2026, 12, 7, 9, tzinfo=UTC)),
    ).model_dump(mode="json")
    doc.update(overrides)
    return doc


def test_ocr_document_becomes_a_page() -> None:
    raw = json.dumps(_document(), ensure_ascii=False).encode()
    ocr = page_fields(read_page_ocr(raw, "p1"))
    assert ocr["engine"] == "ppocr" and ocr["width"] == 2480 and not ocr["blank"]
    assert ocr["qc"]["passed"] and ocr["qc"]["dpi"] == 300 and ocr["qc"]["checked_at"].startswith("2026-12-07T09:00")
    page = page_text({"_id": "p1", "seq": 3, **ocr})
    assert page.line_texts == ["民事判决书", "原告：张三"] and page.lines[0].polygon[2] == (3.0, 4.0)


def test_empty_or_qc_blank_pages_are_blank_and_empty_lines_are_not_kept() -> None:
    assert page_fields(read_page_ocr(json.dumps(_document(text="", lines=[])), "p1"))["blank"]
    blank_qc = _document()
    blank_qc["qc"]["blank"] = True
    assert page_fields(read_page_ocr(json.dumps(blank_qc), "p1"))["blank"]
    spaced = _document(lines=[{"text": "  ", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]], "confidence": 0.5}])
    assert page_fields(read_page_ocr(json.dumps(spaced), "p1"))["lines"] == []


@pytest.mark.parametrize(("raw", "reason"), [
    (json.dumps(_document(lines=[{"text": "传票", "box": [10, 20, 110, 60]}])), "lines.0.polygon: Field required"),
    (json.dumps(_document(lines=[{"text": "案号", "polygon": [[0, 0], [5, 0], [5, 2], [3, 3], [0, 2]],
                                  "confidence": 0.9}])), "lines.0.polygon"),
    (json.dumps(_document(image_key="pages/p1/processed.png")), "image_key: Extra inputs are not permitted"),
    (json.dumps(_document(version=2)), "version"),
    (json.dumps({"text": "x", "lines": []}), "page_id: Field required"),
    ("[1, 2]", "(document)"),
    (b"\xff not json", "(document): Invalid JSON"),
    (json.dumps(_document(page_id="p2")), "about page p2, not p1"),
])
def test_a_document_off_the_contract_is_refused_with_the_reason(raw, reason) -> None:
    with pytest.raises(OcrDocumentRefused) as refused:
        read_page_ocr(raw, "p1")
    assert reason in str(refused.value), str(refused.value)
