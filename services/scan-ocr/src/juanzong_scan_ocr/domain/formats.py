"""Input formats of scanned case materials: what a page file is, and how it splits into pages.

Scanning stations and other court systems hand in PNG, JPEG, TIFF (often multi-page) and PDF.
The type is decided by the bytes, never by the file name: a text file called ``page.png`` is
refused as unsupported. Every refusal is a :class:`PageRejected` carrying a stable ``code`` for
integrators and a reason court staff can read (issue 3, item 2). Limits are checked against what
the file *declares* before anything is decoded, so a tiny file claiming a 100000×100000 image
costs nothing (decompression bomb).

Decoding happens in memory only; this module does no I/O. pdfium is not thread-safe: call
:func:`split_pages` from one thread per process (OCR workers are processes).
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
import unicodedata
import warnings
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

__all__ = [
    "PDF_RENDER_DPI",
    "MediaKind",
    "PageRejected",
    "RejectionCode",
    "SourcePage",
    "check_upload_size",
    "iter_pages",
    "safe_object_name",
    "sniff",
    "split_pages",
]

PDF_RENDER_DPI = 300
"""PDF pages are rasterised at the courts' usual scanning resolution (法〔2016〕264号 二(五))."""

MAX_NAME_BYTES = 1024
MAX_SEGMENT_BYTES = 255
_PDF_HEADER_WINDOW = 1024  # readers accept junk before "%PDF-" within the first KiB


class MediaKind(StrEnum):
    """Accepted containers, named by their media type."""

    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"
    PDF = "application/pdf"


class RejectionCode(StrEnum):
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    CORRUPT = "corrupt"
    DECOMPRESSION_BOMB = "decompression_bomb"
    TOO_MANY_PAGES = "too_many_pages"
    OVERSIZE = "oversize"
    UNSAFE_NAME = "unsafe_name"


class PageRejected(ValueError):
    """A page file (or object name) that will not be processed, and why.

    ``page_index`` names the page inside a multi-page file when one page is the culprit.
    """

    def __init__(
        self,
        code: RejectionCode | str,
        reason_zh: str,
        reason_en: str,
        *,
        page_index: int | None = None,
    ) -> None:
        self.code = RejectionCode(code)
        self.reason_zh = reason_zh
        self.reason_en = reason_en
        self.page_index = page_index
        super().__init__(f"{self.code.value}: {reason_zh} ({reason_en})")


