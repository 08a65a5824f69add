"""The decision point on the request path: case facts and grants from a short cache, the pure rule
(``domain.policy.decide``), and an audit record for every answer (全程留痕)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from juanzong_shared.logging import get_logger

from ..adapters.audit_chain import AuditChain
from ..domain.cases import Action, CaseFacts, PageSource, ResourceRef
from ..domain.grants import Grant
from ..domain.identities import Principal, PrincipalKind
from ..domain.policy import Decision, decide, decide_unknown_case

log = get_logger(__name__)


class _Entry:
    __slots__ = ("loaded_at", "value")

    def __init__(self, loaded_at: float, value: Any) -> None:
        self.loaded_at, self.value = loaded_at, value


class FreshCache:
    """A per-process read-through cache for the decision path (case facts, grants).

    * An entry is served for at most ``ttl`` seconds after it was read from the database. Past
      ``refresh_after`` of that, the next hit starts one background re-read and is answered from the entry
      (refresh-ahead): a steady stream of decisions never waits for the database at expiry.
    * Loads are single-flight: callers that miss while a load of the same key runs await that load, so an
      expiry under a burst costs one database read, not one per request.
    * Keys belong to a group (``group(key)``: the case number). ``forget(group)`` drops the group's entries
      and detaches its loads in flight: a load that began before the change is neither stored nor handed
      to a caller that arrives after the ``forget``.
    * ``hold(group)`` (while a change to the case is being committed) keeps the group out of the cache:
      each decision reads the database itself until ``release(group)``, which forgets the group once more.
      A read that raced the commit is thrown away instead of being served for ``ttl``.
    """

    def __init__(self, ttl: float, *, group: Callable[[Any], Any] = lambda key: key,
                 refresh_after: float | None = None, max_entries: int = 20_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.group, self.max_entries, self.clock = ttl, group, max_entries, clock
        self.refresh_after = ttl * 0.5 if refresh_after is None else min(refresh_after, ttl)
        self._data: dict[Any, _Entry] = {}
        self._inflight: dict[Any, asyncio.Future] = {}
        self._held: dict[Any, int] = {}
        self._tasks: set[asyncio.Future] = set()
        self.loads = 0  # database reads made (for tests and the bench)

    async def get(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        if self._held and self.group(key) in self._held:
            # a change is being committed: read for this caller alone (a load begun before the commit must
            # not answer a caller that arrives after it), and keep nothing
            self.loads += 1
            return await load()
        entry = self._data.get(key)
        if entry is not None:
            age = self.clock() - entry.loaded_at
            if age < self.ttl:
                if age >= self.refresh_after and key not in self._inflight:
                    self._start(key, load, background=True)
                return entry.value
            self._data.pop(key, None)
        future = self._inflight.get(key)
        if future is None:
            future = self._start(key, load, background=False)
        # shield: one caller's cancellation (a dropped connection) does not cancel the others' load
        return await asyncio.shield(future)

    def _start(self, key: Any, load: Callable[[], Awaitable[Any]], *, background: bool) -> asyncio.Future:
        task = asyncio.ensure_future(self._load(key, load))
        self._inflight[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if background:  # nobody awaits it: a failure is logged and the entry simply expires
            task.add_done_callback(_log_failure)
        return task

    async def _load(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        started = self.clock()  # the entry's age counts from before the read
        me = asyncio.current_task()
        try:
            self.loads += 1
            value = await load()
            # Stored only if nothing changed the group meanwhile (forget detached us) and no change is being
            # committed; an unknown case (None) is asked again: its registration may be arriving.
            if (self._inflight.get(key) is me and self.group(key) not in self._held and self.ttl > 0
                    and value is not None):
                if len(self._data) >= self.max_entries:
                    self._data.clear()
                self._data[key] = _Entry(started, value)
            return value
        finally:
            if self._inflight.get(key) is me:
                del self._inflight[key]

    def forget(self, group: Any) -> None:
        for key in [k for k in self._data if self.group(k) == group]:
            self._data.pop(key, None)
        for key in [k for k in self._inflight if self.group(k) == group]:
            self._inflight.pop(key, None)  # the load finishes for the callers already waiting, unstored

    def hold(self, group: Any) -> None:
        """A change to ``group`` is being written: stop caching it until :meth:`release`."""
        self._held[group] = self._held.get(group, 0) + 1
        self.forget(group)

    def release(self, group: Any) -> None:
        count = self._held.pop(group, 0) - 1
        if count > 0:
            self._held[group] = count
        self.forget(group)

    def held(self, group: Any) -> bool:
        return group in self._held

    def clear(self) -> None:
        """Drop every entry and detach every load in flight (events may have been missed)."""
        self._data.clear()
        self._inflight.clear()

    def detach_loads(self) -> None:
        """Loads in flight finish for their callers but are not stored."""
        self._inflight.clear()

    def values(self) -> list[tuple[Any, Any]]:
        return [(key, entry.value) for key, entry in self._data.items()]

    def __len__(self) -> int:
        return len(self._data)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("background cache refresh failed", error=str(task.exception()))


class CaseReader(Protocol):
    async def facts(self, case_number: str) -> CaseFacts | None: ...


async def _unknown(_key: str) -> None:
    return None


class Decisions:
    """``cases`` reads a case's facts (``facts(case_number)``); the loaders read a case's grants of one grantee,
    the case of a scan task and an active station client."""

    def __init__(self, cases: CaseReader, audit: AuditChain, *, cache_seconds: float, max_age: int,
                 load_grants: Callable[[str, str], Awaitable[list[Grant]]], audit_backlog: int = 50_000,
                 load_scan_task: Callable[[str], Awaitable[str | None]] | None = None,
                 load_station: Callable[[str], Awaitable[Principal | None]] | None = None) -> None:
        self.cases, self.audit, self.max_age = cases, audit, max_age
        self.audit_backlog = audit_backlog
        self._load_grants = load_grants
        self._load_scan_task = load_scan_task or _unknown
        self._load_station = load_station or _unknown
        self.facts = FreshCache(cache_seconds)
        self.grants = FreshCache(cache_seconds, group=lambda key: key[0])
        # scan task → case never changes once known (an unknown task is asked again: its event may be arriving)
        self.scan_tasks = FreshCache(max(cache_seconds, 300.0))
        self._watchers: set[asyncio.Task] = set()

    def _linking(self, case_number: str) -> list[str]:
        """Cached cases whose facts embed ``case_number`` as a later case that linked them (原审)."""
        return [key for key, facts in self.facts.values()
                if any(linked.case_id == case_number for linked in facts.linked_by)]

    def forget_case(self, case_number: str) -> None:
        """The case's facts or grants changed (committed): the next decision reads them again."""
        for key in (case_number, *self._linking(case_number)):
            self.facts.forget(key)
        self.grants.forget(case_number)

    def hold_case(self, case_number: str) -> None:
        """A change to the case is being written: no decision caches what it reads until ``release_case``."""
        self.facts.hold(case_number)
        self.grants.hold(case_number)
        self.forget_case(case_number)

    def release_case(self, case_number: str) -> None:
        self.facts.release(case_number)
        self.grants.release(case_number)
        # another case's facts being loaded now may embed this one (a later case's team): not stored either
        self.facts.detach_loads()
        self.forget_case(case_number)

    def forget_all(self) -> None:
        """Everything may be stale (the broadcast of changes was interrupted): read it all again."""
        self.facts.clear()
        self.grants.clear()

    def changing_until(self, case_number: str, done: Callable[[], Awaitable[bool]], *,
                       poll_seconds: float = 0.02, limit_seconds: float = 60.0) -> None:
        """Another replica is applying a change to the case: hold it (no caching, each decision reads the
        database) until ``done()`` says the change is committed, then forget it — forgetting only on receipt
        would let this replica cache the facts the other one is about to replace."""
        self.hold_case(case_number)

        async def watch() -> None:
            try:
                deadline = time.monotonic() + limit_seconds
                delay = poll_seconds
                while time.monotonic() < deadline:
                    try:
                        if await done():
                            return
                    except Exception as error:  # noqa: BLE001 — database away: keep holding, ask again
                        log.warning("change watch failed", case_number=case_number, error=str(error))
                    await asyncio.sleep(delay)
                    delay = min(delay * 1.5, 0.5)
                log.warning("change to the case not committed in time; caching again", case_number=case_number)
            finally:
                self.release_case(case_number)
        task = asyncio.get_running_loop().create_task(watch(), name=f"cache-hold-remote:{case_number}")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    def changing(self, case_number: str, session: Any) -> None:
        """``case_number`` is being changed in ``session``'s transaction (None: already committed)."""
        if session is None:
            self.forget_case(case_number)
        else:
            self.changing_in(case_number, session)

    def changing_in(self, case_number: str, session: Any, *, poll_seconds: float = 0.002,
                    limit_seconds: float = 300.0) -> None:
        """A bus handler changes the case inside ``session``'s transaction: hold the case now and release it
        once the transaction has ended (committed or aborted) — forgetting only before the commit would let
        a decision racing the commit cache the old facts for the whole TTL."""
        self.hold_case(case_number)

        async def watch() -> None:
            try:
                deadline = time.monotonic() + limit_seconds
                while (session is not None and session.in_transaction and not session.has_ended
                       and time.monotonic() < deadline):
                    await asyncio.sleep(poll_seconds)
            finally:
                self.release_case(case_number)
        task = asyncio.get_running_loop().create_task(watch(), name=f"cache-hold:{case_number}")
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    async def case_facts(self, case_number: str) -> CaseFacts | None:
        return await self.facts.get(case_number, lambda: self.cases.facts(case_number))

    async def grants_of(self, case_number: str, grantee: str) -> list[Grant]:
        return await self.grants.get((case_number, grantee), lambda: self._load_grants(case_number, grantee))

    async def page_source(self, ref: ResourceRef) -> PageSource:
        """The station and scan task a page-adding question names, as this service knows them."""
        station = await self._load_station(ref.station_id) if ref.station_id else None
        task_case = (await self.scan_tasks.get(ref.scan_task_id, lambda: self._load_scan_task(ref.scan_task_id))
                     if ref.scan_task_id else None)
        return PageSource(station_id=ref.station_id, station=station, scan_task_id=ref.scan_task_id,
                          scan_task_case=task_case, ambiguous=ref.ambiguous)

    async def decide(self, principal: Principal, action: Action, case_number: str, *,
                     resource: str | None = None, record: bool = True) -> tuple[Decision, int]:
        """The decision and how many seconds a caller may reuse it. A case never registered here is a deny."""
        now = datetime.now(UTC)
        facts = await self.case_facts(case_number)
        if facts is None:
            decision = decide_unknown_case(action, now)
        else:
            ref = ResourceRef.parse(resource)
            source = await self.page_source(ref) if action is Action.ADD_PAGES else None
            grants = await self.grants_of(case_number, principal.id) if principal.kind is PrincipalKind.USER else []
            decision = decide(principal, action, facts, grants, now, material=ref.material, source=source)
        max_age = max(0, min(self.max_age, int((decision.valid_until - now).total_seconds())))
        if record:
            stored = self.audit.submit(actor=principal.id, action="decision", case_id=case_number, at=now, detail={
                "action": action.value, "allowed": decision.allowed, "rule": decision.rule,
                "reason": decision.reason_zh, "resource": resource, "grant_id": decision.grant_id,
                "kind": principal.kind.value})
            # Write-behind with a bound: normally the answer goes out while its record waits (a few ms) for
            # the next batch; when the writer falls behind (database away), decisions wait for their record
            # to be stored instead of piling up unrecorded answers.
            if self.audit.backlog > self.audit_backlog:
                await stored
        return decision, max_age
