"""Handlers of the notifier: load, decide (domain), store, emit.

* :func:`handle_event` — the one bus handler: applies an event to the deadline clocks of its case
  and keeps the facts the six indicators are computed from;
* :func:`process_due_clocks` — the scheduler's pass: reminders, overdue notices and escalations
  that have come due (吉高法〔2020〕11号 第七条), each notification stored once under its unique id;
* :func:`deliver_pending` — sends e-mail and webhook deliveries, retrying with back-off;
* :func:`load_holiday_table` — stores a court holiday table and recomputes provisional deadlines;
* :func:`run_monthly_reports` — the six indicators on the 3rd of the month (吉高院通报29期).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from juanzong_shared.bus import PermanentError
from juanzong_shared.db import Mongo
from juanzong_shared.events import REGISTRY, Event
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork, transact
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_notifier.adapters import mongo as repo
from juanzong_notifier.adapters.channels import DeliveryFailed, OutgoingMessage, Sender
from juanzong_notifier.adapters.metrics import (
    DEADLINE_OVERDUE,
    DELIVERIES_FAILED,
    INDICATOR_DENOMINATOR,
    INDICATOR_NUMERATOR,
    INDICATOR_RATE,
)
from juanzong_notifier.domain.access import EXTERNAL_EVENT_TYPES
from juanzong_notifier.domain.calendar import HolidayTable, WorkingCalendar, to_shanghai
from juanzong_notifier.domain.clocks import (
    Clock,
    ClockKey,
    Notification,
    NotificationKind,
    NotificationPolicy,
    apply_event,
    collect_notifications,
    due_changes,
    format_moment,
    ledger_totals,
    next_wakeup,
    overdue_ledger,
)
from juanzong_notifier.domain.events import EventType, InboundEvent
from juanzong_notifier.domain.indicators import (
    INDICATORS,
    MonthlyReport,
    build_monthly_reports,
    compute_monthly_report,
    period_reported_on,
)
from juanzong_notifier.domain.preferences import Channel, UserPreferences, plan_deliveries
from juanzong_notifier.domain.rules import ROLE_NAMES_ZH, ClockAction, InvalidEventPayload, RuleBook
from juanzong_notifier.service_layer.inbound import UnmappableEvent, bus_type, to_inbound

log = get_logger(__name__)

# Domain event types the indicators read (吉高院通报29期), as defined in domain/indicators.py.
INDICATOR_EVENT_TYPES: frozenset[str] = frozenset(
    str(t) for d in INDICATORS for t in d.source_events
) | {EventType.CASE_HEARING_HELD.value}


@dataclass
class NotifierConfig:
    """What the handlers need besides the database: rules, policy, directory settings, channel settings."""

    rules: RuleBook
    policy: NotificationPolicy
    packaged_tables: Sequence[HolidayTable] = ()
    department_heads: Mapping[str, str] = field(default_factory=dict)
    role_holders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    retry_delays_seconds: Sequence[float] = (5, 30, 120, 600)
    max_attempts: int = 5
    directory_grace_seconds: float = 120.0
    senders: dict[Channel, Sender] = field(default_factory=dict)
    # client id → the external event types that system reports (domain/access.py: who may post indicator facts)
    indicator_reporters: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def subscribed_types(self) -> list[str]:
        """Bus event types to bind: every type a rule reacts to, plus the indicator sources — except the facts
        of systems outside the suite, which enter through the checked REST door only (domain/access.py)."""
        wanted = {bus_type(t) for t in self.rules.event_types | INDICATOR_EVENT_TYPES} - EXTERNAL_EVENT_TYPES
        return sorted(t for t in wanted if REGISTRY.versions(t))


async def calendar_of(db: AsyncDatabase, cfg: NotifierConfig, session=None) -> WorkingCalendar:
    return await repo.load_calendar(db, cfg.packaged_tables, session)


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


# -- the bus handler -------------------------------------------------------------------------


async def handle_event(cfg: NotifierConfig, event: Event, uow: UnitOfWork) -> None:
    """Apply one event: directory (case.registered), indicator facts, deadline clocks."""
    db, session = uow.db, uow.session
    hint = None
    if not event.court:
        hint = await repo.court_of_case(db, event.case_id or event.payload.get("case_number", ""), session)
    try:
        inbound = to_inbound(event, court_of_case=hint)
    except UnmappableEvent as error:
        raise PermanentError(str(error)) from error

    if inbound.type == EventType.CASE_REGISTERED:
        p = inbound.payload
        await db[repo.CASE_PEOPLE].replace_one(
            {"_id": f"{inbound.court}/{inbound.case_id}"},
            {"court": inbound.court, "case_id": inbound.case_id, "department": p.get("department"),
             "panel": p.get("panel") or [], "secret": bool(p.get("secret")), "updated_at": repo.now_utc()},
            upsert=True, session=session)
    if inbound.type in INDICATOR_EVENT_TYPES:
        doc = repo.indicator_doc(inbound)
        await db[repo.INDICATOR_EVENTS].replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)
    if not cfg.rules.reacting_to(inbound.type):
        return

    clocks = await repo.case_clocks(db, inbound.court, inbound.case_id, session)
    directory = await repo.directory_snapshot(
        db, [(inbound.court, inbound.case_id)], cfg.department_heads, cfg.role_holders, session)
    calendar = await calendar_of(db, cfg, session)
    changed: dict[ClockKey, Clock] = {}
    if inbound.type == EventType.CASE_REGISTERED:
        changed.update(_fill_responsible(clocks, cfg.rules, directory, inbound))
    try:
        changed.update(apply_event({**clocks, **changed}, inbound, cfg.rules, directory))
    except InvalidEventPayload as error:
        raise PermanentError(str(error)) from error
    now = datetime.now(UTC)
    for clock in changed.values():
        await repo.save_clock(db, clock, derive(clock, cfg, calendar, now), session)


def _fill_responsible(clocks: Mapping[ClockKey, Clock], rules: RuleBook, directory: repo.DirectorySnapshot,
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


# -- notifications ---------------------------------------------------------------------------

_EVENT_FOR_KIND = {
    NotificationKind.OVERDUE: "notify.deadline.overdue",
    NotificationKind.ESCALATION: "notify.deadline.escalated",
    NotificationKind.DUE_CHANGED: "notify.deadline.changed",
}


async def record_notification(uow: UnitOfWork, cfg: NotifierConfig, n: Notification, now: datetime) -> bool:
    """Store ``n`` once (its id is unique), put it in the recipient's inbox, plan the pushes.

    Returns False when the notification existed already (a repeat never sends twice).
    """
    db, session = uow.db, uow.session
    if await db[repo.NOTIFICATIONS].find_one({"_id": n.notification_id}, {"_id": 1}, session=session):
        return False
    await db[repo.NOTIFICATIONS].insert_one(
        {"_id": n.notification_id, **n.model_dump(mode="json"), "created_at": now}, session=session)
    if n.recipient_id is None:
        log.warning("notification without a known recipient", notification=n.notification_id,
                    role=n.recipient_role.value)
    else:
        doc = await db[repo.PREFERENCES].find_one({"_id": n.recipient_id}, session=session)
        prefs = (UserPreferences.model_validate({k: v for k, v in doc.items() if k != "_id"})
                 if doc else UserPreferences.default(n.recipient_id))
        for d in plan_deliveries(n, prefs, now):
            common = {"notification_id": n.notification_id, "user_id": d.user_id, "kind": n.kind.value,
                      "title": n.title, "body": n.body, "court": n.court, "case_id": n.case_id,
                      "rule_id": n.rule_id, "citation": n.citation, "due": n.due, "provisional": n.provisional,
                      "created_at": now}
            if d.channel is Channel.INBOX:
                await db[repo.INBOX].insert_one(
                    {"_id": f"{n.notification_id}|{d.user_id}", **common, "read_at": None}, session=session)
                continue
            send_at = d.send_at.astimezone(UTC)
            enabled = d.channel in cfg.senders
            await db[repo.DELIVERIES].insert_one({
                "_id": f"{n.notification_id}|{d.user_id}|{d.channel.value}", **common,
                "channel": d.channel.value, "address": d.address, "deferred": d.deferred,
                "send_at": send_at, "next_attempt_at": send_at, "attempts": 0,
                "state": "pending" if enabled else "skipped",
                "log": [] if enabled else [{"at": now, "ok": False, "result": f"channel {d.channel.value} is off"}],
            }, session=session)
    event_type = _EVENT_FOR_KIND.get(n.kind)
    if event_type:
        uow.emit(REGISTRY.create(event_type, {
            "clock_id": f"{n.court}/{n.case_id}/{n.rule_id}/{n.subject_id}", "case_number": n.case_id,
            "rule": n.rule_id, "due": n.due, "responsible": n.responsible_id, "provisional": n.provisional,
            "citation": n.citation, "recipient": n.recipient_id}, court=n.court, case_id=n.case_id))
    return True


async def _process_clock(uow: UnitOfWork, cfg: NotifierConfig, clock_id: str, now: datetime) -> int:
    db, session = uow.db, uow.session
    doc = await db[repo.CLOCKS].find_one({"_id": clock_id}, session=session)
    if doc is None:
        return 0
    clock = repo.clock_from_doc(doc)
    rule = cfg.rules[clock.key.rule_id]
    calendar = await calendar_of(db, cfg, session)
    directory = await repo.directory_snapshot(
        db, [(clock.key.court, clock.key.case_id)], cfg.department_heads, cfg.role_holders, session)
    probe = InboundEvent(id="directory", type="directory", occurred_at=now, court=clock.key.court,
                         case_id=clock.key.case_id)
    clock = _fill_responsible({clock.key: clock}, cfg.rules, directory, probe).get(clock.key, clock)
    if (rule.responsible_role in repo.PANEL_ROLES and not directory.knows_case(clock.key.court, clock.key.case_id)
            and now - doc.get("first_seen", now) < timedelta(seconds=cfg.directory_grace_seconds)):
        return 0  # the case's panel (case.registered) may still be on its way: ask again next pass
    updated, notes = collect_notifications(clock, rule, calendar, now, directory, cfg.policy)
    sent = 0
    for n in notes:
        sent += await record_notification(uow, cfg, n, now)
    await repo.save_clock(db, updated, derive(updated, cfg, calendar, now), session)
    return sent


async def process_due_clocks(mongo: Mongo, cfg: NotifierConfig, now: datetime | None = None,
                             on_commit=None, limit: int = 200) -> int:
    """One scheduler pass over clocks whose next wake-up has come; returns notifications made."""
    now = now or datetime.now(UTC)
    ids = [d["_id"] async for d in mongo.db[repo.CLOCKS].find(
        {"next_wakeup": {"$ne": None, "$lte": now}}, {"_id": 1}).limit(limit)]
    made = 0
    for clock_id in ids:
        made += await transact(mongo, lambda uow, cid=clock_id: _process_clock(uow, cfg, cid, now),
                               on_commit=on_commit)
    await update_overdue_gauge(mongo.db, now)
    return made


async def update_overdue_gauge(db: AsyncDatabase, now: datetime) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    async for d in db[repo.CLOCKS].find({"state": "running", "due": {"$lt": now}}, {"court": 1, "rule_id": 1}):
        counts[(d["court"], d["rule_id"])] += 1
    DEADLINE_OVERDUE.clear()
    for (court, rule), n in counts.items():
        DEADLINE_OVERDUE.labels(court, rule).set(n)


# -- deliveries ------------------------------------------------------------------------------


def _outgoing(doc: Mapping[str, Any]) -> OutgoingMessage:
    body = {
        "delivery_id": doc["_id"], "notification_id": doc["notification_id"], "kind": doc["kind"],
        "recipient": doc["user_id"], "court": doc["court"], "case_number": doc["case_id"],
        "rule": doc["rule_id"], "citation": doc["citation"],
        "due": doc["due"] if isinstance(doc["due"], str) else doc["due"].isoformat(),
        "provisional": doc["provisional"], "title": doc["title"], "body": doc["body"],
    }
    return OutgoingMessage(delivery_id=doc["_id"], address=doc["address"], subject=doc["title"],
                           text=doc["body"], json_body=json.dumps(body, ensure_ascii=False).encode())


async def deliver_pending(mongo: Mongo, cfg: NotifierConfig, now: datetime | None = None, limit: int = 50) -> int:
    """Send due push deliveries; failures retry with back-off, the last one marks the delivery failed."""
    now = now or datetime.now(UTC)
    db = mongo.db
    sent = 0
    docs = [d async for d in db[repo.DELIVERIES].find(
        {"state": "pending", "next_attempt_at": {"$lte": now}}).limit(limit)]
    for doc in docs:
        channel = Channel(doc["channel"])
        sender = cfg.senders.get(channel)
        attempt = doc["attempts"] + 1
        at = datetime.now(UTC)
        if sender is None:
            await db[repo.DELIVERIES].update_one({"_id": doc["_id"]}, {"$set": {"state": "skipped"}})
            continue
        try:
            try:
                result = await sender.send(_outgoing(doc))
            except DeliveryFailed:
                raise
            except Exception as error:  # a bad address or message must not stall the other deliveries
                raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        except DeliveryFailed as error:
            failed = attempt >= cfg.max_attempts
            delay = cfg.retry_delays_seconds[min(attempt - 1, len(cfg.retry_delays_seconds) - 1)]
            update: dict[str, Any] = {"attempts": attempt, "state": "failed" if failed else "pending",
                                      "next_attempt_at": at + timedelta(seconds=delay)}
            await db[repo.DELIVERIES].update_one({"_id": doc["_id"]}, {
                "$set": update, "$push": {"log": {"at": at, "attempt": attempt, "ok": False, "result": str(error)}}})
            if failed:
                DELIVERIES_FAILED.labels(channel.value).inc()
            log.warning("delivery failed", delivery=doc["_id"], attempt=attempt, error=str(error), final=failed)
            continue
        await db[repo.DELIVERIES].update_one({"_id": doc["_id"]}, {
            "$set": {"attempts": attempt, "state": "sent", "sent_at": at},
            "$push": {"log": {"at": at, "attempt": attempt, "ok": True, "result": result}}})
        sent += 1
    return sent


# -- holiday tables (吉高法〔2020〕11号 第七条: provisional deadlines are recomputed) -------------


async def load_holiday_table(uow: UnitOfWork, cfg: NotifierConfig, table: HolidayTable) -> list[dict[str, Any]]:
    """Store ``table`` (replacing that year's) and recompute every running clock; notify moved deadlines."""
    db, session = uow.db, uow.session
    now = datetime.now(UTC)
    before = await calendar_of(db, cfg, session)
    after = before.with_table(table)
    doc = repo.table_doc(table)
    await db[repo.HOLIDAY_TABLES].replace_one({"_id": table.year}, doc, upsert=True, session=session)
    clocks = [repo.clock_from_doc(d) async for d in db[repo.CLOCKS].find(
        {"state": {"$in": ["running", "paused"]}}, session=session)]
    by_key = {c.key: c for c in clocks}
    changes = due_changes(clocks, cfg.rules, before, after)
    version = table.loaded_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = []
    for change in changes:
        clock = by_key[change.key]
        rule = cfg.rules[clock.key.rule_id]
        await repo.save_clock(db, clock, derive(clock, cfg, after, now), session)
        run = next(r for r in clock.runs(rule) if r.start_event_id == change.start_event_id)
        old, new = change.before, change.after
        body = (f"案件{clock.key.case_id}：{rule.name}（{rule.citation}，{rule.amount_zh}）期限由"
                f"{format_moment(old.due)}{'（暂定）' if old.provisional else ''}变更为{format_moment(new.due)}"
                f"{'（暂定）' if new.provisional else ''}：已载入{table.year}年节假日安排"
                f"（{table.source_notice.number}）。{new.basis}")
        n = Notification(
            notification_id=f"{clock.key.id}/{run.start_event_id}/due_changed/{table.year}-{version}",
            kind=NotificationKind.DUE_CHANGED, court=clock.key.court, case_id=clock.key.case_id,
            rule_id=rule.id, subject_id=clock.key.subject_id, citation=str(rule.citation),
            recipient_id=run.responsible.person_id if run.responsible else None,
            recipient_role=rule.responsible_role,
            responsible_id=run.responsible.person_id if run.responsible else None,
            due=new.due, provisional=new.provisional, send_at=to_shanghai(now),
            title=f"【期限变更】{rule.name}", body=body)
        await record_notification(uow, cfg, n, now)
        out.append({"clock_id": clock.key.id, "case_number": clock.key.case_id, "rule": rule.id,
                    "before": old.model_dump(mode="json"), "after": new.model_dump(mode="json")})
    return out


# -- views -----------------------------------------------------------------------------------


def _status_word(state: str | None, overdue: bool) -> str:
    if state is None:
        return "not_started"
    if state == "stopped":
        return "done_late" if overdue else "done"
    return "overdue" if overdue else state


async def case_deadlines(db: AsyncDatabase, cfg: NotifierConfig, case_id: str, now: datetime) -> list[dict]:
    calendar = await calendar_of(db, cfg)
    out = []
    async for doc in db[repo.CLOCKS].find({"case_id": case_id}).sort("_id"):
        clock = repo.clock_from_doc(doc)
        rule = cfg.rules[clock.key.rule_id]
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


async def overdue_view(db: AsyncDatabase, cfg: NotifierConfig, court: str, now: datetime,
                       department: str | None = None, person: str | None = None, *,
                       visible: Callable[[set[str]], Awaitable[set[str]]] | None = None) -> dict[str, Any]:
    """The 第七条 ledger; with ``visible`` (the cases the caller may see, of those given) only those cases' late
    runs are listed and counted — nothing of another case, not even in the totals (need to know)."""
    calendar = await calendar_of(db, cfg)
    clocks = [repo.clock_from_doc(d) async for d in db[repo.CLOCKS].find({"court": court})]
    records = overdue_ledger(clocks, cfg.rules, calendar, now)
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


# -- indicators (吉高院通报29期) ----------------------------------------------------------------


async def monthly_report(db: AsyncDatabase, cfg: NotifierConfig, court: str, year: int, month: int,
                         now: datetime) -> MonthlyReport:
    events = await repo.court_indicator_events(db, court)
    return compute_monthly_report(events, court, year, month, await calendar_of(db, cfg), now)


def publish_gauges(reports: Sequence[MonthlyReport]) -> None:
    for report in reports:
        for v in report.indicators:
            INDICATOR_NUMERATOR.labels(report.court, v.key.value).set(v.numerator)
            INDICATOR_DENOMINATOR.labels(report.court, v.key.value).set(v.denominator)
            if v.rate is not None:
                INDICATOR_RATE.labels(report.court, v.key.value).set(v.rate)


async def run_monthly_reports(mongo: Mongo, cfg: NotifierConfig, year: int, month: int,
                              now: datetime | None = None) -> list[MonthlyReport]:
    """Compute and store every court's report for ``year-month`` and publish the gauges."""
    now = now or datetime.now(UTC)
    db = mongo.db
    courts = sorted(await db[repo.INDICATOR_EVENTS].distinct("court"))
    events = [repo.indicator_from_doc(d) async for d in db[repo.INDICATOR_EVENTS].find({})]
    reports = build_monthly_reports(events, year, month, await calendar_of(db, cfg), now, courts)
    for report in reports:
        await db[repo.REPORTS].replace_one({"_id": f"{report.court}/{report.period}"},
                                           {**report.to_dict(), "stored_at": now}, upsert=True)
    publish_gauges(reports)
    return reports


async def monthly_job(mongo: Mongo, cfg: NotifierConfig, now: datetime | None = None) -> list[MonthlyReport]:
    """On the 3rd (Asia/Shanghai), report the previous month once."""
    now = now or datetime.now(UTC)
    period = period_reported_on(to_shanghai(now).date())
    if period is None:
        return []
    key = f"{period[0]:04d}-{period[1]:02d}"
    if await mongo.db["report_runs"].find_one({"_id": key}):
        return []
    reports = await run_monthly_reports(mongo, cfg, *period, now=now)
    await mongo.db["report_runs"].replace_one({"_id": key}, {"ran_at": now, "courts": len(reports)}, upsert=True)
    log.info("monthly indicator report made", period=key, courts=len(reports))
    return reports

