"""Corrections of the automatic cataloguing by court staff, recorded with who and when (全程留痕).

The rules are ``domain.dossier``'s (move, split, merge, reclassify, reorder, rename, edit); this module
loads the dossier, applies one, stores the result and the correction record, and emits
``catalog.document.corrected`` with the 智能编目率 after it (吉高院通报29期).

``disclosure`` marks a document 依法不公开 (or open again): such material is withheld from readers whose
decision says so (法〔2016〕264号 三(六), ``domain.disclosure``).

``edit`` corrects a 卷内目录 entry's 题名, 日期 and/or 责任者 (what OCR misread or missed; archive's 核查
needs 日期 and 责任者). Like every correction it lives in the stored dossier, so a later batch (or a
re-scan) catalogued into the dossier leaves it in place; the fields people set are also listed in the
document's ``document_meta`` entry (``manual_fields``) for anything that re-reads metadata later.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from juanzong_shared.errors import Conflict, Invalid, NotFound
from juanzong_shared.events.catalog import DocumentCorrected

from juanzong_catalog.adapters.repository import Repository
from juanzong_catalog.domain import dossier as rules
from juanzong_catalog.domain.categories import Category, category_by_name

OPERATIONS = ("move", "split", "merge", "reclassify", "reorder", "rename", "edit", "disclosure")
EDIT_FIELDS = ("title", "date", "issuing_party")
CHINA = timezone(timedelta(hours=8), "CST")
"""Court time: a document dated today in 长春 is not in the future while it is still yesterday in UTC."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidCorrection(Invalid, code="validation"): ...


class CorrectionRefused(Conflict, code="correction-refused", title="更正无法执行"):
    """The dossier's rules refuse the correction (a page that is not there, the last page of a document …)."""


def parse_category(value: str | None, field: str = "category") -> Category | None:
    if value is None:
        return None
    try:
        return Category(value)
    except ValueError:
        found = category_by_name(value)
        if found is None:
            raise InvalidCorrection(field, f"未知的目录类别 {value!r} (unknown category)") from None
        return found


def _need(value: Any, field: str) -> Any:
    if value is None or value == "" or value == []:
        raise InvalidCorrection(field, f"操作需要 {field} (required for this operation)")
    return value


def parse_document_date(value: Any, at: datetime, field: str = "date") -> date:
    """An ISO date (yyyy-mm-dd) a document can bear: a real day, from 1949 up to today (court time)."""
    text = value.strip() if isinstance(value, str) else None
    if not text or not _ISO_DATE.fullmatch(text):
        raise InvalidCorrection(field, f"日期须为 yyyy-mm-dd 格式，收到 {value!r} (an ISO date is required)")
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise InvalidCorrection(field, f"日期 {text} 不存在 (no such day)") from None
    today = at.astimezone(CHINA).date()
    if parsed > today:
        raise InvalidCorrection(field, f"日期 {text} 晚于今天 {today.isoformat()} (a date in the future)")
    if parsed.year < 1949:
        raise InvalidCorrection(field, f"日期 {text} 早于1949年 (too early for a court dossier)")
    return parsed


def _edit(dossier: rules.Dossier, req: dict[str, Any], actor: str,
          at: datetime) -> tuple[rules.Dossier, rules.Correction]:
    document_id = _need(req.get("document_id"), "document_id")
    if all(req.get(f) is None for f in EDIT_FIELDS):
        reason = "操作需要 title、date、issuing_party 中至少一项 (at least one is required for edit)"
        raise InvalidCorrection("", reason, errors=[(f, reason) for f in EDIT_FIELDS])
    title, issuing_party = req.get("title"), req.get("issuing_party")
    if title is not None and not str(title).strip():
        raise InvalidCorrection("title", "题名不能为空 (title may not be blank)")
    if issuing_party is not None and not str(issuing_party).strip():
        raise InvalidCorrection("issuing_party", "责任者不能为空 (issuing_party may not be blank)")
    when = parse_document_date(req["date"], at) if req.get("date") is not None else None
    return rules.edit_entry(dossier, document_id, title=title, date=when, issuing_party=issuing_party,
                            actor=actor, at=at)


