"""电子卷宗核查 and 组卷质检: the rules the assistance centre applies to the catalogued e-dossier.

The archive sees the dossier as catalog compiled it (:class:`StagedDossier`: volumes → documents →
pages with their object-storage keys and QC/OCR provenance). The checks:

- 吉高法〔2020〕11号 第三条(七): 核查 of the e-dossier after 立卷 — here: every page passed image QC,
  the catalogue is complete (no document awaiting cataloguing, every entry has 题名/类别/日期/责任者),
  counts and page numbers are consistent;
- 长中法〔2018〕129号 第九条: the e-dossier equals the paper file in 内容、数量、顺序 — compared with the paper
  list (材料清单) the reviewer enters;
- 法〔2016〕264号 二(五): 数据完整度 and 图像文件清晰度 are part of the quality review.

Pure: returns findings (Chinese sentences, each naming its rule); empty = passes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field

from juanzong_archive.domain.dossier import OcrRecord, QcRecord, VolumeKind
from juanzong_archive.domain.metadata_rules import PageSpan, page_sequence_problems

RULE_REVIEW = "吉高法〔2020〕11号 第三条(七)"
RULE_PAPER = "长中法〔2018〕129号 第九条"


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class StagedPage(_Value):
    page_id: str
    number: int | None  # electronic page number; None for unnumbered parts
    bucket: str
    pdf_key: str
    qc: QcRecord | None = None
    qc_problem: str | None = None  # why the QC record could not be read
    ocr: OcrRecord | None = None


class StagedDocument(_Value):
    document_id: str | None = None
    title: str = ""
    category: str = ""
    date: dt.date | None = None
    issuer: str = ""
    first_page: int | None = None
    last_page: int | None = None
    pages: tuple[StagedPage, ...] = ()


class StagedVolume(_Value):
    kind: VolumeKind
    book_number: int = 1
    documents: tuple[StagedDocument, ...] = ()


class StagedDossier(_Value):
    """The e-dossier as catalog compiled it, and what catalog knows that archiving needs."""

    case_number: str
    volumes: tuple[StagedVolume, ...] = ()
    pending_documents: tuple[str, ...] = ()  # documents awaiting cataloguing (review queue)
    case_hints: dict = Field(default_factory=dict)  # case metadata catalog knows (案由, 当事人 …)

    @property
    def page_count(self) -> int:
        return sum(len(d.pages) for v in self.volumes for d in v.documents)

    @property
    def document_count(self) -> int:
        return sum(len(v.documents) for v in self.volumes)


class PaperItem(_Value):
    """One line of the paper file's 材料清单 / 卷内目录, in paper order."""

    title: str = Field(min_length=1, examples=["民事判决书"])
    pages: int | None = Field(None, ge=1, examples=[8])


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s（）()【】\[\]\d]+", "", text)


# Materials that bear no date of their own (an identity card copy, a piece of evidence): the 卷内目录
# leaves their 日期 empty, so 核查 does not ask for one.
UNDATED_CATEGORIES = frozenset({"身份证明", "证据材料"})


def catalogue_findings(dossier: StagedDossier) -> list[str]:
    """The catalogue is complete: nothing awaits cataloguing, every entry carries its items."""
    findings: list[str] = []
    if dossier.pending_documents:
        shown = "、".join(dossier.pending_documents[:5])
        findings.append(f"有 {len(dossier.pending_documents)} 份材料尚未编目归目（{shown}）（{RULE_REVIEW}）")
    if not any(v.kind is VolumeKind.MAIN and v.documents for v in dossier.volumes):
        findings.append(f"电子卷宗没有正卷材料（{RULE_REVIEW}）")
    for volume in dossier.volumes:
        for index, doc in enumerate(volume.documents, start=1):
            label = f"{volume.kind.value}第 {index} 件“{doc.title or '（无题名）'}”"
            dated = doc.category not in UNDATED_CATEGORIES
            missing = [name for name, value in (("题名", doc.title), ("类别", doc.category),
                                                ("日期", doc.date if dated else True), ("责任者", doc.issuer))
                       if not value]
            if missing:
                findings.append(f"{label}目录项缺少{'、'.join(missing)}（{RULE_REVIEW}）")
            if not doc.pages:
                findings.append(f"{label}没有页面（{RULE_REVIEW}）")
    return findings


