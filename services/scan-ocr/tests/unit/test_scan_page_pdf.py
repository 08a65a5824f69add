"""Searchable page PDF: invisible CJK text on the line boxes, copyable without spurious spaces."""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from juanzong_scan_ocr.adapters.page_pdf import (
    CjkFont,
    CjkFontMissing,
    TextLine,
    find_cjk_font,
    render_searchable_pdf,
)
from PIL import Image

pytestmark = pytest.mark.unit

A4_300DPI = (3508, 2480)  # rows, columns
COURT_CHARS = (
    "本院受理原告与被告民间借贷纠纷一案依法适用普通程序公开开庭进行了审理诉讼请求判令偿还借款本金"
    "及利息事实和理由证据如下经审查认定合同约定期限届满后未履行还款义务根据中华人民共和国民法典第条"
    "规定判决如下驳回其他案件受理费由负担如不服可在判决书送达之日起十五日内向递交上诉状吉林省长春市"
)


@dataclass(frozen=True)
class Line:
    text: str
    polygon: list[list[float]]
    confidence: float = 0.98


def box(x: float, y: float, w: float, h: float, skew: float = 0.0) -> list[list[float]]:
    """A clockwise polygon from the top-left, its right end lowered by ``skew`` pixels."""
    return [[x, y], [x + w, y + skew], [x + w, y + h + skew], [x, y + h]]


def court_page_lines(count: int = 40, seed: int = 7) -> list[Line]:
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        n = rng.randint(6, 36)
        text = "".join(rng.choice(COURT_CHARS) for _ in range(n))
        if i % 7 == 0:
            text += "（2024）吉01民初123号"
        width = min(2200, 56 * len(text))
        lines.append(
            Line(text, box(120 + rng.randint(0, 60), 150 + i * 82, width, 52, skew=rng.uniform(-4, 4)))
        )
    return lines


def scan_like(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    page = np.full((rows, cols), 236, np.uint8)
    page += rng.integers(0, 12, (rows, cols), dtype=np.uint8)
    page[::90, 100:-100] = 40  # ruled lines standing in for print
    return page


def pdfium_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].get_textpage().get_text_range().replace("\r\n", "\n")
    finally:
        doc.close()


def poppler_text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext missing: apt-get install -y poppler-utils")
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(scope="module")
def a4_page() -> tuple[np.ndarray, list[Line], bytes]:
    image = scan_like(*A4_300DPI)
    lines = court_page_lines()
    return image, lines, render_searchable_pdf(image, 300, lines)


def test_scan_line_shape_matches_the_protocol() -> None:
    assert isinstance(Line("x", box(0, 0, 1, 1)), TextLine)


def test_scan_every_line_extracts_exactly_with_pdfium(a4_page: tuple[np.ndarray, list[Line], bytes]) -> None:
    _, lines, pdf = a4_page
    text = pdfium_text(pdf)
    for line in lines:
        assert line.text in text, line.text
    # No spaces were invented anywhere: the only characters are the lines' own, plus line breaks.
    assert sorted(text.replace("\n", "")) == sorted("".join(line.text for line in lines))


def test_scan_every_line_extracts_exactly_with_poppler(
    a4_page: tuple[np.ndarray, list[Line], bytes], tmp_path: Path
) -> None:
    _, lines, pdf = a4_page
    text = poppler_text(pdf, tmp_path)
    for line in lines:
        assert line.text in text, line.text
    assert " " not in text and "\u3000" not in text


def test_scan_text_sits_on_its_box(a4_page: tuple[np.ndarray, list[Line], bytes]) -> None:
    _, lines, pdf = a4_page
    page_h = A4_300DPI[0] * 72 / 300
    doc = pdfium.PdfDocument(pdf)
    textpage = doc[0].get_textpage()
    for line in lines[:10]:
        xs = [p[0] * 72 / 300 for p in line.polygon]
        ys = [page_h - p[1] * 72 / 300 for p in line.polygon]
        # Everything pdfium finds inside the line's own box is exactly that line.
        found = textpage.get_text_bounded(
            left=min(xs) - 1, bottom=min(ys) - 1, right=max(xs) + 1, top=max(ys) + 1
        )
        assert found.strip() == line.text
    doc.close()


