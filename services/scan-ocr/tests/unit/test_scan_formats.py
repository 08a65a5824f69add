"""Input formats: detection by content, page splitting, and every refusal (issue 3, item 2)."""

from __future__ import annotations

import io
import struct
import time
import unicodedata
import zlib

import numpy as np
import pikepdf
import pytest
from juanzong_scan_ocr.domain.formats import (
    PDF_RENDER_DPI,
    MediaKind,
    PageRejected,
    RejectionCode,
    SourcePage,
    check_upload_size,
    iter_pages,
    safe_object_name,
    sniff,
    split_pages,
)
from PIL import Image
from pydantic import ValidationError
from reportlab.pdfgen.canvas import Canvas

pytestmark = pytest.mark.unit

LIMITS = {"max_pixels": 40_000_000, "max_pages": 50}


@pytest.fixture(autouse=True)
def _restore_pillow_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # split_pages sets Pillow's process-wide limit; keep tests independent of each other.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


# --------------------------------------------------------------------------- factories


def encode(array: np.ndarray, fmt: str, **params: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **params)
    return buf.getvalue()


def noise(height: int, width: int, seed: int = 0, channels: int | None = None) -> np.ndarray:
    shape = (height, width) if channels is None else (height, width, channels)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def multipage_tiff(frames: list[np.ndarray], dpis: list[int]) -> bytes:
    images = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    # Pillow writes per-frame resolution from encoderinfo only once; set it on every frame.
    for im, dpi in zip(images, dpis, strict=True):
        im.encoderinfo = {"dpi": (dpi, dpi)}
    images[0].save(buf, "TIFF", save_all=True, append_images=images[1:], dpi=(dpis[0], dpis[0]))
    return buf.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed, tiny PNG whose header claims ``width``×``height`` grey pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def text_pdf(pages: list[str | None], size: tuple[float, float] = (595.0, 842.0)) -> bytes:
    """A born-digital PDF; a None page carries a drawing but no text."""
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=size, invariant=1)
    for text in pages:
        if text is None:
            canvas.rect(100, 100, 200, 300, fill=1)
        else:
            canvas.setFont("Helvetica", 14)
            canvas.drawString(72, size[1] - 100, text)
        canvas.showPage()
    canvas.save()
    return buf.getvalue()


def scanned_pdf(frames: list[np.ndarray], dpi: int) -> bytes:
    """An image-only PDF as a scanner writes it: one raster per page, no text."""
    images = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return buf.getvalue()


def rejection(data: bytes, **limits: int) -> PageRejected:
    with pytest.raises(PageRejected) as caught:
        split_pages(data, **{**LIMITS, **limits})
    return caught.value


# --------------------------------------------------------------------------- sniff


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (encode(noise(8, 8), "PNG"), MediaKind.PNG),
        (encode(noise(8, 8), "JPEG"), MediaKind.JPEG),
        (encode(noise(8, 8), "TIFF"), MediaKind.TIFF),
        (b"MM\x00*" + b"\x00" * 16, MediaKind.TIFF),
        (text_pdf(["x"]), MediaKind.PDF),
        (b"\r\n" * 100 + b"%PDF-1.7\n", MediaKind.PDF),
    ],
    ids=["png", "jpeg", "tiff-le", "tiff-be", "pdf", "pdf-after-junk"],
)
def test_scan_sniff_detects_by_magic_bytes(data: bytes, kind: MediaKind) -> None:
    assert sniff(data) is kind


def test_scan_sniff_ignores_what_a_name_would_say() -> None:
    # "page.png" with text inside: there is no name to trust, only content.
    with pytest.raises(PageRejected) as caught:
        sniff("这是一个文本文件，不是图片。\n".encode())
    assert caught.value.code is RejectionCode.UNSUPPORTED


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"GIF89a" + b"\x00" * 20, "GIF"),
        (b"PK\x03\x04" + b"\x00" * 20, "OFD"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WebP"),
    ],
)
def test_scan_sniff_names_known_unsupported_formats(data: bytes, named: str) -> None:
    with pytest.raises(PageRejected) as caught:
        sniff(data)
    assert caught.value.code is RejectionCode.UNSUPPORTED
    assert named in caught.value.reason_en


# --------------------------------------------------------------------------- rejections


def test_scan_zero_bytes_is_empty() -> None:
    error = rejection(b"")
    assert error.code is RejectionCode.EMPTY
    assert "0 字节" in error.reason_zh


