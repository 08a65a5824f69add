"""Read side: the dossier's structure, its 卷内目录, the compiled view archive needs, search hits.

Page numbers and the 卷内目录 come from ``domain.dossier.compile_dossier`` (立卷归档办法 卷内页号;
法〔2016〕264号 三(九): 电子卷宗自动生成电子页码); search inside a dossier runs on its in-memory
index (``search_cache``), across dossiers on the ``search_lines`` collection (法〔2016〕264号 三(二): 内容可检索).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from juanzong_shared.contracts import CompiledDossier
from juanzong_shared.errors import NotFound
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_catalog.adapters import repository as repo
from juanzong_catalog.domain.categories import CATEGORIES, UNNUMBERED
from juanzong_catalog.domain.disclosure import Visibility, Withholding, visibility
from juanzong_catalog.domain.dossier import Dossier, DossierDocument, cataloguing_rate, compile_dossier
from juanzong_catalog.domain.search_index import IndexedLine, match_line
from juanzong_catalog.service_layer.search_cache import DossierSearchCache, no_dossier

PROVENANCE_FIELDS = ("bucket", "pdf_key", "ocr_key", "image_key", "batch_id", "seq", "scan_task_id", "engine",
                     "model_version", "mean_confidence", "needs_rescan", "born_digital", "content_sha256", "qc",
                     "width", "height", "text_chars", "replaces_page_id")


async def require_dossier(db: AsyncDatabase, case_number: str) -> tuple[Dossier, dict[str, Any]]:
    loaded = await repo.load_dossier(db, case_number)
    if loaded is None:
        raise no_dossier(case_number)
    return loaded


def rate_view(dossier: Dossier) -> dict[str, Any]:
    rate = cataloguing_rate(dossier)
    return {"total_pages": rate.total_pages, "automatic_pages": rate.automatic_pages, "rate": round(rate.rate, 4),
            "rule": "吉高院通报29期 智能编目率"}


def _document_view(doc: DossierDocument, meta: Mapping[str, Any], numbers: Mapping[str, int | None]) -> dict:
    nums = [numbers.get(p) for p in doc.page_ids]
    numbered = [n for n in nums if n is not None]
    return {
        "document_id": doc.document_id,
        "category": doc.category.value if doc.category else None,
        "category_zh": CATEGORIES[doc.category].name_zh if doc.category else None,
        "candidate": doc.candidate.value, "candidate_zh": CATEGORIES[doc.candidate].name_zh,
        "title": doc.title, "issuing_party": doc.issuing_party,
        "date": doc.date.isoformat() if doc.date else None, "case_number": doc.case_number,
        "confidence": doc.confidence, "basis": doc.basis, "needs_review": doc.needs_review,
        "first_page": min(numbered) if numbered else None, "last_page": max(numbered) if numbered else None,
        "page_count": len(doc.page_ids),
        "pages": [{"page_id": p, "page_number": n} for p, n in zip(doc.page_ids, nums, strict=True)],
        "alternatives": meta.get("alternatives", []), "parties": meta.get("parties", []),
        "batch_id": meta.get("batch_id"), "split_basis": meta.get("split_basis"),
        "disclosable": doc.disclosable,
    }


def dossier_view(dossier: Dossier, raw: Mapping[str, Any], vis: Visibility | None = None) -> dict[str, Any]:
    """Volumes with their documents (standard order) and electronic page numbers, and the review queue.

    With ``vis`` (a decision that withholds material, 法〔2016〕264号 三(六)) the withheld volumes, documents
    and pages are left out; the pages shown keep the dossier's own electronic page numbers."""
    vis = vis or visibility(dossier)
    compiled = compile_dossier(dossier)
    meta = raw.get("document_meta") or {}
    numbers: dict[str, int | None] = {}
    for vol in compiled.volumes:
        for slot in vol.pages:
            if slot.page_id:
                numbers[slot.page_id] = slot.page_number
    volumes = []
    for vol in compiled.volumes:
        if vis.withholding.hides_volume(vol.volume):
            continue
        docs = [d for d in dossier.documents if d.category is not None and d.volume is vol.volume
                and not vis.document_hidden(d.document_id)]
        volumes.append({
            "volume": vol.volume.value, "name_zh": vol.volume.name_zh,
            "numbered_pages": sum(1 for s in vol.pages if s.page_number is not None and not vis.page_hidden(s.page_id)),
            "unnumbered_parts": [{"role": s.role.value, "name_zh": CATEGORIES[s.role].name_zh,
                                  "generated": s.generated, "page_id": s.page_id}
                                 for s in vol.pages if s.role is not None and not vis.page_hidden(s.page_id)],
            "documents": [_document_view(d, meta.get(d.document_id, {}), numbers) for d in docs],
        })
    review = [_document_view(d, meta.get(d.document_id, {}), numbers) for d in compiled.review_queue
              if not vis.document_hidden(d.document_id)]
    shown = vis.shown(dossier)
    return {"case_number": dossier.case_number, "case_kind": dossier.case_kind.value,
            "case_kind_zh": dossier.case_kind.name_zh, "court": raw.get("court"), "volumes": volumes,
            "review_queue": review, "cataloguing_rate": rate_view(shown), "corrections": len(shown.corrections),
            "blank_page_ids": [p for p in raw.get("blank_page_ids", []) if not vis.page_hidden(p)],
            "updated_at": raw.get("updated_at").isoformat() if raw.get("updated_at") else None}


