"""Render realistic Chinese court pages for the OCR benchmarks and sample cases.

The text comes from the court documents written for this project in
``juanzong_devstack/court_texts/`` (complaints, judgments, rulings, summonses,
notices, hearing records). Pages are laid out on A4 like court documents (title
centred, body indented two characters), then distorted the way scanning stations
distort them: skew, blur, noise, paper tint, red seals over the text, pages fed
upside down or sideways, JPEG artefacts, 200 or 300 dpi.

CLI::

    python bench/pagegen.py OUT_DIR --pages 24 --seed 7

writes ``page_000.png`` … plus ``truth.json`` ({file name: true text}) and
``pages.json`` (the recipe of every page, for reading results per condition).

The rendering functions are importable (``render_page``, ``layout_document``,
``find_font``, ``make_page_set``) so other code can build sample cases.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pydantic import BaseModel, ConfigDict, Field

A4_MM = (210.0, 297.0)
MM_PER_INCH = 25.4

FontKey = Literal["song", "hei", "kai"]

# Family names looked up inside the Debian font files (fonts-noto-cjk,
# fonts-wqy-zenhei, fonts-arphic-ukai); TTC collections hold several faces.
_FONT_CANDIDATES: dict[str, list[tuple[str, str]]] = {
    "song": [
        ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC"),
    ],
    "hei": [
        ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ],
    "kai": [
        ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN"),
    ],
}
_TITLE_FONT: dict[str, str] = {"song": "hei", "hei": "hei", "kai": "song"}


@dataclass(frozen=True)
class FontSpec:
    """One installed CJK face: style key, file and index inside a collection."""

    key: str
    path: str
    index: int
    family: str

    def at(self, size_px: int) -> ImageFont.FreeTypeFont:
        return _load_font(self.path, self.index, size_px)


@lru_cache(maxsize=64)
def _load_font(path: str, index: int, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size_px, index=index)


@lru_cache(maxsize=8)
def find_font(key: str) -> FontSpec:
    """Find the Song (宋体), Hei (黑体) or Kai (楷体) face installed by Debian's font packages."""
    for path, family in _FONT_CANDIDATES[key]:
        if not Path(path).exists():
            continue
        for index in range(12):
            try:
                name = ImageFont.truetype(path, 12, index=index).getname()[0]
            except OSError:
                break
            if name == family:
                return FontSpec(key=key, path=path, index=index, family=family)
    raise FileNotFoundError(
        f"no font for {key!r}: install fonts-noto-cjk fonts-wqy-zenhei fonts-arphic-ukai"
    )


class PageLayout(BaseModel):
    """Type sizes and margins in points/millimetres (GB/T 9704-like court layout)."""

    model_config = ConfigDict(frozen=True)

    body_pt: float = 14.0
    title_pt: float = 20.0
    line_spacing: float = 1.55
    margin_top_mm: float = 32.0
    margin_bottom_mm: float = 30.0
    margin_left_mm: float = 28.0
    margin_right_mm: float = 26.0
    indent_chars: int = 2


class PageLine(BaseModel):
    """One printed line; ``kind`` decides size and alignment."""

    model_config = ConfigDict(frozen=True)

    text: str
    kind: Literal["title", "center", "body", "first", "right"] = "body"


class Seal(BaseModel):
    """A red court seal (公章) stamped over the text; position as a fraction of the page."""

    model_config = ConfigDict(frozen=True)

    text: str = "吉林省长春市中级人民法院"
    cx: float = 0.6
    cy: float = 0.5
    diameter_mm: float = 42.0
    opacity: float = 0.85
    angle_degrees: float = 0.0


