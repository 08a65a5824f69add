"""Deadline clocks (期限计时): one per (case, rule, subject).

A :class:`Clock` stores only what happened to it — a journal of the events that
started, paused, resumed or stopped it, each once (by event id) — and the keys of
the notifications already produced. Everything else (runs, due moments, overdue
status) is derived by replaying the journal in order of occurrence on a given
calendar. That gives three properties the rules need:

* idempotence: a redelivered event is already in the journal and changes nothing,
  so it can never produce a second reminder (设计: consumers are idempotent);
* late or out-of-order delivery: a stop that arrives before its start is kept and
  still stops the run when the start shows up;
* recomputation: when a holiday table is loaded the same journal replays to a new
  due moment (:func:`due_changes` lists the clocks whose due moved).

A clock can run more than once: after a stop, the rule's trigger starts a new run
(a dossier resubmitted after 核查退回 gets a fresh 2-working-day 核查,
吉高法〔2020〕11号 第五条(五)). Runs are named by their start event id, so the
notification keys stay stable whatever arrives later.

Overdue steps are reported to the responsible person and escalated to that
person's department head; :func:`overdue_ledger` lists every late run per
court, department and person for performance assessment (吉高法〔2020〕11号 第七条).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from juanzong_notifier.domain.calendar import (
    DAY_END,
    SHANGHAI,
    DeadlineResult,
    WorkingCalendar,
    to_shanghai,
)
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.rules import (
    ROLE_NAMES_ZH,
    ClockAction,
    DeadlineRule,
    Direction,
    InvalidEventPayload,
    Role,
    RuleBook,
    Unit,
)


class Person(BaseModel):
    """Someone a notification can be addressed to."""

    model_config = ConfigDict(frozen=True)

    person_id: str
    department_id: str | None = None
    name: str | None = None


class Directory(Protocol):
    """Who holds a role in a case, and who heads a department (access-control owns the data)."""

    def responsible_for(self, role: Role, event: InboundEvent) -> Person | None: ...

    def department_head(self, court: str, department_id: str) -> Person | None: ...


class ClockKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    court: str
    case_id: str
    rule_id: str
    subject_id: str

    @property
    def id(self) -> str:
        return f"{self.court}/{self.case_id}/{self.rule_id}/{self.subject_id}"


class ClockEntry(BaseModel):
    """One event as it affected a clock."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    action: ClockAction
    occurred_at: AwareDatetime
    anchor: AwareDatetime | None = None
    responsible: Person | None = None


class RunState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


class Run(BaseModel):
    """One start-to-stop stretch of a clock."""

    model_config = ConfigDict(frozen=True)

    start_event_id: str
    started_at: AwareDatetime
    anchor: AwareDatetime
    responsible: Person | None = None
    pauses: tuple[tuple[AwareDatetime, AwareDatetime], ...] = ()
    paused_at: AwareDatetime | None = None
    stopped_at: AwareDatetime | None = None
    stopped_by: str | None = None

    @property
    def state(self) -> RunState:
        if self.stopped_at is not None:
            return RunState.STOPPED
        if self.paused_at is not None:
            return RunState.PAUSED
        return RunState.RUNNING


_ORDER = {ClockAction.START: 0, ClockAction.RESUME: 1, ClockAction.PAUSE: 2, ClockAction.STOP: 3}


def _replay_order(entry: ClockEntry) -> tuple[datetime, int, str]:
    return (entry.occurred_at, _ORDER[entry.action], entry.event_id)


class ClockStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: ClockKey
    state: RunState | None
    run: Run | None
    due: DeadlineResult | None
    overdue: bool


