"""The electronic dossier's structure: documents in standard order, page numbers, 卷内目录, corrections.

* Order: documents sit in the order of 立卷归档办法 第十二条 (民事一审) / 第十三条 (民事二审), split into
  正卷 and 副卷; documents of the same category keep the order they were formed (scan order,
  第十四条). New batches are inserted where the standard puts them, leaving any manual reordering
  alone; :func:`arrange` re-sorts everything (自动归目 at closing, 长中法〔2018〕129号 第八条).
* Page numbers: electronic page numbers per volume from 1; cover, 卷内目录, 备考表 and 卷底 carry none
  (立卷归档办法, 卷内页号; 法〔2016〕264号 三(九): 电子卷宗自动生成电子页码).
* Corrections are pure: each returns a new :class:`Dossier` and the :class:`Correction` it recorded
  (who, when, what). Pages whose placement or category a person corrected no longer count toward the
  智能编目率 (吉高院通报29期).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .cataloguing import CataloguedDocument
from .categories import CATEGORIES, STANDARD_ORDER, UNNUMBERED, CaseKind, Category, Volume, order_index
from .metadata import UNRECOGNISED_TITLE

__all__ = [
    "CatalogueEntry",
    "CataloguingRate",
    "CompiledDossier",
    "CompiledVolume",
    "Correction",
    "CorrectionError",
    "CorrectionKind",
    "Dossier",
    "DossierDocument",
    "PageSlot",
    "add_documents",
    "arrange",
    "cataloguing_rate",
    "compile_dossier",
    "edit_entry",
    "merge_documents",
    "move_pages",
    "new_dossier",
    "reclassify",
    "rename",
    "reorder",
    "set_disclosure",
    "split_document",
    "standard_key",
]


class CorrectionError(ValueError):
    """A correction that cannot be applied; the message is for court staff."""


class DossierDocument(BaseModel):
    """One catalogue entry's worth of pages. ``category`` is None while it waits for review."""

    model_config = ConfigDict(frozen=True)

    document_id: str
    category: Category | None
    candidate: Category
    title: str
    issuing_party: str | None = None
    date: dt.date | None = None
    case_number: str | None = None
    page_ids: tuple[str, ...] = Field(min_length=1)
    confidence: float = 1.0
    basis: str = "manual"
    # False: 依法不公开的材料 (another party's secrets, privacy), set by a cataloguer; withheld from readers whose
    # decision carries ``exclude_undisclosable`` (法〔2016〕264号 三(六))
    disclosable: bool = True

    @property
    def needs_review(self) -> bool:
        return self.category is None

    @property
    def volume(self) -> Volume | None:
        return CATEGORIES[self.category].volume if self.category else None

    @classmethod
    def from_catalogued(cls, doc: CataloguedDocument, document_id: str) -> DossierDocument:
        category = None if doc.needs_review else doc.classification.category
        return cls(document_id=document_id, category=category, candidate=doc.classification.candidate,
                   title=doc.metadata.title, issuing_party=doc.metadata.issuing_party, date=doc.metadata.date,
                   case_number=doc.metadata.case_number, page_ids=doc.page_ids, confidence=doc.confidence,
                   basis=doc.classification.basis)


class CorrectionKind(StrEnum):
    MOVE = "move"  # 移动页面
    SPLIT = "split"  # 拆分
    MERGE = "merge"  # 合并
    RECLASSIFY = "reclassify"  # 重新归目
    REORDER = "reorder"  # 调整顺序
    RENAME = "rename"  # 修改题名
    EDIT = "edit"  # 修改目录项: 题名、日期、责任者
    DISCLOSURE = "disclosure"  # 设定是否依法不公开 (法〔2016〕264号 三(六))


class Correction(BaseModel):
    """A person's correction of the automatic cataloguing (全程留痕)."""

    model_config = ConfigDict(frozen=True)

    correction_id: str
    kind: CorrectionKind
    actor: str
    at: dt.datetime
    document_ids: tuple[str, ...]
    page_ids: tuple[str, ...] = ()
    before: str = ""
    after: str = ""

    @property
    def affects_cataloguing(self) -> bool:
        """A new title, date or issuer is an edit of the 卷内目录's wording, not of placement or category
        (吉高院通报29期 智能编目率)."""
        return self.kind not in (CorrectionKind.RENAME, CorrectionKind.EDIT, CorrectionKind.DISCLOSURE)


