"""The decision path's use of case facts (``service_layer.decisions``, ``service_layer.invalidation``): an unknown
case is a deny for everyone, a page-adding question's station and scan task are looked up, and the events that end
a 原审 link (unlink, return to the lower court) keep the original out of every replica's cache until committed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.cases import Action, LinkedCase
from juanzong_access_control.domain.identities import PrincipalKind, Role
from juanzong_access_control.service_layer.cases import CaseEvents
from juanzong_shared.bus import Subscription
from juanzong_shared.events import REGISTRY

from .conftest import HIGH, make_case
from .test_ac_decision_cache import Audit, Cases
from .test_ac_invalidation import QUEUE, Stored, deliver, setup

pytestmark = pytest.mark.unit

CASE = make_case().case_id
ORIGINAL = "（2025）吉01民初5号"


def decisions(cases, *, tasks=None, stations=None):
    from juanzong_access_control.service_layer.decisions import Decisions

    calls = {"tasks": 0, "stations": 0}

    async def load_scan_task(task_id):
        calls["tasks"] += 1
        return (tasks or {}).get(task_id)

    async def load_station(client_id):
        calls["stations"] += 1
        return (stations or {}).get(client_id)

    async def no_grants(case_number, grantee):
        return []
    d = Decisions(cases, Audit(), cache_seconds=60, max_age=5, load_grants=no_grants,
                  load_scan_task=load_scan_task, load_station=load_station)
    return d, calls


async def test_unknown_case_is_a_deny_for_machine_accounts_too(people):
    """吉高法〔2020〕11号 第三条(三), 第九条: a case never registered here is refused whoever asks — a service's scope
    opens nothing on a case this service does not know (it used to be judged by the case number's court)."""
    d, _ = decisions(Cases(None))
    for who, action in ((people.service, Action.READ_TEXT), (people.judge, Action.READ_PAGES),
                        (people.station, Action.ADD_PAGES)):
        decision, _ = await d.decide(who, action, CASE)
        assert not decision.allowed and "未登记" in decision.reason_zh, who.id
    assert (await d.decide(people.station, Action.ADD_PAGES, CASE))[0].rule == rules.ART3_3


async def test_page_source_looked_up_and_known_task_cached_第三条三2(person_factory):
    """吉高法〔2020〕11号 第三条(三)2, 第四条(一)3: the named station's client and the scan task's case decide;
    a known task → case is kept (it never changes), an unknown one is asked again (its event may be arriving)."""
    adder = person_factory("scan-ocr", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, scopes=("dossier:add_pages",))
    station = person_factory("station-01", Role.SCANNING_STATION, kind=PrincipalKind.STATION, scopes=("scan:submit",))
    tasks = {"st-1": CASE}
    d, calls = decisions(Cases(make_case()), tasks=tasks, stations={"station-01": station})
    ok, _ = await d.decide(adder, Action.ADD_PAGES, CASE, resource="station:station-01;scan_task:st-1")
    assert ok.allowed
    again, _ = await d.decide(adder, Action.ADD_PAGES, CASE, resource="scan_task:st-1;page:p-1")
    assert again.allowed and calls["tasks"] == 1 and calls["stations"] == 1
    for _ in range(2):
        no, _ = await d.decide(adder, Action.ADD_PAGES, CASE, resource="station:station-01;scan_task:st-2")
        assert not no.allowed and no.rule == rules.ART3_3_2
    assert calls["tasks"] == 3
    tasks["st-2"] = CASE  # scan.task.created arrives
    assert (await d.decide(adder, Action.ADD_PAGES, CASE, resource="scan_task:st-2"))[0].allowed
    gone, _ = await d.decide(adder, Action.ADD_PAGES, CASE, resource="station:station-07")
    assert not gone.allowed and rules.ART4_1_3 in gone.rule
    # a read does not look anything up
    before = dict(calls)
    await d.decide(adder, Action.READ_PAGES, CASE, resource="station:station-01;scan_task:st-9")
    assert calls == before


def linked(*later: str):
    return make_case(case_id=ORIGINAL, finished=True, linked_by=tuple(
        LinkedCase(case_id=cn, court=HIGH, team=frozenset({"u-outsider"})) for cn in later))


class ByCase(Cases):
    """Facts per case number (the fake database)."""

    def __init__(self, facts: dict) -> None:
        super().__init__(None)
        self.by_case = facts

    async def facts(self, case_number: str):
        self.calls += 1
        return self.by_case.get(case_number)


@pytest.mark.parametrize("event_type", ["case.original.unlinked", "case.returned_to_lower_court"])
async def test_link_ended_elsewhere_is_refused_once_committed_第三条二(people, event_type):
    """吉高法〔2020〕11号 第三条(二): an unlink, or the later case returned to the lower court, applied by another
    replica: this replica stops allowing the later team to read the 原审 as soon as the change is committed,
    although the original's facts were cached (TTL 60 s) and re-read while the change was being written."""
    cases = ByCase({ORIGINAL: linked(CASE)})
    d, _ = decisions(cases)
    stored = Stored()
    *_, b = setup(d, stored)
    member = people.outsider  # on the later case's team, not the original's
    assert (await d.decide(member, Action.READ_PAGES, ORIGINAL))[0].allowed  # cached
    if event_type == "case.original.unlinked":
        payload = {"case_number": CASE, "original_case_number": ORIGINAL, "by": "u-filing", "reason": "关联错误"}
    else:
        payload = {"case_number": CASE, "lower_court": "吉0102", "reason": "未挂接原审电子卷宗",
                   "at": datetime.now(UTC)}
    event = REGISTRY.create(event_type, payload, case_id=CASE)
    await deliver(b, event)
    assert (await d.decide(member, Action.READ_PAGES, ORIGINAL))[0].allowed  # not committed yet: read again
    cases.by_case[ORIGINAL] = linked()  # the other replica commits: the link is gone
    stored.ledger.add(f"{QUEUE}:{event.event_id}")
    await asyncio.sleep(0.1)
    decision, _ = await d.decide(member, Action.READ_PAGES, ORIGINAL)
    assert not decision.allowed


def test_case_handlers_consume_the_link_ending_and_scan_task_events():
    d, _ = decisions(Cases(None))
    keys = Subscription(handlers=CaseEvents(d).handlers).routing_keys
    assert {"case.original.unlinked", "case.returned_to_lower_court", "scan.task.created"} <= set(keys)


def test_an_original_stays_linked_while_any_of_its_records_is_第三条二():
    """吉高法〔2020〕11号 第三条(二): intake links an original record by record; unlinking one wrong record leaves the
    original open through the others, unlinking the last (or a return, naming none) closes it; a delivery that
    arrives late does not undo a later word on the same record."""
    from datetime import timedelta

    from juanzong_access_control.domain.cases import link_records_after

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    recs = link_records_after((), ["e_dossier:ED-1"], True, t0)
    recs = link_records_after(recs, ["e_archive:EA-1"], True, t0 + timedelta(seconds=1))
    recs = link_records_after(recs, ["e_dossier:ED-1"], False, t0 + timedelta(seconds=2))
    assert any(r.active for r in recs)
    late = link_records_after(recs, ["e_dossier:ED-1"], True, t0)  # the first link, redelivered late
    assert not {r.ref: r.active for r in late}["e_dossier:ED-1"]
    closed = link_records_after(recs, ["e_archive:EA-1"], False, t0 + timedelta(seconds=3))
    assert not any(r.active for r in closed)
    returned = link_records_after(recs, [], False, t0 + timedelta(seconds=3))
    assert not any(r.active for r in returned) and len(returned) == 2
    bare = link_records_after((), [], True, t0)  # a link naming no record
    assert not any(r.active for r in link_records_after(bare, ["e_dossier:ED-9"], False, t0 + timedelta(seconds=1)))
    relinked = link_records_after(closed, ["e_archive:EA-1"], True, t0 + timedelta(seconds=4))
    assert any(r.active for r in relinked)