class Clock(BaseModel):
    """The journal of one (case, rule, subject) clock and the notifications it already produced."""

    model_config = ConfigDict(frozen=True)

    key: ClockKey
    journal: tuple[ClockEntry, ...] = ()
    sent: frozenset[str] = frozenset()

    def has_seen(self, event_id: str) -> bool:
        return any(e.event_id == event_id for e in self.journal)

    def record(self, entry: ClockEntry) -> Clock:
        """The clock with ``entry`` in its journal; unchanged if that event was recorded before."""
        if self.has_seen(entry.event_id):
            return self
        journal = tuple(sorted((*self.journal, entry), key=_replay_order))
        return self.model_copy(update={"journal": journal})

    def runs(self, rule: DeadlineRule) -> tuple[Run, ...]:
        """Replay the journal into runs (see the module docstring)."""
        runs: list[Run] = []
        for entry in self.journal:
            current = runs[-1] if runs else None
            if entry.action is ClockAction.START:
                assert entry.anchor is not None
                if current is not None and (
                    rule.anchor_field is not None or current.state is not RunState.STOPPED
                ):
                    # A second start for a live clock is a repeat; for an anchored rule it moves the anchor.
                    if rule.anchor_field is not None:
                        runs[-1] = current.model_copy(update={"anchor": entry.anchor})
                    continue
                runs.append(
                    Run(
                        start_event_id=entry.event_id,
                        started_at=entry.occurred_at,
                        anchor=entry.anchor,
                        responsible=entry.responsible,
                    )
                )
            elif current is None or current.state is RunState.STOPPED:
                continue  # nothing running: a stale pause/resume, or a stop that preceded any start
            elif entry.action is ClockAction.PAUSE and current.state is RunState.RUNNING:
                runs[-1] = current.model_copy(update={"paused_at": entry.occurred_at})
            elif entry.action is ClockAction.RESUME and current.state is RunState.PAUSED:
                assert current.paused_at is not None
                runs[-1] = current.model_copy(
                    update={
                        "pauses": (*current.pauses, (current.paused_at, entry.occurred_at)),
                        "paused_at": None,
                    }
                )
            elif entry.action is ClockAction.STOP:
                runs[-1] = current.model_copy(
                    update={"stopped_at": entry.occurred_at, "stopped_by": entry.event_type}
                )
        return tuple(runs)

    def current_run(self, rule: DeadlineRule) -> Run | None:
        runs = self.runs(rule)
        return runs[-1] if runs else None

    def status(self, rule: DeadlineRule, calendar: WorkingCalendar, now: datetime) -> ClockStatus:
        run = self.current_run(rule)
        if run is None:
            return ClockStatus(key=self.key, state=None, run=None, due=None, overdue=False)
        due = due_of(run, rule, calendar)
        finished = run.stopped_at or to_shanghai(now)
        overdue = due is not None and finished > due.due
        return ClockStatus(key=self.key, state=run.state, run=run, due=due, overdue=overdue)


def due_of(run: Run, rule: DeadlineRule, calendar: WorkingCalendar) -> DeadlineResult | None:
    """The run's due moment on ``calendar``; None while paused.

    Each completed pause that began before the due moment extends it: by the
    paused hours (hours), by the working days still left when it began, counted
    again from the resume (working days), or by the paused calendar days rolled
    to a working day (natural months). Pauses do not apply to 'before' rules.
    """
    if run.paused_at is not None:
        return None
    result = rule.deadline(calendar, run.anchor)
    if rule.direction is Direction.BEFORE or not run.pauses:
        return result
    years = set(result.provisional_years)
    for paused, resumed in run.pauses:
        if paused >= result.due:
            continue
        if rule.unit is Unit.HOURS:
            result = result.model_copy(update={"due": result.due + (resumed - paused)})
            continue
        if rule.unit is Unit.WORKING_DAYS:
            left, pyears = calendar.working_days_between(
                to_shanghai(paused).date(), to_shanghai(result.due).date()
            )
            years |= pyears
            result = calendar.add_working_days(resumed, left)
        else:
            shift = to_shanghai(resumed).date() - to_shanghai(paused).date()
            result = calendar.working_day_on_or_after(to_shanghai(result.due).date() + shift)
        years |= set(result.provisional_years)
    ordered = tuple(sorted(years))
    return DeadlineResult(
        due=result.due,
        provisional=bool(ordered),
        basis=f"{result.basis}；计时暂停{len(run.pauses)}次，期限相应顺延",
        provisional_years=ordered,
    )


# -- applying events --------------------------------------------------------------------


