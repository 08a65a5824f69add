"""The audit chain in MongoDB (全程留痕): one writer per process appends records in batches.

Records arrive from request handlers faster than a database round trip each; the writer gathers what
arrives within a short window, hashes it in arrival order onto the chain's tail, stores the batch with
one ``insert_many`` and then moves the head checkpoint. (No transaction: a crash between the two leaves
the head behind the chain, which ``verify`` accepts; the head never runs ahead of stored records.)
``seq`` is unique: when another process appended meanwhile, the insert fails, the writer reloads the
tail and hashes the batch again — the chain never forks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from juanzong_shared.db import Mongo
from juanzong_shared.logging import get_logger
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..domain.audit import AuditRecord, VerifyResult, append, verify
from .mongo import AUDIT, AUDIT_HEAD, SORT_SEQ, SORT_SEQ_DESC

log = get_logger(__name__)
HEAD_ID = "head"


@dataclass
class _Pending:
    at: datetime
    actor: str
    action: str
    case_id: str | None
    detail: Mapping[str, Any]
    done: asyncio.Future
    stored: bool = False


def record_of(doc: Mapping[str, Any]) -> AuditRecord:
    return AuditRecord.model_validate({k: v for k, v in doc.items() if k != "_id"})


class AuditChain:
    def __init__(self, mongo: Mongo, *, max_batch: int = 1000, window_seconds: float = 0.02) -> None:
        self.mongo = mongo
        self.max_batch = max_batch
        self.window_seconds = window_seconds
        self._tail: AuditRecord | None = None
        self._pending: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self._writing = 0
        self.written = 0

    @property
    def backlog(self) -> int:
        """Records accepted but not yet stored (queued or in the batch being written)."""
        return len(self._pending) + self._writing

    @property
    def db(self):
        return self.mongo.db

    async def start(self) -> None:
        await self._load_tail()
        self._task = asyncio.create_task(self._run(), name="audit-chain-writer")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=20)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            if self.backlog:
                log.error("audit records not stored at shutdown", records=self.backlog)

    async def _load_tail(self) -> None:
        doc = await self.db[AUDIT].find_one({}, sort=SORT_SEQ_DESC)
        self._tail = record_of(doc) if doc else None

    def submit(self, *, actor: str, action: str, case_id: str | None = None,
               detail: Mapping[str, Any] | None = None, at: datetime | None = None) -> asyncio.Future:
        """Queue a record; the returned future resolves to it once stored."""
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(at or datetime.now(UTC), actor, action, case_id, dict(detail or {}), future))
        self._wake.set()
        return future

    async def append(self, **kwargs: Any) -> AuditRecord:
        """Queue a record and wait until it is stored."""
        return await self.submit(**kwargs)

    async def flush(self) -> None:
        """Wait until everything queued so far is stored."""
        waiting = [p.done for p in self._pending]
        if waiting:
            await asyncio.gather(*waiting, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            if not self._pending:
                if self._stopping:
                    return
                await self._wake.wait()
                self._wake.clear()
                if not self._stopping and self.window_seconds:
                    await asyncio.sleep(self.window_seconds)  # let a burst gather into one batch
                continue
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            self._writing = len(batch)
            try:
                await self._write(batch)
            except Exception as error:  # noqa: BLE001 — database away: keep the records, try again shortly
                log.warning("audit batch not stored; retrying", error=str(error), records=len(batch))
                self._pending = [p for p in batch if not p.stored] + self._pending  # a part may be in
                await asyncio.sleep(0.5)
            finally:
                self._writing = 0

    async def _write(self, batch: list[_Pending]) -> None:
        for _ in range(20):
            tail = self._tail
            records: list[AuditRecord] = []
            for p in batch:
                tail = append(tail, at=p.at, actor=p.actor, action=p.action, case_id=p.case_id, detail=p.detail)
                records.append(tail)
            docs = [{"_id": r.seq, **r.model_dump()} for r in records]
            try:
                await self.db[AUDIT].insert_many(docs, ordered=True)
            except (DuplicateKeyError, BulkWriteError) as error:
                written = getattr(error, "details", {}).get("nInserted", 0) if isinstance(error, BulkWriteError) else 0
                if written:  # part of the batch went in before another writer's record: keep that part
                    self._settle(batch[:written], records[:written])
                    batch = batch[written:]
                await self._load_tail()  # another writer appended: rehash onto the new tail
                continue
            try:  # the head only moves forward (another writer may be ahead already)
                await self.db[AUDIT_HEAD].update_one(
                    {"_id": HEAD_ID, "seq": {"$lt": tail.seq}},
                    {"$set": {"seq": tail.seq, "hash": tail.hash, "at": datetime.now(UTC)}}, upsert=True)
            except DuplicateKeyError:
                pass
            self._settle(batch, records)
            return
        raise RuntimeError("audit chain: could not append after 20 attempts")

    def _settle(self, batch: list[_Pending], records: list[AuditRecord]) -> None:
        self._tail = records[-1]
        self.written += len(records)
        for p, r in zip(batch, records, strict=True):
            p.stored = True
            if not p.done.done():
                p.done.set_result(r)

    # -- reading ----------------------------------------------------------------------------------
    async def head(self) -> tuple[int, str] | None:
        doc = await self.db[AUDIT_HEAD].find_one({"_id": HEAD_ID})
        return (doc["seq"], doc["hash"]) if doc else None

    async def records(self, query: Mapping[str, Any] | None = None, *, after_seq: int = 0,
                      limit: int | None = None) -> AsyncIterator[AuditRecord]:
        cursor = self.db[AUDIT].find({**(query or {}), "seq": {"$gt": after_seq}}, sort=SORT_SEQ)
        if limit:
            cursor = cursor.limit(limit)
        async for doc in cursor:
            yield record_of(doc)

    async def verify(self) -> tuple[VerifyResult, tuple[int, str] | None]:
        """Check the whole chain from its start against the head checkpoint."""
        head = await self.head()
        records = [r async for r in self.records()]
        return verify(records, head=head), head
