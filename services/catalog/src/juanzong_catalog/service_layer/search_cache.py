"""Per-dossier search in memory: the dossier's lines indexed in the service process, kept fresh.

The ``search_lines`` collection answers a query with an index scan plus one fetch per candidate line; on
the embedded SecantusDB that fetch costs ~0.25–1 ms a line, so frequent words took hundreds of ms
(``bench/README-catalog.md``: p95 478 ms on a 2,076-page dossier against the issue's 100 ms). Here each
dossier searched recently has a :class:`~juanzong_catalog.domain.search_index.PageLineIndex` in memory:

* **Built** on the first search of the dossier from its stored pages (the same ``line_entries`` the
  pages' ``search_lines`` were made from — same lines, same boxes), ~2,000 page documents rather than
  ~31,000 line documents; the CPU part runs in a thread.
* **Fresh**: every search reads the dossier's stamp (``version``, ``updated_at``; one small read). When
  it changed — a batch catalogued, a correction, in this process or another — the dossier and its page
  map (document, electronic page number, reading order) are reloaded and the pages it did not have yet
  are added; stored pages never change, so nothing else needs rebuilding. Several service processes
  therefore stay correct without telling each other anything.
* **Bounded**: at most ``max_indexes`` dossiers keep an index (least recently used dropped first;
  setting ``JZ_SEARCH_CACHE_DOSSIERS``, 0 turns the in-memory search off); light dossier views (the page
  map used by the cross-dossier search) are kept for up to ``max_views`` dossiers.
* **Warm**: after a batch is catalogued the handler asks :meth:`DossierSearchCache.warm_after` to bring
  the dossier's index up to date as soon as the new version is committed, so the first reader does not
  pay the build.

Answers are those of the Mongo path (``queries.search_dossier_mongo``): lines of the dossier's pages
holding the whole query (``match_line``), in reading order; when there are more than ``limit`` hits
these are the first ``limit`` in reading order.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from juanzong_shared.errors import NotFound
from juanzong_shared.logging import get_logger
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_catalog.adapters import repository as repo
from juanzong_catalog.domain.dossier import Dossier, compile_dossier
from juanzong_catalog.domain.search_index import PageLineIndex, line_entries, match_line

log = get_logger(__name__)

Where = dict[str, tuple[str, int | None]]


def no_dossier(case_number: str) -> NotFound:
    return NotFound("", f"dossier {case_number} 不存在 (not found)")


def page_map(dossier: Dossier) -> Where:
    """page_id → (document_id, electronic page number)."""
    numbers = {s.page_id: s.page_number for v in compile_dossier(dossier).volumes for s in v.pages if s.page_id}
    return {p: (d.document_id, numbers.get(p)) for d in dossier.documents for p in d.page_ids}


@dataclass
class DossierView:
    """One saved state of a dossier as search needs it, and (when searched) its line index."""

    stamp: tuple[Any, Any] | None = None
    dossier: Dossier | None = None
    where: Where = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)  # page_id → position in reading order
    index: PageLineIndex | None = None
    rank: np.ndarray | None = None  # the index's page code → reading position, -1: not in the dossier
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def set_dossier(self, dossier: Dossier, stamp: tuple[Any, Any]) -> None:
        self.dossier, self.stamp = dossier, stamp
        self.where = page_map(dossier)
        self.titles = {d.document_id: d.title for d in dossier.documents}
        self.order = {p: i for i, p in enumerate(dossier.page_ids)}
        self.rank = None

    def compute_rank(self) -> None:
        assert self.index is not None
        rank = np.full(max(self.index.page_count, 1), -1, dtype=np.int64)
        for code, page_id in enumerate(self.index.page_ids):
            if page_id in self.where:
                rank[code] = self.order.get(page_id, 0)
        self.rank = rank

    def search(self, query: str, limit: int) -> list[dict[str, Any]]:
        """The first ``limit`` hits in reading order (synchronous: call with the lock held)."""
        assert self.index is not None and self.rank is not None and self.dossier is not None
        ids = self.index.candidates(query)
        if not len(ids):
            return []
        ranks = self.rank[self.index.page_codes(ids)]
        keep = ranks >= 0
        ids, ranks = ids[keep], ranks[keep]
        ids = ids[np.lexsort((self.index.line_numbers(ids), ranks))]
        hits: list[dict[str, Any]] = []
        case_number = self.dossier.case_number
        for lid in ids.tolist():
            line = self.index.line(lid)
            document_id, page_number = self.where[line.page_id]
            hit = match_line(line, query)
            if hit is None:
                continue
            body = hit.model_dump(mode="json")
            body.update(document_id=document_id, case_number=case_number, page_number=page_number,
                        document_title=self.titles[document_id])
            hits.append(body)
            if len(hits) >= limit:
                break
        return hits


class DossierSearchCache:
    """LRU of dossier views; the ``max_indexes`` most recently searched ones keep a line index."""

    def __init__(self, max_indexes: int = 8, max_views: int = 64, *, warm: bool = True) -> None:
        self.max_indexes = max_indexes
        self.max_views = max(max_views, max_indexes)
        self.warm_enabled = warm
        self._items: OrderedDict[tuple[str, str], DossierView] = OrderedDict()
        self._warming: dict[tuple[str, str], int] = {}
        self._tasks: set[asyncio.Task] = set()
        self.builds = 0  # full index builds (first search of a dossier), for tests and metrics
        self.top_ups = 0  # pages added to an existing index

    @property
    def enabled(self) -> bool:
        return self.max_indexes > 0

    def indexed(self, db: AsyncDatabase, case_number: str) -> PageLineIndex | None:
        view = self._items.get((db.name, case_number))
        return view.index if view else None

    # ------------------------------------------------------------------------------------ reading

    async def _fresh(self, db: AsyncDatabase, case_number: str, *, with_index: bool) -> DossierView:
        key = (db.name, case_number)
        stamp = await repo.get_dossier_stamp(db, case_number)
        if stamp is None:
            self._items.pop(key, None)
            raise no_dossier(case_number)
        view = self._items.get(key)
        if view is None:
            view = self._items[key] = DossierView()
        self._items.move_to_end(key)
        async with view.lock:
            if view.dossier is None or view.stamp != stamp:
                loaded = await repo.load_dossier(db, case_number)
                if loaded is None:
                    self._items.pop(key, None)
                    raise no_dossier(case_number)
                dossier, raw = loaded
                view.set_dossier(dossier, repo.dossier_stamp(raw))
            if with_index:
                await self._top_up(db, case_number, view)
        self._evict()
        return view

    async def _top_up(self, db: AsyncDatabase, case_number: str, view: DossierView) -> None:
        """Index the dossier's pages the index does not have yet (all of them the first time)."""
        assert view.dossier is not None
        first = view.index is None
        if view.index is None:
            view.index = PageLineIndex(case_number)
        index = view.index
        missing = [p for p in view.dossier.page_ids if p not in index]
        if missing:
            async for docs in repo.pages_for_search(db, missing):
                await asyncio.to_thread(_add_pages, index, case_number, docs)
            for page_id in missing:  # not stored (or another case's page): no lines, as in search_lines
                if page_id not in index:
                    index.add_page(page_id, ())
            if first:
                self.builds += 1
                log.info("search index built", case_number=case_number, pages=index.page_count, lines=len(index))
            else:
                self.top_ups += len(missing)
            view.rank = None
        if view.rank is None:
            view.compute_rank()

    def _evict(self) -> None:
        indexed = [k for k, v in self._items.items() if v.index is not None]  # oldest first
        for key in indexed[:max(0, len(indexed) - self.max_indexes)]:
            view = self._items[key]
            if not view.lock.locked():
                view.index, view.rank = None, None
        while len(self._items) > self.max_views:
            key = next(iter(self._items))
            if self._items[key].lock.locked():
                break
            self._items.pop(key)

    async def view(self, db: AsyncDatabase, case_number: str) -> tuple[Dossier, Where]:
        """The dossier and its page map (no line index), reused while the stored dossier is unchanged."""
        view = await self._fresh(db, case_number, with_index=False)
        assert view.dossier is not None
        return view.dossier, view.where

    async def search(self, db: AsyncDatabase, case_number: str, query: str, limit: int = 200) -> list[dict[str, Any]]:
        """Lines of the dossier holding the whole query: the first ``limit`` in reading order."""
        while True:
            view = await self._fresh(db, case_number, with_index=True)
            async with view.lock:
                if view.index is not None and view.rank is not None:  # not evicted meanwhile
                    return view.search(query, limit)

    async def prepare(self, db: AsyncDatabase, case_number: str) -> None:
        await self._fresh(db, case_number, with_index=True)

    # ------------------------------------------------------------------------------------ warming

    def warm_after(self, db: AsyncDatabase, case_number: str, version: int, *, timeout: float = 120.0) -> None:
        """Bring the dossier's index up to date once ``version`` of it is committed (called from inside
        the transaction that writes it; a transaction that aborts leaves the task to time out)."""
        if not (self.enabled and self.warm_enabled):
            return
        key = (db.name, case_number)
        if key in self._warming:
            self._warming[key] = max(self._warming[key], version)
            return
        self._warming[key] = version
        task = asyncio.get_running_loop().create_task(self._warm(db, case_number, key, timeout))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _warm(self, db: AsyncDatabase, case_number: str, key: tuple[str, str], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.05
        try:
            while True:
                stamp = await repo.get_dossier_stamp(db, case_number)
                version = stamp[0] if stamp else None
                if isinstance(version, int) and version >= self._warming.get(key, 0):
                    break
                if loop.time() > deadline:  # the writing transaction never committed
                    self._warming.pop(key, None)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            self._warming.pop(key, None)  # a later batch starts a new warm-up from here on
            started = loop.time()
            await self.prepare(db, case_number)
            log.info("search index warmed", case_number=case_number, seconds=round(loop.time() - started, 3))
        except asyncio.CancelledError:
            self._warming.pop(key, None)
            raise
        except Exception as error:  # noqa: BLE001 - warming is an optimisation: the next search builds it
            self._warming.pop(key, None)
            log.warning("search index warm-up failed", case_number=case_number, error=str(error))

    async def wait_warm(self) -> None:
        """Wait for pending warm-ups (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()


def _add_pages(index: PageLineIndex, case_number: str, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        if doc.get("case_number") != case_number:
            continue  # its lines belong to another dossier's search
        index.add_page(doc["_id"], line_entries(case_number, "", repo.page_text(doc)))