def apply_event(
    clocks: Mapping[ClockKey, Clock],
    event: InboundEvent,
    rules: RuleBook,
    directory: Directory,
) -> dict[ClockKey, Clock]:
    """The clocks ``event`` creates or changes (the others are untouched and not returned).

    ``clocks`` must hold at least every clock of the event's case: an event that
    does not name a rule's subject (no ``scan_task_id``, ``hearing_id``…) acts on
    all clocks of that rule in the case. A stop naming its subject is recorded even
    when no clock exists yet, so a start delivered later still ends up stopped.

    Idempotent: an event already in a clock's journal changes nothing, so
    applying it again returns an empty dict.
    """
    changed: dict[ClockKey, Clock] = {}
    for rule, action in rules.reacting_to(event.type):
        if action is ClockAction.STOP and not rule.stop_applies(event):
            continue
        subject = rule.subject_of(event)
        if subject is not None:
            keys = [ClockKey(court=event.court, case_id=event.case_id, rule_id=rule.id, subject_id=subject)]
        elif action is ClockAction.START:
            raise InvalidEventPayload(
                f"{event.type} {event.id}: rule {rule.id} needs payload.{rule.subject_field} to start a clock"
            )
        else:  # a case-wide stop/pause/resume: every clock of this rule in the case
            keys = [
                k
                for k in clocks
                if k.court == event.court and k.case_id == event.case_id and k.rule_id == rule.id
            ]
        for key in keys:
            clock = changed.get(key) or clocks.get(key) or Clock(key=key)
            if clock.has_seen(event.id):
                continue
            entry = ClockEntry(
                event_id=event.id,
                event_type=event.type,
                action=action,
                occurred_at=to_shanghai(event.occurred_at),
                anchor=to_shanghai(rule.anchor_of(event)) if action is ClockAction.START else None,
                responsible=(
                    directory.responsible_for(rule.responsible_role, event)
                    if action is ClockAction.START
                    else None
                ),
            )
            changed[key] = clock.record(entry)
    return changed


# -- reminders, overdue notices, escalation ---------------------------------------------


class ReminderOffset(BaseModel):
    """How long before the due moment to remind.

    ``hours``: that many hours before due. ``working_days``: at the start of the
    working day on which that many working days remain, the due day included —
    1 means the morning of the last working day.
    """

    model_config = ConfigDict(frozen=True)

    amount: int = Field(gt=0)
    unit: Unit

    def remind_at(self, due: datetime, calendar: WorkingCalendar, workday_start: time) -> datetime:
        due = to_shanghai(due)
        if self.unit is Unit.HOURS:
            return due - timedelta(hours=self.amount)
        if self.unit is not Unit.WORKING_DAYS:
            raise ValueError("reminders are set in hours or working days")
        day = calendar.previous_working_day(due.date())
        if self.amount > 1:
            noon = datetime.combine(day, time(12), tzinfo=SHANGHAI)
            day = calendar.subtract_working_days(noon, self.amount - 1).due.date()
        return datetime.combine(day, workday_start, tzinfo=SHANGHAI)


_DEFAULT_REMINDERS: dict[Unit, tuple[ReminderOffset, ...]] = {
    Unit.WORKING_DAYS: (ReminderOffset(amount=1, unit=Unit.WORKING_DAYS),),
    Unit.HOURS: (ReminderOffset(amount=4, unit=Unit.HOURS),),
    Unit.NATURAL_MONTHS: (ReminderOffset(amount=3, unit=Unit.WORKING_DAYS),),
}


class NotificationPolicy(BaseModel):
    """When to remind and when to escalate; per unit, overridable per rule id."""

    model_config = ConfigDict(frozen=True)

    reminders: dict[Unit, tuple[ReminderOffset, ...]] = Field(
        default_factory=lambda: dict(_DEFAULT_REMINDERS)
    )
    rule_reminders: dict[str, tuple[ReminderOffset, ...]] = Field(default_factory=dict)
    escalate_after: timedelta = timedelta(0)
    workday_start: time = time(9, 0)

    def reminders_for(self, rule: DeadlineRule) -> tuple[ReminderOffset, ...]:
        if rule.id in self.rule_reminders:
            return self.rule_reminders[rule.id]
        return self.reminders.get(rule.unit, ())


class NotificationKind(StrEnum):
    REMINDER = "reminder"  # 期限提醒
    OVERDUE = "overdue"  # 超期通知（责任人）
    ESCALATION = "escalation"  # 超期督办（部门负责人）
    DUE_CHANGED = "due_changed"  # 期限变更（节假日安排载入后重算，吉高法〔2020〕11号 第七条）


class Notification(BaseModel):
    """A message to one person (or, when nobody is known, to a role)."""

    model_config = ConfigDict(frozen=True)

    notification_id: str
    kind: NotificationKind
    court: str
    case_id: str
    rule_id: str
    subject_id: str
    citation: str
    recipient_id: str | None
    recipient_role: Role
    responsible_id: str | None
    due: AwareDatetime
    provisional: bool
    send_at: AwareDatetime
    title: str
    body: str


def format_moment(moment: datetime) -> str:
    """Chinese date-time for messages; the end of a day reads as 24时."""
    at = to_shanghai(moment)
    if at.time().replace(microsecond=0) == DAY_END:
        return f"{at.year}年{at.month}月{at.day}日24时"
    return f"{at.year}年{at.month}月{at.day}日{at:%H:%M}"


