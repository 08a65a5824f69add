"""catalog's own MongoDB collections: pages, batches, dossiers, corrections, marks, cases, search lines.

* ``pages`` — one per page (``_id`` = page_id): where scan-ocr put it, its OCR text and lines.
* ``batches`` — one per catalogued batch (``_id`` = batch_id): the cataloguing result in brief.
* ``dossiers`` — one per case (``_id`` = case number): the domain :class:`Dossier` (documents in
  order, corrections) plus per-document extras (parties, alternatives, batch).
* ``corrections`` — one per correction, who and when (全程留痕); the dossier embeds them too.
* ``marks`` — a reader's personal marks and notes (网上阅卷), private to that reader.
* ``cases`` — what intake's ``case.registered`` said (court, type, panel, 涉密, 第十四条 scope) and whether
  archive archived the case (``archive.archived``): pages of a 涉密, out-of-scope or archived case are refused.
* ``search_lines`` — the CJK search index: one document per OCR line with its gram list
  (``domain.search_index``); a multikey index on ``grams`` answers ``$all`` queries. Searches inside
  one dossier are answered from a per-process in-memory index built from the stored pages
  (``service_layer.search_cache``); this collection serves the cross-dossier search.
* ``batch_progress`` — one per batch being received (``_id`` = batch_id): every stored page and the
  ``scan.batch.completed`` event write it, so the two meet whatever order they arrive in (the
  completion's counts are kept until the last page is stored).

A dossier carries ``version`` (incremented on every save) and ``updated_at``, mirrored in the same
write into a tiny ``dossier_stamps`` document (reading two fields of a 2,000-page dossier document
costs the embedded server several ms; the stamp document well under one); in-memory views of the
dossier (search index, page map) are valid while the stamp is unchanged.

Writes go through :class:`Repository`, made per unit of work with its session (``repositories``); the
read side (search, the dossier views) uses the module's functions on the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_catalog.domain.categories import CaseKind
from juanzong_catalog.domain.dossier import Dossier, new_dossier
from juanzong_catalog.domain.pages import Line, PageText
from juanzong_catalog.domain.search_index import IndexedLine, line_entries, mongo_filter

PAGES = "pages"
BATCHES = "batches"
DOSSIERS = "dossiers"
CORRECTIONS = "corrections"
MARKS = "marks"
CASES = "cases"
LINES = "search_lines"
PROGRESS = "batch_progress"
STAMPS = "dossier_stamps"
READS = "reads"

INDEXES = {
    PAGES: [IndexModel([("batch_id", ASCENDING), ("seq", ASCENDING)], name="batch_seq"),
            IndexModel([("case_number", ASCENDING)], name="case_number")],
    DOSSIERS: [IndexModel([("review_count", ASCENDING)], name="review_count")],
    CORRECTIONS: [IndexModel([("case_number", ASCENDING), ("at", ASCENDING)], name="case_at")],
    MARKS: [IndexModel([("case_number", ASCENDING), ("user", ASCENDING)], name="case_user")],
    BATCHES: [IndexModel([("case_number", ASCENDING)], name="case_number")],
    # One multikey index serves both searches: gram alone (across dossiers) and gram + dossier.
    LINES: [IndexModel([("grams", ASCENDING), ("dossier_id", ASCENDING)], name="grams_dossier"),
            IndexModel([("page_id", ASCENDING)], name="page_id")],
}

_DOSSIER_FIELDS = ("dossier_id", "case_number", "case_kind", "documents", "corrections")


def now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------------------ pages


def page_text(doc: Mapping[str, Any]) -> PageText:
    """The domain's view of a stored page."""
    lines = []
    for ln in doc.get("lines") or []:
        try:
            lines.append(Line(text=ln["text"], polygon=tuple(tuple(p) for p in ln["polygon"]),  # type: ignore[arg-type]
                              confidence=ln.get("confidence", 1.0)))
        except (KeyError, ValueError, TypeError):
            continue
    return PageText(page_id=doc["_id"], seq=max(0, int(doc.get("seq", 0))), text=doc.get("text") or "",
                    lines=tuple(lines), blank=bool(doc.get("blank")), born_digital=bool(doc.get("born_digital")))


