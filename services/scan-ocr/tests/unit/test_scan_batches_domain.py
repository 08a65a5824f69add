"""Batch rules and intake inspection (no I/O)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.intake import Limits, check_name, inspect_file
from PIL import Image

pytestmark = pytest.mark.unit

LIMITS = Limits(max_file_bytes=5_000_000, max_page_pixels=20_000_000, max_file_pages=10)


def _tiff(frames: int) -> bytes:
    images = [Image.fromarray(np.full((40, 30), 200 + i, np.uint8)) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:])
    return buf.getvalue()


def test_station_batch_id_is_deterministic_per_station_and_job():
    assert B.station_batch_id("station-01", "j1") == B.station_batch_id("station-01", "j1")
    assert B.station_batch_id("station-01", "j1") != B.station_batch_id("station-02", "j1")
    assert B.station_batch_id("station-01", "j1").startswith("sj-")


def test_stage_keys_are_predictable():
    pid = B.page_id("b-1", 3)
    assert pid == "b-1-p0003"
    assert (B.ocr_key(pid), B.pdf_key(pid)) == ("pages/b-1-p0003/ocr.json", "pages/b-1-p0003/page.pdf")


def test_batch_completes_when_every_page_ended():
    assert not B.counts_of({"pages_total": 3, "pages_done": 1, "pages_failed": 1}).complete
    assert B.counts_of({"pages_total": 3, "pages_done": 2, "pages_failed": 1}).complete


def test_inspect_counts_tiff_frames_without_decoding():
    found = inspect_file(_tiff(4), LIMITS)
    assert found.failure is None and found.pages == 4


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty"),
    (b"GIF89a" + b"\0" * 10, "unsupported"),
    (b"\x89PNG\r\n\x1a\n" + b"junk" * 10, "corrupt"),
    (b"\xff\xd8\xff" + b"\0" * 6_000_000, "oversize"),
])
def test_inspect_refuses_with_a_code(data, code):
    found = inspect_file(data, LIMITS)
    assert found.failure is not None and found.failure.code == code
    assert found.failure.reason_zh and found.failure.reason_en


def test_inspect_refuses_too_many_pages():
    assert inspect_file(_tiff(11), LIMITS).failure.code == "too_many_pages"


@pytest.mark.parametrize("name", ["../x.png", "/etc/passwd", "a\u202egnp.exe", "a\\b.png"])
def test_unsafe_names_are_refused(name):
    assert check_name(name).code == "unsafe_name"


def test_ordinary_chinese_names_pass():
    assert check_name("起诉状 第1页.png") is None


def test_replacements_map_files_to_the_pages_they_replace():
    assert B.parse_replacements(["p7.png=b-1-p0007"], {"p7.png", "p8.png"}) == {"p7.png": "b-1-p0007"}
    assert B.parse_replacements([], {"p7.png"}) == {}


@pytest.mark.parametrize(("items", "reason"), [
    (["p7.png"], "expected FILE=PAGE_ID"),
    (["=b-1-p0007"], "expected FILE=PAGE_ID"),
    (["p7.png="], "expected FILE=PAGE_ID"),
    (["p9.png=b-1-p0009"], "not among the files"),
    (["p7.png=b-1-p0007", "p7.png=b-1-p0008"], "named twice"),
])
def test_bad_replacements_say_what_is_wrong(items, reason):
    with pytest.raises(ValueError, match=reason):
        B.parse_replacements(items, {"p7.png"})


def test_station_cli_reports_a_bad_replacement_as_a_bad_option():
    import typer
    from juanzong_scan_ocr.entrypoints.station import parse_replaces

    with pytest.raises(typer.BadParameter, match="not among the files"):
        parse_replaces(["p9.png=b-1-p0009"], {"p7.png"})
