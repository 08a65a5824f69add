"""Deadline clocks: start/stop/pause from events, reminders, overdue, escalation, recompute, idempotence."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from juanzong_notifier.domain.calendar import SHANGHAI, HolidayTable, NoticeRef, WorkingCalendar
from juanzong_notifier.domain.clocks import (
    Clock,
    ClockKey,
    NotificationKind,
    NotificationPolicy,
    Person,
    ReminderOffset,
    RunState,
    apply_event,
    collect_notifications,
    due_changes,
    ledger_totals,
    next_wakeup,
    overdue_ledger,
)
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.rules import DeadlineRule, InvalidEventPayload, Role, RuleBook, Unit, load_rules

pytestmark = pytest.mark.unit

RULES = load_rules()
COURT = "吉林高院"
CASE = "（2026）吉民终1号"
CAL = WorkingCalendar()
_ids = itertools.count(1)

ASSISTANT = Person(person_id="zhang.san", department_id="civil-1", name="张三")
JUDGE = Person(person_id="li.si", department_id="civil-1", name="李四")
CENTRE = Person(person_id="wang.wu", department_id="filing", name="王五")
HEAD_CIVIL = Person(person_id="zhao.liu", department_id="civil-1", name="赵六")
HEAD_FILING = Person(person_id="qian.qi", department_id="filing", name="钱七")


class FakeDirectory:
    def __init__(self) -> None:
        self.people = {Role.JUDGE_ASSISTANT: ASSISTANT, Role.JUDGE: JUDGE, Role.ASSISTANCE_CENTRE: CENTRE}
        self.heads = {"civil-1": HEAD_CIVIL, "filing": HEAD_FILING}

    def responsible_for(self, role: Role, event: InboundEvent) -> Person | None:
        return self.people.get(role)

    def department_head(self, court: str, department_id: str) -> Person | None:
        return self.heads.get(department_id)


DIRECTORY = FakeDirectory()


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def event(
    type_: str, when: datetime, case: str = CASE, event_id: str | None = None, **facts
) -> InboundEvent:
    return InboundEvent(
        id=event_id or f"ev-{next(_ids)}",
        type=type_,
        occurred_at=when,
        court=COURT,
        case_id=case,
        **facts,
    )


def feed(
    clocks: dict[ClockKey, Clock], *events: InboundEvent, rules: RuleBook = RULES
) -> dict[ClockKey, Clock]:
    for e in events:
        clocks.update(apply_event(clocks, e, rules, DIRECTORY))
    return clocks


def key(rule_id: str, subject: str = CASE, case: str = CASE) -> ClockKey:
    return ClockKey(court=COURT, case_id=case, rule_id=rule_id, subject_id=subject)


def table_2027() -> HolidayTable:
    return HolidayTable(
        year=2027,
        holidays={date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)},
        makeup_workdays=set(),
        source_notice=NoticeRef(number="测试〔2026〕1号", title="测试用2027年节假日安排（非官方数据）"),
        loaded_at=at(2026, 11, 25),
    )


def test_same_closing_event_applied_twice_produces_one_reminder():
    """吉高法〔2020〕11号 第五条(四): a redelivered case.closed changes nothing and sends nothing twice."""
    closed = event("case.closed", at(2026, 2, 13, 16, 30), event_id="closed-1")
    clocks = feed({}, closed)
    assert apply_event(clocks, closed, RULES, DIRECTORY) == {}

    clock = clocks[key("closing_filing")]
    assert clock.status(RULES["closing_filing"], CAL, at(2026, 2, 14)).due.due == datetime(
        2026, 2, 24, 23, 59, 59, tzinfo=SHANGHAI
    )
    clock, first = collect_notifications(clock, RULES["closing_filing"], CAL, at(2026, 2, 24, 10), DIRECTORY)
    assert [(n.kind, n.recipient_id, n.send_at) for n in first] == [
        (NotificationKind.REMINDER, "zhang.san", at(2026, 2, 24, 9))
    ]
    assert "吉高法〔2020〕11号 第五条(四)" in first[0].body

    clocks[clock.key] = clock
    assert apply_event(clocks, closed, RULES, DIRECTORY) == {}  # redelivered after the reminder
    _, again = collect_notifications(
        clocks[clock.key], RULES["closing_filing"], CAL, at(2026, 2, 24, 11), DIRECTORY
    )
    assert again == []


def test_no_reminder_before_its_time():
    """吉高法〔2020〕11号 第五条(四): the 1-working-day reminder waits for the morning of the last working day."""
    clocks = feed({}, event("case.closed", at(2026, 2, 13, 16, 30)))
    _, early = collect_notifications(
        clocks[key("closing_filing")], RULES["closing_filing"], CAL, at(2026, 2, 23, 18), DIRECTORY
    )
    assert early == []
    assert next_wakeup(
        clocks[key("closing_filing")], RULES["closing_filing"], CAL, at(2026, 2, 23, 18)
    ) == at(2026, 2, 24, 9)


def test_overdue_review_notifies_responsible_and_escalates_to_department_head():
    """吉高法〔2020〕11号 第五条(五): 2 个工作日核查; overdue → 辅助中心 told, its 部门负责人 escalated."""
    clocks = feed({}, event("archive.filing.submitted", at(2026, 3, 2, 10)))
    rule = RULES["filing_review"]
    policy = NotificationPolicy(escalate_after=timedelta(hours=4))
    clock = clocks[key("filing_review")]

    clock, at_night = collect_notifications(clock, rule, CAL, at(2026, 3, 5, 1), DIRECTORY, policy)
    assert [(n.kind, n.recipient_id) for n in at_night] == [(NotificationKind.OVERDUE, "wang.wu")]

    clock, later = collect_notifications(clock, rule, CAL, at(2026, 3, 5, 9), DIRECTORY, policy)
    assert [(n.kind, n.recipient_id, n.recipient_role) for n in later] == [
        (NotificationKind.ESCALATION, "qian.qi", Role.DEPARTMENT_HEAD)
    ]
    assert "超期" in later[0].body and "第七条" in later[0].body

    _, nothing = collect_notifications(clock, rule, CAL, at(2026, 3, 6, 9), DIRECTORY, policy)
    assert nothing == []


def test_step_done_in_time_is_not_overdue_and_late_step_enters_the_ledger():
    """吉高法〔2020〕11号 第七条: late steps are recorded per court, department and person."""
    clocks = feed(
        {},
        event("case.closed", at(2026, 3, 2, 10)),
        event("archive.filing.submitted", at(2026, 3, 4, 15)),  # 立卷 in time (due 4 Mar)
        event("archive.review.passed", at(2026, 3, 10, 9)),  # 核查 late (due 6 Mar)
    )
    filing = clocks[key("closing_filing")].status(RULES["closing_filing"], CAL, at(2026, 3, 20))
    assert filing.state is RunState.STOPPED and not filing.overdue
    _, none = collect_notifications(
        clocks[key("closing_filing")], RULES["closing_filing"], CAL, at(2026, 3, 20), DIRECTORY
    )
    assert none == []

    ledger = overdue_ledger(clocks.values(), RULES, CAL, at(2026, 3, 10, 12))
    late = {r.rule_id: r for r in ledger}
    assert set(late) == {"filing_review"}
    assert late["filing_review"].department_id == "filing"
    assert late["filing_review"].finished_at == at(2026, 3, 10, 9)
    assert late["filing_review"].overdue_seconds == int(
        (at(2026, 3, 10, 9) - datetime(2026, 3, 6, 23, 59, 59, tzinfo=SHANGHAI)).total_seconds()
    )
    assert ledger_totals(ledger)["person"][f"{COURT}/wang.wu"] == 1


def test_returned_review_starts_correction_and_resubmission_restarts_review():
    """吉高法〔2020〕11号 第五条(五), 第六条: 退回 → 2 个工作日补正; resubmitted → a fresh 2-day 核查."""
    clocks = feed(
        {},
        event("archive.filing.submitted", at(2026, 3, 2, 10)),
        event("archive.review.returned", at(2026, 3, 3, 10)),
    )
    correction = clocks[key("review_correction")].status(RULES["review_correction"], CAL, at(2026, 3, 3, 11))
    assert correction.state is RunState.RUNNING and correction.due.due.date() == date(2026, 3, 5)
    assert correction.run.responsible == JUDGE

    feed(clocks, event("archive.filing.submitted", at(2026, 3, 5, 16)))
    runs = clocks[key("filing_review")].runs(RULES["filing_review"])
    assert [r.state for r in runs] == [RunState.STOPPED, RunState.RUNNING]
    review = clocks[key("filing_review")].status(RULES["filing_review"], CAL, at(2026, 3, 6))
    assert review.due.due.date() == date(2026, 3, 9)
    assert clocks[key("review_correction")].current_run(RULES["review_correction"]).state is RunState.STOPPED


def test_stop_delivered_before_its_start_still_stops_the_clock():
    """吉高法〔2020〕11号 第五条(二): the bus may deliver scan.task.in_cabinet before scan.task.created."""
    created = event("scan.task.created", at(2026, 3, 2, 9), scan_task_id="t1")
    in_cabinet = event("scan.task.in_cabinet", at(2026, 3, 2, 15), scan_task_id="t1")
    clocks = feed({}, in_cabinet, created)
    status = clocks[key("materials_to_cabinet", "t1")].status(
        RULES["materials_to_cabinet"], CAL, at(2026, 3, 10)
    )
    assert status.state is RunState.STOPPED and not status.overdue


def test_failed_check_gives_judge_one_working_day_and_recheck_restarts_pickup():
    """吉高法〔2020〕11号 第五条(三): 核对不一致退回 → 1 个工作日补充; back in the cabinet → 24 小时 again."""
    clocks = feed(
        {},
        event("scan.task.in_cabinet", at(2026, 2, 13, 9), scan_task_id="t2"),
        event("scan.task.check_failed", at(2026, 2, 13, 14), scan_task_id="t2"),
    )
    fix = clocks[key("complete_returned_materials", "t2")].status(
        RULES["complete_returned_materials"], CAL, at(2026, 2, 13, 15)
    )
    assert fix.due.due.date() == date(2026, 2, 14)  # the 调休 Saturday is the next working day
    feed(clocks, event("scan.task.in_cabinet", at(2026, 2, 14, 11), scan_task_id="t2"))
    pickup = clocks[key("pickup_and_check", "t2")]
    runs = pickup.runs(RULES["pickup_and_check"])
    assert len(runs) == 2
    assert pickup.status(RULES["pickup_and_check"], CAL, at(2026, 2, 14, 12)).due.due == at(2026, 2, 15, 11)
    assert (
        clocks[key("complete_returned_materials", "t2")]
        .current_run(RULES["complete_returned_materials"])
        .state
        is RunState.STOPPED
    )


def test_one_month_clock_into_2027_is_provisional_and_moves_when_table_loaded():
    """吉高法〔2020〕11号 第七条: 结案至归档一个自然月, due in 2027 without official data → provisional."""
    clocks = feed({}, event("case.closed", at(2026, 12, 1, 9)))
    rule = RULES["close_to_archive"]
    clock = clocks[key("close_to_archive")]
    before = clock.status(rule, CAL, at(2026, 12, 2)).due
    assert before.due.date() == date(2027, 1, 1) and before.provisional

    loaded = CAL.with_table(table_2027())
    changes = due_changes(clocks.values(), RULES, CAL, loaded)
    moved = {c.key.rule_id: c for c in changes}
    assert moved["close_to_archive"].after.due.date() == date(2027, 1, 4)
    assert not moved["close_to_archive"].after.provisional
    assert "closing_filing" not in moved  # due 3 Dec 2026, no 2027 day involved

    _, notes = collect_notifications(clock, rule, loaded, at(2027, 1, 2, 10), DIRECTORY)
    # 1 Jan is a holiday now: not overdue, only the (never sent) reminder for the new due day
    assert [(n.kind, n.due.date(), n.provisional) for n in notes] == [
        (NotificationKind.REMINDER, date(2027, 1, 4), False)
    ]
    _, notes = collect_notifications(clock, rule, CAL, at(2027, 1, 2, 10), DIRECTORY)
    assert [n.kind for n in notes] == [NotificationKind.OVERDUE, NotificationKind.ESCALATION]
    assert all(n.provisional and "暂定" in n.body for n in notes)


def test_month_clock_reminder_three_working_days_before():
    """吉高法〔2020〕11号 第七条: default reminder when 3 working days remain (due day included)."""
    clocks = feed({}, event("case.closed", at(2026, 3, 10, 9)))
    clock = clocks[key("close_to_archive")]  # due Fri 10 Apr 2026
    _, notes = collect_notifications(clock, RULES["close_to_archive"], CAL, at(2026, 4, 8, 9, 30), DIRECTORY)
    assert [(n.kind, n.send_at) for n in notes] == [(NotificationKind.REMINDER, at(2026, 4, 8, 9))]
    assert notes[0].recipient_id == "li.si"


def test_hearing_rescheduled_moves_the_pre_hearing_deadline():
    """长中法〔2018〕129号 第七条: 开庭5个工作日前; a new hearing time recomputes the same clock."""
    clocks = feed(
        {},
        event(
            "case.hearing.scheduled", at(2026, 9, 1), hearing_id="h1", hearing_at="2026-10-12T09:00:00+08:00"
        ),
    )
    rule = RULES["pre_hearing_edossier"]
    assert clocks[key(rule.id, "h1")].status(rule, CAL, at(2026, 9, 2)).due.due.date() == date(2026, 9, 29)
    feed(
        clocks,
        event(
            "case.hearing.scheduled", at(2026, 9, 3), hearing_id="h1", hearing_at="2026-10-19T09:00:00+08:00"
        ),
    )
    status = clocks[key(rule.id, "h1")].status(rule, CAL, at(2026, 9, 4))
    assert len(clocks[key(rule.id, "h1")].runs(rule)) == 1
    assert status.due.due.date() == date(2026, 10, 12)  # Mon 19 Oct minus 5 working days


def test_case_wide_stop_without_subject_stops_every_clock_of_the_rule():
    """长中法〔2018〕129号 第七条: a pre-hearing e-dossier catalogued for the case covers its hearings."""
    clocks = feed(
        {},
        event(
            "case.hearing.scheduled", at(2026, 9, 1), hearing_id="h1", hearing_at="2026-10-12T09:00:00+08:00"
        ),
        event(
            "case.hearing.scheduled", at(2026, 9, 1), hearing_id="h2", hearing_at="2026-10-14T09:00:00+08:00"
        ),
        event(
            "case.hearing.scheduled",
            at(2026, 9, 1),
            case="（2026）吉民终2号",
            hearing_id="h3",
            hearing_at="2026-10-14T09:00:00+08:00",
        ),
        event("catalog.dossier.catalogued", at(2026, 9, 20), stage="pre_hearing"),
    )
    rule = RULES["pre_hearing_edossier"]
    assert clocks[key(rule.id, "h1")].current_run(rule).state is RunState.STOPPED
    assert clocks[key(rule.id, "h2")].current_run(rule).state is RunState.STOPPED
    other = clocks[key(rule.id, "h3", case="（2026）吉民终2号")]
    assert other.current_run(rule).state is RunState.RUNNING


def test_wrong_stage_does_not_stop_the_filing_edossier_clock():
    """长中法〔2018〕129号 第六条: only stage=filing completes the 立案 e-dossier."""
    clocks = feed(
        {},
        event("case.registered", at(2026, 3, 2, 9)),
        event("catalog.dossier.catalogued", at(2026, 3, 3, 9), stage="post_hearing"),
    )
    rule = RULES["filing_edossier"]
    status = clocks[key(rule.id)].status(rule, CAL, at(2026, 3, 6))
    assert status.state is RunState.RUNNING and status.overdue  # due 5 Mar


def test_start_event_without_subject_is_refused():
    """吉高法〔2020〕11号 第五条(二): a scan task clock needs the scan task id."""
    with pytest.raises(InvalidEventPayload, match="scan_task_id"):
        apply_event({}, event("scan.task.created", at(2026, 3, 2)), RULES, DIRECTORY)


def test_pause_extends_a_working_day_clock_by_the_days_left():
    """Pausing is generic (no regulation rule pauses: 吉高法〔2020〕11号 第六条 forbids quality pauses)."""
    rule = DeadlineRule.model_validate(
        {
            "id": "paused_sample",
            "name": "可暂停样例",
            "citation": {"key": "吉高法〔2020〕11号", "article": "第五条(四)"},
            "summary": "测试暂停",
            "trigger": "case.closed",
            "stops": ["archive.filing.submitted"],
            "pauses": ["archive.review.returned"],
            "resumes": ["archive.review.passed"],
            "unit": "working_days",
            "amount": 3,
            "responsible_role": "judge",
            "escalation_role": "department_head",
        }
    )
    book = RuleBook([rule])
    clocks = feed(
        {},
        event("case.closed", at(2026, 3, 2, 10)),  # Mon; due Thu 5 Mar
        event("archive.review.returned", at(2026, 3, 3, 10)),  # paused Tue: Wed, Thu left
        rules=book,
    )
    clock = clocks[key(rule.id)]
    assert clock.status(rule, CAL, at(2026, 3, 4)).state is RunState.PAUSED
    assert clock.status(rule, CAL, at(2026, 3, 4)).due is None
    feed(clocks, event("archive.review.passed", at(2026, 3, 9, 10)), rules=book)  # resumed Mon 9 Mar
    status = clocks[key(rule.id)].status(rule, CAL, at(2026, 3, 9, 11))
    assert status.due.due.date() == date(2026, 3, 11)


def test_reminder_offsets_are_configurable_per_rule():
    """吉高法〔2020〕11号 第五条(三): a 24-hour step reminded 2 hours before instead of 4."""
    clocks = feed({}, event("scan.batch.completed", at(2026, 3, 2, 10), scan_task_id="t9"))
    rule = RULES["catalogue_after_scan"]
    policy = NotificationPolicy(rule_reminders={rule.id: (ReminderOffset(amount=2, unit=Unit.HOURS),)})
    clock = clocks[key(rule.id, "t9")]
    _, default = collect_notifications(clock, rule, CAL, at(2026, 3, 3, 7), DIRECTORY)
    _, custom = collect_notifications(clock, rule, CAL, at(2026, 3, 3, 7), DIRECTORY, policy)
    assert [n.send_at for n in default] == [at(2026, 3, 3, 6)]
    assert custom == []
    _, custom = collect_notifications(clock, rule, CAL, at(2026, 3, 3, 8, 30), DIRECTORY, policy)
    assert [n.send_at for n in custom] == [at(2026, 3, 3, 8)]


def test_clock_survives_a_json_round_trip_with_its_sent_reminders():
    """吉高法〔2020〕11号 第五条(四): what was sent is stored with the clock, so a restart sends nothing twice."""
    clocks = feed({}, event("case.closed", at(2026, 2, 13, 16, 30)))
    rule = RULES["closing_filing"]
    clock, sent = collect_notifications(clocks[key(rule.id)], rule, CAL, at(2026, 2, 24, 10), DIRECTORY)
    assert len(sent) == 1
    restored = Clock.model_validate_json(clock.model_dump_json())
    assert restored == clock
    _, again = collect_notifications(restored, rule, CAL, at(2026, 2, 24, 12), DIRECTORY)
    assert again == []