def line_document(entry: IndexedLine) -> dict[str, Any]:
    # The document a line belongs to changes with corrections: it is looked up at query time.
    return {"_id": entry.key, "dossier_id": entry.dossier_id, "page_id": entry.page_id, "line_no": entry.line_no,
            "text": entry.text, "norm": entry.norm, "grams": list(entry.grams),
            "polygon": [list(p) for p in entry.polygon]}


_SEARCH_FIELDS = {"case_number": 1, "seq": 1, "text": 1, "lines": 1, "blank": 1, "born_digital": 1}


async def pages_for_search(db: AsyncDatabase, page_ids: Sequence[str], *,
                           chunk: int = 500) -> AsyncIterator[list[dict[str, Any]]]:
    """The stored pages (what their search lines are made from), in chunks."""
    for i in range(0, len(page_ids), chunk):
        ids = list(page_ids[i:i + chunk])
        yield [d async for d in db[PAGES].find({"_id": {"$in": ids}}, projection=_SEARCH_FIELDS)]


async def pages_by_id(db: AsyncDatabase, page_ids: Iterable[str]) -> dict[str, dict]:
    """The stored pages without their text and lines."""
    ids = list(page_ids)
    return {d["_id"]: d async for d in db[PAGES].find({"_id": {"$in": ids}}, projection={"lines": 0, "text": 0})
            } if ids else {}


# --------------------------------------------------------------------------------------- dossiers


def dossier_from(doc: Mapping[str, Any]) -> Dossier:
    return Dossier.model_validate({k: doc[k] for k in _DOSSIER_FIELDS if k in doc})


async def load_dossier(db: AsyncDatabase, case_number: str,
                       session: AsyncClientSession | None = None) -> tuple[Dossier, dict[str, Any]] | None:
    doc = await db[DOSSIERS].find_one({"_id": case_number}, session=session)
    if doc is None:
        return None
    return dossier_from(doc), doc


def empty_dossier(case_number: str, kind: CaseKind) -> Dossier:
    return new_dossier(case_number, case_number, kind)


async def save_dossier(db: AsyncDatabase, dossier: Dossier, session: AsyncClientSession | None = None, *,
                       extra: Mapping[str, Any] | None = None) -> int:
    """Replace the dossier; ``review_count`` and ``pages`` are kept beside it for listings. Returns the
    dossier's new ``version`` (1 for a new dossier, +1 on every save)."""
    body = dossier.model_dump(mode="json")
    body.update(extra or {})
    body["review_count"] = sum(1 for d in dossier.documents if d.category is None)
    body["page_count"] = len(dossier.page_ids)
    body["updated_at"] = now()
    body.pop("version", None)
    saved = await db[DOSSIERS].find_one_and_update(
        {"_id": dossier.case_number}, {"$set": body, "$inc": {"version": 1}, "$setOnInsert": {"created_at": now()}},
        upsert=True, projection={"version": 1}, return_document=ReturnDocument.AFTER, session=session)
    version = int((saved or {}).get("version") or 0)
    await db[STAMPS].update_one({"_id": dossier.case_number},
                                {"$set": {"version": version, "updated_at": body["updated_at"]}},
                                upsert=True, session=session)
    return version


def dossier_stamp(doc: Mapping[str, Any]) -> tuple[Any, Any]:
    """What identifies one saved state of a dossier: its version (updated_at for older documents)."""
    version = doc.get("version")
    return (version, None) if version is not None else (None, doc.get("updated_at"))


async def get_dossier_stamp(db: AsyncDatabase, case_number: str) -> tuple[Any, Any] | None:
    """The stored dossier's stamp (None: no such dossier), from ``dossier_stamps`` when it has one."""
    doc = await db[STAMPS].find_one({"_id": case_number})
    if doc is None:
        doc = await db[DOSSIERS].find_one({"_id": case_number}, projection={"version": 1, "updated_at": 1})
    return None if doc is None else dossier_stamp(doc)


