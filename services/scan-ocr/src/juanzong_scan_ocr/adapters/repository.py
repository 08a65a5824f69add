"""The scan-ocr collections (its own database), their indexes and every query on them.

* ``batches`` — one per batch: scan task, case, source (REST, chunked upload, station job), atomic
  counters ``pages_total/done/failed/rescan`` and ``completed`` (set once, with scan.batch.completed).
* ``pages`` — one per page: state, original (bucket, key, page index), content hash, QC numbers,
  clean-up, OCR provenance (engine, model version, confidence), stage keys, failure, attempts.
* ``uploads`` — chunked upload sessions.
* ``job_refusals`` — one per refused station job, keyed like the batch it would have been (station and job
  id): code, reason, rule; the station reads it at ``GET /v1/station-jobs/{job_id}``.

The repositories hold the unit of work's session (None outside a transaction: the OCR worker's own reads and
progress marks, which need none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

BATCHES = "batches"
PAGES = "pages"
UPLOADS = "uploads"
JOB_REFUSALS = "job_refusals"

INDEXES = {
    BATCHES: [
        IndexModel([("scan_task_id", ASCENDING), ("created_at", DESCENDING)], name="by_scan_task"),
        IndexModel([("case_number", ASCENDING), ("created_at", DESCENDING)], name="by_case"),
        IndexModel([("station_id", ASCENDING), ("job_id", ASCENDING)], name="by_station_job"),
    ],
    PAGES: [
        IndexModel([("batch_id", ASCENDING), ("seq", ASCENDING)], name="batch_seq", unique=True),
        IndexModel([("content_sha256", ASCENDING), ("status", ASCENDING)], name="by_content"),
        IndexModel([("case_number", ASCENDING)], name="by_case"),
    ],
    UPLOADS: [IndexModel([("created_at", ASCENDING)], name="created_at")],
    JOB_REFUSALS: [IndexModel([("station_id", ASCENDING), ("refused_at", DESCENDING)], name="by_station")],
}

Doc = dict[str, Any]


class _Collection:
    def __init__(self, db, name: str, session) -> None:
        self.c = db[name]
        self.s = session

    async def get(self, key: str) -> Doc | None:
        return await self.c.find_one({"_id": key}, session=self.s)

    async def exists(self, key: str) -> bool:
        return await self.c.find_one({"_id": key}, {"_id": 1}, session=self.s) is not None

    async def add(self, doc: Doc) -> None:
        await self.c.insert_one(doc, session=self.s)


class Batches(_Collection):
    async def count_end(self, batch_id: str, inc: dict[str, int], now: datetime) -> Doc | None:
        """Count a page's end; the batch as it is after the count (None: no such batch)."""
        return await self.c.find_one_and_update({"_id": batch_id}, {"$inc": inc, "$set": {"updated_at": now}},
                                                return_document=ReturnDocument.AFTER, session=self.s)

    async def complete(self, batch_id: str, changes: Doc) -> None:
        await self.c.update_one({"_id": batch_id, "completed": False}, {"$set": changes}, session=self.s)


class Pages(_Collection):
    async def add_many(self, pages: list[Doc]) -> None:
        if pages:
            await self.c.insert_many(pages, session=self.s)

    async def set_unless_ended(self, page_id: str, changes: Doc, ended: Iterable[str], *,
                               inc: dict[str, int] | None = None) -> bool:
        """Change a page that has not ended (``ended``: the terminal states); False when it had."""
        update: Doc = {"$set": changes, **({"$inc": inc} if inc else {})}
        result = await self.c.update_one({"_id": page_id, "status": {"$nin": list(ended)}}, update, session=self.s)
        return result.modified_count > 0

    async def note_error(self, page_id: str, error: str) -> None:
        await self.c.update_one({"_id": page_id}, {"$set": {"last_error": error}}, session=self.s)

    async def of_batch(self, batch_id: str) -> list[Doc]:
        return await self.c.find({"batch_id": batch_id}, {
            "seq": 1, "status": 1, "file_name": 1, "page_index": 1, "needs_rescan": 1, "failure": 1},
            session=self.s).sort("seq", 1).to_list(None)

    async def failed_of_batch(self, batch_id: str) -> list[Doc]:
        return await self.c.find({"batch_id": batch_id, "failure": {"$ne": None}}, session=self.s).to_list(None)

    async def done_with_content(self, sha: str, status: str, *, other_than: str, engines: list[str]) -> Doc | None:
        """A first page (not itself a reuse) of this content done by one of ``engines``."""
        return await self.c.find_one({"content_sha256": sha, "status": status, "_id": {"$ne": other_than},
                                      "reused_from": None, "ocr.engine": {"$in": engines}}, session=self.s)


class Uploads(_Collection):
    async def append_chunk(self, upload_id: str, offset: int, size: int, key: str) -> Doc | None:
        """Add a chunk at ``offset`` if the session is still receiving there; the session after it (None: a
        concurrent chunk came first)."""
        return await self.c.find_one_and_update(
            {"_id": upload_id, "offset": offset, "state": "receiving"},
            {"$set": {"offset": offset + size}, "$push": {"parts": {"offset": offset, "size": size, "key": key}}},
            return_document=ReturnDocument.AFTER, session=self.s)

    async def claim(self, upload_id: str, batch_id: str) -> bool:
        """Move a received upload to ``completing`` for ``batch_id``; False when another call did first."""
        result = await self.c.update_one({"_id": upload_id, "state": "receiving"},
                                         {"$set": {"state": "completing", "batch_id": batch_id}}, session=self.s)
        return result.modified_count > 0

    async def set(self, upload_id: str, **changes: Any) -> None:
        await self.c.update_one({"_id": upload_id}, {"$set": changes}, session=self.s)


class JobRefusals(_Collection):
    async def put(self, doc: Doc) -> None:
        await self.c.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self.s)


@dataclass
class Repositories:
    batches: Batches
    pages: Pages
    uploads: Uploads
    job_refusals: JobRefusals


def repositories(db, session=None) -> Repositories:
    return Repositories(Batches(db, BATCHES, session), Pages(db, PAGES, session), Uploads(db, UPLOADS, session),
                        JobRefusals(db, JOB_REFUSALS, session))