class Dossier(BaseModel):
    """A case's electronic dossier: documents in their current order, and every correction made."""

    model_config = ConfigDict(frozen=True)

    dossier_id: str
    case_number: str
    case_kind: CaseKind
    documents: tuple[DossierDocument, ...] = ()
    corrections: tuple[Correction, ...] = ()

    def document(self, document_id: str) -> DossierDocument:
        for d in self.documents:
            if d.document_id == document_id:
                return d
        raise CorrectionError(f"卷宗中没有材料 {document_id}")

    def document_of_page(self, page_id: str) -> DossierDocument:
        for d in self.documents:
            if page_id in d.page_ids:
                return d
        raise CorrectionError(f"卷宗中没有页面 {page_id}")

    @property
    def page_ids(self) -> tuple[str, ...]:
        return tuple(p for d in self.documents for p in d.page_ids)

    @property
    def corrected_page_ids(self) -> frozenset[str]:
        return frozenset(p for c in self.corrections if c.affects_cataloguing for p in c.page_ids)


def new_dossier(dossier_id: str, case_number: str, case_kind: CaseKind) -> Dossier:
    return Dossier(dossier_id=dossier_id, case_number=case_number, case_kind=case_kind)


# ------------------------------------------------------------------------------------------ order


def _is_original_trial_ruling(doc: DossierDocument, dossier: Dossier) -> bool:
    """立卷归档办法 第十三条(4): the 原审 judgment sits after the transfer letter in a 二审 volume."""
    return (dossier.case_kind is CaseKind.CIVIL_SECOND_INSTANCE and doc.category is Category.JUDGMENT
            and doc.case_number is not None and doc.case_number != dossier.case_number
            and "初" in doc.case_number)


def standard_key(doc: DossierDocument, dossier: Dossier) -> tuple[int, float]:
    """(volume, position in the standard order) — 立卷归档办法 第十二条/第十三条/第十四条.

    Documents awaiting review sort after everything (they are not filed yet).
    """
    if doc.category is None:
        return (9, 0.0)
    volume = CATEGORIES[doc.category].volume
    vol_rank = 0 if volume is Volume.MAIN else 1
    if _is_original_trial_ruling(doc, dossier):
        order = STANDARD_ORDER[dossier.case_kind][Volume.MAIN]
        return (vol_rank, order.index(Category.APPEAL_TRANSFER_LETTER) + 0.5)
    return (vol_rank, order_index(dossier.case_kind, doc.category, volume))


def arrange(dossier: Dossier) -> Dossier:
    """Sort every document by the standard; same-category documents keep formation order (stable)."""
    docs = sorted(dossier.documents, key=lambda d: standard_key(d, dossier))
    return dossier.model_copy(update={"documents": tuple(docs)})


def _insert_by_standard(docs: list[DossierDocument], doc: DossierDocument, dossier: Dossier) -> None:
    key = standard_key(doc, dossier)
    pos = len(docs)
    for i in range(len(docs) - 1, -1, -1):
        if standard_key(docs[i], dossier) <= key:
            pos = i + 1
            break
    else:
        pos = 0
    docs.insert(pos, doc)


def add_documents(dossier: Dossier, new_docs: Iterable[DossierDocument]) -> Dossier:
    """Insert documents where the standard puts them, after those already there (formation order),
    without disturbing the order of the existing ones."""
    docs = list(dossier.documents)
    known = {d.document_id for d in docs}
    pages = {p for d in docs for p in d.page_ids}
    for doc in new_docs:
        if doc.document_id in known:
            raise CorrectionError(f"材料 {doc.document_id} 已在卷宗中")
        if pages.intersection(doc.page_ids):
            raise CorrectionError(f"材料 {doc.document_id} 的页面已在卷宗中")
        _insert_by_standard(docs, doc, dossier)
        known.add(doc.document_id)
        pages.update(doc.page_ids)
    return dossier.model_copy(update={"documents": tuple(docs)})


# --------------------------------------------------------------------------------------- compile


class PageSlot(BaseModel):
    """One page of a compiled volume; ``generated`` slots are the cover/catalogue/备考表/卷底 the
    system produces when none was scanned."""

    model_config = ConfigDict(frozen=True)

    role: Category | None  # an unnumbered part, or None for a content page
    page_id: str | None = None
    document_id: str | None = None
    page_number: int | None = None
    generated: bool = False


class CatalogueEntry(BaseModel):
    """A line of the 卷内目录: 序号, 题名, 责任者, 日期, 页号."""

    model_config = ConfigDict(frozen=True)

    seq: int
    document_id: str
    title: str
    issuing_party: str | None
    date: dt.date | None
    first_page: int
    last_page: int
    category: Category

    @property
    def page_range(self) -> str:
        return str(self.first_page) if self.first_page == self.last_page else f"{self.first_page}-{self.last_page}"