def _notification(
    clock: Clock,
    rule: DeadlineRule,
    run: Run,
    due: DeadlineResult,
    kind: NotificationKind,
    index: int,
    send_at: datetime,
    recipient: Person | None,
    recipient_role: Role,
    now: datetime,
) -> Notification:
    case, when = clock.key.case_id, format_moment(due.due)
    note = "（期限暂定：相关年度节假日安排尚未载入）" if due.provisional else ""
    who = ROLE_NAMES_ZH[rule.responsible_role]
    if run.responsible is not None:
        who = f"{who}{run.responsible.name or run.responsible.person_id}"
    if kind is NotificationKind.REMINDER:
        title = f"【期限提醒】{rule.name}"
        body = f"案件{case}：{rule.name}应于{when}前完成（{rule.citation}，{rule.amount_zh}）{note}，请及时办理。"
    elif kind is NotificationKind.OVERDUE:
        title = f"【超期】{rule.name}"
        body = f"案件{case}：{rule.name}已于{when}到期仍未完成（{rule.citation}，{rule.amount_zh}）{note}，请立即办理。"
    else:
        late = to_shanghai(now) - due.due
        hours = int(late.total_seconds() // 3600)
        title = f"【超期督办】{rule.name}"
        body = (
            f"案件{case}：{who}负责的{rule.name}已于{when}到期，已超期{hours}小时仍未完成"
            f"（{rule.citation}）{note}，请督促办理。超期情况计入绩效考核（吉高法〔2020〕11号 第七条）。"
        )
    return Notification(
        notification_id=f"{clock.key.id}/{run.start_event_id}/{kind.value}/{index}",
        kind=kind,
        court=clock.key.court,
        case_id=clock.key.case_id,
        rule_id=rule.id,
        subject_id=clock.key.subject_id,
        citation=str(rule.citation),
        recipient_id=recipient.person_id if recipient else None,
        recipient_role=recipient_role,
        responsible_id=run.responsible.person_id if run.responsible else None,
        due=due.due,
        provisional=due.provisional,
        send_at=to_shanghai(send_at),
        title=title,
        body=body,
    )


def _running(clock: Clock, rule: DeadlineRule, calendar: WorkingCalendar):
    """Each running run of ``clock`` with its due date and the prefix of its notification keys."""
    for run in clock.runs(rule):
        if run.state is RunState.RUNNING:
            due = due_of(run, rule, calendar)
            assert due is not None
            yield run, due, f"{run.start_event_id}:"


def collect_notifications(
    clock: Clock,
    rule: DeadlineRule,
    calendar: WorkingCalendar,
    now: datetime,
    directory: Directory,
    policy: NotificationPolicy | None = None,
) -> tuple[Clock, list[Notification]]:
    """Notifications that are due by ``now`` and not produced before, and the clock that remembers them.

    Before due: the latest reminder whose time has come (earlier unsent ones are
    skipped, not sent late). After due: one overdue notice to the responsible
    person, then — ``escalate_after`` later — one escalation to that person's
    department head. Paused and stopped runs produce nothing.
    """
    policy = policy or NotificationPolicy()
    now = to_shanghai(now)
    sent = set(clock.sent)
    out: list[Notification] = []
    for run, due, prefix in _running(clock, rule, calendar):
        if now <= due.due:
            ready = [
                (i, at)
                for i, offset in enumerate(policy.reminders_for(rule))
                if run.started_at < (at := offset.remind_at(due.due, calendar, policy.workday_start)) <= now
                and at < due.due
            ]
            fresh = [(i, at) for i, at in ready if f"{prefix}reminder:{i}" not in sent]
            if fresh:
                i, at = max(fresh, key=lambda pair: pair[1])
                out.append(
                    _notification(
                        clock,
                        rule,
                        run,
                        due,
                        NotificationKind.REMINDER,
                        i,
                        at,
                        run.responsible,
                        rule.responsible_role,
                        now,
                    )
                )
                sent |= {f"{prefix}reminder:{j}" for j, _ in fresh}
            continue
        if f"{prefix}overdue" not in sent:
            out.append(
                _notification(
                    clock,
                    rule,
                    run,
                    due,
                    NotificationKind.OVERDUE,
                    0,
                    due.due,
                    run.responsible,
                    rule.responsible_role,
                    now,
                )
            )
            sent.add(f"{prefix}overdue")
        escalate_at = due.due + policy.escalate_after
        if now >= escalate_at and f"{prefix}escalation" not in sent:
            head = None
            if run.responsible is not None and run.responsible.department_id is not None:
                head = directory.department_head(clock.key.court, run.responsible.department_id)
            out.append(
                _notification(
                    clock,
                    rule,
                    run,
                    due,
                    NotificationKind.ESCALATION,
                    0,
                    escalate_at,
                    head,
                    rule.escalation_role,
                    now,
                )
            )
            sent.add(f"{prefix}escalation")
    if frozenset(sent) == clock.sent:
        return clock, out
    return clock.model_copy(update={"sent": frozenset(sent)}), out


def next_wakeup(
    clock: Clock,
    rule: DeadlineRule,
    calendar: WorkingCalendar,
    now: datetime,
    policy: NotificationPolicy | None = None,
) -> datetime | None:
    """The next moment :func:`collect_notifications` would produce something (for the scheduler)."""
    policy = policy or NotificationPolicy()
    now = to_shanghai(now)
    moments: list[datetime] = []
    for run, due, prefix in _running(clock, rule, calendar):
        for i, offset in enumerate(policy.reminders_for(rule)):
            at = offset.remind_at(due.due, calendar, policy.workday_start)
            if f"{prefix}reminder:{i}" not in clock.sent and run.started_at < at < due.due and at > now:
                moments.append(at)
        if f"{prefix}overdue" not in clock.sent:
            moments.append(max(due.due + timedelta(seconds=1), now))
        if f"{prefix}escalation" not in clock.sent:
            moments.append(max(due.due + max(policy.escalate_after, timedelta(seconds=1)), now))
    return min(moments) if moments else None


# -- holiday table changes -------------------------------------------------------------


class DueChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: ClockKey
    start_event_id: str
    before: DeadlineResult
    after: DeadlineResult


def due_changes(
    clocks: Iterable[Clock],
    rules: RuleBook,
    before: WorkingCalendar,
    after: WorkingCalendar,
) -> list[DueChange]:
    """Running or paused-then-resumed runs whose due moment or provisional mark differs between calendars."""
    changes = []
    for clock in clocks:
        rule = rules[clock.key.rule_id]
        for run in clock.runs(rule):
            if run.state is not RunState.RUNNING:
                continue
            old, new = due_of(run, rule, before), due_of(run, rule, after)
            assert old is not None and new is not None
            if old.due != new.due or old.provisional != new.provisional:
                changes.append(
                    DueChange(key=clock.key, start_event_id=run.start_event_id, before=old, after=new)
                )
    return changes


# -- overdue ledger (第七条) -----------------------------------------------------------


class OverdueRecord(BaseModel):
    """One late run: finished after its due moment, or still open past it."""

    model_config = ConfigDict(frozen=True)

    court: str
    case_id: str
    rule_id: str
    subject_id: str
    citation: str
    responsible_role: Role
    responsible_id: str | None
    department_id: str | None
    due: AwareDatetime
    finished_at: AwareDatetime | None
    overdue_seconds: int
    provisional: bool


def overdue_ledger(
    clocks: Iterable[Clock],
    rules: RuleBook,
    calendar: WorkingCalendar,
    now: datetime,
) -> list[OverdueRecord]:
    """Every late run, for assessment against the responsible department and person (吉高法〔2020〕11号 第七条)."""
    now = to_shanghai(now)
    records = []
    for clock in clocks:
        rule = rules[clock.key.rule_id]
        for run in clock.runs(rule):
            due = due_of(run, rule, calendar)
            if due is None:
                continue
            end = run.stopped_at or now
            if end <= due.due:
                continue
            records.append(
                OverdueRecord(
                    court=clock.key.court,
                    case_id=clock.key.case_id,
                    rule_id=rule.id,
                    subject_id=clock.key.subject_id,
                    citation=str(rule.citation),
                    responsible_role=rule.responsible_role,
                    responsible_id=run.responsible.person_id if run.responsible else None,
                    department_id=run.responsible.department_id if run.responsible else None,
                    due=due.due,
                    finished_at=run.stopped_at,
                    overdue_seconds=int((end - due.due).total_seconds()),
                    provisional=due.provisional,
                )
            )
    return records


def ledger_totals(records: Iterable[OverdueRecord]) -> dict[str, Counter[str]]:
    """Counts of late runs per court, per department and per person (keys ``court/…``)."""
    totals: dict[str, Counter[str]] = {"court": Counter(), "department": Counter(), "person": Counter()}
    for r in records:
        totals["court"][r.court] += 1
        totals["department"][f"{r.court}/{r.department_id or '未知部门'}"] += 1
        totals["person"][f"{r.court}/{r.responsible_id or ROLE_NAMES_ZH[r.responsible_role]}"] += 1
    return totals
