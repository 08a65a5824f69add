"""Synthetic pages for the image-QC, clean-up and OCR-engine tests.

Pages are drawn here (not read from /work/shared or bench/): plain A4 canvases with blocks of
"print", or Chinese court text from the package's own sample documents rendered with a Debian
CJK font. Tests needing a font or Tesseract skip when it is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONT_FILES = (
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
)


def a4_px(dpi: int) -> tuple[int, int]:
    return round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)


def block_page(dpi: int = 300, rows: int = 25, seed: int = 0) -> np.ndarray:
    """A gray A4 page with rows of character-sized black blocks (no font needed)."""
    w, h = a4_px(dpi)
    page = np.full((h, w), 245, np.uint8)
    rng = np.random.default_rng(seed)
    ch = int(dpi * 0.16)  # ~4 mm characters
    y = int(h * 0.12)
    for _ in range(rows):
        x = int(w * 0.13)
        while x < w * 0.85:
            if rng.random() < 0.9:
                cv2.rectangle(page, (x, y), (x + int(ch * 0.8), y + ch), 20, thickness=max(2, ch // 10))
                cv2.line(page, (x, y + ch // 2), (x + int(ch * 0.8), y + ch // 2), 20, max(2, ch // 12))
            x += ch
        y += int(ch * 1.7)
    return page


def turn(image: np.ndarray, degrees: float, fill: int | tuple[int, int, int] = 245) -> np.ndarray:
    """Rotate content counter-clockwise by ``degrees`` (like PIL's rotate), same canvas."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    border = fill if image.ndim == 2 else tuple(int(v) for v in np.broadcast_to(fill, (3,)))
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=border)


def find_cjk_font() -> tuple[str, int] | None:
    for path, family in FONT_FILES:
        if not Path(path).exists():
            continue
        for index in range(10):
            try:
                if ImageFont.truetype(path, 12, index=index).getname()[0] == family:
                    return path, index
            except OSError:
                break
    return None


@pytest.fixture(scope="session")
def cjk_font() -> tuple[str, int]:
    found = find_cjk_font()
    if found is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    return found


@pytest.fixture(scope="session")
def court_lines() -> list[str]:
    """Lines of the bundled sample judgment, wrapped at 26 characters."""
    root = resources.files("juanzong_devstack") / "court_texts"
    text = (root / "02_judgment_first.txt").read_text(encoding="utf-8")
    lines: list[str] = []
    for para in text.splitlines():
        para = para.strip()
        while para:
            lines.append(para[:26])
            para = para[26:]
    return lines


RenderText = Callable[..., np.ndarray]


@pytest.fixture(scope="session")
def render_text(cjk_font: tuple[str, int]) -> RenderText:
    """``render_text(lines, dpi=300, pt=14, size=None, seal_at=None)`` -> BGR page with black print.

    ``seal_at`` = (row, column) in lines/characters: a red seal (ring, star, filled band) is
    multiplied over the print there, as a stamp on paper.
    """
    path, index = cjk_font

    def render(
        lines: list[str],
        dpi: int = 300,
        pt: float = 14,
        size: tuple[int, int] | None = None,
        seal_at: tuple[int, int] | None = None,
        color: tuple[int, int, int] = (20, 20, 20),
    ) -> np.ndarray:
        w, h = size or a4_px(dpi)
        px = round(pt / 72 * dpi)
        font = ImageFont.truetype(path, px, index=index)
        img = Image.new("RGB", (w, h), (246, 244, 238))
        draw = ImageDraw.Draw(img)
        x0, y0, step = int(w * 0.12), int(px * 2), int(px * 1.7)
        for i, line in enumerate(lines):
            draw.text((x0, y0 + i * step), line, font=font, fill=color)
        bgr = np.asarray(img)[:, :, ::-1].copy()
        if seal_at is not None:
            row, col = seal_at
            cx, cy = x0 + col * px, y0 + row * step + px // 2
            r = int(dpi * 40 / 25.4 / 2)
            seal = np.zeros((h, w), np.uint8)
            cv2.circle(seal, (cx, cy), r, 255, max(3, r // 15))
            star = cv2.ellipse2Poly((cx, cy), (r // 3, r // 3), 0, 0, 360, 72)
            cv2.fillPoly(seal, [star], 255)
            cv2.putText(seal, "SEAL", (cx - r // 2, cy + r // 2), cv2.FONT_HERSHEY_SIMPLEX, r / 60, 255, max(2, r // 25))
            a = seal.astype(np.float32)[..., None] / 255 * 0.9
            ink = np.array([44, 36, 214], np.float32) / 255  # BGR
            bgr = (bgr.astype(np.float32) * (1 - a + a * ink)).clip(0, 255).astype(np.uint8)
        return bgr

    return render


@pytest.fixture(scope="session")
def ppocr_engine():
    from juanzong_scan_ocr.adapters.ocr import OcrSettings, PpOcrEngine

    engine = PpOcrEngine(OcrSettings(ort_threads=2))
    engine.load()
    return engine


class PageKit:
    """The drawing helpers above, handed to tests as the ``kit`` fixture."""

    a4_px = staticmethod(a4_px)
    block_page = staticmethod(block_page)
    turn = staticmethod(turn)


@pytest.fixture(scope="session")
def kit() -> type[PageKit]:
    return PageKit