class CompiledVolume(BaseModel):
    model_config = ConfigDict(frozen=True)

    volume: Volume
    pages: tuple[PageSlot, ...]
    catalogue: tuple[CatalogueEntry, ...]

    @property
    def numbered_pages(self) -> int:
        return sum(1 for p in self.pages if p.page_number is not None)


class CompiledDossier(BaseModel):
    model_config = ConfigDict(frozen=True)

    volumes: tuple[CompiledVolume, ...]
    review_queue: tuple[DossierDocument, ...] = ()

    def volume(self, volume: Volume) -> CompiledVolume | None:
        return next((v for v in self.volumes if v.volume is volume), None)


def _unnumbered_slots(part: Category, docs: Sequence[DossierDocument]) -> list[PageSlot]:
    scanned = [d for d in docs if d.category is part]
    if not scanned:
        return [PageSlot(role=part, generated=True)]
    return [PageSlot(role=part, page_id=p, document_id=d.document_id) for d in scanned for p in d.page_ids]


def compile_dossier(dossier: Dossier) -> CompiledDossier:
    """Volumes with page numbers and the 卷内目录 (立卷归档办法 卷内页号; 法〔2016〕264号 三(九)).

    Numbering runs per volume from 1 over content pages only; cover, 卷内目录, 备考表 and 卷底 are
    unnumbered wherever they were scanned. A 副卷 is produced only when it has content.
    """
    volumes: list[CompiledVolume] = []
    for volume in (Volume.MAIN, Volume.SECONDARY):
        docs = [d for d in dossier.documents if d.category is not None and d.volume is volume]
        content = [d for d in docs if d.category not in UNNUMBERED]
        if volume is Volume.SECONDARY and not content:
            continue
        slots = _unnumbered_slots(Category.COVER, docs) + _unnumbered_slots(Category.CATALOGUE, docs)
        entries: list[CatalogueEntry] = []
        number = 0
        for seq, doc in enumerate(content, start=1):
            first = number + 1
            for page_id in doc.page_ids:
                number += 1
                slots.append(PageSlot(role=None, page_id=page_id, document_id=doc.document_id, page_number=number))
            entries.append(CatalogueEntry(seq=seq, document_id=doc.document_id, title=doc.title,
                                          issuing_party=doc.issuing_party, date=doc.date, first_page=first,
                                          last_page=number, category=doc.category))  # type: ignore[arg-type]
        slots += _unnumbered_slots(Category.REMARKS_SHEET, docs) + _unnumbered_slots(Category.BACK_COVER, docs)
        volumes.append(CompiledVolume(volume=volume, pages=tuple(slots), catalogue=tuple(entries)))
    review = tuple(d for d in dossier.documents if d.category is None)
    return CompiledDossier(volumes=tuple(volumes), review_queue=review)


# ------------------------------------------------------------------------------------ corrections


def _record(dossier: Dossier, docs: Sequence[DossierDocument], kind: CorrectionKind, actor: str, at: dt.datetime,
            document_ids: Sequence[str], page_ids: Sequence[str], before: str = "",
            after: str = "") -> tuple[Dossier, Correction]:
    if not actor:
        raise CorrectionError("更正必须记录操作人")
    correction = Correction(correction_id=f"{dossier.dossier_id}-c{len(dossier.corrections) + 1}", kind=kind,
                            actor=actor, at=at, document_ids=tuple(document_ids), page_ids=tuple(page_ids),
                            before=before, after=after)
    updated = dossier.model_copy(update={"documents": tuple(docs),
                                         "corrections": dossier.corrections + (correction,)})
    return updated, correction


def _fresh_id(dossier: Dossier, base: str) -> str:
    existing = {d.document_id for d in dossier.documents}
    n = 2
    candidate = f"{base}-{n}"
    while candidate in existing:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def move_pages(dossier: Dossier, page_ids: Sequence[str], to_document_id: str, *, actor: str, at: dt.datetime,
               position: int | None = None) -> tuple[Dossier, Correction]:
    """Move pages (in the given order) into another document at ``position`` (default: the end).
    A document left without pages disappears."""
    if not page_ids:
        raise CorrectionError("未选择要移动的页面")
    target = dossier.document(to_document_id)
    sources = {dossier.document_of_page(p).document_id for p in page_ids}
    moving = set(page_ids)
    docs: list[DossierDocument] = []
    for d in dossier.documents:
        kept = tuple(p for p in d.page_ids if p not in moving)
        if d.document_id == target.document_id:
            pos = len(kept) if position is None else max(0, min(position, len(kept)))
            kept = kept[:pos] + tuple(page_ids) + kept[pos:]
        if kept:
            docs.append(d.model_copy(update={"page_ids": kept}))
    return _record(dossier, docs, CorrectionKind.MOVE, actor, at, sorted(sources | {to_document_id}), page_ids,
                   before=",".join(sorted(sources)), after=to_document_id)


