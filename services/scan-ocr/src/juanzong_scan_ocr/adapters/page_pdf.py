"""Searchable page PDF: the scan as the page, the OCR lines as invisible text on their boxes.

Copying from the page must give the Chinese characters and nothing else (issue 3, item 5).
OCRmyPDF's Chinese output is known to come back with a space between every character: its
glyph-less font advances do not match the box, so extractors see gaps and insert spaces. Here
each line is set in a real CJK font (subset-embedded) and horizontally scaled (``Tz``) so the
glyph advances exactly fill the line's box: consecutive glyphs touch, and neither pdfium nor
poppler invents a space. The text is drawn in render mode 3 (neither fill nor stroke).

The image is embedded as JPEG (passed through untouched when it already is one): a 300-dpi A4
page as raw pixels would be ~26 MB and slow to compress.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pikepdf
from PIL import Image
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from juanzong_scan_ocr.domain.formats import MediaKind, sniff

__all__ = [
    "FONT_CANDIDATES",
    "CjkFont",
    "CjkFontMissing",
    "TextLine",
    "find_cjk_font",
    "render_searchable_pdf",
]


@runtime_checkable
class TextLine(Protocol):
    """What an OCR engine reports per line (structural: any object with these attributes)."""

    text: str
    polygon: Sequence[Sequence[float]]  # 4 [x, y] image pixels, clockwise from top-left
    confidence: float


@dataclass(frozen=True)
class CjkFont:
    """A TrueType-outline CJK font reportlab can subset (CFF/OpenType outlines it cannot)."""

    path: Path
    subfont_index: int
    debian_package: str


# Debian's Noto CJK is CFF-flavoured OpenType, which reportlab refuses; these are TrueType.
FONT_CANDIDATES: tuple[CjkFont, ...] = (
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0, "fonts-wqy-zenhei"),
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0, "fonts-wqy-microhei"),
    CjkFont(Path("/usr/share/fonts/truetype/arphic/ukai.ttc"), 0, "fonts-arphic-ukai"),
    CjkFont(Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0, "fonts-arphic-uming"),
)


class CjkFontMissing(RuntimeError):
    """No usable CJK font on this machine; names the Debian package that provides one."""


def find_cjk_font(candidates: Iterable[CjkFont] = FONT_CANDIDATES) -> CjkFont:
    """The first candidate font present on disk."""
    candidates = tuple(candidates)
    for font in candidates:
        if font.path.is_file():
            return font
    tried = ", ".join(str(f.path) for f in candidates) or "(none)"
    raise CjkFontMissing(
        "找不到用于可检索 PDF 文字层的中文字体，请安装 Debian 软件包 fonts-wqy-zenhei"
        "（apt-get install -y fonts-wqy-zenhei）。"
        f" No CJK TrueType font for the PDF text layer; install the Debian package "
        f"fonts-wqy-zenhei. Looked for: {tried}"
    )


@dataclass(frozen=True)
class _RegisteredFont:
    name: str
    ascent: float  # fractions of the em, descent negative
    descent: float
    ttf: TTFont

    def cover(self, text: str) -> None:
        """Let characters the font lacks (rare 生僻字, emoji) keep their Unicode mapping.

        reportlab sends a character missing from the font to code 0, which maps to nothing, so
        the character would vanish from copied text. Pointing it at the .notdef glyph gives it a
        code of its own and a ToUnicode entry; the glyph is never painted (render mode 3).
        """
        char_to_glyph = self.ttf.face.charToGlyph
        for ch in text:
            char_to_glyph.setdefault(ord(ch), 0)


@lru_cache(maxsize=4)
def _register(font: CjkFont) -> _RegisteredFont:
    # Loading a 17 MB .ttc takes ~0.1 s: once per process, on first use (never at import).
    name = f"JuanzongCJK-{font.path.stem}-{font.subfont_index}"
    pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont_index))
    # reportlab maps a second registration of the same typeface onto the first font object (another
    # module may have registered this file): use the object reportlab will actually draw with.
    ttf = pdfmetrics.getFont(name)
    ascent, descent = ttf.face.ascent / 1000, ttf.face.descent / 1000
    if ascent - descent <= 0:
        ascent, descent = 0.8, -0.2
    return _RegisteredFont(name=name, ascent=ascent, descent=descent, ttf=ttf)


# Lines within this many degrees of a page axis are laid on the axis (see _place).
_SNAP_DEGREES = 20.0

# reportlab keeps per-document subset state on the shared TTFont object.
_BUILD_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Placed:
    text: str
    size: float  # font size, points
    horizontal_scale: float  # percent
    matrix: tuple[float, float, float, float, float, float]


def render_searchable_pdf(
    image: np.ndarray | bytes,
    dpi: float,
    lines: Iterable[TextLine | Mapping[str, Any]],
    *,
    jpeg_quality: int = 85,
    font: CjkFont | None = None,
) -> bytes:
    """One PDF page: ``image`` at ``dpi`` with each OCR line as invisible text on its polygon.

    ``image`` is a uint8 array ((H, W) grey, (H, W, 3) RGB, alpha dropped) or encoded PNG/JPEG/
    TIFF bytes (JPEG is embedded as is). ``lines`` are objects or mappings with ``text`` and
    ``polygon`` in image pixels. Output is deterministic for equal input.
    """
    if isinstance(dpi, bool) or not (isinstance(dpi, numbers.Real) and math.isfinite(dpi) and dpi > 0):
        raise ValueError(f"dpi must be a positive number, got {dpi!r}")
    chosen = font or find_cjk_font()
    registered = _register(chosen)
    jpeg, width_px, height_px, colour_space = _encode_jpeg(image, jpeg_quality)
    pt_per_px = 72.0 / float(dpi)
    page_w, page_h = width_px * pt_per_px, height_px * pt_per_px

    with _BUILD_LOCK:
        placed = [p for line in lines if (p := _place(line, registered, pt_per_px, page_h)) is not None]
        text_pdf = io.BytesIO()
        canvas = Canvas(
            text_pdf,
            pagesize=(page_w, page_h),
            pageCompression=1,
            invariant=1,
            initialFontName=registered.name,  # or reportlab references a non-embedded Helvetica
            lang="zh-CN",
        )
        if placed:
            text = canvas.beginText()
            text.setTextRenderMode(3)
            for p in placed:
                text.setTextTransform(*p.matrix)
                text.setFont(registered.name, p.size)
                text.setHorizScale(p.horizontal_scale)
                text.textOut(p.text)
            canvas.drawText(text)
        canvas.showPage()
        canvas.save()

    # reportlab can only embed an image by decoding it; pikepdf adds the JPEG bytes verbatim.
    with pikepdf.open(io.BytesIO(text_pdf.getvalue())) as pdf:
        page = pdf.pages[0]
        xobject = pikepdf.Stream(
            pdf,
            jpeg,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width_px,
            Height=height_px,
            BitsPerComponent=8,
            ColorSpace=pikepdf.Name(colour_space),
            Filter=pikepdf.Name.DCTDecode,
        )
        _fix_wide_to_unicode(page)
        resources = page.obj.Resources
        if "/XObject" not in resources:
            resources.XObject = pikepdf.Dictionary()
        name = pikepdf.Name("/JzScan")  # fixed, not random: equal input gives equal bytes
        resources.XObject[name] = xobject
        draw = f"q {page_w:.4f} 0 0 {page_h:.4f} 0 0 cm {name} Do Q\n".encode("ascii")
        page.contents_add(pikepdf.Stream(pdf, draw), prepend=True)
        # reportlab's placeholders ("untitled", "anonymous", a fixed 2000-01-01 date under
        # invariant mode) would mislead whoever reads a court record's properties.
        for key in list(pdf.docinfo.keys()):
            del pdf.docinfo[key]
        pdf.docinfo[pikepdf.Name.Producer] = "Juanzong scan-ocr"
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


_WIDE_BFCHAR = re.compile(rb"(<[0-9A-Fa-f]{2}>\s*)<([0-9A-Fa-f]{5,6})>")


def _utf16_hex(match: re.Match[bytes]) -> bytes:
    code = int(match.group(2), 16)
    return match.group(1) + b"<" + chr(code).encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _fix_wide_to_unicode(page: pikepdf.Page) -> None:
    """Write characters beyond U+FFFF (CJK Ext. B…) as UTF-16 surrogate pairs in ToUnicode.

    reportlab writes ``<20000>``, which readers take as U+2000 (a space); the CMap format wants
    ``<D840DC00>``.
    """
    fonts = page.obj.get("/Resources", {}).get("/Font", {})
    for font in fonts.values():
        to_unicode = font.get("/ToUnicode")
        if to_unicode is None:
            continue
        cmap = to_unicode.read_bytes()
        fixed = _WIDE_BFCHAR.sub(_utf16_hex, cmap)
        if fixed != cmap:
            to_unicode.write(fixed)


def _encode_jpeg(image: np.ndarray | bytes, quality: int) -> tuple[bytes, int, int, str]:
    """JPEG bytes, width, height and PDF colour space of the page image."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        kind = sniff(data)
        if kind is MediaKind.PDF:
            raise ValueError("the page image must be PNG, JPEG or TIFF, not PDF")
        with Image.open(io.BytesIO(data)) as im:
            if kind is MediaKind.JPEG and im.mode in ("L", "RGB"):
                return data, im.width, im.height, "/DeviceGray" if im.mode == "L" else "/DeviceRGB"
            im.load()
            if im.mode in ("1", "L"):
                pil = im.convert("L")
            elif im.mode.startswith("I") or im.mode == "F":
                pil = Image.fromarray(
                    np.clip(np.asarray(im, dtype=np.float64) / 257.0, 0, 255).astype(np.uint8)
                )
            else:
                pil = im.convert("RGB")
    elif isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ValueError(f"image array must be uint8, got {image.dtype}")
        if image.ndim == 3 and image.shape[2] in (3, 4):
            pil = Image.fromarray(np.ascontiguousarray(image[:, :, :3]), mode="RGB")
        elif image.ndim == 3 and image.shape[2] == 1:
            pil = Image.fromarray(np.ascontiguousarray(image[:, :, 0]), mode="L")
        elif image.ndim == 2:
            pil = Image.fromarray(np.ascontiguousarray(image), mode="L")
        else:
            raise ValueError(f"image array must be (H, W) or (H, W, 3), got {image.shape}")
    else:
        raise TypeError(f"image must be a numpy array or encoded bytes, got {type(image).__name__}")
    if pil.width == 0 or pil.height == 0:
        raise ValueError("image has no pixels")
    buf = io.BytesIO()
    pil.save(buf, "JPEG", quality=quality)
    return buf.getvalue(), pil.width, pil.height, "/DeviceGray" if pil.mode == "L" else "/DeviceRGB"


