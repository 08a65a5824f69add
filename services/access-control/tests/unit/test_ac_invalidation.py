"""The broadcast handlers every replica runs (``service_layer.invalidation``): what each event drops, and that a
case event applied by another replica is kept out of the cache until that replica has committed it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from juanzong_access_control.domain.cases import Action
from juanzong_access_control.domain.identities import Principal, PrincipalKind
from juanzong_access_control.service_layer.identities import Revocations, VerifiedTokens
from juanzong_access_control.service_layer.invalidation import Invalidation
from juanzong_shared.events import REGISTRY

from .memory import MemoryRevoked
from .test_ac_decision_cache import CASE, Cases, facts, grant_for, make

pytestmark = pytest.mark.unit

QUEUE = "ns.access-control"


class Stored:
    """What the broadcast handlers read from the database: the consumer's ledger and the revoked tokens."""

    def __init__(self) -> None:
        self.ledger: set[str] = set()
        self.revoked = MemoryRevoked()

    async def committed(self, ledger_id: str) -> bool:
        return ledger_id in self.ledger


def setup(d, stored=None):
    stored = stored or Stored()
    revocations, verified = Revocations(stored.revoked), VerifiedTokens()
    b = Invalidation(decisions=d, revocations=revocations, verified_tokens=verified, durable_queue=QUEUE,
                     committed=stored.committed, hold_limit_seconds=5).broadcast()
    return stored, revocations, verified, b


async def deliver(b, event):
    for handler in b.handlers[event.event_type]:
        await handler(REGISTRY.read_payload(event), event)


def registered(**overrides):
    payload = {"case_number": CASE, "court": "吉01", "case_type": "民终", "category": "civil", "paperless": True,
               "department": "民一庭", "panel": [], "registered_at": datetime.now(UTC)} | overrides
    return REGISTRY.create("case.registered", payload, court="吉01", case_id=CASE)


def test_binds_the_case_events_the_service_consumes_and_its_own():
    from juanzong_access_control.service_layer.cases import CaseEvents
    from juanzong_shared.bus import Subscription

    d = make(Cases(facts()), {})
    *_, b = setup(d)
    assert set(Subscription(handlers=CaseEvents(d).handlers).routing_keys) <= set(b.routing_keys)
    assert {"access.request.approved", "access.request.revoked", "access.request.expired",
            "access.token.revoked"} <= set(b.routing_keys)
    assert b.on_connect is not None


async def test_case_event_from_elsewhere_holds_the_case_until_its_effect_is_committed(people):
    li = people.member
    cases = Cases(facts("u-member"))
    d = make(cases, {})
    stored, *_, b = setup(d)
    assert (await d.decide(li, Action.READ_PAGES, CASE))[0].allowed is True  # cached
    event = registered()
    await deliver(b, event)  # another replica is applying it
    calls = cases.calls
    for _ in range(3):  # held: every decision reads the database, nothing is cached
        await d.decide(li, Action.READ_PAGES, CASE)
    assert cases.calls == calls + 3
    cases.value = facts()  # the other replica commits: li leaves the panel, the ledger records the event
    stored.ledger.add(f"{QUEUE}:{event.event_id}")
    await asyncio.sleep(0.1)
    assert not d.facts.held(CASE)
    assert (await d.decide(li, Action.READ_PAGES, CASE))[0].allowed is False
    calls = cases.calls
    await d.decide(li, Action.READ_PAGES, CASE)
    assert cases.calls == calls  # cached again, the new facts


async def test_grant_event_forgets_the_cases_grants(people):
    outsider = people.outsider
    now = datetime.now(UTC)
    grants = {outsider.id: [grant_for(outsider, now)]}
    d = make(Cases(facts()), grants)
    *_, b = setup(d)
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is True
    grants[outsider.id] = [grant_for(outsider, now, revoked=True)]  # revoked and committed on another replica
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is True  # the stale cache
    event = REGISTRY.create("access.request.revoked", {
        "request_id": "ar-1", "case_number": CASE, "requester": outsider.id, "state": "revoked", "at": now},
        case_id=CASE)
    await deliver(b, event)
    assert (await d.decide(outsider, Action.READ_PAGES, CASE))[0].allowed is False


async def test_token_revoked_elsewhere_is_refused_and_reconnect_clears_everything(people):
    d = make(Cases(facts()), {})
    stored, revocations, verified, b = setup(d)
    principal = Principal(id="u-x", name="x", court="c", kind=PrincipalKind.USER)
    until = datetime.now(UTC) + timedelta(minutes=10)
    verified.put("tok", until.timestamp(), "jti-1", principal)
    event = REGISTRY.create("access.token.revoked", {"jti": "jti-1", "until": until, "at": datetime.now(UTC)})
    await deliver(b, event)
    assert revocations.is_revoked("jti-1") and verified.get("tok") is None

    await d.case_facts(CASE)
    verified.put("tok2", until.timestamp(), "jti-2", principal)
    stored.revoked.until["jti-3"] = until
    await b.on_connect()
    assert len(d.facts) == 0 and verified.get("tok2") is None
    assert revocations.is_revoked("jti-3")
    assert revocations.is_revoked("jti-1")  # heard by broadcast, kept by the reload (merge, not replace)