def split_document(dossier: Dossier, document_id: str, at_page_id: str, *, actor: str, at: dt.datetime,
                   category: Category | None = None, title: str | None = None) -> tuple[Dossier, Correction]:
    """Split a document before ``at_page_id``; the second part follows the first, keeping its
    category unless another is given."""
    doc = dossier.document(document_id)
    if at_page_id not in doc.page_ids or doc.page_ids.index(at_page_id) == 0:
        raise CorrectionError("拆分位置必须是该材料第一页之后的某一页")
    i = doc.page_ids.index(at_page_id)
    new_cat = category or doc.category
    second = doc.model_copy(update={
        "document_id": _fresh_id(dossier, document_id), "page_ids": doc.page_ids[i:], "category": new_cat,
        "candidate": new_cat or doc.candidate,
        "title": title or (CATEGORIES[new_cat].name_zh if category else doc.title), "confidence": 1.0,
        "basis": "manual"})
    first = doc.model_copy(update={"page_ids": doc.page_ids[:i]})
    docs: list[DossierDocument] = []
    for d in dossier.documents:
        docs.extend((first, second) if d.document_id == document_id else (d,))
    return _record(dossier, docs, CorrectionKind.SPLIT, actor, at, (document_id, second.document_id),
                   second.page_ids, before=document_id, after=f"{first.document_id},{second.document_id}")


def merge_documents(dossier: Dossier, document_ids: Sequence[str], *, actor: str,
                    at: dt.datetime) -> tuple[Dossier, Correction]:
    """Merge documents into the first one named, pages appended in the order given."""
    if len(document_ids) < 2 or len(set(document_ids)) != len(document_ids):
        raise CorrectionError("合并需要至少两份不同的材料")
    parts = [dossier.document(i) for i in document_ids]
    head, rest = parts[0], parts[1:]
    absorbed = tuple(p for d in rest for p in d.page_ids)
    # material closed by law stays closed when merged into another document
    merged = head.model_copy(update={"page_ids": head.page_ids + absorbed,
                                     "disclosable": all(d.disclosable for d in parts)})
    drop = {d.document_id for d in rest}
    docs = [merged if d.document_id == head.document_id else d for d in dossier.documents if d.document_id not in drop]
    return _record(dossier, docs, CorrectionKind.MERGE, actor, at, document_ids, absorbed,
                   before=",".join(document_ids), after=head.document_id)


def reclassify(dossier: Dossier, document_id: str, category: Category, *, actor: str,
               at: dt.datetime) -> tuple[Dossier, Correction]:
    """File a document under ``category`` (also how a review-queue item is resolved, even when the
    suggestion was right). A changed category moves it to that category's standard position."""
    doc = dossier.document(document_id)
    old_name = CATEGORIES[doc.category].name_zh if doc.category else "待审核"
    generic = doc.title == UNRECOGNISED_TITLE or (doc.candidate is not category and doc.title in (
        CATEGORIES[doc.candidate].name_zh, *CATEGORIES[doc.candidate].titles))
    updated = doc.model_copy(update={
        "category": category, "candidate": category, "confidence": 1.0, "basis": "manual",
        "title": CATEGORIES[category].name_zh if generic else doc.title})
    if doc.category is not category:  # a new category has its own place in the standard order
        docs = [d for d in dossier.documents if d.document_id != document_id]
        _insert_by_standard(docs, updated, dossier)
    else:
        docs = [updated if d.document_id == document_id else d for d in dossier.documents]
    return _record(dossier, docs, CorrectionKind.RECLASSIFY, actor, at, (document_id,), doc.page_ids,
                   before=old_name, after=CATEGORIES[category].name_zh)


def reorder(dossier: Dossier, document_id: str, position: int, *, actor: str,
            at: dt.datetime) -> tuple[Dossier, Correction]:
    """Put a filed document at ``position`` (0-based) among the documents of its volume."""
    doc = dossier.document(document_id)
    if doc.category is None:
        raise CorrectionError("待审核材料须先归目再调整顺序")
    same = [d for d in dossier.documents if d.volume is doc.volume and d.document_id != document_id]
    if not 0 <= position <= len(same):
        raise CorrectionError(f"位置 {position} 超出范围")
    before = [d.document_id for d in dossier.documents if d.volume is doc.volume].index(document_id)
    same.insert(position, doc)
    it = iter(same)
    docs = [next(it) if d.volume is doc.volume else d for d in dossier.documents]
    return _record(dossier, docs, CorrectionKind.REORDER, actor, at, (document_id,), doc.page_ids,
                   before=str(before), after=str(position))