def _apply(dossier: rules.Dossier, op: str, req: dict[str, Any], actor: str,
           at: datetime) -> tuple[rules.Dossier, rules.Correction]:
    if op == "move":
        return rules.move_pages(dossier, _need(req.get("page_ids"), "page_ids"),
                                _need(req.get("to_document_id"), "to_document_id"), actor=actor, at=at,
                                position=req.get("position"))
    if op == "split":
        return rules.split_document(dossier, _need(req.get("document_id"), "document_id"),
                                    _need(req.get("at_page_id"), "at_page_id"), actor=actor, at=at,
                                    category=parse_category(req.get("category")), title=req.get("title"))
    if op == "merge":
        return rules.merge_documents(dossier, _need(req.get("document_ids"), "document_ids"), actor=actor, at=at)
    if op == "reclassify":
        category = parse_category(_need(req.get("category"), "category"))
        assert category is not None
        return rules.reclassify(dossier, _need(req.get("document_id"), "document_id"), category, actor=actor, at=at)
    if op == "reorder":
        position = req.get("position")
        if position is None:
            raise InvalidCorrection("position", "操作需要 position (required for reorder)")
        return rules.reorder(dossier, _need(req.get("document_id"), "document_id"), int(position), actor=actor,
                             at=at)
    if op == "rename":
        return rules.rename(dossier, _need(req.get("document_id"), "document_id"), _need(req.get("title"), "title"),
                            actor=actor, at=at)
    if op == "edit":
        return _edit(dossier, req, actor, at)
    if op == "disclosure":
        disclosable = req.get("disclosable")
        if not isinstance(disclosable, bool):
            raise InvalidCorrection("disclosable", "操作需要 disclosable (true/false) (required for disclosure)")
        return rules.set_disclosure(dossier, _need(req.get("document_id"), "document_id"), disclosable, actor=actor,
                                    at=at)
    raise InvalidCorrection("operation", f"未知操作 {op!r}，可用: {', '.join(OPERATIONS)}")


class Corrections:
    """Court staff's corrections, each in one unit of work run by ``transact`` (retried on a conflict)."""

    def __init__(self, transact: Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]) -> None:
        self.transact = transact

    async def correct(self, case_number: str, request: dict[str, Any], *, actor: str, actor_name: str | None = None,
                      court: str | None = None) -> dict[str, Any]:
        """Apply one correction; returns the record with the 智能编目率 after it."""
        return await self.transact(lambda uow: _correct(uow, case_number, request, actor=actor,
                                                        actor_name=actor_name, court=court))


async def _correct(uow: Any, case_number: str, request: dict[str, Any], *, actor: str, actor_name: str | None,
                   court: str | None) -> dict[str, Any]:
    repos: Repository = uow.repos
    loaded = await repos.load_dossier(case_number)
    if loaded is None:
        raise NotFound("", f"dossier {case_number} 不存在 (not found)")
    dossier, raw = loaded
    op = request["operation"]
    at = datetime.now(UTC)
    try:
        updated, correction = _apply(dossier, op, request, actor, at)
    except rules.CorrectionError as error:
        raise CorrectionRefused(op, str(error)) from None
    except KeyError as error:
        raise InvalidCorrection("operation", f"缺少字段 {error}") from None
    meta = dict(raw.get("document_meta") or {})
    for doc_id in correction.document_ids:  # a split's new part inherits the batch it came from
        if doc_id not in meta:
            source = next((meta[d] for d in correction.document_ids if d in meta), {})
            meta[doc_id] = {"batch_id": source.get("batch_id"), "split_basis": "manual", "parties": []}
    manual = {"edit": [f for f in EDIT_FIELDS if request.get(f) is not None], "rename": ["title"]}.get(op)
    if manual:  # the entry's fields a person set, for anything that re-reads metadata later
        doc_id = correction.document_ids[0]
        entry = dict(meta.get(doc_id) or {})
        entry["manual_fields"] = sorted(set(entry.get("manual_fields") or []) | set(manual))
        meta[doc_id] = entry
    await repos.save_dossier(updated, extra={"document_meta": meta})
    rate = rules.cataloguing_rate(updated)
    await repos.insert_correction({
        "_id": correction.correction_id, **correction.model_dump(mode="json"), "at": at, "case_number": case_number,
        "actor_name": actor_name, "request": request, "cataloguing_rate_after": round(rate.rate, 4)})
    uow.emit(DocumentCorrected(
        case_number=case_number, document_id=correction.document_ids[0] if correction.document_ids else "",
        operation=op, pages=len(correction.page_ids), by=actor, correction_id=correction.correction_id, at=at,
        dossier_pages=rate.total_pages, automatic_pages=rate.automatic_pages, cataloguing_rate=round(rate.rate, 4)),
        court=court, case_number=case_number)
    body = correction.model_dump(mode="json")
    body.update(actor_name=actor_name, cataloguing_rate={"total_pages": rate.total_pages,
                                                         "automatic_pages": rate.automatic_pages,
                                                         "rate": round(rate.rate, 4)})
    return body