def _line_parts(line: TextLine | Mapping[str, Any]) -> tuple[str, Sequence[Sequence[float]]]:
    if isinstance(line, Mapping):
        return line["text"], line["polygon"]
    return line.text, line.polygon


def _clean(text: str) -> str:
    # A line is one line: tabs/newlines become spaces, other control characters go.
    out = []
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            if ch.isspace():
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _place(
    line: TextLine | Mapping[str, Any], font: _RegisteredFont, pt_per_px: float, page_h: float
) -> _Placed | None:
    raw_text, polygon = _line_parts(line)
    text = _clean(raw_text)
    if not text.strip():
        return None
    font.cover(text)
    points = np.asarray(polygon, dtype=np.float64)
    if points.shape != (4, 2) or not np.isfinite(points).all():
        raise ValueError(f"polygon must be 4 finite [x, y] points, got {polygon!r}")
    # Image pixels (y down) → PDF points (y up).
    pts = np.column_stack((points[:, 0] * pt_per_px, page_h - points[:, 1] * pt_per_px))
    top_left, top_right, bottom_right, bottom_left = pts
    along = ((top_right - top_left) + (bottom_right - bottom_left)) / 2
    length = float(np.hypot(*along))
    height = (float(np.hypot(*(top_left - bottom_left))) + float(np.hypot(*(top_right - bottom_right)))) / 2
    if length < 1e-3 or height < 1e-3:
        return None
    angle = math.degrees(math.atan2(float(along[1]), float(along[0])))
    quarter = round(angle / 90) * 90
    if abs(angle - quarter) <= _SNAP_DEGREES:
        # Poppler reads text only along the four page axes: a baseline tilted by a residual
        # skew is cut into fragments. Lay the line on the nearest axis, across the box's
        # extent and centred on it; the characters stay within their box.
        angle = float(quarter)
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    u, n = np.array([cos, sin]), np.array([-sin, cos])
    along_u, along_n = pts @ u, pts @ n
    width = float(along_u.max() - along_u.min())
    size = height / (font.ascent - font.descent)  # the em box fills the line's height
    # Em box centred on the box's centre line; the baseline sits |descent| above its bottom.
    centre_n = float(along_n.max() + along_n.min()) / 2
    baseline_n = centre_n - height / 2 - font.descent * size
    start_u = float(along_u.min())
    origin = start_u * u + baseline_n * n
    natural = pdfmetrics.stringWidth(text, font.name, size)
    if natural <= 0 or width < 1e-3:
        return None
    return _Placed(
        text=text,
        size=size,
        horizontal_scale=100.0 * width / natural,
        matrix=(cos, sin, -sin, cos, float(origin[0]), float(origin[1])),
    )