async def dossiers_with_review(db: AsyncDatabase, limit: int = 200) -> list[dict[str, Any]]:
    cursor = db[DOSSIERS].find({"review_count": {"$gt": 0}}, projection={"corrections": 0}).limit(limit)
    return [d async for d in cursor]


# ----------------------------------------------------------------------------------------- search


async def _rarest_gram(db: AsyncDatabase, query: str, scope: Mapping[str, Any], limit: int) -> str | None:
    """The query's gram with the fewest lines in ``scope`` (None: no gram, or one no line has)."""
    flt = mongo_filter(query, [])
    if flt is None:
        return None
    grams: list[str] = flt["grams"]["$all"]  # type: ignore[index]
    if len(grams) == 1:
        return grams[0]
    counts = await asyncio.gather(*(db[LINES].count_documents({"grams": g, **scope}, limit=limit + 1)
                                    for g in grams[:8]))
    if min(counts) == 0:
        return None
    return min(zip(counts, grams, strict=False))[1]


async def dossiers_with_candidates(db: AsyncDatabase, query: str) -> list[str]:
    """The dossiers holding a line with the query's rarest gram — candidates to ask permission for, before
    any of their lines is read (a dossier the caller may not search must not use up the search's limits)."""
    gram = await _rarest_gram(db, query, {}, 2000)
    if gram is None:
        return []
    return sorted(str(d) for d in await db[LINES].distinct("dossier_id", {"grams": gram}))


async def find_lines(db: AsyncDatabase, query: str, dossier_ids: Sequence[str] | None, *,
                     limit: int = 2000) -> AsyncIterator[dict[str, Any]]:
    """Candidate lines for ``query``, streamed (the caller stops when it has enough hits); verify each
    with ``match_line``.

    ``domain.search_index.mongo_filter`` asks for all the query's bigrams with ``$all``. MongoDB bounds
    that scan by the first gram, but the embedded SecantusDB plans any ``$all`` (or ``$and`` of grams)
    as a collection scan — ~0.8 s on a 300-page dossier. So the filter here keeps one gram, the rarest
    (counted on the index), and ``match_line`` checks the whole query on each candidate: the same
    answer, an index scan on both servers. ``dossier_ids`` None searches every dossier (the caller
    filters by permission afterwards)."""
    scope: dict[str, Any] = {}
    if dossier_ids is not None:
        if not dossier_ids:
            return
        scope["dossier_id"] = dossier_ids[0] if len(dossier_ids) == 1 else {"$in": list(dossier_ids)}
    gram = await _rarest_gram(db, query, scope, limit)
    if gram is None:
        return
    cursor = db[LINES].find({"grams": gram, **scope}, projection={"grams": 0, "norm": 0}, batch_size=100)
    async for doc in cursor.limit(limit):
        yield doc