def catalogue_rows(dossier: Dossier, vis: Visibility | None = None) -> list[dict[str, Any]]:
    """卷内目录 rows per volume: 序号, 题名, 责任者, 日期, 页号 (立卷归档办法; 法〔2016〕264号 三(九));
    without the rows ``vis`` withholds."""
    rows = []
    for vol in compile_dossier(dossier).volumes:
        for e in vol.catalogue:
            if vis is not None and vis.document_hidden(e.document_id):
                continue
            rows.append({"volume": vol.volume.value, "volume_zh": vol.volume.name_zh, "sequence": e.seq,
                         "document_id": e.document_id, "title": e.title, "issuer": e.issuing_party,
                         "date": e.date.isoformat() if e.date else None, "first_page": e.first_page,
                         "last_page": e.last_page, "page_range": e.page_range, "category": e.category.value,
                         "category_zh": CATEGORIES[e.category].name_zh})
    return rows


async def compiled_view(db: AsyncDatabase, dossier: Dossier, raw: Mapping[str, Any],
                        vis: Visibility | None = None) -> CompiledDossier:
    """Everything archive needs to build the e-archive: volumes in order, each page slot with its
    electronic page number, where its PDF is and how it was made (QC/OCR provenance); without what
    ``vis`` withholds (法〔2016〕264号 三(六))."""
    vis = vis or visibility(dossier)
    compiled = compile_dossier(dossier)
    pages = await repo.pages_by_id(db, dossier.page_ids)
    meta = raw.get("document_meta") or {}
    case = await repo.Repository(db).get_case(dossier.case_number) or {}
    volumes = []
    for vol in compiled.volumes:
        if vis.withholding.hides_volume(vol.volume):
            continue
        slots, documents = [], []
        for slot in vol.pages:
            if vis.page_hidden(slot.page_id):
                continue
            page = pages.get(slot.page_id or "", {})
            slots.append({"role": slot.role.value if slot.role else None, "page_id": slot.page_id,
                          "document_id": slot.document_id, "page_number": slot.page_number,
                          "generated": slot.generated,
                          **{k: page.get(k) for k in PROVENANCE_FIELDS if slot.page_id},
                          **({"recognised_at": page.get("stored_at")} if slot.page_id else {})})
        for d in (x for x in dossier.documents if x.category is not None and x.volume is vol.volume
                  and not vis.document_hidden(x.document_id)):
            entry = next((e for e in vol.catalogue if e.document_id == d.document_id), None)
            documents.append({
                "document_id": d.document_id, "category": d.category.value,  # type: ignore[union-attr]
                "category_zh": CATEGORIES[d.category].name_zh, "title": d.title,  # type: ignore[index]
                "issuing_party": d.issuing_party, "date": d.date.isoformat() if d.date else None,
                "numbered": d.category not in UNNUMBERED, "catalogue_sequence": entry.seq if entry else None,
                "first_page": entry.first_page if entry else None, "last_page": entry.last_page if entry else None,
                "page_ids": list(d.page_ids), "confidence": d.confidence, "basis": d.basis,
                "disclosable": d.disclosable, "parties": meta.get(d.document_id, {}).get("parties", [])})
        volumes.append({"volume": vol.volume.value, "name_zh": vol.volume.name_zh,
                        "numbered_pages": sum(1 for s in slots if s["page_number"] is not None),
                        "pages": slots, "documents": documents,
                        "catalogue": [r for r in catalogue_rows(dossier, vis) if r["volume"] == vol.volume.value]})
    case_meta = {k: case.get(k) for k in ("court", "case_type", "category", "cause", "department", "registered_at")
                 if case.get(k) is not None}
    if "registered_at" in case_meta:
        case_meta["registered_at"] = case_meta["registered_at"].isoformat()
    shown = vis.shown(dossier)
    return CompiledDossier.model_validate({
            "case_number": dossier.case_number, "case_kind": dossier.case_kind.value, "case": case_meta,
            "volumes": volumes, "review_queue": [d.document_id for d in compiled.review_queue
                                                 if not vis.document_hidden(d.document_id)],
            "complete": not compiled.review_queue, "cataloguing_rate": rate_view(shown),
            "corrections": [c.model_dump(mode="json") for c in shown.corrections],
            "blank_page_ids": [p for p in raw.get("blank_page_ids", []) if not vis.page_hidden(p)]})