class Distortions(BaseModel):
    """What the scanner and the paper do to a page, applied in this order:
    paper tint, seals, skew, blur, noise, rotation (how the page was fed), JPEG."""

    model_config = ConfigDict(frozen=True)

    paper_rgb: tuple[int, int, int] = (255, 255, 255)
    seals: tuple[Seal, ...] = ()
    skew_degrees: float = 0.0
    blur_sigma_px: float = 0.0
    noise_sigma: float = 0.0
    rotation: Literal[0, 90, 180, 270] = 0
    jpeg_quality: int | None = None
    seed: int = 0


def px(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


def pt_px(points: float, dpi: int) -> int:
    return round(points / 72.0 * dpi)


def _page_size(dpi: int) -> tuple[int, int]:
    return px(A4_MM[0], dpi), px(A4_MM[1], dpi)


def wrap_paragraph(text: str, font: ImageFont.FreeTypeFont, width_px: int, first_indent_px: int) -> list[str]:
    """Break one paragraph into lines that fit ``width_px``; Chinese breaks between any characters,
    but a closing punctuation mark never starts a line (避头点)."""
    no_line_start = set("，。、；：？！）》」”’%")
    lines: list[str] = []
    current = ""
    limit = width_px - first_indent_px
    for ch in text:
        candidate = current + ch
        if current and font.getlength(candidate) > limit and ch not in no_line_start:
            lines.append(current)
            current = ch
            limit = width_px
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def read_document(name: str) -> list[str]:
    """Paragraphs of one bundled court document (first line is its heading)."""
    root = resources.files("juanzong_devstack") / "court_texts"
    text = (root / name).read_text(encoding="utf-8")
    return [p.strip() for p in text.splitlines() if p.strip()]


def list_documents() -> list[str]:
    root = resources.files("juanzong_devstack") / "court_texts"
    return sorted(p.name for p in root.iterdir() if p.name.endswith(".txt"))


_TITLE_WORDS = ("起诉状", "判决书", "裁定书", "调解书", "传票", "通知书", "笔录", "上诉状", "送达回证", "委托书")


def classify_paragraphs(paragraphs: Sequence[str]) -> list[PageLine]:
    """Court headings: the court's name and the document type are centred titles, the case number
    right under them is centred, signatures and dates at the end are right-aligned."""
    out: list[PageLine] = []
    for i, p in enumerate(paragraphs):
        head = i < 3 and len(p) <= 20
        if head and (p.endswith("法院") or p.endswith(_TITLE_WORDS)):
            out.append(PageLine(text=p, kind="title"))
        elif head and p.startswith("（") and p.endswith("号") or head and "号之" in p:
            out.append(PageLine(text=p, kind="center"))
        elif i >= len(paragraphs) - 4 and len(p) <= 16 and (
            "二〇" in p or "年" in p and "日" in p or "　" in p or p.startswith(("审判", "书记员", "法官助理"))
        ):
            out.append(PageLine(text=p, kind="right"))
        else:
            out.append(PageLine(text=p, kind="first"))
    return out


def layout_document(paragraphs: Sequence[str], font: FontSpec, dpi: int, layout: PageLayout) -> list[list[PageLine]]:
    """Wrap paragraphs into printed lines and split them into A4 pages."""
    width, height = _page_size(dpi)
    text_w = width - px(layout.margin_left_mm, dpi) - px(layout.margin_right_mm, dpi)
    text_h = height - px(layout.margin_top_mm, dpi) - px(layout.margin_bottom_mm, dpi)
    body = font.at(pt_px(layout.body_pt, dpi))
    indent = int(body.getlength("中") * layout.indent_chars)
    pages: list[list[PageLine]] = [[]]
    used = 0.0
    for para in classify_paragraphs(paragraphs):
        if para.kind == "title":
            pieces = [PageLine(text=para.text, kind="title")]
            line_h = pt_px(layout.title_pt, dpi) * layout.line_spacing
        else:
            first = indent if para.kind == "first" else 0
            wrapped = wrap_paragraph(para.text, body, text_w, first)
            kinds = [para.kind] + ["body" if para.kind == "first" else para.kind] * (len(wrapped) - 1)
            pieces = [PageLine(text=t, kind=k) for t, k in zip(wrapped, kinds)]
            line_h = pt_px(layout.body_pt, dpi) * layout.line_spacing
        for piece in pieces:
            if used + line_h > text_h and pages[-1]:
                pages.append([])
                used = 0.0
            pages[-1].append(piece)
            used += line_h
    return pages


def _draw_seal(size_px: int, seal: Seal, dpi: int, rng: np.random.Generator) -> Image.Image:
    """A round court seal: double ring, five-pointed star, court name on the upper arc."""
    d = size_px
    layer = Image.new("L", (d, d), 0)
    draw = ImageDraw.Draw(layer)
    ring = max(2, px(1.2, dpi))
    draw.ellipse([ring // 2, ring // 2, d - ring // 2 - 1, d - ring // 2 - 1], outline=255, width=ring)
    c = d / 2
    r_star = d * 0.17
    pts = []
    for k in range(10):
        r = r_star if k % 2 == 0 else r_star * 0.4
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(pts, fill=255)
    font = find_font("song").at(max(8, int(d * 0.11)))
    chars = list(seal.text)
    n = len(chars)
    span = math.radians(250)
    r_text = d / 2 - ring * 2.2 - d * 0.06
    for i, ch in enumerate(chars):
        a = -math.pi / 2 - span / 2 + span * (i + 0.5) / n
        glyph = Image.new("L", (int(d * 0.16), int(d * 0.16)), 0)
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        x = c + r_text * math.cos(a) - glyph.width / 2
        y = c + r_text * math.sin(a) - glyph.height / 2
        layer.paste(glyph, (int(x), int(y)), glyph)
    # Uneven stamping: ink is thinner in patches.
    mottle = rng.uniform(0.55, 1.0, size=(8, 8)).astype(np.float32)
    mottle = np.array(Image.fromarray((mottle * 255).astype(np.uint8)).resize((d, d), Image.BICUBIC), dtype=np.float32)
    alpha = np.asarray(layer, dtype=np.float32) * (mottle / 255.0) * seal.opacity
    out = Image.fromarray(alpha.clip(0, 255).astype(np.uint8))
    return out.rotate(seal.angle_degrees, resample=Image.BICUBIC)


def _stamp(page: Image.Image, seal: Seal, dpi: int, rng: np.random.Generator) -> Image.Image:
    d = px(seal.diameter_mm, dpi)
    alpha = np.asarray(_draw_seal(d, seal, dpi, rng), dtype=np.float32) / 255.0
    arr = np.asarray(page, dtype=np.float32)
    x0 = int(seal.cx * page.width - d / 2)
    y0 = int(seal.cy * page.height - d / 2)
    x1, y1 = max(0, x0), max(0, y0)
    x2, y2 = min(page.width, x0 + d), min(page.height, y0 + d)
    a = alpha[y1 - y0 : y2 - y0, x1 - x0 : x2 - x0, None]
    ink = np.array([214.0, 36.0, 44.0]) / 255.0
    region = arr[y1:y2, x1:x2]
    # Multiply blend: seal ink over black print leaves the print black.
    arr[y1:y2, x1:x2] = region * (1 - a + a * ink)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8))


def render_page(
    text_lines: Sequence[str | PageLine],
    font: FontSpec | str = "song",
    dpi: int = 300,
    distortions: Distortions | None = None,
    layout: PageLayout | None = None,
) -> Image.Image:
    """Render one A4 page (RGB, ``info['dpi']`` set) with the given lines and distortions.

    Plain strings are body lines; use :class:`PageLine` for titles, centred or right-aligned lines.
    """
    font = find_font(font) if isinstance(font, str) else font
    layout = layout or PageLayout()
    dist = distortions or Distortions()
    rng = np.random.default_rng(dist.seed)
    width, height = _page_size(dpi)
    page = Image.new("RGB", (width, height), dist.paper_rgb)
    draw = ImageDraw.Draw(page)
    body = font.at(pt_px(layout.body_pt, dpi))
    title = find_font(_TITLE_FONT[font.key]).at(pt_px(layout.title_pt, dpi))
    left = px(layout.margin_left_mm, dpi)
    right = width - px(layout.margin_right_mm, dpi)
    y = float(px(layout.margin_top_mm, dpi))
    indent = body.getlength("中") * layout.indent_chars
    ink = (22, 22, 26)
    for raw in text_lines:
        line = raw if isinstance(raw, PageLine) else PageLine(text=raw)
        f = title if line.kind == "title" else body
        size_pt = layout.title_pt if line.kind == "title" else layout.body_pt
        line_h = pt_px(size_pt, dpi) * layout.line_spacing
        w = f.getlength(line.text)
        if line.kind in ("title", "center"):
            x = (left + right - w) / 2
        elif line.kind == "right":
            x = right - w - body.getlength("中") * 2
        elif line.kind == "first":
            x = left + indent
        else:
            x = left
        draw.text((x, y + (line_h - pt_px(size_pt, dpi)) / 2), line.text, font=f, fill=ink)
        y += line_h
    for seal in dist.seals:
        page = _stamp(page, seal, dpi, rng)
    if dist.skew_degrees:
        page = page.rotate(dist.skew_degrees, resample=Image.BICUBIC, fillcolor=dist.paper_rgb)
    if dist.blur_sigma_px > 0:
        page = page.filter(ImageFilter.GaussianBlur(dist.blur_sigma_px))
    if dist.noise_sigma > 0:
        arr = np.asarray(page, dtype=np.float32)
        arr = arr + rng.normal(0.0, dist.noise_sigma, size=arr.shape[:2])[..., None]
        page = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
    if dist.rotation:
        # Content turned clockwise by `rotation` degrees (PIL rotates counter-clockwise).
        page = page.rotate(-dist.rotation, expand=True)
    if dist.jpeg_quality:
        buf = io.BytesIO()
        page.save(buf, format="JPEG", quality=dist.jpeg_quality)
        page = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    page.info["dpi"] = (dpi, dpi)
    return page


def page_text(lines: Sequence[str | PageLine]) -> str:
    return "\n".join(ln.text if isinstance(ln, PageLine) else ln for ln in lines)


class PageRecipe(BaseModel):
    """Everything needed to re-render one generated page."""

    model_config = ConfigDict(frozen=True)

    file: str
    document: str
    page_of_document: int
    font: str
    dpi: int
    layout: PageLayout
    distortions: Distortions
    tags: tuple[str, ...] = Field(default_factory=tuple)


_SEAL_NAMES = (
    "吉林省长春市中级人民法院",
    "吉林省长春市南关区人民法院",
    "长春市宏达建筑工程有限公司",
    "吉林省长春市朝阳区人民法院",
)
_TINTS = ((255, 255, 255), (250, 246, 236), (244, 240, 226), (248, 248, 244), (238, 236, 230))
# Rotation schedule: every eight pages hold one upside-down and two sideways pages.
_ROTATIONS = (0, 180, 0, 90, 0, 0, 270, 0)


def plan_pages(count: int, seed: int) -> list[PageRecipe]:
    """Choose document, font, dpi and distortions for ``count`` pages, deterministically from ``seed``.

    Fonts cycle Song/Hei/Kai; rotations follow a fixed schedule (1 in 8 upside down, 2 in 8
    sideways); about 40% are 200 dpi and about half carry a seal over the text.
    """
    rnd = random.Random(seed)
    docs = list_documents()
    fonts = ("song", "hei", "kai")
    recipes: list[PageRecipe] = []
    for i in range(count):
        doc = docs[(i + seed) % len(docs)]
        font = fonts[i % 3]
        dpi = 200 if rnd.random() < 0.4 else 300
        layout = PageLayout(body_pt=rnd.choice((12.0, 14.0, 14.0, 16.0)), line_spacing=rnd.choice((1.5, 1.6, 1.75)))
        pages = layout_document(read_document(doc), find_font(font), dpi, layout)
        page_no = rnd.randrange(len(pages))
        seals: list[Seal] = []
        if rnd.random() < 0.5:
            seals.append(
                Seal(
                    text=rnd.choice(_SEAL_NAMES),
                    cx=rnd.uniform(0.35, 0.7),
                    cy=rnd.uniform(0.2, 0.6) if len(pages[page_no]) > 12 else rnd.uniform(0.15, 0.3),
                    diameter_mm=rnd.uniform(38, 45),
                    opacity=rnd.uniform(0.7, 0.95),
                    angle_degrees=rnd.uniform(-25, 25),
                )
            )
        tags: list[str] = [font, f"{dpi}dpi"]
        rotation = _ROTATIONS[i % len(_ROTATIONS)]
        skew = rnd.choice((0.0, rnd.uniform(-3.0, 3.0), rnd.uniform(-1.5, 1.5)))
        blur = rnd.choice((0.0, 0.0, rnd.uniform(0.5, 1.1)))
        noise = rnd.choice((0.0, rnd.uniform(3, 9)))
        jpeg = rnd.choice((None, None, rnd.randint(45, 80)))
        if seals:
            tags.append("seal")
        if rotation:
            tags.append(f"rot{rotation}")
        if abs(skew) >= 0.5:
            tags.append("skew")
        if blur:
            tags.append("blur")
        if jpeg:
            tags.append("jpeg")
        recipes.append(
            PageRecipe(
                file=f"page_{i:03d}.{'jpg' if jpeg else 'png'}",
                document=doc,
                page_of_document=page_no,
                font=font,
                dpi=dpi,
                layout=layout,
                distortions=Distortions(
                    paper_rgb=rnd.choice(_TINTS),
                    seals=tuple(seals),
                    skew_degrees=round(skew, 2),
                    blur_sigma_px=round(blur, 2),
                    noise_sigma=round(noise, 1),
                    rotation=rotation,
                    jpeg_quality=jpeg,
                    seed=seed * 1000 + i,
                ),
                tags=tuple(tags),
            )
        )
    return recipes


def render_recipe(recipe: PageRecipe) -> tuple[Image.Image, str]:
    """Render one planned page; returns the image and its true text."""
    font = find_font(recipe.font)
    pages = layout_document(read_document(recipe.document), font, recipe.dpi, recipe.layout)
    lines = pages[recipe.page_of_document]
    # JPEG artefacts are produced by saving the file itself, not twice.
    dist = recipe.distortions.model_copy(update={"jpeg_quality": None})
    return render_page(lines, font, recipe.dpi, dist, recipe.layout), page_text(lines)


def make_page_set(out_dir: Path, count: int, seed: int) -> dict[str, str]:
    """Write ``count`` page images, ``truth.json`` and ``pages.json`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    truth: dict[str, str] = {}
    recipes = plan_pages(count, seed)
    for recipe in recipes:
        image, text = render_recipe(recipe)
        path = out_dir / recipe.file
        if recipe.distortions.jpeg_quality:
            image.save(path, format="JPEG", quality=recipe.distortions.jpeg_quality, dpi=(recipe.dpi, recipe.dpi))
        else:
            image.save(path, format="PNG", dpi=(recipe.dpi, recipe.dpi))
        truth[recipe.file] = text
    (out_dir / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "pages.json").write_text(
        json.dumps([r.model_dump(mode="json") for r in recipes], ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return truth


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render synthetic Chinese court pages with truth text.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    truth = make_page_set(args.out_dir, args.pages, args.seed)
    chars = sum(len(t) for t in truth.values())
    print(f"wrote {len(truth)} pages ({chars} characters of truth) to {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
