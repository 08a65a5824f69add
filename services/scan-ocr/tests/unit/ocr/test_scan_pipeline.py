"""The page pipeline (clean-up → QC → OCR → PDF) on a rendered page: one skew estimate, kept behaviour."""

from __future__ import annotations

import difflib
import json
import unicodedata

import cv2
import numpy as np
import pytest
from juanzong_scan_ocr.adapters.pipeline import PagePipeline
from juanzong_scan_ocr.domain.formats import MediaKind, SourcePage

pytestmark = pytest.mark.unit


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.slow
def test_upside_down_sealed_skewed_page_is_turned_cleaned_and_measured_once(render_text, court_lines, ppocr_engine,
                                                                               kit, monkeypatch):
    lines = [*court_lines[:6], "二〇二五年十一月三日"]
    bgr = kit.turn(render_text(lines, dpi=300, pt=16, size=(1800, 1100), seal_at=(2, 6)), 2.0, (238, 244, 246))
    scanned = cv2.rotate(bgr, cv2.ROTATE_180)
    page = SourcePage(index=0, kind=MediaKind.PNG, image=np.ascontiguousarray(scanned[:, :, ::-1]), dpi=300.0)
    sizes: list[tuple[int, ...]] = []
    detect = ppocr_engine.detect

    def counting_detect(image, limit_side_len=None):
        sizes.append(image.shape[:2])
        return detect(image, limit_side_len)

    monkeypatch.setattr(ppocr_engine, "detect", counting_detect)
    result = PagePipeline(ppocr_engine).process(page)
    assert sizes == [scanned.shape[:2]]  # detected once, on the whole page: orientation and OCR share it
    assert result.rotation == 180
    assert result.seal_pixels_removed > 0
    assert abs(result.skew_degrees - 2.0) < 0.5
    assert result.qc.skew_degrees == result.skew_degrees  # QC took the clean-up's estimate
    assert result.qc.orientation == 180 and not result.qc.blurred
    text = _norm(result.ocr.text)
    assert difflib.SequenceMatcher(None, _norm("".join(lines)), text).ratio() > 0.97
    assert "二〇二五年十一月三日" in text
    body = json.loads(result.ocr_json("p1"))
    assert body["qc"]["passed"] is True and body["qc"]["skew_degrees"] == result.skew_degrees
    assert result.pdf.startswith(b"%PDF") and result.image_jpeg[:2] == b"\xff\xd8"
    assert set(result.timings) == {"clean", "qc", "ocr", "pdf"}


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_the_archived_image_is_turned_and_straightened_in_one_warp_as_in_two(rotation):
    """One warp from the page as scanned gives the image that turning, then straightening gave."""
    from juanzong_scan_ocr.adapters.imaging import deskew, paper_level, rotate_upright
    from juanzong_scan_ocr.adapters.pipeline import _display

    rng = np.random.default_rng(rotation)
    page = np.full((700, 500), 235, np.uint8)
    for _ in range(40):  # strokes and blocks of ink, so a misplaced pixel shows
        x, y = int(rng.integers(20, 440)), int(rng.integers(20, 640))
        cv2.rectangle(page, (x, y), (x + int(rng.integers(5, 50)), y + int(rng.integers(3, 30))), 20, -1)
    upright = rotate_upright(page, rotation)
    expected = deskew(upright, 1.7, fill=paper_level(page))
    got = _display(page, rotation, 1.7)
    assert got.shape == expected.shape == upright.shape
    diff = np.abs(got.astype(int) - expected.astype(int))
    assert np.percentile(diff, 99.9) <= 2 and diff.mean() < 0.1
    assert np.array_equal(_display(page, rotation, None), upright)


def test_a_colour_page_is_straightened_through_four_channels_to_the_same_pixels_and_jpeg():
    """The BGRA warp (OpenCV's faster path) gives exactly the three-channel warp, and the archived JPEG
    is byte for byte the one the three-channel image gives."""
    from juanzong_scan_ocr.adapters.imaging import upright_matrix
    from juanzong_scan_ocr.adapters.pipeline import PagePipeline, _display

    rng = np.random.default_rng(5)
    page = np.full((640, 480, 3), (228, 236, 240), np.uint8)
    for _ in range(60):
        x, y = int(rng.integers(10, 430)), int(rng.integers(10, 600))
        colour = (30, 30, 200) if rng.random() < 0.3 else (25, 25, 25)  # red seal ink and black print
        cv2.rectangle(page, (x, y), (x + int(rng.integers(4, 40)), y + int(rng.integers(2, 20))), colour, -1)
    got = _display(page, 90, 2.3)
    assert got.shape == (480, 640, 4)
    upright = upright_matrix(page.shape, 90)
    straighten = cv2.getRotationMatrix2D((320, 240), -2.3, 1.0)
    m = np.hstack([straighten[:, :2] @ upright[:, :2], (straighten[:, :2] @ upright[:, 2] + straighten[:, 2])[:, None]])
    paper = tuple(float(v) for v in np.percentile(page[::8, ::8].reshape(-1, 3), 90, axis=0))
    three = cv2.warpAffine(page, m, (640, 480), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=paper)
    assert np.array_equal(got[:, :, :3], three)
    jpeg = PagePipeline.__new__(PagePipeline)
    jpeg.jpeg_quality = 85
    assert jpeg._jpeg(got) == jpeg._jpeg(three)
