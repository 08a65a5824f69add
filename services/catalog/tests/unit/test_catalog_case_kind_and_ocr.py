"""Case kind from the 案号 (立卷归档办法 第十二条/第十三条/第十四条) and tolerant reading of scan-ocr's OCR JSON."""

from __future__ import annotations

import json

import pytest
from juanzong_catalog.adapters.ocr_results import parse_ocr_json
from juanzong_catalog.adapters.repository import page_text
from juanzong_catalog.domain.case_kind import case_kind_for, type_code
from juanzong_catalog.domain.categories import CaseKind

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


def test_ocr_json_in_scan_ocr_shape_becomes_a_page() -> None:
    raw = json.dumps({"text": "民事判决书\n原告：张三", "engine": "ppocrv5", "model_version": "5", "width": 2480,
                      "height": 3508, "timings": {"det": 0.1}, "lines": [
                          {"text": "民事判决书", "polygon": [[1, 2], [3, 2], [3, 4], [1, 4]], "confidence": 0.99},
                          {"text": "原告：张三", "polygon": [[1, 5], [9, 5], [9, 7], [1, 7]], "confidence": 0.9}]})
    ocr = parse_ocr_json(raw)
    assert ocr["engine"] == "ppocrv5" and ocr["width"] == 2480 and not ocr["blank"]
    page = page_text({"_id": "p1", "seq": 3, **ocr})
    assert page.line_texts == ["民事判决书", "原告：张三"] and page.lines[0].polygon[2] == (3.0, 4.0)


def test_ocr_json_is_read_tolerantly() -> None:
    ocr = parse_ocr_json({"lines": [
        {"text": "传票", "box": [10, 20, 110, 60]},  # x0 y0 x1 y1
        {"text": "案号", "polygon": [[0, 0], [5, 0], [5, 2], [3, 3], [0, 2]], "confidence": 7},  # 5 points
        {"text": "   ", "polygon": [[0, 0], [1, 0], [1, 1], [0, 1]]},  # empty: dropped
        {"text": "no box"},  # no polygon: dropped
        "junk"], "qc": {"blank": False}, "image_key": "pages/p1/processed.png"})
    assert [ln["text"] for ln in ocr["lines"]] == ["传票", "案号"]
    assert ocr["lines"][0]["polygon"] == [[10, 20], [110, 20], [110, 60], [10, 60]]
    assert ocr["lines"][1]["polygon"] == [[0, 0], [5, 0], [5, 3], [0, 3]] and ocr["lines"][1]["confidence"] == 1.0
    assert ocr["text"] == "传票\n案号" and ocr["image_key"] == "pages/p1/processed.png"


def test_empty_or_qc_blank_pages_are_blank() -> None:
    assert parse_ocr_json({"text": "", "lines": []})["blank"]
    assert parse_ocr_json({"text": "x", "lines": [], "qc": {"blank": True}})["blank"]
    with pytest.raises(ValueError):
        parse_ocr_json("[1, 2]")
