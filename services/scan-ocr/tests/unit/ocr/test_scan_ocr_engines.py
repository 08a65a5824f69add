"""The OCR engine contract: 4-point clockwise polygons, confidences in [0, 1], text in reading order."""

from __future__ import annotations

import shutil
import unicodedata

import numpy as np
import pytest
from juanzong_scan_ocr.adapters.ocr import (
    OcrLine,
    OcrPage,
    OcrSettings,
    PpOcrEngine,
    TesseractEngine,
    available_engines,
    get_engine,
)
from juanzong_scan_ocr.adapters.ocr.base import join_row
from juanzong_scan_ocr.adapters.ocr.ppocr import (
    _traditional_only,
    merge_row_overlaps,
    order_clockwise,
    reading_order,
    transform_quads,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _assert_contract(page: OcrPage, image: np.ndarray) -> None:
    h, w = image.shape[:2]
    assert (page.width, page.height) == (w, h)
    assert page.lines
    for line in page.lines:
        assert len(line.polygon) == 4
        assert 0.0 <= line.confidence <= 1.0
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = line.polygon
        assert x0 < x1 and y1 < y2 and x3 < x2 and y0 < y3  # clockwise from top-left
        for x, y in line.polygon:
            assert -1 <= x <= w + 1 and -1 <= y <= h + 1
    tops = [min(y for _, y in ln.polygon) for ln in page.lines]
    assert tops == sorted(tops)  # one line per printed row here, so reading order is top-down


# ---------------------------------------------------------------------------------- fast


def test_line_polygon_must_have_four_points():
    with pytest.raises(ValidationError):
        OcrLine(text="原告", polygon=((0, 0), (1, 0), (1, 1)), confidence=0.9)


def test_line_confidence_is_bounded():
    with pytest.raises(ValidationError):
        OcrLine(text="原告", polygon=((0, 0), (1, 0), (1, 1), (0, 1)), confidence=1.2)


def test_registry_names_and_unknown_engine():
    assert available_engines() == ["ppocr", "tesseract"]
    with pytest.raises(KeyError, match="unknown OCR engine"):
        get_engine("abbyy")


def test_engine_is_created_once_and_loads_lazily():
    settings = OcrSettings(ort_threads=1)
    engine = get_engine("ppocr", settings)
    assert engine is get_engine("ppocr", settings)
    assert isinstance(engine, PpOcrEngine)
    fresh = PpOcrEngine(OcrSettings(det_limit_side_len=640))
    assert fresh._rec is None  # nothing loaded before the first page


def test_engine_is_chosen_by_setting(monkeypatch):
    monkeypatch.setenv("JUANZONG_OCR_ENGINE", "tesseract")
    monkeypatch.setenv("JUANZONG_OCR_ORT_THREADS", "1")
    settings = OcrSettings()
    assert settings.engine == "tesseract" and settings.ort_threads == 1
    assert isinstance(get_engine(settings=settings), TesseractEngine)


def test_corners_are_ordered_clockwise_even_for_thin_slanted_boxes():
    standing = np.array([[122, 500], [100, 20], [120, 19], [142, 499]], np.float32)
    ordered = order_clockwise(standing)
    assert ordered[0].tolist() == [100, 20] and ordered[2].tolist() == [142, 499]
    lying = np.array([[500, 30], [0, 0], [0, 30], [500, 0]], np.float32)
    assert order_clockwise(lying).tolist() == [[0, 0], [500, 0], [500, 30], [0, 30]]


def test_reading_order_groups_rows_then_left_to_right():
    def box(x, y, w=100, h=20):
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)

    right, left, below = box(300, 102), box(10, 100), box(10, 140)
    rows = reading_order([below, right, left])
    assert [[b[0, 0] for b in row] for row in rows] == [[10, 300], [10]]


def _box(x, y, w=100, h=20):
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float32)


def test_overlapping_boxes_on_one_row_become_one():
    # 审判员　孙丽华 at 1280 px: a box in the gap reaches half a character into each neighbour.
    left, gap, right = _box(213, 263, 216, 77), _box(395, 273, 102, 56), _box(468, 263, 219, 77)
    rows = merge_row_overlaps(reading_order([right, gap, left]), 0.25)
    assert len(rows) == 1 and len(rows[0]) == 1
    merged = rows[0][0]
    assert merged[:, 0].min() == pytest.approx(213, abs=1) and merged[:, 0].max() == pytest.approx(687, abs=1)
    assert merged[:, 1].min() == pytest.approx(263, abs=1) and merged[:, 1].max() == pytest.approx(340, abs=1)
    assert order_clockwise(merged).tolist() == merged.tolist()


def test_row_merge_leaves_separate_boxes_and_other_rows_alone():
    a, b = _box(10, 100, 100, 20), _box(112, 100, 100, 20)  # neighbours with a gap
    touching = _box(208, 101, 80, 20)  # overlaps b by 4 px (unclipped outlines), under 0.25 x height
    above = _box(40, 60, 100, 20)  # overlaps a horizontally, but is another row
    rows = merge_row_overlaps(reading_order([a, b, touching, above]), 0.25)
    assert [[float(q[0, 0]) for q in row] for row in rows] == [[40], [10, 112, 208]]
    # 0 turns merging off.
    overlapping = [[_box(10, 100), _box(60, 100)]]
    assert merge_row_overlaps(overlapping, 0.0) is overlapping