# ----------------------------------------------------------------------------------------- search


async def _hits(lines: AsyncIterator[dict[str, Any]], dossier: Dossier, where: dict[str, tuple[str, int | None]],
                query: str, limit: int) -> list[dict[str, Any]]:
    titles: dict[str, str] | None = None
    order: dict[str, int] | None = None
    hits = []
    async for ln in lines:
        placed = where.get(ln["page_id"])
        if placed is None:
            continue  # a page not catalogued yet
        line = IndexedLine(dossier_id=ln["dossier_id"], document_id=placed[0], page_id=ln["page_id"],
                           line_no=ln["line_no"], text=ln["text"], norm="", grams=(),
                           polygon=tuple(tuple(p) for p in ln["polygon"]))  # type: ignore[arg-type]
        hit = match_line(line, query)
        if hit is None:
            continue
        if titles is None:
            titles = {d.document_id: d.title for d in dossier.documents}
        body = hit.model_dump(mode="json")
        body.update(case_number=dossier.case_number, page_number=placed[1], document_title=titles[placed[0]])
        hits.append(body)
        if len(hits) >= limit:
            break
    if hits:
        order = {p: i for i, p in enumerate(dossier.page_ids)}
        hits.sort(key=lambda h: (order.get(h["page_id"], 0), h["line_no"]))
    return hits


# a reader with material withheld gets the first ``limit`` hits they may see: the search looks further
WITHHELD_SEARCH_LIMIT = 10_000


def _shown_hits(hits: list[dict[str, Any]], vis: Visibility | None, limit: int) -> list[dict[str, Any]]:
    if vis is not None and vis.any:
        hits = [h for h in hits if not vis.page_hidden(h["page_id"])]
    return hits[:limit]


async def search_dossier(db: AsyncDatabase, case_number: str, query: str, limit: int = 200, *,
                         cache: DossierSearchCache,
                         withholding: Withholding | None = None) -> list[dict[str, Any]]:
    """Lines of one dossier holding the whole query, in reading order, with the boxes to highlight:
    from the dossier's in-memory index (``search_cache``), or on MongoDB when that is switched off.
    No hit on a page ``withholding`` withholds (法〔2016〕264号 三(六))."""
    withheld = withholding is not None and withholding.any
    wanted = WITHHELD_SEARCH_LIMIT if withheld else limit
    if cache.enabled:
        hits = await cache.search(db, case_number, query, max(wanted, limit))
    else:
        hits = await search_dossier_mongo(db, case_number, query, max(wanted, limit), cache=cache)
    if not withheld:
        return hits
    dossier, _ = await cache.view(db, case_number)
    return _shown_hits(hits, visibility(dossier, withholding), limit)


async def search_dossier_mongo(db: AsyncDatabase, case_number: str, query: str, limit: int = 200, *,
                               cache: DossierSearchCache) -> list[dict[str, Any]]:
    """The same search on the ``search_lines`` collection (rarest gram on the index, ``match_line`` on
    each candidate). With more than ``limit`` hits, which ``limit`` come back follows the server's
    candidate order; the in-memory path returns the first ``limit`` in reading order."""
    dossier, where = await cache.view(db, case_number)
    return await _hits(repo.find_lines(db, query, [case_number]), dossier, where, query, limit)


# Dossiers asked about per cross-dossier search (one decision each, concurrently). Beyond this many dossiers
# holding the query's rarest gram the search covers the first ones by case number only: a word that common
# should be searched inside a dossier. (Only there can dossiers the caller may not read affect which of its
# own dossiers are searched; never what is shown.)
MAX_CANDIDATE_DOSSIERS = 2000

SearchPermission = Callable[[str], Awaitable[Withholding | None]]


