"""The audit chain in MongoDB (全程留痕): one writer per process appends records in batches; its head is
anchored outside the database by signed checkpoints in write-once object storage (``Checkpoints``).

Records arrive from request handlers faster than a database round trip each; the writer gathers what
arrives within a short window, hashes it in arrival order onto the chain's tail, stores the batch with
one ``insert_many`` and then moves the head checkpoint. (No transaction: a crash between the two leaves
the head behind the chain, which ``verify`` accepts; the head never runs ahead of stored records.)
``seq`` is unique: when another process appended meanwhile, the insert fails, the writer reloads the
tail and hashes the batch again — the chain never forks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
from juanzong_shared.db import Mongo
from juanzong_shared.logging import get_logger
from juanzong_shared.storage import ObjectExists, ObjectStore
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ..domain.audit import (
    AuditProblem,
    AuditRecord,
    Checkpoint,
    VerifyResult,
    append,
    checkpoint_of,
    verify,
    verify_extension,
)
from .repository import AUDIT, AUDIT_HEAD, SORT_SEQ, SORT_SEQ_DESC
from .tokens import SigningKey, VerificationKeys

log = get_logger(__name__)
HEAD_ID = "head"


async def _stop_loop(owner: AuditChain | Checkpoints) -> None:
    """Ask a writer loop to finish what it holds (20 s at most), then stop it."""
    owner._stopping = True
    owner._wake.set()
    if owner._task is not None:
        try:
            await asyncio.wait_for(owner._task, timeout=20)
        except (TimeoutError, asyncio.CancelledError):
            owner._task.cancel()


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
        self.on_stored: Callable[[int], None] | None = None  # told how many records each batch stored

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
        await _stop_loop(self)
        if self._task is not None and self.backlog:
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
        if self.on_stored is not None:
            self.on_stored(len(records))
        for p, r in zip(batch, records, strict=True):
            p.stored = True
            if not p.done.done():
                p.done.set_result(r)

    # -- reading ----------------------------------------------------------------------------------
    async def head(self) -> tuple[int, str] | None:
        doc = await self.db[AUDIT_HEAD].find_one({"_id": HEAD_ID})
        return (doc["seq"], doc["hash"]) if doc else None

    async def records(self, query: Mapping[str, Any] | None = None, *, after_seq: int = 0,
                      limit: int | None = None, offset: int = 0,
                      upto_seq: int | None = None) -> AsyncIterator[AuditRecord]:
        seq: dict[str, int] = {"$gt": after_seq} if upto_seq is None else {"$gt": after_seq, "$lte": upto_seq}
        cursor = self.db[AUDIT].find({**(query or {}), "seq": seq}, sort=SORT_SEQ, skip=offset)
        if limit:
            cursor = cursor.limit(limit)
        async for doc in cursor:
            yield record_of(doc)

    async def record_at(self, seq: int) -> AuditRecord | None:
        doc = await self.db[AUDIT].find_one({"seq": seq})
        return record_of(doc) if doc else None

    async def verify(self, anchors: Iterable[tuple[int, str]] = ()) -> tuple[VerifyResult, tuple[int, str] | None]:
        """Check the whole chain from its start against the head stored beside it and ``anchors`` kept outside
        the database (the latest signed checkpoint)."""
        head = await self.head()
        records = [r async for r in self.records()]
        return verify(records, head=head, anchors=anchors), head


# -- checkpoints outside the database -------------------------------------------------------------------------
CHECKPOINT_TYP = "jz-audit-checkpoint"


@dataclass(frozen=True)
class CheckpointSettings:
    """Where and how often the chain's head is anchored (settings ``audit_checkpoint_*``)."""

    bucket: str = "juanzong-audit"
    every_seconds: float = 60.0  # export at least this often while records are written
    every_records: int = 1000  # ... and after this many records
    retention_days: int = 3650  # COMPLIANCE retention of each checkpoint object (nobody can delete it sooner)
    lookback_days: int = 400  # how far back a replica looks for the latest checkpoint when it starts

    @classmethod
    def of(cls, s: Any) -> CheckpointSettings:
        """From the service settings (``audit_checkpoint_*``)."""
        return cls(bucket=s.audit_checkpoint_bucket, every_seconds=max(0.05, s.audit_checkpoint_seconds),
                   every_records=max(1, s.audit_checkpoint_records),
                   retention_days=max(1, s.audit_checkpoint_retention_days),
                   lookback_days=max(1, s.audit_checkpoint_lookback_days))


