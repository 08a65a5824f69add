"""Deadline clocks (期限): events start, pause and stop them; the scheduler's pass makes reminders, overdue notices
and escalations (吉高法〔2020〕11号 第七条); a loaded holiday table recomputes provisional deadlines.

The bus handler reads the producers' payload models (``juanzong_shared.events``) and hands the domain the facts its
rules were written against:

* the moment a step happened is the payload's business time (``closed_at``, ``registered_at``, ``at``) when it has
  one, else the envelope's — except ``case.hearing.scheduled``, whose ``at`` is the hearing itself (→ ``hearing_at``,
  长中法〔2018〕129号 第七条 counts back from it);
* ``scan.task.*`` carry no ``stage``: a scan task counts as the filing stage for the 立案材料交付 rule
  (吉高法〔2020〕11号 第五条(一)) — that clock stops at the first one anyway;
* hearings without ``hearing_id`` are keyed by their date in Asia/Shanghai, so ``case.hearing.scheduled``/``held``
  and the external 智能庭审 event meet;
* ``catalog.dossier.catalogued`` counts ``documents`` (→ ``documents_total``), a missing ``stage`` is the filing
  stage (as the indicator definitions read it); ``catalog.dossier.read`` is the domain's ``read_online``;
* ``archive.archived`` says ``automatic`` (→ ``converted_automatically``);
* ``dossier.requested``/``delivered`` (法〔2016〕264号 三(五)) are clocks of the *holding* court on the original
  case, keyed by ``request_id`` (default ``<requesting court>:<requesting case>``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from juanzong_shared.bus import Delivery, handles
from juanzong_shared.events import REGISTRY, Payload
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.catalog import DossierCatalogued
from juanzong_shared.events.intake import CaseRegistered, DossierRequested, ScanTaskChanged
from juanzong_shared.events.notifier import DossierDelivered
from juanzong_shared.events.scan_ocr import BatchCompleted

from juanzong_notifier.adapters.metrics import DEADLINE_OVERDUE
from juanzong_notifier.adapters.repository import Repositories
from juanzong_notifier.config import NotifierConfig
from juanzong_notifier.domain.access import EXTERNAL_EVENT_TYPES
from juanzong_notifier.domain.calendar import HolidayTable, WorkingCalendar, to_shanghai
from juanzong_notifier.domain.clocks import (
    Clock,
    ClockKey,
    Notification,
    NotificationKind,
    apply_event,
    collect_notifications,
    due_changes,
    format_moment,
    ledger_totals,
    next_wakeup,
    overdue_ledger,
)
from juanzong_notifier.domain.directory import PANEL_ROLES, DirectorySnapshot
from juanzong_notifier.domain.errors import InvalidInput
from juanzong_notifier.domain.events import EventType, InboundEvent
from juanzong_notifier.domain.indicators import INDICATORS
from juanzong_notifier.domain.rules import ROLE_NAMES_ZH, ClockAction, InvalidEventPayload, RuleBook
from juanzong_notifier.service_layer.reminders import record_notification

Transact = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]

# Domain event types the indicators read (吉高院通报29期), as defined in domain/indicators.py.
INDICATOR_EVENT_TYPES: frozenset[str] = frozenset(
    str(t) for d in INDICATORS for t in d.source_events) | {EventType.CASE_HEARING_HELD.value}
BUS_TO_DOMAIN: dict[str, str] = {"catalog.dossier.read": EventType.CATALOG_DOSSIER_READ_ONLINE.value}
_DOMAIN_TO_BUS = {v: k for k, v in BUS_TO_DOMAIN.items()}
_TIME_FIELDS = ("closed_at", "registered_at", "at")
_HEARING_TYPES = {"case.hearing.scheduled", "case.hearing.held", "trial.smart_session.held"}


def subscribed_types(rules: RuleBook) -> list[str]:
    """Bus event types to bind: every type a rule reacts to, plus the indicator sources — except the facts of
    systems outside the suite, which enter through the checked REST door only (domain/access.py)."""
    wanted = {_DOMAIN_TO_BUS.get(t, t) for t in rules.event_types | INDICATOR_EVENT_TYPES} - EXTERNAL_EVENT_TYPES
    return sorted(t for t in wanted if REGISTRY.versions(t))


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is not None and moment.tzinfo is not None else None


def to_inbound(event_type: str, payload: Payload, *, event_id: str, occurred_at: datetime, court: str | None,
               case_number: str | None, court_of_case: str | None = None) -> InboundEvent:
    """The domain's event from a producer's payload and its envelope (see the module docstring)."""
    etype = BUS_TO_DOMAIN.get(event_type, event_type)
    envelope_court = court
    court = court or getattr(payload, "court", None) or court_of_case
    case_id = case_number or getattr(payload, "case_number", None)
    occurred = occurred_at
    if etype != EventType.CASE_HEARING_SCHEDULED:
        occurred = next((m for m in (_aware(getattr(payload, f, None)) for f in _TIME_FIELDS) if m), occurred)
    facts: dict[str, Any] = {}
    if isinstance(payload, ScanTaskChanged):
        facts.update(scan_task_id=payload.scan_task_id, stage="filing")
    elif isinstance(payload, BatchCompleted):
        facts.update(scan_task_id=payload.scan_task_id)
    elif isinstance(payload, DossierCatalogued):
        facts.update(scan_task_id=payload.scan_task_id, stage=payload.stage or "filing",
                     documents_total=payload.documents, documents_auto=payload.documents_auto)
    elif isinstance(payload, Archived):
        facts.update(converted_automatically=payload.automatic)
    elif isinstance(payload, DossierRequested | DossierDelivered):
        court = payload.holding_court or court
        requested = payload.request_id if isinstance(payload, DossierDelivered) else None
        facts.update(request_id=requested or f"{payload.requesting_court or envelope_court or ''}:"
                                             f"{payload.case_number or case_number}")
        case_id = payload.original_case_number or case_id
    if etype in _HEARING_TYPES:
        hearing_at = _aware(getattr(payload, "at", None)) or occurred
        if etype == EventType.CASE_HEARING_SCHEDULED:
            facts.update(hearing_at=hearing_at)
        facts.update(hearing_id=getattr(payload, "hearing_id", None) or to_shanghai(hearing_at).date().isoformat())
    if not court:
        raise InvalidInput("body", f"{event_type} {event_id}: no court in the envelope or payload")
    if not case_id:
        raise InvalidInput("body", f"{event_type} {event_id}: no case_id or payload.case_number")
    return InboundEvent(id=event_id, type=etype, occurred_at=occurred, court=court, case_id=case_id, **facts)


async def calendar_of(repos: Repositories, cfg: NotifierConfig) -> WorkingCalendar:
    """Packaged tables (the data file), overridden year by year by tables loaded through the admin API."""
    by_year = {t.year: t for t in cfg.packaged_tables}
    by_year.update({t.year: t for t in await repos.holiday_tables.all()})
    return WorkingCalendar(by_year.values())


async def _directory(repos: Repositories, cfg: NotifierConfig, court: str, case_id: str) -> DirectorySnapshot:
    return await repos.directory.snapshot([(court, case_id)], cfg.department_heads, cfg.role_holders)


def derive(clock: Clock, cfg: NotifierConfig, calendar: WorkingCalendar, now: datetime) -> dict[str, Any]:
    """Fields stored beside the journal so the scheduler, ledgers and gauges can query."""
    rule = cfg.rules[clock.key.rule_id]
    status = clock.status(rule, calendar, now)
    run = status.run
    wake = next_wakeup(clock, rule, calendar, now, cfg.policy)
    return {
        "state": None if status.state is None else status.state.value,
        "due": None if status.due is None else status.due.due.astimezone(UTC),
        "provisional": bool(status.due and status.due.provisional),
        "provisional_years": list(status.due.provisional_years) if status.due else [],
        "basis": None if status.due is None else status.due.basis,
        "responsible_id": run.responsible.person_id if run and run.responsible else None,
        "department_id": run.responsible.department_id if run and run.responsible else None,
        "next_wakeup": None if wake is None else wake.astimezone(UTC),
    }


def outside_paperless_flow(registered: CaseRegistered) -> bool:
    """A 涉密 case (吉高法〔2020〕11号 第十条第一款) or one outside the paperless flow (第十四条), as intake's
    case.registered says: it gets no e-dossier clock and no place in the e-dossier indicators."""
    return registered.secret or not registered.paperless


async def apply(uow, cfg: NotifierConfig, inbound: InboundEvent, registered: CaseRegistered | None = None) -> None:
    """Apply one event: directory (case.registered), indicator facts, deadline clocks."""
    repos: Repositories = uow.repos
    if registered is not None:
        await repos.directory.record_case(
            inbound.court, inbound.case_id, department=registered.department, secret=registered.secret,
            panel=[m.model_dump(mode="json") for m in registered.panel])
        if outside_paperless_flow(registered):
            return  # 第十条/第十四条: no e-dossier clock, no reminder, no place in 随案同步生成率's denominator
    if inbound.type in INDICATOR_EVENT_TYPES:
        await repos.indicators.record(inbound)
    if not cfg.rules.reacting_to(inbound.type):
        return
    clocks = await repos.clocks.of_case(inbound.court, inbound.case_id)
    directory = await _directory(repos, cfg, inbound.court, inbound.case_id)
    calendar = await calendar_of(repos, cfg)
    changed: dict[ClockKey, Clock] = {}
    if registered is not None:
        changed.update(_fill_responsible(clocks, cfg.rules, directory, inbound))
    try:
        changed.update(apply_event({**clocks, **changed}, inbound, cfg.rules, directory))
    except InvalidEventPayload as error:
        raise InvalidInput("body", str(error)) from error
    now = datetime.now(UTC)
    for clock in changed.values():
        await repos.clocks.save(clock, derive(clock, cfg, calendar, now))


def _fill_responsible(clocks: Mapping[ClockKey, Clock], rules: RuleBook, directory: DirectorySnapshot,
                      registered: InboundEvent) -> dict[ClockKey, Clock]:
    """Clocks started before the case's panel was known (the consumer does not order events) get their
    responsible person now, so reminders and escalations reach someone."""
    out: dict[ClockKey, Clock] = {}
    for key, clock in clocks.items():
        rule = rules[key.rule_id]
        if not any(e.action is ClockAction.START and e.responsible is None for e in clock.journal):
            continue
        person = directory.responsible_for(rule.responsible_role, registered)
        if person is None:
            continue
        journal = tuple(e.model_copy(update={"responsible": person})
                        if e.action is ClockAction.START and e.responsible is None else e for e in clock.journal)
        out[key] = clock.model_copy(update={"journal": journal})
    return out


def _status_word(state: str | None, overdue: bool) -> str:
    if state is None:
        return "not_started"
    if state == "stopped":
        return "done_late" if overdue else "done"
    return "overdue" if overdue else state


class ClockService:
    """``transact`` runs a unit of work (again on a transient conflict); ``reads`` are the repositories for
    queries outside a transaction."""

    def __init__(self, cfg: NotifierConfig, transact: Transact, reads: Repositories) -> None:
        self.cfg, self.transact, self.reads = cfg, transact, reads

    def handler(self) -> Callable[[Payload, Delivery], Awaitable[None]]:
        """The one bus handler, bound to every event type a rule reacts to or an indicator counts."""

        @handles(*subscribed_types(self.cfg.rules))
        async def on_event(payload: Payload, delivery: Delivery) -> None:
            event = delivery.event
            hint = None
            if not event.court:
                hint = await delivery.uow.repos.directory.court_of_case(
                    event.case_number or getattr(payload, "case_number", ""))
            inbound = to_inbound(event.event_type, payload, event_id=str(event.event_id),
                                 occurred_at=event.occurred_at, court=event.court, case_number=event.case_number,
                                 court_of_case=hint)
            await apply(delivery.uow, self.cfg, inbound, payload if isinstance(payload, CaseRegistered) else None)
        return on_event

    # -- the scheduler's pass ------------------------------------------------------------------------------------

    async def process_due(self, now: datetime | None = None, limit: int = 200) -> int:
        """One scheduler pass over clocks whose next wake-up has come; returns notifications made."""
        now = now or datetime.now(UTC)
        made = 0
        for clock_id in await self.reads.clocks.due_ids(now, limit):
            made += await self.transact(lambda uow, cid=clock_id: self._process_clock(uow, cid, now))
        counts = await self.reads.clocks.overdue_counts(now)
        DEADLINE_OVERDUE.clear()
        for (court, rule), n in counts.items():
            DEADLINE_OVERDUE.labels(court, rule).set(n)
        return made

    async def _process_clock(self, uow, clock_id: str, now: datetime) -> int:
        cfg, repos = self.cfg, uow.repos
        found = await repos.clocks.get(clock_id)
        if found is None:
            return 0
        clock, first_seen = found
        rule = cfg.rules[clock.key.rule_id]
        calendar = await calendar_of(repos, cfg)
        directory = await _directory(repos, cfg, clock.key.court, clock.key.case_id)
        probe = InboundEvent(id="directory", type="directory", occurred_at=now, court=clock.key.court,
                             case_id=clock.key.case_id)
        clock = _fill_responsible({clock.key: clock}, cfg.rules, directory, probe).get(clock.key, clock)
        if (rule.responsible_role in PANEL_ROLES and not directory.knows_case(clock.key.court, clock.key.case_id)
                and now - (first_seen or now) < timedelta(seconds=cfg.directory_grace_seconds)):
            return 0  # the case's panel (case.registered) may still be on its way: ask again next pass
        updated, notes = collect_notifications(clock, rule, calendar, now, directory, cfg.policy)
        sent = 0
        for n in notes:
            sent += await record_notification(uow, cfg, n, now)
        await repos.clocks.save(updated, derive(updated, cfg, calendar, now))
        return sent

    # -- holiday tables (吉高法〔2020〕11号 第七条: provisional deadlines are recomputed) ----------------------------

    async def holiday_tables(self) -> list[HolidayTable]:
        calendar = await calendar_of(self.reads, self.cfg)
        return [t for _, t in sorted(calendar.tables.items())]

    async def load_holiday_table(self, table: HolidayTable) -> list[dict[str, Any]]:
        """Store ``table`` (replacing that year's) and recompute every running clock; notify moved deadlines."""
        return await self.transact(lambda uow: self._load_holiday_table(uow, table))

    async def _load_holiday_table(self, uow, table: HolidayTable) -> list[dict[str, Any]]:
        cfg, repos = self.cfg, uow.repos
        now = datetime.now(UTC)
        before = await calendar_of(repos, cfg)
        after = before.with_table(table)
        await repos.holiday_tables.put(table)
        clocks = await repos.clocks.find(unfinished=True)
        by_key = {c.key: c for c in clocks}
        version = table.loaded_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = []
        for change in due_changes(clocks, cfg.rules, before, after):
            clock = by_key[change.key]
            rule = cfg.rules[clock.key.rule_id]
            await repos.clocks.save(clock, derive(clock, cfg, after, now))
            run = next(r for r in clock.runs(rule) if r.start_event_id == change.start_event_id)
            old, new = change.before, change.after
            body = (f"案件{clock.key.case_id}：{rule.name}（{rule.citation}，{rule.amount_zh}）期限由"
                    f"{format_moment(old.due)}{'（暂定）' if old.provisional else ''}变更为{format_moment(new.due)}"
                    f"{'（暂定）' if new.provisional else ''}：已载入{table.year}年节假日安排"
                    f"（{table.source_notice.number}）。{new.basis}")
            responsible = run.responsible.person_id if run.responsible else None
            n = Notification(
                notification_id=f"{clock.key.id}/{run.start_event_id}/due_changed/{table.year}-{version}",
                kind=NotificationKind.DUE_CHANGED, court=clock.key.court, case_id=clock.key.case_id,
                rule_id=rule.id, subject_id=clock.key.subject_id, citation=str(rule.citation),
                recipient_id=responsible, recipient_role=rule.responsible_role, responsible_id=responsible,
                due=new.due, provisional=new.provisional, send_at=to_shanghai(now),
                title=f"【期限变更】{rule.name}", body=body)
            await record_notification(uow, cfg, n, now)
            out.append({"clock_id": clock.key.id, "case_number": clock.key.case_id, "rule": rule.id,
                        "before": old.model_dump(mode="json"), "after": new.model_dump(mode="json")})
        return out

    # -- views ---------------------------------------------------------------------------------------------------

    async def case_standing(self, case_number: str) -> tuple[bool, bool]:
        return await self.reads.directory.standing(case_number)

    async def case_deadlines(self, case_id: str, now: datetime) -> list[dict[str, Any]]:
        calendar = await calendar_of(self.reads, self.cfg)
        out = []
        for clock in await self.reads.clocks.find(case_id=case_id):
            rule = self.cfg.rules[clock.key.rule_id]
            status = clock.status(rule, calendar, now)
            run = status.run
            out.append({
                "clock_id": clock.key.id, "court": clock.key.court, "case_number": clock.key.case_id,
                "rule": rule.id, "name": rule.name, "citation": str(rule.citation), "amount": rule.amount_zh,
                "subject": clock.key.subject_id,
                "status": _status_word(None if status.state is None else status.state.value, status.overdue),
                "started_at": run.started_at if run else None,
                "stopped_at": run.stopped_at if run else None,
                "due": status.due.due if status.due else None,
                "provisional": bool(status.due and status.due.provisional),
                "provisional_years": list(status.due.provisional_years) if status.due else [],
                "basis": status.due.basis if status.due else None,
                "responsible_role": ROLE_NAMES_ZH[rule.responsible_role],
                "responsible": run.responsible.person_id if run and run.responsible else None,
                "runs": len(clock.runs(rule)),
            })
        return out

    async def overdue_view(self, court: str, now: datetime, department: str | None = None,
                           person: str | None = None, *,
                           visible: Callable[[set[str]], Awaitable[set[str]]] | None = None) -> dict[str, Any]:
        """The 第七条 ledger; with ``visible`` (the cases the caller may see, of those given) only those cases'
        late runs are listed and counted — nothing of another case, not even in the totals (need to know)."""
        calendar = await calendar_of(self.reads, self.cfg)
        records = overdue_ledger(await self.reads.clocks.find(court=court), self.cfg.rules, calendar, now)
        if department:
            records = [r for r in records if r.department_id == department]
        if person:
            records = [r for r in records if r.responsible_id == person]
        if visible is not None:
            shown = await visible({r.case_id for r in records})
            records = [r for r in records if r.case_id in shown]
        totals = ledger_totals(records)
        return {"court": court, "records": [r.model_dump(mode="json") for r in records],
                "totals": {k: dict(v) for k, v in totals.items()}}