async def search_all(db: AsyncDatabase, query: str, may_search: SearchPermission, limit: int = 200, *,
                     cache: DossierSearchCache, concurrency: int = 16) -> list[dict[str, Any]]:
    """Hits across the dossiers the caller may search, and nothing about the others (issue 20 item 8).

    ``may_search(case_number)`` answers None for a dossier the caller may not search, else what its decision
    withholds. It is asked (concurrently) for every dossier holding the query's rarest gram, before any line
    is read; only then are the candidate lines of the permitted dossiers read and matched, so a dossier the
    caller may not search neither shows in the answer nor uses up its limits. The answer carries no count
    of what was left out."""
    candidates = (await repo.dossiers_with_candidates(db, query))[:MAX_CANDIDATE_DOSSIERS]
    gate = asyncio.Semaphore(max(1, concurrency))

    async def ask(case_number: str) -> Withholding | None:
        async with gate:
            return await may_search(case_number)
    answers = await asyncio.gather(*(ask(cn) for cn in candidates))
    permitted = {cn: w for cn, w in zip(candidates, answers, strict=True) if w is not None}
    if not permitted:
        return []
    by_dossier: dict[str, list[dict[str, Any]]] = {}
    async for ln in repo.find_lines(db, query, sorted(permitted), limit=5000):
        if ln["dossier_id"] in permitted:
            by_dossier.setdefault(ln["dossier_id"], []).append(ln)
    hits: list[dict[str, Any]] = []
    for case_number in sorted(by_dossier):
        try:
            dossier, where = await cache.view(db, case_number)
        except NotFound:
            continue
        withholding = permitted[case_number]
        vis = visibility(dossier, withholding) if withholding.any else None

        async def lines(items=by_dossier[case_number], vis=vis) -> AsyncIterator[dict[str, Any]]:
            for item in items:
                if vis is None or not vis.page_hidden(item["page_id"]):
                    yield item
        hits.extend(await _hits(lines(), dossier, where, query, limit - len(hits)))
        if len(hits) >= limit:
            break
    return hits[:limit]


Permission = Callable[[str], Awaitable[Withholding | None]]


@dataclass
class Dossiers:
    """The read side as the routes use it: the database and the process's dossier views (``search_cache``).
    ``withholding`` is what the caller's decision withholds (法〔2016〕264号 三(六))."""

    db: AsyncDatabase
    search_cache: DossierSearchCache

    async def load(self, case_number: str, withholding: Withholding) -> tuple[Dossier, dict[str, Any], Visibility]:
        dossier, raw = await require_dossier(self.db, case_number)
        return dossier, raw, visibility(dossier, withholding)

    async def view(self, case_number: str, withholding: Withholding) -> dict[str, Any]:
        return dossier_view(*await self.load(case_number, withholding))

    async def catalogue(self, case_number: str, withholding: Withholding) -> dict[str, Any]:
        dossier, _, vis = await self.load(case_number, withholding)
        return {"case_number": case_number, "rows": catalogue_rows(dossier, vis),
                "review_pending": sum(1 for d in dossier.documents
                                      if d.category is None and not vis.document_hidden(d.document_id))}

    async def compiled(self, case_number: str, withholding: Withholding) -> CompiledDossier:
        return await compiled_view(self.db, *await self.load(case_number, withholding))

    async def corrections(self, case_number: str, withholding: Withholding) -> dict[str, Any]:
        """Every correction, who and when, but those touching what ``withholding`` withholds."""
        dossier, _, vis = await self.load(case_number, withholding)
        items = [c for c in await repo.Repository(self.db).corrections_of(case_number)
                 if not (vis.any and (vis.hidden_documents.intersection(c.get("document_ids") or ())
                                      or any(vis.page_hidden(p) for p in c.get("page_ids") or ())))]
        return {"case_number": case_number, "corrections": items, "cataloguing_rate": rate_view(vis.shown(dossier))}

    async def review_queue(self, may_write: Permission, limit: int) -> dict[str, Any]:
        """Dossiers with documents awaiting review, those ``may_write`` allows, without what it withholds."""
        items = []
        for raw in await repo.dossiers_with_review(self.db, limit=limit):
            withholding = await may_write(raw["_id"])
            if withholding is None:
                continue
            dossier = repo.dossier_from(raw)
            vis = visibility(dossier, withholding)
            documents = [{"document_id": d.document_id, "candidate": d.candidate.value, "title": d.title,
                          "confidence": d.confidence, "pages": len(d.page_ids)} for d in dossier.documents
                         if d.category is None and not vis.document_hidden(d.document_id)]
            if documents:
                items.append({"case_number": raw["_id"], "documents": documents})
        return {"dossiers": items, "total_documents": sum(len(i["documents"]) for i in items)}

    async def search(self, case_number: str, query: str, limit: int, withholding: Withholding) -> list[dict[str, Any]]:
        return await search_dossier(self.db, case_number, query, limit, cache=self.search_cache,
                                    withholding=withholding)

    async def search_all(self, query: str, may_search: Permission, limit: int) -> list[dict[str, Any]]:
        return await search_all(self.db, query, may_search, limit, cache=self.search_cache)

    async def placed(self, page_id: str) -> tuple[dict[str, Any], Dossier | None, DossierDocument | None]:
        """The stored page, its dossier and the document it is filed in (None while not catalogued)."""
        page = await repo.Repository(self.db).get_page(page_id)
        if page is None:
            raise NotFound("", f"page {page_id} 不存在 (not found)")
        try:
            dossier, where = await self.search_cache.view(self.db, page["case_number"])
        except NotFound:
            return page, None, None
        return page, dossier, dossier.document(where[page_id][0]) if page_id in where else None
