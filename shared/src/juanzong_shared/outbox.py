"""Transactional outbox, idempotency ledger and the unit of work that ties them to a service's data.

Data and the events it causes are written in one MongoDB transaction; the :class:`OutboxRelay` publishes
them afterwards with publisher confirms and retries until the broker has them. A consumer records each
message it handled in the ledger in the same transaction as its effect, so a redelivery changes nothing.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from juanzong_shared.db import Mongo
from juanzong_shared.events import REGISTRY, Event, EventRegistry, Payload
from juanzong_shared.logging import get_logger
from juanzong_shared.metrics import OUTBOX_PENDING, OUTBOX_PUBLISHED

OUTBOX = "outbox"
LEDGER = "processed_messages"

INDEXES = {
    # Pending entries in the order they were written: a transaction's events share ``created_at``
    # and keep the order they were emitted in by ``seq``.
    OUTBOX: [IndexModel([("published_at", ASCENDING), ("created_at", ASCENDING), ("seq", ASCENDING)],
                        name="pending_in_order")],
    LEDGER: [IndexModel([("processed_at", ASCENDING)], name="processed_at")],
}

log = get_logger(__name__)


R = TypeVar("R")


class AlreadyProcessed(Exception):
    """The message was handled before (found in the ledger)."""


RepositoriesFactory = Callable[[AsyncDatabase, AsyncClientSession], R]


class UnitOfWork(Generic[R]):
    """``async with runtime.unit_of_work() as uow:`` — data through ``uow.repos``, events with ``uow.emit``.

    ``repos`` is the service's repositories (``adapters/repository.py``), made for this transaction's
    session: the session never leaves them. Leaving the block without an exception commits the data, the
    outbox entries and the ledger entry together; an exception aborts all of them.
    """

    def __init__(self, mongo: Mongo, *, on_commit: Callable[[], None] | None = None,
                 repositories: RepositoriesFactory[R] | None = None, registry: EventRegistry = REGISTRY) -> None:
        self.mongo = mongo
        self.db = mongo.db
        self._on_commit = on_commit
        self._repositories = repositories
        self._registry = registry
        self._events: list[tuple[Event, str]] = []
        self._ledger_id: str | None = None
        self._tx: Any = None
        self.session: AsyncClientSession | None = None
        self._repos: R | None = None

    @property
    def repos(self) -> R:
        if self._repos is None:
            raise RuntimeError("no repositories: enter the unit of work, made with the service's repositories")
        return self._repos

    def emit(self, payload: Payload | Event, routing_key: str | None = None, *, court: str | None = None,
             case_number: str | None = None, event_type: str | None = None) -> Event:
        """Record an event to publish when the transaction commits. ``payload`` is a typed payload model (its
        event type and version come from the registry); an already built :class:`Event` is taken as it is
        (the relay re-publishing, a station's command). Returns the envelope."""
        if isinstance(payload, Event):
            event = payload
        elif isinstance(payload, Payload):
            event = self._registry.event(payload, court=court, case_number=case_number, event_type=event_type)
        else:
            raise TypeError(f"emit a payload model, not {type(payload).__name__}")
        self._events.append((event, routing_key or event.event_type))
        return event

    @property
    def events(self) -> list[Event]:
        return [e for e, _ in self._events]

    def mark_processed(self, ledger_id: str) -> None:
        self._ledger_id = ledger_id

    async def __aenter__(self) -> UnitOfWork[R]:
        self._tx = self.mongo.transaction()
        self.session = await self._tx.__aenter__()
        if self._repositories is not None:
            self._repos = self._repositories(self.db, self.session)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                await self._flush()
            except BaseException as error:
                await self._tx.__aexit__(type(error), error, error.__traceback__)
                raise
        result = await self._tx.__aexit__(exc_type, exc, tb)
        if exc_type is None and self._events and self._on_commit:
            self._on_commit()
        return bool(result)

    async def _flush(self) -> None:
        now = datetime.now(UTC)
        if self._ledger_id is not None:
            try:
                await self.db[LEDGER].insert_one({"_id": self._ledger_id, "processed_at": now}, session=self.session)
            except DuplicateKeyError:
                raise AlreadyProcessed(self._ledger_id) from None
        if self._events:
            await self.db[OUTBOX].insert_many([
                {"_id": str(event.event_id), "routing_key": key, "event": event.model_dump(mode="json"),
                 "created_at": now, "seq": seq, "published_at": None, "attempts": 0}
                for seq, (event, key) in enumerate(self._events)
            ], session=self.session)


T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    """A write conflict or a dropped primary: the whole transaction may simply be run again."""
    return isinstance(error, PyMongoError) and (
        error.has_error_label("TransientTransactionError") or error.has_error_label("UnknownTransactionCommitResult")
        or getattr(error, "code", None) in (112, 251))


async def transact(mongo: Mongo, work: Callable[[UnitOfWork], Awaitable[T]], *,
                   on_commit: Callable[[], None] | None = None, budget_seconds: float = 90.0,
                   repositories: RepositoriesFactory | None = None) -> T:
    """Run ``work`` in a unit of work, again from the start while the database reports a transient
    conflict (MongoDB's documented retry rule for transactions).

    The budget covers the embedded SecantusDB, which serialises transactions on a collection and keeps a
    crashed client's open transaction for about a minute.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_seconds
    delay = 0.02
    while True:
        try:
            async with UnitOfWork(mongo, on_commit=on_commit, repositories=repositories) as uow:
                result = await work(uow)
            return result
        except PyMongoError as error:
            if not is_transient(error) or loop.time() + delay > deadline:
                raise
            await asyncio.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


async def already_processed(mongo: Mongo, ledger_id: str) -> bool:
    return await mongo.db[LEDGER].find_one({"_id": ledger_id}, projection={"_id": 1}) is not None


Publisher = Callable[[Event, str], Awaitable[None]]


CLAIM_LEASE = timedelta(seconds=30)


class OutboxRelay:
    """Publishes outbox entries in order of creation; wakes on commit and polls as a safety net."""

    PRUNE_EVERY = timedelta(hours=1)

    def __init__(self, mongo: Mongo, publish: Publisher, service: str, *, poll_seconds: float = 1.0,
                 batch: int = 200, retention: timedelta | None = timedelta(days=7)) -> None:
        self.mongo = mongo
        self.publish = publish
        self.service = service
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.retention = retention or None  # None or zero: published entries are kept
        self._pruned_at: datetime | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.relay_id = f"{service}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()

    async def pending(self) -> int:
        return await self.mongo.db[OUTBOX].count_documents({"published_at": None})

    async def relay_once(self) -> int:
        """Publish what is pending, in order; returns how many were published. Stops at the first
        failure, and at the first entry another relay holds."""
        sent = 0
        outbox = self.mongo.db[OUTBOX]
        cursor = outbox.find({"published_at": None}).sort(
            [("created_at", ASCENDING), ("seq", ASCENDING)]).limit(self.batch)
        async for doc in cursor:
            # Several processes of one service relay the same outbox: each entry is claimed for a short
            # lease first, so only one of them publishes it (a relay that dies lets the lease run out).
            # A relay that finds an entry taken stops there rather than publishing the entries after
            # it: one relay at a time drains the outbox, so events go out in the order they were written.
            # The claim is an update by ``_id`` whose other conditions are plain field clauses: SecantusDB
            # (the embedded stack's database) reads a filter with a top-level ``$or``, or a find-and-modify,
            # by scanning the whole collection, published entries included (kept for ``retention``); so the
            # claim cost grew with the outbox (server CPU a claim: 9 ms at 200 entries, 86 ms at 3,000; this
            # form: 1 ms at either).
            now = datetime.now(UTC)
            claimed = await outbox.update_one(
                {"_id": doc["_id"], "published_at": None, "claimed_until": {"$not": {"$gte": now}}},  # free or lapsed
                {"$set": {"claimed_until": now + CLAIM_LEASE, "claimed_by": self.relay_id}})
            if claimed.modified_count == 0:
                break  # another relay has it (it goes on with the rest), or published it meanwhile
            event = Event.model_validate(doc["event"])
            try:
                await self.publish(event, doc["routing_key"])
            except Exception as error:  # broker down: keep the entry, try again later
                await outbox.update_one({"_id": doc["_id"]}, {"$inc": {"attempts": 1},
                                                              "$set": {"claimed_until": None}})
                log.warning("outbox publish failed; will retry", event_id=doc["_id"], error=str(error))
                break
            await outbox.update_one({"_id": doc["_id"]}, {"$set": {"published_at": datetime.now(UTC)}})
            OUTBOX_PUBLISHED.labels(self.service).inc()
            sent += 1
        return sent

    async def prune(self) -> int:
        """Delete the entries published longer ago than ``retention``; returns how many. Without it
        the outbox keeps every event the service ever wrote."""
        if self.retention is None:
            return 0
        cutoff = datetime.now(UTC) - self.retention
        result = await self.mongo.db[OUTBOX].delete_many({"published_at": {"$lt": cutoff}})
        if result.deleted_count:
            log.info("published outbox entries pruned", deleted=result.deleted_count, before=cutoff.isoformat())
        return result.deleted_count

    async def _prune_when_due(self) -> None:
        now = datetime.now(UTC)
        if self._pruned_at is None or now - self._pruned_at >= self.PRUNE_EVERY:
            self._pruned_at = now
            await self.prune()

    async def _run(self) -> None:
        delay = self.poll_seconds
        while not self._stopping:
            sent = 0
            try:
                await self._prune_when_due()
                sent = await self.relay_once()
                pending = await self.pending()
                OUTBOX_PENDING.labels(self.service).set(pending)
                if sent and pending:
                    continue  # more to send right away
                delay = self.poll_seconds if not pending else min(delay * 2, 15)  # pending but failing: back off
            except Exception as error:
                log.warning("outbox relay error", error=str(error))
                delay = min(delay * 2, 15)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
            self._wake.clear()
        try:
            await self.relay_once()
        except Exception as error:
            log.warning("outbox not drained at shutdown; the next start relays it", error=str(error))
