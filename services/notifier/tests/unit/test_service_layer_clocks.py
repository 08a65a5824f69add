"""The clocks' use cases on an in-memory unit of work: events from the bus start and stop deadline clocks, the
scheduler's pass notifies and escalates an overdue step once, a redelivered event changes nothing."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta

import pytest
from juanzong_notifier.domain.calendar import SHANGHAI
from juanzong_shared.bus import Delivery
from juanzong_shared.errors import DomainError
from juanzong_shared.events import REGISTRY, Payload
from juanzong_shared.events.archive import ArchiveStepChanged
from juanzong_shared.events.intake import CaseClosed, CaseRegistered, HearingEvent, PanelMember

from .memory import World

pytestmark = pytest.mark.unit

COURT, CASE = "吉01", "（2026）吉01民终7号"
CLOSED_AT = datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)  # a Monday: 立卷 is due by Wednesday 4 March, 24时


def world() -> World:
    return World(department_heads={f"{COURT}/民一庭": "u-head"})


async def deliver(w: World, payload: Payload, *, event_id: uuid.UUID | None = None, court: str | None = COURT,
                  event_type: str | None = None) -> None:
    """What the bus does with one message: the handler runs inside a unit of work with the message's envelope."""
    event = REGISTRY.event(payload, court=court, case_number=CASE, event_id=event_id, event_type=event_type)
    async with w.uow as uow:
        await w.clocks.handler()(payload, Delivery(event, uow))


def registered() -> CaseRegistered:
    return CaseRegistered(case_number=CASE, court=COURT, case_type="民终", category="civil", paperless=True,
                          department="民一庭", registered_at=datetime(2026, 2, 2, 9, tzinfo=SHANGHAI),
                          panel=[PanelMember(user_id="u-judge", role="undertaking_judge"),
                                 PanelMember(user_id="u-asst", name="李助理", role="judge_assistant")])


def closed(at: datetime = CLOSED_AT) -> CaseClosed:
    return CaseClosed(case_number=CASE, closed_at=at)


def clock(w: World, rule: str) -> dict:
    return w.repos.clocks.docs[f"{COURT}/{CASE}/{rule}/{CASE}"]


async def test_case_closed_starts_the_filing_clock_with_its_responsible_person():
    """吉高法〔2020〕11号 第五条(四): 结案后2个工作日内立卷, counted from closed_at; the assistant answers for it."""
    w = world()
    await deliver(w, registered())
    await deliver(w, closed())
    filing = clock(w, "closing_filing")
    assert filing["state"] == "running" and filing["responsible_id"] == "u-asst"
    assert filing["due"].astimezone(SHANGHAI).date().isoformat() == "2026-03-04"
    assert clock(w, "close_to_archive")["state"] == "running"  # 第七条: one natural month to 归档
    assert [e.type for e in await w.repos.indicators.events(COURT)] == ["case.registered", "case.closed"]


async def test_its_stop_event_stops_it():
    w = world()
    await deliver(w, closed())
    await deliver(w, ArchiveStepChanged(case_number=CASE, step="submitted", at=datetime(2026, 3, 3, 15, tzinfo=SHANGHAI)),
                  event_type="archive.filing.submitted")
    assert clock(w, "closing_filing")["state"] == "stopped"
    assert clock(w, "close_to_archive")["state"] == "running"
    assert clock(w, "filing_review")["state"] == "running"  # 核查 starts when 立卷 is submitted
    [deadline] = [d for d in await w.clocks.case_deadlines(CASE, datetime(2026, 3, 5, tzinfo=SHANGHAI))
                  if d["rule"] == "closing_filing"]
    assert deadline["status"] == "done"


def escalations(w: World) -> list:
    return [p for p in w.uow.payloads("notify.deadline.escalated") if p.rule == "closing_filing"]


