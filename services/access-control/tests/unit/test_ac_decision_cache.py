"""The decision path's cache: fresh within its TTL, one database read per key at a time, and never a stale
allow after a grant is revoked or a case's panel changes (吉高法〔2020〕11号 第九条)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from juanzong_access_control.domain.cases import Action, CaseFacts, LinkedCase, Panel
from juanzong_access_control.domain.grants import Approval, ApprovalStep, Grant, GrantBasis
from juanzong_access_control.service_layer.decisions import Decisions, FreshCache

from .conftest import make_case

pytestmark = pytest.mark.unit

class Loader:
    """A database stand-in: returns ``value`` (or what ``gate`` holds it to) and counts reads."""

    def __init__(self, value) -> None:
        self.value, self.calls = value, 0
        self.gate: asyncio.Event | None = None

    async def __call__(self):
        self.calls += 1
        value = self.value
        if self.gate is not None:
            await self.gate.wait()
        return value


async def test_concurrent_misses_share_one_read():
    cache, load = FreshCache(10), Loader("v1")
    load.gate = asyncio.Event()
    waiting = [asyncio.create_task(cache.get("k", load)) for _ in range(50)]
    await asyncio.sleep(0)
    load.gate.set()
    assert await asyncio.gather(*waiting) == ["v1"] * 50
    assert load.calls == 1
    assert await cache.get("k", load) == "v1" and load.calls == 1  # then a hit


async def test_expired_entry_is_read_again_and_unknown_is_not_cached():
    clock = [1000.0]
    cache, load = FreshCache(2.0, refresh_after=2.0, clock=lambda: clock[0]), Loader("v1")
    assert await cache.get("k", load) == "v1"
    load.value = "v2"
    clock[0] += 1.9
    assert await cache.get("k", load) == "v1"
    clock[0] += 0.2  # 2.1 s old: past the TTL, never served
    assert await cache.get("k", load) == "v2" and load.calls == 2
    none = Loader(None)
    assert await cache.get("unknown", none) is None and await cache.get("unknown", none) is None
    assert none.calls == 2


async def test_refresh_ahead_answers_from_the_entry_and_reads_in_the_background():
    clock = [1000.0]
    cache, load = FreshCache(2.0, refresh_after=1.0, clock=lambda: clock[0]), Loader("v1")
    await cache.get("k", load)
    load.value = "v2"
    clock[0] += 1.5
    assert await cache.get("k", load) == "v1"  # still within the TTL: no wait
    assert await cache.get("k", load) == "v1"
    await asyncio.sleep(0.01)
    assert load.calls == 2  # one background read, not one per hit
    assert await cache.get("k", load) == "v2"


async def test_forget_during_a_read_keeps_the_old_read_out():
    cache, old = FreshCache(10), Loader("granted")
    old.gate = asyncio.Event()
    first = asyncio.create_task(cache.get("k", old))
    await asyncio.sleep(0)
    cache.forget("k")  # the change is committed while the read is on its way back
    new = Loader("revoked")
    assert await cache.get("k", new) == "revoked"  # a caller after the forget does not join the old read
    old.gate.set()
    assert await first == "granted"  # the caller that was already waiting gets its read...
    assert await cache.get("k", Loader("x")) == "revoked"  # ...but it was not stored over the new one


async def test_hold_reads_the_database_for_every_caller_until_release():
    cache = FreshCache(10, group=lambda key: key[0])
    await cache.get(("c", "u"), Loader("old"))
    cache.hold("c")
    during = Loader("old")
    during.gate = asyncio.Event()
    racing = asyncio.create_task(cache.get(("c", "u"), during))  # began before the commit
    await asyncio.sleep(0)
    after_commit = Loader("new")
    assert await cache.get(("c", "u"), after_commit) == "new"  # does not join the racing read
    during.gate.set()
    assert await racing == "old"
    cache.release("c")
    assert await cache.get(("c", "u"), Loader("newer")) == "newer"  # nothing from the hold was kept
    assert await cache.get(("c", "u"), Loader("x")) == "newer"  # and caching is back


# -- the decision point --------------------------------------------------------------------------
FULL_CHAIN = (ApprovalStep.UNDERTAKING_JUDGE, ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER)


def facts(*members: str, linked_by: tuple[LinkedCase, ...] = ()) -> CaseFacts:
    """The unit tests' case (吉林省高级人民法院 民一庭, unfinished) with ``members`` beside 承办法官 u-judge."""
    return make_case(panel=Panel(undertaking_judge="u-judge", members=frozenset(members)), linked_by=linked_by)


CASE = facts().case_id


class Cases:
    db = None

    def __init__(self, value: CaseFacts | None) -> None:
        self.value, self.calls = value, 0
        self.gate: asyncio.Event | None = None

    async def facts(self, case_number: str) -> CaseFacts | None:
        self.calls += 1
        value = self.value
        if self.gate is not None:
            await self.gate.wait()
        return value