def quality_findings(dossier: StagedDossier) -> list[str]:
    """Every page passed image QC (法〔2016〕264号 二(五); 吉高法〔2020〕11号 第三条(七))."""
    findings: list[str] = []
    seen: set[str] = set()
    for volume in dossier.volumes:
        for doc in volume.documents:
            for page in doc.pages:
                where = f"{volume.kind.value}第 {page.number or '?'} 页（{doc.title}，{page.page_id}）"
                if page.qc is None:
                    findings.append(f"{where}没有可用的图像质检记录：{page.qc_problem or '缺少质检记录'}（{RULE_REVIEW}）")
                elif not page.qc.passed:
                    findings.append(f"{where}未通过图像质检（{RULE_REVIEW}）")
                if page.page_id in seen:
                    findings.append(f"页面 {page.page_id} 在卷宗中出现两次（{RULE_REVIEW}）")
                seen.add(page.page_id)
    return findings


def count_findings(dossier: StagedDossier) -> list[str]:
    """Electronic page numbers run 1..n per volume; each entry's page range matches its pages."""
    findings: list[str] = []
    for volume in dossier.volumes:
        label = f"{volume.kind.value}第 {volume.book_number} 册"
        spans: list[PageSpan] = []
        for doc in volume.documents:
            numbers = [p.number for p in doc.pages]
            if any(n is None for n in numbers):
                findings.append(f"{label}“{doc.title}”有未编电子页码的页面（{RULE_REVIEW}）")
                continue
            if numbers != sorted(numbers):
                findings.append(f"{label}“{doc.title}”页面顺序与页码不一致（{RULE_REVIEW}）")
            first = doc.first_page if doc.first_page is not None else (min(numbers) if numbers else 1)
            last = doc.last_page if doc.last_page is not None else (max(numbers) if numbers else first)
            if numbers and (numbers[0] != first or numbers[-1] != last):
                findings.append(f"{label}“{doc.title}”目录页号 {first}–{last} 与页面页码 "
                                f"{numbers[0]}–{numbers[-1]} 不符（{RULE_REVIEW}）")
            spans.append(PageSpan(doc.title, first, max(last, first), len(doc.pages)))
        findings += [f"{p}（{RULE_REVIEW}）" for p in page_sequence_problems(label, spans)]
    return findings


def paper_findings(dossier: StagedDossier, paper: list[PaperItem] | tuple[PaperItem, ...]) -> list[str]:
    """The e-dossier equals the paper file in content, count and order (长中法〔2018〕129号 第九条)."""
    if not paper:
        return []
    findings: list[str] = []
    docs = [d for v in dossier.volumes for d in v.documents]
    if len(docs) != len(paper):
        findings.append(f"电子卷宗 {len(docs)} 件，纸质材料清单 {len(paper)} 件，数量不一致（{RULE_PAPER}）")
    for index, (doc, item) in enumerate(zip(docs, paper, strict=False), start=1):
        if _norm(doc.title) != _norm(item.title):
            findings.append(f"第 {index} 件：电子卷宗为“{doc.title}”，纸质材料为“{item.title}”，内容或顺序不一致"
                            f"（{RULE_PAPER}）")
        elif item.pages is not None and item.pages != len(doc.pages):
            findings.append(f"第 {index} 件“{doc.title}”：电子 {len(doc.pages)} 页，纸质 {item.pages} 页，页数不一致"
                            f"（{RULE_PAPER}）")
    return findings


def review_findings(dossier: StagedDossier, paper: list[PaperItem] | tuple[PaperItem, ...] = ()) -> list[str]:
    """All findings of 电子卷宗核查 (empty = 核查合格)."""
    return (catalogue_findings(dossier) + quality_findings(dossier) + count_findings(dossier)
            + paper_findings(dossier, paper))