async def test_an_overdue_clock_is_notified_and_escalated_once():
    """第七条: an overrun is reported to the responsible person and escalated to the department head — once, however
    many scheduler passes follow. Closed 14 days ago, so 立卷 (2 working days) is overdue whatever holidays fell in
    between, while the one-month close-to-archive clock has not run out."""
    w = world()
    now = datetime.now(SHANGHAI)
    await deliver(w, registered())
    await deliver(w, closed(now - timedelta(days=14)))
    assert await w.clocks.process_due() >= 2
    [escalated] = escalations(w)
    assert escalated.recipient == "u-head" and escalated.citation == "吉高法〔2020〕11号 第五条(四)"
    head_items, unread = await w.reminders.inbox("u-head", unread_only=True, limit=10)
    assert unread == 1 and head_items[0]["kind"] == "escalation" and head_items[0]["rule_id"] == "closing_filing"

    for later in (1, 25, 72):
        await w.clocks.process_due(now=now + timedelta(hours=later))
    assert len(escalations(w)) == 1
    assert (await w.reminders.inbox("u-head", unread_only=False, limit=10))[1] == 1


async def test_a_redelivered_event_changes_nothing():
    w = world()
    event_id = uuid.uuid4()
    await deliver(w, registered())
    await deliver(w, closed(), event_id=event_id)
    clocks, facts = copy.deepcopy(w.repos.clocks.docs), dict(w.repos.indicators.by_id)
    await deliver(w, closed(), event_id=event_id)
    assert w.repos.clocks.docs == clocks and w.repos.indicators.by_id == facts


async def test_an_event_without_a_court_takes_the_court_of_its_registered_case():
    w = world()
    await deliver(w, registered())
    await deliver(w, closed(), court=None)
    assert clock(w, "closing_filing")["state"] == "running"


async def test_a_hearing_scheduled_counts_back_from_the_hearing_and_a_refusal_leaves_nothing_behind():
    """长中法〔2018〕129号 第七条: 庭前 e-dossier 5 working days before the hearing, keyed by the hearing's date."""
    w = world()
    hearing = datetime(2026, 10, 12, 9, tzinfo=SHANGHAI)
    await deliver(w, HearingEvent(case_number=CASE, at=hearing), event_type="case.hearing.scheduled")
    pre = w.repos.clocks.docs[f"{COURT}/{CASE}/pre_hearing_edossier/2026-10-12"]
    assert pre["state"] == "running" and pre["due"] < hearing
    with pytest.raises(DomainError):  # no court anywhere: dead-lettered, and the unit of work rolls back
        await deliver(w, closed(), court=None)
    assert list(w.repos.clocks.docs) == [f"{COURT}/{CASE}/pre_hearing_edossier/2026-10-12"]


@pytest.mark.parametrize("outside", [{"secret": True, "paperless": False}, {"category": "criminal", "paperless": False}],
                         ids=["secret_第十条", "criminal_第十四条"])
async def test_a_case_outside_the_paperless_flow_gets_no_edossier_clock_nor_indicator_place(outside):
    """吉高法〔2020〕11号 第十条第一款, 第十四条: as intake's case.registered says, a 涉密 or out-of-scope case gets no
    立案 e-dossier clock (so no reminder or escalation) and no place in 随案同步生成率's denominator — its panel is
    still known (access checks read it)."""
    w = world()
    await deliver(w, registered().model_copy(update=outside))
    assert not w.repos.clocks.docs
    assert await w.repos.indicators.events(COURT) == []
    assert await w.repos.directory.court_of_case(CASE) == COURT
    assert await w.clocks.process_due(now=datetime.now(SHANGHAI) + timedelta(days=30)) == 0


async def test_an_in_scope_case_gets_its_filing_clocks():
    w = world()
    await deliver(w, registered())
    assert clock(w, "filing_edossier")["state"] == "running"
    assert clock(w, "filing_materials_handover")["state"] == "running"
    assert [e.type for e in await w.repos.indicators.events(COURT)] == ["case.registered"]