class SourcePage(BaseModel):
    """One page out of an uploaded file, ready for QC and OCR.

    ``image`` is uint8, shape (H, W) for grey or (H, W, 3) in RGB order, and read-only.
    ``dpi`` is the resolution of ``image``: declared by an image file (None when it declares
    none), or :data:`PDF_RENDER_DPI` for a rendered PDF page. For PDF pages
    ``embedded_image_dpi`` is the density of the largest raster image on the page — what the
    scanner really produced. A born-digital PDF page carries its ``text`` and skips OCR; its
    image is kept for thumbnails and QC.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    index: int
    kind: MediaKind
    image: np.ndarray
    dpi: float | None = None
    born_digital: bool = False
    text: str | None = None
    embedded_image_dpi: float | None = None

    @field_validator("image")
    @classmethod
    def _uint8_grey_or_rgb(cls, value: np.ndarray) -> np.ndarray:
        if not isinstance(value, np.ndarray) or value.dtype != np.uint8:
            raise ValueError("image must be a numpy uint8 array")
        if not (value.ndim == 2 or (value.ndim == 3 and value.shape[2] == 3)):
            raise ValueError(f"image must be (H, W) or (H, W, 3), got {value.shape}")
        if value.shape[0] == 0 or value.shape[1] == 0:
            raise ValueError("image has no pixels")
        frozen = value.view()  # read-only view; the caller's own array keeps its flags
        frozen.flags.writeable = False
        return frozen

    @model_validator(mode="after")
    def _text_iff_born_digital(self) -> SourcePage:
        if self.born_digital != (self.text is not None):
            raise ValueError("text is given exactly when the page is born digital")
        if self.born_digital and self.kind is not MediaKind.PDF:
            raise ValueError("only PDF pages can be born digital")
        return self

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


# --------------------------------------------------------------------------- detection

_KNOWN_UNSUPPORTED: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000 codestream"),
    (b"PK\x03\x04", "ZIP container (OFD, Office document or archive)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document"),
)


def sniff(data: bytes) -> MediaKind:
    """The container type of ``data`` from its magic bytes; refuses anything else."""
    if len(data) == 0:
        raise PageRejected(RejectionCode.EMPTY, "文件为空（0 字节），请重新扫描或上传。", "zero-byte file")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaKind.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return MediaKind.JPEG
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return MediaKind.TIFF
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return MediaKind.PDF
    what = "unknown signature " + data[:8].hex()
    for magic, name in _KNOWN_UNSUPPORTED:
        if data.startswith(magic):
            what = name
            break
    if data[:12].startswith(b"RIFF") and data[8:12] == b"WEBP":
        what = "WebP"
    raise PageRejected(
        RejectionCode.UNSUPPORTED,
        "不支持的文件格式，仅接受 PNG、JPEG、TIFF 和 PDF 文件。",
        f"unsupported content ({what}); accepted: PNG, JPEG, TIFF, PDF",
    )


def check_upload_size(size: int, max_bytes: int) -> None:
    """Refuse an upload by its length alone — call it before reading the body when it is known."""
    if size == 0:
        raise PageRejected(RejectionCode.EMPTY, "文件为空（0 字节），请重新扫描或上传。", "zero-byte file")
    if size > max_bytes:
        raise PageRejected(
            RejectionCode.OVERSIZE,
            f"文件大小 {size} 字节超过上限 {max_bytes} 字节，请拆分后上传。",
            f"upload of {size} bytes exceeds the limit of {max_bytes} bytes",
        )


# --------------------------------------------------------------------------- splitting


def iter_pages(
    data: bytes,
    *,
    max_pixels: int,
    max_pages: int,
    max_bytes: int | None = None,
) -> Iterator[SourcePage]:
    """Pages of one uploaded file, decoded one at a time so a long PDF never sits in memory whole.

    Every declared limit is checked when this is *called*, before any page is decoded: size,
    type, page count, and each page's declared pixels (image frame, PDF page at 300 dpi, any
    raster inside a PDF page). Data that turns out corrupt while decoding page k raises
    :class:`PageRejected` (with ``page_index=k``) when iteration reaches it. Also sets
    ``PIL.Image.MAX_IMAGE_PIXELS`` to ``max_pixels`` as a second line of defence.
    """
    if max_pixels <= 0 or max_pages <= 0:
        raise ValueError("max_pixels and max_pages must be positive")
    if max_bytes is not None:
        check_upload_size(len(data), max_bytes)
    kind = sniff(data)
    Image.MAX_IMAGE_PIXELS = max_pixels
    if kind is MediaKind.PDF:
        return _pdf_pages(data, max_pixels=max_pixels, max_pages=max_pages)
    return _image_pages(data, kind, max_pixels=max_pixels, max_pages=max_pages)


def split_pages(
    data: bytes,
    *,
    max_pixels: int,
    max_pages: int,
    max_bytes: int | None = None,
) -> list[SourcePage]:
    """All pages of one uploaded file, or :class:`PageRejected` for the file as a whole."""
    return list(iter_pages(data, max_pixels=max_pixels, max_pages=max_pages, max_bytes=max_bytes))


_PIL_FORMAT = {MediaKind.PNG: "PNG", MediaKind.JPEG: "JPEG", MediaKind.TIFF: "TIFF"}


def _corrupt(kind: MediaKind, exc: BaseException, page_index: int | None = None) -> PageRejected:
    return PageRejected(
        RejectionCode.CORRUPT,
        "文件已损坏或不完整，无法读取，请重新扫描或上传。",
        f"cannot decode {kind.name}: {type(exc).__name__}: {exc}",
        page_index=page_index,
    )


def _bomb(width: int, height: int, max_pixels: int, page_index: int | None = None) -> PageRejected:
    return PageRejected(
        RejectionCode.DECOMPRESSION_BOMB,
        f"图像尺寸 {width}×{height} 超出像素上限 {max_pixels}，疑似解压炸弹，已拒收。",
        f"declared size {width}x{height} exceeds the pixel limit {max_pixels}",
        page_index=page_index,
    )


def _too_many(count: int, max_pages: int) -> PageRejected:
    return PageRejected(
        RejectionCode.TOO_MANY_PAGES,
        f"文件共 {count} 页，超过单个文件 {max_pages} 页的上限，请拆分后上传。",
        f"{count} pages exceed the limit of {max_pages} per file",
    )


@contextlib.contextmanager
def _decoding(kind: MediaKind, page_index: int | None) -> Iterator[None]:
    """Map whatever a parser throws on untrusted bytes to a :class:`PageRejected`."""
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; the limit is the limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (PageRejected, MemoryError):
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PageRejected(
                RejectionCode.DECOMPRESSION_BOMB,
                "图像像素数超出上限，疑似解压炸弹，已拒收。",
                f"pixel limit exceeded: {exc}",
                page_index=page_index,
            ) from exc
        except Exception as exc:  # any parser failure on untrusted bytes means "corrupt"
            raise _corrupt(kind, exc, page_index) from exc


def _image_pages(data: bytes, kind: MediaKind, *, max_pixels: int, max_pages: int) -> Iterator[SourcePage]:
    with _decoding(kind, None):
        im = Image.open(io.BytesIO(data), formats=[_PIL_FORMAT[kind]])
    try:
        with _decoding(kind, 0):
            # Only headers are parsed here: refuse before decoding a single pixel.
            _check_pixels(im.size, max_pixels, 0)
            count = getattr(im, "n_frames", 1) if kind is MediaKind.TIFF else 1
            if count > max_pages:
                raise _too_many(count, max_pages)
        for index in range(1, count):
            with _decoding(kind, index):
                im.seek(index)  # reads the frame's directory, not its pixels
                _check_pixels(im.size, max_pixels, index)
    except BaseException:
        im.close()
        raise
    return _decode_frames(im, kind, count)


def _decode_frames(im: Image.Image, kind: MediaKind, count: int) -> Iterator[SourcePage]:
    try:
        for index in range(count):
            with _decoding(kind, index):
                im.seek(index)
                page = SourcePage(index=index, kind=kind, image=_to_array(im), dpi=_declared_dpi(im.info))
            yield page
    finally:
        im.close()


def _check_pixels(size: tuple[int, int], max_pixels: int, page_index: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise PageRejected(
            RejectionCode.CORRUPT,
            "图像尺寸为零，文件已损坏。",
            f"declared size {width}x{height}",
            page_index=page_index,
        )
    if width * height > max_pixels:
        raise _bomb(width, height, max_pixels, page_index)


def _to_array(im: Image.Image) -> np.ndarray:
    im.load()
    # A damaged EXIF block must not cost the page: keep it as scanned.
    # In place: a page without an orientation tag is not copied (a copy is ~10 ms of a scan's 26 MB).
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, SyntaxError, IndexError, struct.error):
        ImageOps.exif_transpose(im, in_place=True)
    mode = im.mode
    if mode in ("L", "RGB"):  # converting to its own mode would copy it once more
        return np.asarray(im)
    if mode == "1":
        return np.asarray(im.convert("L"))
    if mode.startswith("I") or mode == "F":
        # 16-bit grey: keep the high byte's worth of range.
        wide = np.asarray(im, dtype=np.float64)
        return np.clip(wide / 257.0, 0, 255).astype(np.uint8)
    if mode in ("LA", "RGBA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return np.asarray(flat)
    return np.asarray(im.convert("RGB"))


def _declared_dpi(info: dict[str, Any]) -> float | None:
    raw = info.get("dpi")
    try:
        x, y = (float(v) for v in raw)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(x) and math.isfinite(y)) or x <= 0 or y <= 0:
        return None
    return min(x, y)  # the coarser axis is what limits legibility


# pdfium sizes the bitmap with ceil() of float32 page sizes; shave that noise so 595.2 pt
# (A4 scanned at 300 dpi) renders 2480 px wide, not 2481.
_PDF_SCALE = PDF_RENDER_DPI / 72 * (1 - 1e-6)


def _pdf_pages(data: bytes, *, max_pixels: int, max_pages: int) -> Iterator[SourcePage]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise PageRejected(
                RejectionCode.UNSUPPORTED,
                "PDF 文件已加密，请提交未加密的文件。",
                "password-protected PDF",
            ) from exc
        raise _corrupt(MediaKind.PDF, exc) from exc
    try:
        count = len(pdf)
        if count == 0:
            raise _corrupt(MediaKind.PDF, ValueError("document has no pages"))
        if count > max_pages:
            raise _too_many(count, max_pages)
        embedded_dpis = [_check_pdf_page(pdf, i, max_pixels) for i in range(count)]
    except BaseException:
        pdf.close()
        raise
    return _render_pdf_pages(pdf, embedded_dpis)


def _check_pdf_page(pdf: pdfium.PdfDocument, index: int, max_pixels: int) -> float | None:
    """Refuse a page by its declared sizes; return the density of its largest raster."""
    with _decoding(MediaKind.PDF, index):
        page = pdf[index]
        try:
            width_pt, height_pt = page.get_size()
            if width_pt <= 0 or height_pt <= 0:
                raise PageRejected(
                    RejectionCode.CORRUPT,
                    "PDF 页面尺寸为零，文件已损坏。",
                    "empty page box",
                    page_index=index,
                )
            width_px, height_px = math.ceil(width_pt * _PDF_SCALE), math.ceil(height_pt * _PDF_SCALE)
            if width_px * height_px > max_pixels:
                raise _bomb(width_px, height_px, max_pixels, index)
            return _largest_image_dpi(page, max_pixels, index)
        finally:
            page.close()


def _render_pdf_pages(pdf: pdfium.PdfDocument, embedded_dpis: list[float | None]) -> Iterator[SourcePage]:
    try:
        for index, embedded_dpi in enumerate(embedded_dpis):
            with _decoding(MediaKind.PDF, index):
                page = pdf[index]
                try:
                    text = _page_text(page)
                    bitmap = page.render(scale=_PDF_SCALE, rev_byteorder=True)
                    try:
                        image = _grey_if_grey(bitmap.to_numpy()[:, :, :3])
                    finally:
                        bitmap.close()
                finally:
                    page.close()
                source = SourcePage(
                    index=index,
                    kind=MediaKind.PDF,
                    image=image,
                    dpi=float(PDF_RENDER_DPI),
                    born_digital=text is not None,
                    text=text,
                    embedded_image_dpi=embedded_dpi,
                )
            yield source
    finally:
        pdf.close()


def _grey_if_grey(rgb: np.ndarray) -> np.ndarray:
    """A copy the caller owns; one channel when the page has no colour (a third of the memory)."""
    red = rgb[:, :, 0]
    if np.array_equal(red, rgb[:, :, 1]) and np.array_equal(red, rgb[:, :, 2]):
        return np.array(red)
    return np.array(rgb)


def _largest_image_dpi(page: pdfium.PdfPage, max_pixels: int, index: int) -> float | None:
    """Density of the biggest raster on the page; refuses rasters whose declared size is a bomb."""
    best_area, best_dpi = 0.0, None
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        px_w, px_h = obj.get_px_size()
        if px_w * px_h > max_pixels:
            raise _bomb(px_w, px_h, max_pixels, index)
        left, bottom, right, top = obj.get_bounds()
        w_in, h_in = (right - left) / 72, (top - bottom) / 72
        if w_in <= 0 or h_in <= 0 or px_w <= 0 or px_h <= 0:
            continue
        area = w_in * h_in
        if area > best_area:
            # A page rotated by 90° swaps the axes; the smaller density is the honest one.
            best_area, best_dpi = (
                area,
                min(max(px_w, px_h) / max(w_in, h_in), min(px_w, px_h) / min(w_in, h_in)),
            )
    return None if best_dpi is None else round(best_dpi, 2)


def _page_text(page: pdfium.PdfPage) -> str | None:
    """The page's extractable text, or None when it has none (an image-only scan)."""
    textpage = page.get_textpage()
    try:
        raw = textpage.get_text_range()
    finally:
        textpage.close()
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text if text.strip() else None