class CheckpointRefused(RuntimeError):
    """The chain in the database does not extend the last signed checkpoint: nothing new is signed."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__(f"audit chain does not extend the last checkpoint: {result.problem} at {result.first_bad_seq}")
        self.result = result


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> str:
    return jwt.encode(checkpoint.claims(), key.private_key, algorithm="RS256",
                      headers={"kid": key.kid, "typ": CHECKPOINT_TYP})


def read_checkpoint(jws: str, keys: VerificationKeys) -> Checkpoint:
    """The checkpoint a JWS carries; ``ValueError`` unless signed by one of ``keys``."""
    try:
        header = jwt.get_unverified_header(jws)
        public = keys.get(str(header.get("kid"))) if header.get("typ") == CHECKPOINT_TYP else None
        if public is None:
            raise ValueError("not signed by access-control")
        claims = jwt.decode(jws, public, algorithms=["RS256"], options={"require": ["seq", "hash", "at"]})
    except jwt.PyJWTError as error:
        raise ValueError(str(error)) from None
    return Checkpoint.from_claims(claims)


class Checkpoints:
    """Signed checkpoints of the chain's head (seq, hash, time) in an object-lock bucket, each object under
    COMPLIANCE retention: an operator with database access cannot rewrite them, one with storage access cannot
    delete or forge them (signed with access-control's key; an overwritten or hidden object keeps its retained
    version, and every version is read). Keys: ``<namespace>/<yyyy>/<mm>/<dd>/<seq>-<hash>.json``, the namespace
    being the service's database, so each chain has its own."""

    def __init__(self, chain: AuditChain, store: ObjectStore, key: SigningKey,
                 verification_keys: Callable[[], VerificationKeys], *, namespace: str,
                 settings: CheckpointSettings | None = None, clock: Callable[[], datetime] | None = None) -> None:
        self.chain, self.store, self.key = chain, store, key
        self.verification_keys = verification_keys
        self.settings = settings or CheckpointSettings()
        self.prefix = f"checkpoints/{namespace}"
        self.clock = clock or (lambda: datetime.now(UTC))
        self._latest: Checkpoint | None = None
        self._searched: date | None = None  # days before this one hold nothing newer than _latest
        self._bucket_ready = False
        self._lock = asyncio.Lock()
        self._since = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.refused: VerifyResult | None = None  # why the last export was refused, if it was
        chain.on_stored = self._stored

    # -- storage ----------------------------------------------------------------------------------
    async def _ensure_bucket(self) -> None:
        if not self._bucket_ready:
            await self.store.ensure_bucket(self.settings.bucket, object_lock=True)
            self._bucket_ready = True

    def _day_prefix(self, day: date) -> str:
        return f"{self.prefix}/{day:%Y/%m/%d}/"

    def _key(self, c: Checkpoint) -> str:
        return f"{self._day_prefix(c.at.date())}{c.seq:020d}-{c.hash[:16]}.json"

    def _versions(self, prefix: str) -> list[tuple[str, str | None]]:
        """Every stored version under ``prefix`` (a delete marker hides nothing from here), newest key first."""
        found = [(o.object_name, o.version_id) for o in self.store.client.list_objects(
            self.settings.bucket, prefix=prefix, recursive=True, include_version=True)
            if not o.is_delete_marker and o.object_name]
        return sorted(found, key=lambda kv: kv[0], reverse=True)

    def _read(self, name: str, version: str | None) -> bytes:
        response = self.store.client.get_object(self.settings.bucket, name, version_id=version)
        try:
            return response.read(64 * 1024)
        finally:
            response.close()
            response.release_conn()

    def _valid(self, name: str, data: bytes) -> Checkpoint | None:
        try:
            c = read_checkpoint(json.loads(data)["jws"], self.verification_keys())
        except (ValueError, KeyError, TypeError):
            return None
        # the name must say what the signed content says: an old checkpoint copied under a newer name is ignored
        return c if self._key(c) == name else None

    async def _newest_on(self, day: date) -> Checkpoint | None:
        def scan() -> Checkpoint | None:
            for name, version in self._versions(self._day_prefix(day)):
                try:
                    c = self._valid(name, self._read(name, version))
                except Exception as error:  # noqa: BLE001 — an unreadable object is no checkpoint
                    log.warning("audit checkpoint unreadable", key=name, error=str(error))
                    continue
                if c is not None:
                    return c
            return None
        return await asyncio.to_thread(scan)

    async def latest(self) -> Checkpoint | None:
        """The newest checkpoint whose signature holds (the newest day first; days already searched are not
        searched again, so a running replica lists only today's folder)."""
        await self._ensure_bucket()
        today = self.clock().date()
        oldest = self._searched or today - timedelta(days=self.settings.lookback_days)
        day = today
        while day >= oldest:
            found = await self._newest_on(day)
            if found is not None and (self._latest is None or found.seq > self._latest.seq):
                self._latest = found
            if found is not None:
                break
            day -= timedelta(days=1)
        self._searched = today
        return self._latest

    async def _put(self, c: Checkpoint) -> None:
        body = json.dumps({"chain": "juanzong-audit", "seq": c.seq, "hash": c.hash, "at": c.claims()["at"],
                           "kid": self.key.kid, "jws": sign_checkpoint(c, self.key)}, ensure_ascii=False).encode()
        try:
            await self.store.put_bytes(self.settings.bucket, self._key(c), body, "application/json", if_absent=True,
                                       retain_until=self.clock() + timedelta(days=self.settings.retention_days))
        except ObjectExists:
            pass  # another replica anchored the same head

    # -- export -------------------------------------------------------------------------------------
    async def export(self) -> Checkpoint | None:
        """Anchor the current head: verify that the records since the last checkpoint extend it unchanged, then
        sign and store the new head. ``CheckpointRefused`` when the chain does not extend it (a rewrite)."""
        async with self._lock:
            self._since = 0
            latest = await self.latest()
            head = await self.chain.head()
            if head is None and latest is None:
                return None
            after = latest.seq if latest else 0
            at_previous = await self.chain.record_at(after) if latest else None
            upto = max(head[0] if head else 0, after)
            records = [r async for r in self.chain.records(after_seq=after, upto_seq=upto)]
            result = verify_extension(latest, at_previous, records)
            if result.ok and head is not None and head[0] > after and (not records or records[-1].hash != head[1]):
                result = VerifyResult.bad(len(records), head[0], AuditProblem.TRUNCATED)
            if result.ok and (head is None or head[0] < after):  # the head stored beside the chain went back
                result = VerifyResult.bad(0, after, AuditProblem.TRUNCATED)
            if not result.ok:
                self.refused = result
                log.error("audit chain does not extend its last checkpoint: nothing signed",
                          problem=result.problem, seq=result.first_bad_seq)
                raise CheckpointRefused(result)
            self.refused = None
            if not records:
                return latest  # nothing new since the last checkpoint (which still holds)
            c = checkpoint_of(records[-1], self.clock())
            await self._put(c)
            self._latest = c
            return c

    def _stored(self, count: int) -> None:
        self._since += count
        if self._since >= self.settings.every_records:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-checkpoints")

    async def stop(self) -> None:
        await _stop_loop(self)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.every_seconds)
            except TimeoutError:
                pass
            self._wake.clear()
            await self.chain.flush()
            try:
                await self.export()
            except asyncio.CancelledError:
                raise
            except CheckpointRefused:
                pass  # logged; verify reports it
            except Exception as error:  # noqa: BLE001 — storage away: try again next round
                log.warning("audit checkpoint not exported", error=str(error))