def test_scan_text_is_invisible(tmp_path: Path) -> None:
    image = scan_like(400, 600)
    lines = [Line("本院认为被告应当偿还借款", box(40, 40, 520, 60)), Line("判决如下", box(40, 200, 300, 60))]
    with_text = pdfium.PdfDocument(render_searchable_pdf(image, 100, lines))
    without = pdfium.PdfDocument(render_searchable_pdf(image, 100, []))
    a = with_text[0].render(scale=1).to_numpy()
    b = without[0].render(scale=1).to_numpy()
    assert a.shape == b.shape
    assert np.array_equal(a, b)  # the text layer adds no visible pixel
    with_text.close()
    without.close()


def test_scan_text_uses_render_mode_3(a4_page: tuple[np.ndarray, list[Line], bytes]) -> None:
    _, _, pdf = a4_page
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        ops = pikepdf.parse_content_stream(doc.pages[0])
        modes = [int(inst.operands[0]) for inst in ops if str(inst.operator) == "Tr"]
        first_show = next(i for i, inst in enumerate(ops) if str(inst.operator) in ("Tj", "TJ"))
        first_mode = next(i for i, inst in enumerate(ops) if str(inst.operator) == "Tr")
    assert modes and set(modes) == {3}
    assert first_mode < first_show


def test_scan_cjk_font_is_embedded_and_alone(a4_page: tuple[np.ndarray, list[Line], bytes]) -> None:
    _, _, pdf = a4_page
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        fonts = list(doc.pages[0].Resources.Font.values())
        assert fonts
        for font in fonts:
            descriptor = font.FontDescriptor
            assert "/FontFile2" in descriptor  # TrueType program inside the file
            assert len(descriptor.FontFile2.read_bytes()) > 1000
            assert "/ToUnicode" in font
            assert "+" in str(font.BaseFont)  # a subset, not the whole 17 MB font
    assert len(pdf) < 3_000_000


def test_scan_page_geometry_and_embedded_image() -> None:
    image = scan_like(300, 200)
    pdf = render_searchable_pdf(image, 150, [Line("原告", box(10, 10, 80, 30))])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        assert [float(v) for v in page.MediaBox] == pytest.approx([0, 0, 200 * 72 / 150, 300 * 72 / 150])
        (xobject,) = page.Resources.XObject.values()
        assert (int(xobject.Width), int(xobject.Height)) == (200, 300)
        assert xobject.Filter == pikepdf.Name.DCTDecode
        assert xobject.ColorSpace == pikepdf.Name.DeviceGray


def test_scan_jpeg_bytes_are_embedded_untouched() -> None:
    buf = io.BytesIO()
    Image.fromarray(np.dstack([scan_like(120, 160)] * 3)).save(buf, "JPEG", quality=70)
    jpeg = buf.getvalue()
    pdf = render_searchable_pdf(jpeg, 200, [Line("证据", box(5, 5, 60, 20))])
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        (xobject,) = doc.pages[0].Resources.XObject.values()
        assert xobject.read_raw_bytes() == jpeg
        assert xobject.ColorSpace == pikepdf.Name.DeviceRGB


def test_scan_png_bytes_are_accepted() -> None:
    buf = io.BytesIO()
    Image.fromarray(scan_like(100, 100)).save(buf, "PNG")
    pdf = render_searchable_pdf(buf.getvalue(), 300, [Line("审理", box(5, 5, 60, 20))])
    assert "审理" in pdfium_text(pdf)


def test_scan_spaces_inside_a_line_are_kept_once(tmp_path: Path) -> None:
    lines = [Line("原告 张三 与 被告 李四", box(20, 20, 900, 50)), Line("ABC-123 号", box(20, 120, 500, 50))]
    pdf = render_searchable_pdf(scan_like(300, 1000), 300, lines)
    for text in (pdfium_text(pdf), poppler_text(pdf, tmp_path)):
        for line in lines:
            assert line.text in text
        assert "  " not in text