# --------------------------------------------------------------------------- object names

_FORBIDDEN_CATEGORIES = {
    "Cc": "control character",
    "Cf": "invisible format character (e.g. bidi override)",
    "Cs": "surrogate",
    "Zl": "line separator",
    "Zp": "paragraph separator",
}


def safe_object_name(name: str) -> str:
    """Check an object-storage key handed in by a station or a system; return it NFC-normalised.

    Refuses what could escape a prefix or disguise a name: ``..``/``.``/empty segments, absolute
    paths and drive letters, backslashes, control and invisible format characters (NUL, bidi
    overrides such as U+202E), segments over 255 bytes and names over 1024 bytes in UTF-8.
    """

    def refuse(why_zh: str, why_en: str) -> PageRejected:
        return PageRejected(
            RejectionCode.UNSAFE_NAME, f"对象名称不安全：{why_zh}。", f"unsafe object name {name!r}: {why_en}"
        )

    if not isinstance(name, str) or name == "":
        raise refuse("名称为空", "empty name")
    for ch in name:
        category = unicodedata.category(ch)
        if category in _FORBIDDEN_CATEGORIES:
            raise refuse(
                f"含有不可见或控制字符 U+{ord(ch):04X}",
                f"{_FORBIDDEN_CATEGORIES[category]} U+{ord(ch):04X}",
            )
    if "\\" in name:
        raise refuse("含有反斜杠", "backslash")
    normal = unicodedata.normalize("NFC", name)
    if normal.startswith("/"):
        raise refuse("不得使用绝对路径", "absolute path")
    if len(normal) >= 2 and normal[1] == ":" and normal[0].isascii() and normal[0].isalpha():
        raise refuse("不得使用盘符路径", "drive-letter path")
    if len(normal.encode("utf-8")) > MAX_NAME_BYTES:
        raise refuse(f"超过 {MAX_NAME_BYTES} 字节", f"longer than {MAX_NAME_BYTES} bytes")
    for segment in normal.split("/"):
        if segment in ("", ".", ".."):
            raise refuse("含有空段或 . / .. 路径段", f"segment {segment!r}")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise refuse(
                f"路径段超过 {MAX_SEGMENT_BYTES} 字节", f"segment longer than {MAX_SEGMENT_BYTES} bytes"
            )
    return normal
