"""Clean-up before OCR: seal suppression, turning pages upright, deskew."""

from __future__ import annotations

import unicodedata

import cv2
import numpy as np
import pytest
from juanzong_scan_ocr.adapters.imaging import (
    CleanOptions,
    PpOcrOrientation,
    TesseractOrientation,
    clean_page,
    deskew,
    deskew_matrix,
    lying_text_score,
    rotate_upright,
    skew_from_quads,
    stretch_contrast,
    suppress_red_seals,
)

pytestmark = pytest.mark.unit


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _sideways(image: np.ndarray, clockwise: int) -> np.ndarray:
    """Turn content clockwise by 90/180/270, as a page fed that way."""
    return np.ascontiguousarray(np.rot90(image, k=-(clockwise // 90)))


# ---------------------------------------------------------------------------------- fast


def test_rotate_upright_undoes_a_clockwise_turn(kit):
    page = kit.block_page(100)
    for k in (0, 90, 180, 270):
        assert np.array_equal(rotate_upright(_sideways(page, k), k), page)
    with pytest.raises(ValueError):
        rotate_upright(page, 45)


def test_deskew_straightens_a_turned_page(kit):
    from juanzong_scan_ocr.domain.qc import estimate_skew_degrees

    page = kit.turn(kit.block_page(200), 3.0)
    fixed = deskew(page, 3.0)
    assert abs(estimate_skew_degrees(fixed)) < 0.3
    assert fixed.shape == page.shape


def test_seal_suppression_removes_red_and_keeps_black_print(render_text, court_lines):
    lines = court_lines[:12]
    clean = cv2.cvtColor(render_text(lines, dpi=200), cv2.COLOR_BGR2GRAY)
    sealed = render_text(lines, dpi=200, seal_at=(5, 10))
    red = (sealed[..., 2].astype(int) - sealed[..., :2].max(axis=2)) > 50
    assert red.sum() > 5000

    gray, removed = suppress_red_seals(sealed, 200)
    assert removed > 0.8 * red.sum()
    print_mask = clean < 100
    # Print under and around the seal stays dark; seal ink away from print becomes paper.
    assert np.median(gray[print_mask]) < 100
    seal_only = red & ~cv2.dilate(print_mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert np.median(gray[seal_only]) > 200
    plain_gray = cv2.cvtColor(sealed, cv2.COLOR_BGR2GRAY)
    assert np.median(plain_gray[seal_only]) < 140  # without suppression the seal is dark


def test_red_letterhead_is_not_taken_for_a_seal(render_text, court_lines):
    """A red header line (红头) is long and flat, unlike a round or square seal."""
    page = render_text(["吉林省长春市中级人民法院文件"], dpi=200, pt=28, color=(200, 20, 20))
    gray, removed = suppress_red_seals(page, 200)
    assert removed == 0
    assert np.array_equal(gray, cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))


def test_page_without_red_is_only_converted_to_gray(kit):
    page = cv2.cvtColor(kit.block_page(100), cv2.COLOR_GRAY2BGR)
    gray, removed = suppress_red_seals(page)
    assert removed == 0
    assert gray.ndim == 2


def test_contrast_stretch_maps_paper_to_white(kit):
    page = (kit.block_page(100).astype(np.float32) * 0.7 + 40).astype(np.uint8)
    out = stretch_contrast(page)
    assert np.percentile(out, 90) >= 250
    assert out.min() <= 10


def test_clean_page_without_orientation_deskews_and_reports_timings(kit):
    page = kit.turn(kit.block_page(200), -2.5)
    result = clean_page(page, CleanOptions(orientation="none", contrast=True, denoise=True))
    assert result.rotation == 0
    assert abs(result.skew_degrees + 2.5) < 0.3
    assert set(result.timings) == {"seal", "orientation", "deskew", "enhance"}
    assert result.image.ndim == 2 and result.image.dtype == np.uint8


def _line_quad(cx: float, cy: float, length: float, height: float, skew: float) -> np.ndarray:
    """A text-line box turned counter-clockwise by ``skew`` degrees about its centre (y down)."""
    a = np.deg2rad(skew)
    along, across = np.array([np.cos(a), -np.sin(a)]), np.array([np.sin(a), np.cos(a)])
    c = np.array([cx, cy])
    return np.array([c - along * length / 2 - across * height / 2, c + along * length / 2 - across * height / 2,
                     c + along * length / 2 + across * height / 2, c - along * length / 2 + across * height / 2],
                    dtype=np.float32)


@pytest.mark.parametrize("skew", [-2.6, -0.4, 0.0, 1.3, 3.0])
def test_skew_from_line_boxes_of_lying_and_standing_text(skew):
    lying = [_line_quad(800, 200 + 70 * i, 1400 - 40 * (i % 3), 40, skew) for i in range(12)]
    lying += [_line_quad(400, 1200, 60, 50, 20.0)]  # a seal fragment: not a line, no vote
    assert skew_from_quads(lying) == pytest.approx(skew, abs=0.02)
    # The same page turned 90° clockwise (standing lines): the skew is the same number.
    turned = [np.array([[1600 - y, x] for x, y in q], dtype=np.float32) for q in lying]
    from juanzong_scan_ocr.adapters.ocr.ppocr import order_clockwise

    assert skew_from_quads([order_clockwise(q) for q in turned]) == pytest.approx(skew, abs=0.02)
    assert skew_from_quads(lying[:2]) is None  # too few lines to tell


# ---------------------------------------------------------------------------------- OCR models


@pytest.mark.slow
@pytest.mark.parametrize("skew", [-2.4, 1.1])
def test_clean_page_takes_the_skew_from_the_detected_lines(render_text, court_lines, ppocr_engine, kit, skew):
    page = kit.turn(render_text(court_lines[:18], dpi=200), skew, fill=(240, 240, 240))
    detector = PpOcrOrientation(ppocr_engine, reuse_detection=True)
    result = clean_page(page, CleanOptions(deskew_warp=False), detector=detector)
    assert result.rotation == 0
    assert abs(result.skew_degrees - skew) <= 0.2
    assert result.transform is not None and np.allclose(result.transform, deskew_matrix(page.shape, result.skew_degrees))
    # Not warped: the page is the one given, in gray.
    assert np.array_equal(result.image, cv2.cvtColor(page, cv2.COLOR_BGR2GRAY))


@pytest.mark.slow
def test_lines_read_from_the_unwarped_page_land_on_the_deskewed_text(render_text, court_lines, ppocr_engine, kit):
    """Crops taken through the deskew map read as the warped page does, and the polygons are on the
    deskewed page (where the display image and the PDF put them)."""
    page = kit.turn(render_text(court_lines[:12], dpi=200), 2.2, fill=(240, 240, 240))
    detector = PpOcrOrientation(ppocr_engine, reuse_detection=True)
    lazy = clean_page(page, CleanOptions(deskew_warp=False), detector=detector)
    warped = clean_page(page, CleanOptions(deskew_warp=True), detector=detector)
    assert lazy.skew_degrees == warped.skew_degrees and lazy.transform is not None and warped.transform is None
    mapped = ppocr_engine.recognize(lazy.image, lines=lazy.lines, transform=lazy.transform)
    fresh = ppocr_engine.recognize(warped.image)  # detected again on the deskewed page
    assert _norm(mapped.text) == _norm(fresh.text) == _norm("".join(court_lines[:12]))
    assert (mapped.width, mapped.height) == (fresh.width, fresh.height)
    ink = warped.image < 128
    rise = []
    for ours, theirs in zip(mapped.lines, fresh.lines, strict=True):
        a, b = np.array(ours.polygon), np.array(theirs.polygon)
        assert np.abs(a.mean(axis=0) - b.mean(axis=0)).max() < 4  # same place on the deskewed page
        rise.append(np.degrees(np.arctan2(a[1, 1] - a[0, 1], a[1, 0] - a[0, 0])))
        x0, y0 = a.min(axis=0).astype(int)
        x1, y1 = a.max(axis=0).astype(int)
        assert ink[y0:y1, x0:x1].mean() > 0.03  # on the print
    assert abs(float(np.median(rise))) < 0.3  # level on the deskewed page (2.2° on the page as given)


@pytest.mark.slow
def test_tesseract_reads_through_the_deskew_map(render_text, court_lines, kit):
    pytest.importorskip("pytesseract")
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    from juanzong_scan_ocr.adapters.ocr import get_engine

    page = cv2.cvtColor(kit.turn(render_text(court_lines[:4], dpi=300), 2.0, fill=(240, 240, 240)), cv2.COLOR_BGR2GRAY)
    engine = get_engine("tesseract")
    got = engine.recognize(page, transform=deskew_matrix(page.shape, 2.0))
    assert (got.width, got.height) == (page.shape[1], page.shape[0])
    assert _norm(engine.recognize(deskew(page, 2.0)).text) == _norm(got.text)


@pytest.mark.slow
@pytest.mark.parametrize("turned", [180, 90, 270])
def test_ppocr_orientation_finds_upside_down_and_sideways_pages(render_text, court_lines, ppocr_engine, turned):
    page = render_text(court_lines[:18], dpi=200)
    found = PpOcrOrientation(ppocr_engine).detect(cv2.cvtColor(_sideways(page, turned), cv2.COLOR_BGR2GRAY))
    assert found.rotation == turned
    assert found.confidence > 0.5


@pytest.mark.slow
def test_ppocr_orientation_leaves_an_upright_page_alone(render_text, court_lines, ppocr_engine):
    page = render_text(court_lines[:18], dpi=200)
    assert PpOcrOrientation(ppocr_engine).detect(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)).rotation == 0


@pytest.mark.slow
def test_clean_page_turns_an_upside_down_skewed_page_upright(render_text, court_lines, ppocr_engine):
    page = render_text(court_lines[:18], dpi=200)
    fed = _sideways(render_text(court_lines[:18], dpi=200), 180)
    fed = np.stack([cv2.warpAffine(fed[..., c], cv2.getRotationMatrix2D((fed.shape[1] / 2, fed.shape[0] / 2), 2.0, 1.0),
                                   (fed.shape[1], fed.shape[0]), borderValue=240) for c in range(3)], axis=2)
    result = clean_page(fed, detector=PpOcrOrientation(ppocr_engine))
    assert result.rotation == 180
    assert abs(result.skew_degrees - 2.0) < 0.5  # a turn by 180 keeps the 2-degree skew
    text = _norm(ppocr_engine.recognize(result.image).text)
    assert _norm(court_lines[0]) in text
    assert page.shape[:2] == result.image.shape[:2]


@pytest.mark.slow
@pytest.mark.parametrize("turned", [0, 180, 90, 270])
def test_clean_page_hands_its_detection_to_the_ocr(render_text, court_lines, ppocr_engine, turned):
    """With reuse_detection the page is detected once: the orientation check's boxes, turned and
    deskewed with the page, read as well as a fresh detection of the cleaned page. A sideways page
    is turned a quarter before its detection (its ink profile says the lines stand), so it too is
    detected once."""
    h, w = 1300, 1500
    page = render_text(court_lines[:12], dpi=200, size=(w, h))
    fed = _sideways(page, turned)
    m = cv2.getRotationMatrix2D((fed.shape[1] / 2, fed.shape[0] / 2), 2.0, 1.0)
    fed = cv2.warpAffine(fed, m, (fed.shape[1], fed.shape[0]), borderValue=(240, 240, 240))
    detector = PpOcrOrientation(ppocr_engine, reuse_detection=True)
    result = clean_page(fed, detector=detector)
    assert result.rotation == turned
    assert result.image.shape[:2] == (h, w)
    assert detector.detect(cv2.cvtColor(fed, cv2.COLOR_BGR2GRAY)).pre_turned == (turned in (90, 270))
    assert result.lines is not None and len(result.lines) >= 10
    assert result.timings["lines"] > 0  # the detection, timed apart from the orientation decision
    for q in result.lines:  # lying boxes, clockwise from the top-left, inside the cleaned page
        assert np.linalg.norm(q[1] - q[0]) > np.linalg.norm(q[3] - q[0])
        assert q[0, 0] < q[1, 0] and q[0, 1] < q[3, 1]
        assert q[:, 0].min() > -5 and q[:, 0].max() < w + 5 and q[:, 1].min() > -5 and q[:, 1].max() < h + 5
    reused = ppocr_engine.recognize(result.image, lines=result.lines)
    fresh = ppocr_engine.recognize(result.image)
    assert _norm(reused.text) == _norm(fresh.text) == _norm("".join(court_lines[:12]))
    assert reused.timings["det"] < 0.01


@pytest.mark.slow
def test_text_under_a_seal_reads_after_suppression(render_text, ppocr_engine):
    """The stamped line must still read after the seal is lifted out (OCR of the sealed line)."""
    lines = ["本判决书已经发生法律效力", "审判员　孙丽华", "二〇二四年五月十日", "书记员　周明远"]
    sealed = render_text(lines, dpi=300, pt=16, size=(1800, 800), seal_at=(1, 4))
    result = clean_page(sealed, CleanOptions(orientation="none", deskew=False), dpi=300)
    assert result.seal_pixels_removed > 0
    got = _norm(ppocr_engine.recognize(result.image).text)
    for line in lines:
        assert _norm(line) in got


@pytest.mark.slow
def test_tesseract_osd_names_a_sideways_page(render_text, court_lines):
    pytest.importorskip("pytesseract")
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    page = cv2.cvtColor(render_text(court_lines[:18], dpi=200), cv2.COLOR_BGR2GRAY)
    assert TesseractOrientation().detect(_sideways(page, 90)).rotation == 90


@pytest.mark.slow
@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_lying_text_score_tells_lying_from_standing_lines(render_text, court_lines, turned):
    page = cv2.cvtColor(_sideways(render_text(court_lines[:14], dpi=200), turned), cv2.COLOR_BGR2GRAY)
    score = lying_text_score(page)
    assert (score > 0.55) if turned in (0, 180) else (score < 0.45)


@pytest.mark.slow
@pytest.mark.parametrize("turned", [0, 90])
def test_a_wrong_quarter_turn_before_detection_still_ends_upright(render_text, court_lines, ppocr_engine,
                                                                   monkeypatch, turned):
    """The ink profile only decides where the detector looks first: when it is wrong, the detector
    finds standing boxes, the page still comes out upright and the OCR detects it again."""
    from juanzong_scan_ocr.adapters import imaging

    # wrong both ways: a lying page taken for standing, a standing one for lying
    monkeypatch.setattr(imaging, "lying_text_score", lambda gray: 0.0 if turned == 0 else 1.0)
    fed = _sideways(render_text(court_lines[:12], dpi=200, size=(1500, 1300)), turned)
    detector = PpOcrOrientation(ppocr_engine, reuse_detection=True)
    found = detector.detect(cv2.cvtColor(fed, cv2.COLOR_BGR2GRAY))
    assert found.rotation == turned
    assert found.pre_turned == (turned == 0)
    assert found.lines is None  # standing boxes are not read: the upright page is detected again
    result = clean_page(fed, detector=detector)
    assert result.rotation == turned and result.lines is None


class _Classifier:
    """Stands in for the engine's direction classifier: fixed probabilities, calls counted."""

    def __init__(self, first: float, rest: float) -> None:
        self.first, self.rest, self.calls = first, rest, []

    def classify_upside_down(self, crops):
        self.calls.append(len(crops))
        return [self.first if len(self.calls) == 1 else self.rest] * len(crops)


@pytest.mark.parametrize(("first", "more_calls"), [(0.02, False), (0.97, False), (0.4, True)])
def test_direction_classifier_looks_at_more_pieces_only_when_unsure(first, more_calls):
    engine = _Classifier(first, 0.1)
    piece = np.zeros((10, 40, 3), np.uint8)
    lines = [[piece, piece, piece] for _ in range(8)]
    p = PpOcrOrientation(engine)._classify(lines)
    assert engine.calls == ([8, 16] if more_calls else [8])
    assert len(p) == (24 if more_calls else 8)