def rename(dossier: Dossier, document_id: str, title: str, *, actor: str,
           at: dt.datetime) -> tuple[Dossier, Correction]:
    """Change a document's title in the 卷内目录; placement and category are untouched."""
    title = title.strip()
    if not title:
        raise CorrectionError("题名不能为空")
    doc = dossier.document(document_id)
    docs = [d.model_copy(update={"title": title}) if d.document_id == document_id else d for d in dossier.documents]
    return _record(dossier, docs, CorrectionKind.RENAME, actor, at, (document_id,), doc.page_ids, before=doc.title,
                   after=title)


def _entry_text(title: str | None, date: dt.date | None, issuing_party: str | None, fields: Iterable[str]) -> str:
    shown = {"title": f"题名：{title or ''}", "date": f"日期：{date.isoformat() if date else ''}",
             "issuing_party": f"责任者：{issuing_party or ''}"}
    return "；".join(shown[f] for f in fields)


def edit_entry(dossier: Dossier, document_id: str, *, title: str | None = None, date: dt.date | None = None,
               issuing_party: str | None = None, actor: str, at: dt.datetime) -> tuple[Dossier, Correction]:
    """Correct a document's 卷内目录 entry — 题名, 日期 (the date it bears) and/or 责任者 — where OCR
    misread or missed them; fields left None keep their value. Placement and category are untouched.
    The record's ``before``/``after`` show the fields changed (``日期：2025-11-03；责任者：张三``)."""
    changes: dict[str, object] = {}
    if title is not None:
        if not title.strip():
            raise CorrectionError("题名不能为空")
        changes["title"] = title.strip()
    if date is not None:
        changes["date"] = date
    if issuing_party is not None:
        if not issuing_party.strip():
            raise CorrectionError("责任者不能为空")
        changes["issuing_party"] = issuing_party.strip()
    if not changes:
        raise CorrectionError("未指定要修改的题名、日期或责任者")
    doc = dossier.document(document_id)
    updated = doc.model_copy(update=changes)
    docs = [updated if d.document_id == document_id else d for d in dossier.documents]
    return _record(dossier, docs, CorrectionKind.EDIT, actor, at, (document_id,), doc.page_ids,
                   before=_entry_text(doc.title, doc.date, doc.issuing_party, changes),
                   after=_entry_text(updated.title, updated.date, updated.issuing_party, changes))


def set_disclosure(dossier: Dossier, document_id: str, disclosable: bool, *, actor: str,
                   at: dt.datetime) -> tuple[Dossier, Correction]:
    """Mark a document as closed by law (依法不公开) or open again; placement and category are untouched.
    法〔2016〕264号 三(六): litigants and their lawyers browse the e-dossier without such material."""
    doc = dossier.document(document_id)
    if doc.disclosable is disclosable:
        raise CorrectionError("该材料已是" + ("可公开" if disclosable else "依法不公开") + "状态")
    docs = [d.model_copy(update={"disclosable": disclosable}) if d.document_id == document_id else d
            for d in dossier.documents]
    label = {True: "可公开", False: "依法不公开"}
    return _record(dossier, docs, CorrectionKind.DISCLOSURE, actor, at, (document_id,), doc.page_ids,
                   before=label[doc.disclosable], after=label[disclosable])


# -------------------------------------------------------------------------------------- indicator


class CataloguingRate(BaseModel):
    """智能编目率 (吉高院通报29期): pages catalogued by the machine and never corrected / all pages."""

    model_config = ConfigDict(frozen=True)

    total_pages: int
    automatic_pages: int

    @property
    def rate(self) -> float:
        return self.automatic_pages / self.total_pages if self.total_pages else 0.0


def cataloguing_rate(dossier: Dossier) -> CataloguingRate:
    """吉高院通报29期 智能编目率. A page counts as automatic when no correction moved, split, merged,
    reordered or reclassified it (renaming or editing the entry does not count) and it is not still
    awaiting review."""
    corrected = dossier.corrected_page_ids
    total = 0
    automatic = 0
    for d in dossier.documents:
        for p in d.page_ids:
            total += 1
            if d.category is not None and p not in corrected:
                automatic += 1
    return CataloguingRate(total_pages=total, automatic_pages=automatic)
