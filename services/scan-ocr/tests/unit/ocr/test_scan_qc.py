"""Image QC numbers on synthetic pages (法〔2016〕264号 二(五): 图像文件清晰度 is reviewed)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from juanzong_scan_ocr.domain.qc import (
    DPI_FLOOR,
    DPI_RECOMMENDED,
    QcThresholds,
    QualityReport,
    effective_dpi,
    estimate_skew_degrees,
    measure_quality,
)

pytestmark = pytest.mark.unit


def test_blank_page_is_blank_and_not_sent_for_rescan(kit):
    w, h = kit.a4_px(300)
    rng = np.random.default_rng(1)
    page = (np.full((h, w), 243, np.float32) + rng.normal(0, 4, (h, w))).clip(0, 255).astype(np.uint8)
    page[1000:1004, 900:904] = 30  # a speck of dust
    report = measure_quality(page, 300)
    assert report.blank
    assert report.ink_ratio < 0.0001
    assert not report.needs_rescan
    assert [r.code for r in report.reasons] == ["blank_page"]


def test_page_with_a_single_short_line_is_not_blank(kit):
    page = kit.block_page(300, rows=1)
    report = measure_quality(page, 300)
    assert not report.blank
    assert report.ink_ratio > 0


def test_blurred_page_needs_rescan_per_fa_2016_264_art_2_5(kit):
    """法〔2016〕264号 二(五): a page not clear enough is sent back for re-scanning."""
    sharp = kit.block_page(300)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 5)
    sharp_report = measure_quality(sharp, 300)
    blurred_report = measure_quality(blurred, 300)
    assert not sharp_report.blurred
    assert sharp_report.clarity > 0.8
    assert blurred_report.blurred
    assert blurred_report.clarity < sharp_report.clarity
    assert blurred_report.needs_rescan
    assert "blurred" in blurred_report.rescan_codes
    reason = next(r for r in blurred_report.reasons if r.code == "blurred")
    assert "模糊" in reason.message


def test_clarity_does_not_depend_on_how_much_text_a_page_holds(kit):
    full, sparse = kit.block_page(300, rows=25), kit.block_page(300, rows=3)
    assert abs(measure_quality(full, 300).clarity - measure_quality(sparse, 300).clarity) < 0.15


@pytest.mark.parametrize("angle", [-4.0, -1.5, 0.7, 2.3, 6.0])
def test_skew_angle_is_found_within_one_degree(kit, angle: float):
    page = kit.turn(kit.block_page(200, seed=3), angle)
    report = measure_quality(page, 200)
    assert abs(report.skew_degrees - angle) < 1.0
    assert abs(estimate_skew_degrees(page) - angle) < 0.3


def test_strong_skew_is_a_warning_only(kit):
    report = measure_quality(kit.turn(kit.block_page(200), 8.0), 200)
    assert "skewed" in [r.code for r in report.reasons]
    assert "skewed" not in report.rescan_codes


def test_200_dpi_page_is_flagged_below_the_usual_300_per_fa_2016_264_art_2_5(kit):
    """法〔2016〕264号 二(五): 300 dpi is the usual requirement (warning), 200 dpi the floor."""
    report = measure_quality(kit.block_page(200), 200)
    assert report.effective_dpi == 200
    codes = {r.code: r.severity for r in report.reasons}
    assert codes.get("dpi_below_recommended") == "warning"
    assert not report.needs_rescan


def test_page_below_the_200_dpi_floor_needs_rescan_per_fa_2016_264_art_2_5(kit):
    """法〔2016〕264号 二(五): below the 200 dpi floor the page is re-scanned."""
    report = measure_quality(kit.block_page(150), None)
    assert report.dpi_source == "estimated_a4"
    assert report.effective_dpi == 150
    assert report.rescan_codes == ("dpi_below_floor",)
    assert str(DPI_FLOOR) in report.reasons[0].message


def test_300_dpi_page_has_no_resolution_finding(kit):
    report = measure_quality(kit.block_page(300), DPI_RECOMMENDED)
    assert not [r for r in report.reasons if r.code.startswith("dpi")]


def test_dpi_is_estimated_from_a4_when_missing_or_a_placeholder(kit):
    w, h = kit.a4_px(300)
    assert effective_dpi(w, h, None) == (300, "estimated_a4")
    assert effective_dpi(w, h, 72) == (300, "estimated_a4")  # 72 dpi would make a 34-inch sheet
    assert effective_dpi(w, h, 300) == (300, "declared")
    assert effective_dpi(h, w, None) == (300, "estimated_a4")  # landscape / sideways


def test_thresholds_can_be_overridden(kit):
    page = kit.block_page(300)
    strict = QcThresholds(dpi_floor=400, dpi_recommended=600)
    report = measure_quality(page, 300, thresholds=strict)
    assert report.rescan_codes == ("dpi_below_floor",)


def test_orientation_turns_a_sideways_page_before_measuring_skew(kit):
    page = kit.turn(kit.block_page(200, seed=5), 2.0)
    sideways = np.ascontiguousarray(np.rot90(page, k=-1))  # content turned 90 degrees clockwise
    report = measure_quality(sideways, 200, orientation=90)
    assert report.orientation == 90
    assert abs(report.skew_degrees - 2.0) < 0.5


def test_bgr_input_and_json_round_trip(kit):
    page = cv2.cvtColor(kit.block_page(300), cv2.COLOR_GRAY2BGR)
    report = measure_quality(page, 300)
    data = report.model_dump(mode="json")
    assert data["needs_rescan"] is False
    assert QualityReport.model_validate({k: v for k, v in data.items() if k != "needs_rescan"}) == report


def test_rejects_non_uint8_pixels(kit):
    with pytest.raises(ValueError):
        measure_quality(np.zeros((100, 100), np.float32), 300)


def test_skew_measured_by_the_clean_up_is_taken_as_is(kit):
    """The pipeline hands QC the skew clean-up found on the upright page; QC does not estimate again."""
    page = kit.turn(kit.block_page(200, seed=3), 6.0)
    estimated = measure_quality(page, 200)
    given = measure_quality(page, 200, skew_degrees=6.123)
    assert given.skew_degrees == 6.12
    assert "skewed" in [r.code for r in given.reasons]
    assert (given.clarity, given.blurred, given.ink_ratio) == (estimated.clarity, estimated.blurred, estimated.ink_ratio)
    assert measure_quality(kit.block_page(200), 200, skew_degrees=0.0).reasons == measure_quality(
        kit.block_page(200), 200).reasons


def test_edge_spread_matches_the_float_formula(kit):
    """The int16 gradient gives the same number as contrast / 97th percentile of float gradients."""
    from juanzong_scan_ocr.domain.qc import edge_spread_px

    page = cv2.GaussianBlur(kit.block_page(300, seed=5), (0, 0), 1.3)
    paper, ink = 245.0, 20.0
    g = page.astype(np.float32)
    mag = np.maximum(np.abs(g[1:-1, 2:] - g[1:-1, :-2]) * 0.5, np.abs(g[2:, 1:-1] - g[:-2, 1:-1]) * 0.5)
    expected = (paper - ink) / float(np.percentile(mag[mag > (paper - ink) * 0.08], 97))
    assert edge_spread_px(page, paper, ink) == pytest.approx(expected, rel=1e-6)


def test_percentiles_from_the_histogram_are_numpys():
    """The paper and ink levels QC and clean-up take from a histogram are np.percentile's numbers."""
    from juanzong_scan_ocr.domain.qc import uint8_percentiles

    rng = np.random.default_rng(11)
    percents = (0, 0.5, 1, 10, 50, 60, 90, 97, 99.5, 100)
    for trial in range(200):
        n = int(rng.integers(1, 3000))
        pixels = (rng.integers(0, 256, n) if trial % 2 else rng.normal(210, 25, n)).clip(0, 255).astype(np.uint8)
        assert uint8_percentiles(pixels, percents) == tuple(np.percentile(pixels, percents))
    page = rng.integers(0, 256, (300, 200), dtype=np.uint8)
    assert uint8_percentiles(page[::4, ::3], (90,)) == (np.percentile(page[::4, ::3], 90),)
    with pytest.raises(ValueError):
        uint8_percentiles(page.astype(np.float32), (50,))


@pytest.mark.parametrize("paper", [0.0, 1.0, 150.4, 150.6, 240.0, 255.0, 400.0])
def test_the_uint8_ink_mask_and_tile_count_agree_with_the_boolean_ones(paper):
    from juanzong_scan_ocr.domain.qc import ink_mask, inked_tile_ratio

    rng = np.random.default_rng(int(paper))
    gray = rng.integers(0, 256, (333, 250), dtype=np.uint8)
    gray[50:120, 30:200] = 255  # paper
    boolean, ones = gray < paper * 0.6, ink_mask(gray, paper)
    assert ones.dtype == np.uint8 and np.array_equal(ones.astype(bool), boolean) and ones.max(initial=0) <= 1
    for tile in (8, 30, 400):
        assert inked_tile_ratio(ones, tile) == inked_tile_ratio(boolean, tile)