def test_quads_follow_a_turn_of_the_page():
    q = _box(10, 20, 100, 30)
    w, h = 400, 300
    turned = transform_quads([q], np.array([[-1, 0, w - 1], [0, -1, h - 1]], np.float32))[0]
    assert turned.tolist() == [[w - 111, h - 51], [w - 11, h - 51], [w - 11, h - 21], [w - 111, h - 21]]


def test_row_pieces_join_without_spaces_between_chinese():
    assert join_row(["审判长", "郑玉梅"]) == "审判长郑玉梅"
    assert join_row(["电话", "0431-88765432"]) == "电话 0431-88765432"


def test_traditional_only_characters():
    assert _traditional_only("喚") and _traditional_only("繫")
    assert not _traditional_only("唤") and not _traditional_only("镕") and not _traditional_only("A")


# ---------------------------------------------------------------------------------- OCR models


@pytest.mark.slow
def test_ctc_decoding_prefers_ling_and_simplified_forms(ppocr_engine):
    cs = ppocr_engine._charset
    er, ling, huan_t, huan_s = cs.index("二"), cs.index("〇"), cs.index("喚"), cs.index("唤")
    probs = np.full((5, len(cs)), 1e-6, np.float32)
    probs[0, er] = 0.99
    probs[1, 0], probs[1, ling] = 0.6, 0.38  # 〇 just under the blank
    probs[2, er] = 0.99
    probs[3, huan_t], probs[3, huan_s] = 0.6, 0.35  # traditional form wins a near tie
    probs[4, 0] = 0.99
    text, conf = ppocr_engine._ctc_decode(probs)
    assert text == "二〇二唤"
    assert 0 < conf <= 1
    plain = PpOcrEngine(OcrSettings(rec_ling_boost=1.0, rec_traditional_weight=1.0))
    plain.load()
    assert plain._ctc_decode(probs)[0] == "二二喚"


@pytest.mark.slow
def test_ppocr_contract_on_a_rendered_page(render_text, court_lines, ppocr_engine):
    lines = court_lines[:10]
    image = render_text(lines, dpi=200, size=(1400, 900))
    page = ppocr_engine.recognize(image)
    _assert_contract(page, image)
    assert page.engine == "ppocr"
    assert "PP-OCRv5" in page.model_version
    assert set(page.timings) == {"det", "rec"}
    assert _norm(page.text) == _norm("".join(lines))
    assert [_norm(ln.text) for ln in page.lines] == [_norm(t) for t in lines]


@pytest.mark.slow
def test_ppocr_accepts_gray_input(render_text, court_lines, ppocr_engine):
    image = render_text(court_lines[3:5], dpi=200, size=(1400, 300))
    gray = image.mean(axis=2).astype(np.uint8)
    assert _norm(ppocr_engine.recognize(gray).text) == _norm("".join(court_lines[3:5]))


@pytest.mark.slow
def test_ppocr_on_a_blank_page_returns_no_lines(ppocr_engine):
    page = ppocr_engine.recognize(np.full((800, 600), 245, np.uint8))
    assert page.lines == () and page.text == ""


@pytest.mark.slow
def test_tesseract_contract_on_a_rendered_page(render_text, court_lines):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    engine = TesseractEngine()
    image = render_text(court_lines[5:9], dpi=300, size=(2000, 700))
    page = engine.recognize(image)
    _assert_contract(page, image)
    assert page.engine == "tesseract" and "chi_sim" in page.model_version
    assert "诉讼" in _norm(page.text)


@pytest.mark.slow
def test_signature_row_with_a_wide_gap_reads_once_at_1280(render_text):
    """At 1280 px DB puts a box into the gap of 审判员　孙丽华 (under a lifted seal) that overlaps
    both names; merged with them, 员 is read once."""
    from juanzong_scan_ocr.adapters.imaging import CleanOptions, clean_page

    lines = ["本判决书已经发生法律效力", "审判员　孙丽华", "二〇二四年五月十日", "书记员　周明远"]
    sealed = render_text(lines, dpi=300, pt=16, size=(1800, 800), seal_at=(1, 4))
    image = clean_page(sealed, CleanOptions(orientation="none", deskew=False), dpi=300).image
    engine = PpOcrEngine(OcrSettings(det_limit_side_len=1280, ort_threads=2))
    assert max(len(row) for row in reading_order(engine.detect(image))) == 3  # the gap box is there
    page = engine.recognize(image)
    assert [_norm(t) for t in page.text.split("\n")] == [_norm(t) for t in lines]
    unmerged = PpOcrEngine(OcrSettings(det_limit_side_len=1280, det_row_merge_overlap=0.0, ort_threads=2))
    assert "员员" in _norm(unmerged.recognize(image).text)  # what the merge prevents