class Repository:
    """catalog's collections for one unit of work (``session`` None: outside a transaction)."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session

    # pages
    async def has_page(self, page_id: str) -> bool:
        return await self.db[PAGES].find_one({"_id": page_id}, projection={"_id": 1}, session=self.session) is not None

    async def insert_page(self, page: dict[str, Any]) -> bool:
        """Store a page and its search lines; False when it was stored before (idempotent by page_id)."""
        if await self.has_page(page["_id"]):
            return False
        await self.db[PAGES].insert_one(page, session=self.session)
        entries = line_entries(page["case_number"], "", page_text(page))
        if entries:
            await self.db[LINES].insert_many([line_document(e) for e in entries], ordered=False,
                                             session=self.session)
        return True

    async def get_page(self, page_id: str) -> dict[str, Any] | None:
        return await self.db[PAGES].find_one({"_id": page_id}, session=self.session)

    async def pages_of_batch(self, batch_id: str) -> list[dict]:
        cursor = self.db[PAGES].find({"batch_id": batch_id}, session=self.session).sort("seq", ASCENDING)
        return [d async for d in cursor]

    async def count_batch_pages(self, batch_id: str) -> int:
        return await self.db[PAGES].count_documents({"batch_id": batch_id}, session=self.session)

    # dossiers
    async def load_dossier(self, case_number: str) -> tuple[Dossier, dict[str, Any]] | None:
        return await load_dossier(self.db, case_number, self.session)

    async def save_dossier(self, dossier: Dossier, *, extra: Mapping[str, Any] | None = None) -> int:
        return await save_dossier(self.db, dossier, self.session, extra=extra)

    # batches and their progress
    async def is_catalogued(self, batch_id: str) -> bool:
        return await self.db[BATCHES].find_one({"_id": batch_id}, projection={"_id": 1},
                                               session=self.session) is not None

    async def insert_batch(self, batch: dict[str, Any]) -> None:
        await self.db[BATCHES].insert_one(batch, session=self.session)
        await self.db[PROGRESS].update_one({"_id": batch["_id"]}, {"$set": {"catalogued_at": now()}},
                                           session=self.session)

    async def page_arrived(self, batch_id: str, case_number: str) -> dict[str, Any]:
        """Note one more stored page of the batch; returns the progress record (with ``completion`` when the
        batch's completion event came first). Writing the record makes concurrent page and completion
        handlers of one batch conflict, so the last of them to commit sees all the others."""
        doc = await self.db[PROGRESS].find_one_and_update(
            {"_id": batch_id}, {"$inc": {"stored": 1}, "$set": {"last_page_at": now()},
                                "$setOnInsert": {"case_number": case_number, "created_at": now()}},
            upsert=True, return_document=ReturnDocument.AFTER, session=self.session)
        return doc or {}

    async def completion_arrived(self, batch_id: str, completion: Mapping[str, Any]) -> None:
        """Keep the batch's completion event (counts, court, correlation) until its last page is stored."""
        await self.db[PROGRESS].update_one(
            {"_id": batch_id}, {"$set": {"completion": dict(completion), "completion_at": now(),
                                         "case_number": completion["case_number"]},
                                "$setOnInsert": {"stored": 0, "created_at": now()}},
            upsert=True, session=self.session)

    # cases
    async def get_case(self, case_number: str) -> dict[str, Any] | None:
        return await self.db[CASES].find_one({"_id": case_number}, session=self.session)

    async def set_case(self, case_number: str, fields: Mapping[str, Any]) -> None:
        await self.db[CASES].update_one({"_id": case_number}, {"$set": {"case_number": case_number, **fields}},
                                        upsert=True, session=self.session)

    # corrections, reads and marks
    async def insert_correction(self, record: dict[str, Any]) -> None:
        await self.db[CORRECTIONS].insert_one(record, session=self.session)

    async def corrections_of(self, case_number: str) -> list[dict[str, Any]]:
        cursor = self.db[CORRECTIONS].find({"case_number": case_number}, projection={"_id": 0},
                                           session=self.session)
        return [c async for c in cursor.sort("at", ASCENDING)]

    async def insert_read(self, read: dict[str, Any]) -> None:
        await self.db[READS].insert_one(read, session=self.session)

    async def marks_of(self, case_number: str, user: str, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        cursor = self.db[MARKS].find({"case_number": case_number, "user": user}, session=self.session)
        return [m async for m in cursor.sort([("created_at", ASCENDING), ("_id", ASCENDING)]).skip(offset).limit(limit)]

    async def insert_mark(self, mark: dict[str, Any]) -> None:
        await self.db[MARKS].insert_one(mark, session=self.session)

    async def delete_mark(self, mark_id: str, case_number: str, user: str) -> bool:
        result = await self.db[MARKS].delete_one({"_id": mark_id, "case_number": case_number, "user": user},
                                                 session=self.session)
        return bool(result.deleted_count)


def repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> Repository:
    """What every unit of work of catalog holds (``ServiceParts.repositories``)."""
    return Repository(db, session)