def test_scan_rare_characters_survive_copying(tmp_path: Path) -> None:
    # U+20000 (CJK Ext. B) is not in WenQuanYi; U+4DAE is. Both must come back as themselves.
    lines = [Line("张\U00020000三䶮李", box(20, 20, 500, 60))]
    pdf = render_searchable_pdf(scan_like(200, 600), 300, lines)
    assert lines[0].text in pdfium_text(pdf)
    assert lines[0].text in poppler_text(pdf, tmp_path)


def test_scan_rotated_line_is_extracted_whole(tmp_path: Path) -> None:
    lines = [Line("上诉人不服一审判决", box(100, 100, 900, 60, skew=80))]  # ~5° skew
    pdf = render_searchable_pdf(scan_like(600, 1200), 300, lines)
    assert lines[0].text in pdfium_text(pdf)
    assert lines[0].text in poppler_text(pdf, tmp_path)


def test_scan_mapping_lines_and_blank_lines() -> None:
    lines = [
        {"text": "民事判决书", "polygon": box(20, 20, 400, 60), "confidence": 0.9},
        {"text": "   ", "polygon": box(20, 100, 400, 60), "confidence": 0.1},
        {"text": "空框", "polygon": box(20, 200, 0, 0), "confidence": 0.5},
    ]
    text = pdfium_text(render_searchable_pdf(scan_like(300, 500), 300, lines))
    assert text.strip() == "民事判决书"


def test_scan_output_is_deterministic() -> None:
    image, lines = scan_like(200, 300), [Line("卷宗", box(10, 10, 100, 40))]
    assert render_searchable_pdf(image, 300, lines) == render_searchable_pdf(image, 300, lines)


@pytest.mark.parametrize("dpi", [0, -300, float("nan")])
def test_scan_bad_dpi_is_refused(dpi: float) -> None:
    with pytest.raises(ValueError):
        render_searchable_pdf(scan_like(10, 10), dpi, [])


def test_scan_bad_polygon_is_refused() -> None:
    with pytest.raises(ValueError):
        render_searchable_pdf(scan_like(10, 10), 300, [Line("x", [[0, 0], [1, 0], [1, 1]])])


def test_scan_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    missing = CjkFont(tmp_path / "nope.ttc", 0, "fonts-wqy-zenhei")
    with pytest.raises(CjkFontMissing) as caught:
        find_cjk_font([missing])
    assert "fonts-wqy-zenhei" in str(caught.value) and "字体" in str(caught.value)
    assert find_cjk_font([missing, find_cjk_font()]) == find_cjk_font()  # falls through to one present


@pytest.mark.parametrize(
    "polygon",
    [
        [[900, 260], [100, 260], [100, 200], [900, 200]],  # upside down: the text's top-left is bottom-right
        [[300, 100], [360, 100], [360, 900], [300, 900]],  # sideways, reading downwards
    ],
    ids=["180", "90"],
)
def test_scan_upside_down_and_sideways_lines_extract(polygon: list[list[float]], tmp_path: Path) -> None:
    lines = [Line("原审判决认定事实清楚", polygon)]
    pdf = render_searchable_pdf(scan_like(1000, 1000), 300, lines)
    assert lines[0].text in pdfium_text(pdf)
    assert lines[0].text in poppler_text(pdf, tmp_path)


def test_scan_page_pdf_reads_back_at_its_own_size(a4_page: tuple[np.ndarray, list[Line], bytes]) -> None:
    from juanzong_scan_ocr.domain.formats import split_pages

    image, lines, pdf = a4_page
    (page,) = split_pages(pdf, max_pixels=40_000_000, max_pages=1)
    assert page.image.shape[:2] == image.shape  # 300 dpi in, 300 dpi out, not one pixel more
    assert page.born_digital and lines[0].text in page.text