class Audit:
    def __init__(self) -> None:
        self.records: list[dict] = []
        self.backlog = 0
        self.future: asyncio.Future | None = None

    def submit(self, **record) -> asyncio.Future:
        self.records.append(record)
        self.future = asyncio.get_running_loop().create_future()
        return self.future


def grant_for(person, now: datetime, *, revoked: bool = False) -> Grant:
    return Grant(grant_id="g-1", request_id="ar-1", case_id=CASE, case_court=facts().court, grantee_id=person.id,
                 actions=frozenset({Action.READ_PAGES}), basis=GrantBasis.UNFINISHED_CASE, route=FULL_CHAIN,
                 approvals=tuple(Approval(step=s, approver_id=f"a-{s.value}", at=now - timedelta(hours=1))
                                 for s in FULL_CHAIN),
                 granted_at=now - timedelta(hours=1), expires_at=now + timedelta(days=3),
                 revoked_at=now if revoked else None)


def make(cases: Cases, grants: dict, audit: Audit | None = None, gate: asyncio.Event | None = None,
         **kw) -> Decisions:
    async def load_grants(case_number: str, grantee: str) -> list[Grant]:
        read = list(grants.get(grantee, []))  # what the database holds when the read reaches it
        if gate is not None:
            await gate.wait()
        return read
    return Decisions(cases, audit or Audit(), cache_seconds=60, max_age=5, load_grants=load_grants, **kw)


async def test_revoked_grant_is_refused_at_the_next_decision(people):
    outsider = people.outsider
    now = datetime.now(UTC)
    grants = {outsider.id: [grant_for(outsider, now)]}
    d = make(Cases(facts("u-member")), grants)
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is True
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is True  # cached
    grants[outsider.id] = [grant_for(outsider, now, revoked=True)]  # the approval service commits the revocation
    d.forget_case(CASE)  # ...and forgets the case (Approvals._after)
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is False


async def test_panel_change_in_a_transaction_leaves_no_stale_allow(people):
    li = people.member
    cases = Cases(facts("u-member"))
    d = make(cases, {})
    assert (await d.decide(li, Action.READ_PAGES, CASE))[0].allowed is True

    class Session:  # the bus handler's transaction
        in_transaction, has_ended = True, False
    session = Session()
    d.changing_in(CASE, session, poll_seconds=0.001)
    # a decision during the transaction reads the old panel (not committed yet) ...
    assert (await d.decide(li, Action.READ_PAGES, CASE))[0].allowed is True
    cases.value = facts()  # ... the commit lands: the member is off the panel
    assert (await d.decide(li, Action.READ_PAGES, CASE))[0].allowed is False  # nothing old was cached
    session.in_transaction = False
    await asyncio.sleep(0.02)  # the hold is released
    assert (await d.decide(li, Action.READ_PAGES, CASE))[0].allowed is False
    calls = cases.calls
    await d.decide(li, Action.READ_PAGES, CASE)
    assert cases.calls == calls  # cached again after the change


async def test_read_racing_a_revocation_is_not_cached(people):
    outsider = people.outsider
    now = datetime.now(UTC)
    grants = {outsider.id: [grant_for(outsider, now)]}
    gate = asyncio.Event()
    d = make(Cases(facts("u-member")), grants, gate=gate)
    racing = asyncio.create_task(d.decide(outsider, Action.READ_PAGES, CASE))
    await asyncio.sleep(0.01)  # its read of the grants has reached the database, the answer is on its way
    grants[outsider.id] = [grant_for(outsider, now, revoked=True)]
    d.forget_case(CASE)  # the revocation is committed
    gate.set()
    assert (await racing)[0].allowed is True  # began before the revocation
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is False  # its read was not kept


async def test_a_later_cases_change_reaches_the_original_cases_facts():
    """The original trial's facts embed the later case's team (原审): a change to the later case forgets both."""
    later = LinkedCase(case_id="（2026）吉民再1号", court="吉01", team=frozenset({"u-zhang"}), finished=False)
    cases = Cases(facts("u-member", linked_by=(later,)))
    d = make(cases, {})
    await d.case_facts(CASE)
    d.forget_case(later.case_id)
    calls = cases.calls
    await d.case_facts(CASE)
    assert cases.calls == calls + 1


async def test_every_decision_is_submitted_to_the_audit_and_waits_when_the_writer_is_behind(people):
    li = people.member
    audit = Audit()
    d = make(Cases(facts("u-member")), {}, audit, audit_backlog=10)
    await d.decide(li, Action.READ_PAGES, CASE, resource="page:p-1")
    assert audit.records[-1]["action"] == "decision" and audit.records[-1]["detail"]["allowed"] is True
    audit.backlog = 11  # the database is away: records pile up
    waiting = asyncio.create_task(d.decide(li, Action.READ_PAGES, CASE))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # no answer before its record is stored
    audit.future.set_result(None)
    assert (await waiting)[0].allowed is True
    assert len(audit.records) == 2