def test_scan_text_file_named_png_is_unsupported() -> None:
    error = rejection(b"name=page-0001.png\nthis is not an image\n")
    assert error.code is RejectionCode.UNSUPPORTED


def test_scan_truncated_png_is_corrupt() -> None:
    whole = encode(noise(300, 300), "PNG")
    assert len(split_pages(whole, **LIMITS)) == 1
    error = rejection(whole[: len(whole) // 2])
    assert error.code is RejectionCode.CORRUPT
    assert error.reason_zh and error.reason_en


def test_scan_png_signature_with_garbage_is_corrupt() -> None:
    error = rejection(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    assert error.code is RejectionCode.CORRUPT


def test_scan_truncated_jpeg_is_corrupt() -> None:
    whole = encode(noise(200, 200), "JPEG", quality=90)
    assert rejection(whole[:200]).code is RejectionCode.CORRUPT


def test_scan_decompression_bomb_is_refused_from_the_header_alone() -> None:
    bomb = png_claiming(100_000, 100_000)
    assert len(bomb) < 200
    started = time.perf_counter()
    error = rejection(bomb)
    assert time.perf_counter() - started < 1.0  # nothing was decoded
    assert error.code is RejectionCode.DECOMPRESSION_BOMB
    assert "100000" in error.reason_en


@pytest.mark.parametrize(
    ("max_pixels", "refused"), [(100 * 100, False), (100 * 100 - 1, True), (6_000, True)]
)
def test_scan_pixel_limit_is_exact(max_pixels: int, refused: bool) -> None:
    data = encode(noise(100, 100), "PNG")
    if refused:
        assert rejection(data, max_pixels=max_pixels).code is RejectionCode.DECOMPRESSION_BOMB
    else:
        assert split_pages(data, max_pixels=max_pixels, max_pages=1)[0].image.shape == (100, 100)


def test_scan_split_pages_sets_pillow_backstop_limit() -> None:
    split_pages(encode(noise(10, 10), "PNG"), max_pixels=12_345, max_pages=1)
    assert Image.MAX_IMAGE_PIXELS == 12_345


def test_scan_oversized_tiff_frame_names_the_page() -> None:
    data = multipage_tiff([noise(10, 10, 1), noise(200, 200, 2)], [300, 300])
    error = rejection(data, max_pixels=10_000)
    assert error.code is RejectionCode.DECOMPRESSION_BOMB
    assert error.page_index == 1


def test_scan_oversize_upload() -> None:
    data = encode(noise(50, 50), "PNG")
    assert rejection(data, max_bytes=len(data) - 1).code is RejectionCode.OVERSIZE
    assert len(split_pages(data, **LIMITS, max_bytes=len(data))) == 1
    with pytest.raises(PageRejected) as caught:
        check_upload_size(10_000_001, 10_000_000)
    assert caught.value.code is RejectionCode.OVERSIZE


def test_scan_corrupt_pdf() -> None:
    assert rejection(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n").code is RejectionCode.CORRUPT
    whole = text_pdf(["Judgment"])
    assert rejection(whole[: len(whole) // 3]).code is RejectionCode.CORRUPT


def test_scan_encrypted_pdf_is_unsupported() -> None:
    with pikepdf.open(io.BytesIO(text_pdf(["secret"]))) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="u", owner="o"))
    error = rejection(out.getvalue())
    assert error.code is RejectionCode.UNSUPPORTED
    assert "加密" in error.reason_zh


# --------------------------------------------------------------------------- images


def test_scan_multipage_tiff_gives_every_page_in_order_with_its_dpi() -> None:
    frames = [np.full((40, 30), v, np.uint8) for v in (10, 120, 240)]
    pages = split_pages(multipage_tiff(frames, [200, 300, 600]), **LIMITS)
    assert [p.index for p in pages] == [0, 1, 2]
    assert [int(p.image.mean()) for p in pages] == [10, 120, 240]
    assert [p.dpi for p in pages] == [200, 300, 600]
    assert all(p.kind is MediaKind.TIFF and not p.born_digital and p.text is None for p in pages)


def test_scan_multipage_tiff_page_count_limit() -> None:
    data = multipage_tiff([noise(10, 10, i) for i in range(4)], [300] * 4)
    assert len(split_pages(data, max_pixels=10_000, max_pages=4)) == 4
    error = rejection(data, max_pages=3)
    assert error.code is RejectionCode.TOO_MANY_PAGES
    assert "4" in error.reason_zh


def test_scan_jpeg_declared_dpi_and_colour() -> None:
    rgb = np.zeros((32, 48, 3), np.uint8)
    rgb[:, :24] = (200, 30, 30)  # seal red
    rgb[:, 24:] = (30, 30, 200)
    (page,) = split_pages(encode(rgb, "JPEG", dpi=(200, 200), quality=95), **LIMITS)
    assert page.kind is MediaKind.JPEG
    assert page.image.shape == (32, 48, 3)
    assert page.dpi == pytest.approx(200)
    assert np.abs(page.image.astype(int) - rgb).mean() < 8  # same picture, JPEG-lossy


def test_scan_png_without_declared_dpi_has_none() -> None:
    (page,) = split_pages(encode(noise(10, 10), "PNG"), **LIMITS)
    assert page.dpi is None


def test_scan_transparent_png_is_flattened_on_white() -> None:
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:2, :, 3] = 255  # top half opaque black, bottom half transparent
    (page,) = split_pages(encode(rgba, "PNG"), **LIMITS)
    assert page.image.shape == (4, 4, 3)
    assert (page.image[:2] == 0).all() and (page.image[2:] == 255).all()


def test_scan_sixteen_bit_grey_png_becomes_eight_bit() -> None:
    wide = np.array([[0, 65535], [32896, 257 * 10]], dtype=np.uint16)
    (page,) = split_pages(encode(wide, "PNG"), **LIMITS)
    assert page.image.dtype == np.uint8
    assert page.image.tolist() == [[0, 255], [128, 10]]


def test_scan_exif_orientation_is_applied() -> None:
    tall = np.zeros((20, 10), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    (page,) = split_pages(encode(tall, "JPEG", exif=exif.tobytes()), **LIMITS)
    assert page.image.shape == (10, 20)


# --------------------------------------------------------------------------- PDF


def test_scan_pdf_with_text_layer_is_born_digital() -> None:
    (page,) = split_pages(text_pdf(["Civil Judgment (2024) No. 123"]), **LIMITS)
    assert page.born_digital is True
    assert "Civil Judgment (2024) No. 123" in page.text
    assert page.dpi == PDF_RENDER_DPI
    # A4 rendered at 300 dpi, for thumbnails and QC.
    assert abs(page.height - round(842 / 72 * 300)) <= 2 and abs(page.width - round(595 / 72 * 300)) <= 2
    assert page.image.ndim == 2 and page.image.min() < 128  # black on white: one channel, text drawn


def test_scan_colour_pdf_page_keeps_its_colour() -> None:
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(200, 200), invariant=1)
    canvas.setFillColorRGB(0.8, 0.1, 0.1)  # a red seal
    canvas.circle(100, 100, 50, fill=1)
    canvas.showPage()
    canvas.save()
    (page,) = split_pages(buf.getvalue(), **LIMITS)
    assert page.image.shape == (834, 834, 3)  # 200 pt at 300 dpi, rounded up
    red, green = page.image[417, 417, 0], page.image[417, 417, 1]
    assert red > 150
    assert green < 60


def test_scan_born_digital_is_decided_per_page() -> None:
    pages = split_pages(text_pdf(["first page", None, "third page"]), **LIMITS)
    assert [p.born_digital for p in pages] == [True, False, True]
    assert pages[1].text is None
    assert "third page" in pages[2].text


def test_scan_image_only_pdf_gives_image_pages() -> None:
    frames = [np.full((400, 300), 30, np.uint8), np.full((400, 300), 220, np.uint8)]
    pages = split_pages(scanned_pdf(frames, dpi=200), **LIMITS)
    assert len(pages) == 2
    assert not any(p.born_digital for p in pages) and all(p.text is None for p in pages)
    assert [p.embedded_image_dpi for p in pages] == [pytest.approx(200, abs=1)] * 2
    # 300 px at 200 dpi is 1.5 in, rendered at 300 dpi is 450 px.
    assert abs(pages[0].width - 450) <= 2 and abs(pages[0].height - 600) <= 2
    assert int(pages[0].image.mean()) < 60
    assert int(pages[1].image.mean()) > 180


def test_scan_pdf_page_count_limit() -> None:
    data = text_pdf(["p"] * 6)
    assert len(split_pages(data, max_pixels=40_000_000, max_pages=6)) == 6
    error = rejection(data, max_pages=5)
    assert error.code is RejectionCode.TOO_MANY_PAGES


def test_scan_giant_pdf_page_is_refused_before_rendering() -> None:
    data = text_pdf(["huge"], size=(14_400.0, 14_400.0))  # 200 in square: 60000 px at 300 dpi
    started = time.perf_counter()
    error = rejection(data)
    assert time.perf_counter() - started < 1.0
    assert error.code is RejectionCode.DECOMPRESSION_BOMB
    assert error.page_index == 0


def test_scan_pdf_with_bomb_image_inside_is_refused() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    bomb = pikepdf.Stream(
        pdf,
        zlib.compress(b"\x00" * 1024),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=100_000,
        Height=100_000,
        BitsPerComponent=8,
        ColorSpace=pikepdf.Name.DeviceGray,
        Filter=pikepdf.Name.FlateDecode,
    )
    page = pdf.pages[0]
    name = page.add_resource(bomb, pikepdf.Name.XObject, prefix="Im")
    page.contents_add(pikepdf.Stream(pdf, f"q 200 0 0 200 0 0 cm {name} Do Q".encode()))
    out = io.BytesIO()
    pdf.save(out)
    error = rejection(out.getvalue())
    assert error.code is RejectionCode.DECOMPRESSION_BOMB
    assert "100000" in error.reason_en


# --------------------------------------------------------------------------- SourcePage


def test_scan_source_page_pixels_are_read_only() -> None:
    (page,) = split_pages(encode(noise(5, 5), "PNG"), **LIMITS)
    with pytest.raises(ValueError):
        page.image[0, 0] = 1


def test_scan_source_page_text_only_with_born_digital() -> None:
    image = np.zeros((2, 2), np.uint8)
    with pytest.raises(ValidationError):
        SourcePage(index=0, kind=MediaKind.PDF, image=image, born_digital=True)
    with pytest.raises(ValidationError):
        SourcePage(index=0, kind=MediaKind.PNG, image=image, born_digital=True, text="x")
    with pytest.raises(ValidationError):
        SourcePage(index=0, kind=MediaKind.PNG, image=image.astype(np.float32))


# --------------------------------------------------------------------------- object names


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a/../../etc",
        "scans/./p1.png",
        "/etc/passwd",
        "C:/Windows/x",
        "a\x00b",
        "a\x1bb",
        "a\u202eb",  # right-to-left override: "gnp.exe" shows as "exe.png"
        "a\u200bb",  # zero-width space
        "a\\b",
        "..\\..\\x",
        "a//b",
        "trailing/",
        "",
        "a\u2028b",
        "x" * 256,
        "卷" * 86,  # 258 bytes in UTF-8
        "/".join(["y" * 200] * 6),  # 1205 bytes in all
    ],
)
def test_scan_unsafe_object_names_are_refused(name: str) -> None:
    with pytest.raises(PageRejected) as caught:
        safe_object_name(name)
    assert caught.value.code is RejectionCode.UNSAFE_NAME
    assert caught.value.reason_zh.startswith("对象名称不安全")


@pytest.mark.parametrize(
    "name",
    [
        "station-03/2024/吉01民初123号/0001.png",
        "x" * 255,
        "卷" * 85,
        "/".join(["y" * 200] * 5),
        "a..b/c.d.png",
    ],
)
def test_scan_safe_object_names_pass(name: str) -> None:
    assert safe_object_name(name) == name


def test_scan_object_names_are_nfc_normalised() -> None:
    decomposed = "cafe\u0301/案\u0301.png"
    result = safe_object_name(decomposed)
    assert result == unicodedata.normalize("NFC", decomposed)
    assert result != decomposed and "\u00e9" in result


def test_scan_iter_pages_refuses_on_the_call_and_decodes_lazily() -> None:
    two = text_pdf(["first", "second"])
    pages = iter_pages(two, **LIMITS)
    first = next(pages)
    assert first.index == 0 and "first" in first.text
    assert [p.index for p in pages] == [1]
    # A later page's declared size refuses the whole file before anything is rendered.
    with pikepdf.open(io.BytesIO(two)) as pdf:
        pdf.pages[1].MediaBox = [0, 0, 14_400, 14_400]
        out = io.BytesIO()
        pdf.save(out)
    with pytest.raises(PageRejected) as caught:
        iter_pages(out.getvalue(), **LIMITS)
    assert caught.value.code is RejectionCode.DECOMPRESSION_BOMB and caught.value.page_index == 1
    with pytest.raises(PageRejected) as caught:
        iter_pages(multipage_tiff([noise(5, 5, i) for i in range(3)], [300] * 3), max_pixels=100, max_pages=2)
    assert caught.value.code is RejectionCode.TOO_MANY_PAGES
