"""In-memory twins of ``adapters.repository`` for service-layer unit tests (the same methods, dicts instead of
collections), and the notifier's use cases wired on ``juanzong_shared.testing.FakeUnitOfWork``."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from juanzong_notifier.config import NotifierConfig
from juanzong_notifier.domain.calendar import HolidayTable, load_holiday_tables
from juanzong_notifier.domain.clocks import Clock, ClockKey, NotificationPolicy
from juanzong_notifier.domain.directory import DirectorySnapshot
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.indicators import MonthlyReport
from juanzong_notifier.domain.preferences import UserPreferences
from juanzong_notifier.domain.rules import load_rules
from juanzong_notifier.service_layer.clocks import ClockService
from juanzong_notifier.service_layer.indicators import IndicatorService
from juanzong_notifier.service_layer.preferences import PreferenceService
from juanzong_notifier.service_layer.reminders import ReminderService
from juanzong_shared.testing import FakeUnitOfWork


class MemoryClocks:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def of_case(self, court: str, case_id: str) -> dict[ClockKey, Clock]:
        return {d["clock"].key: d["clock"] for d in self.docs.values()
                if d["clock"].key.court == court and d["clock"].key.case_id == case_id}

    async def get(self, clock_id: str) -> tuple[Clock, datetime | None] | None:
        doc = self.docs.get(clock_id)
        return None if doc is None else (doc["clock"], doc["first_seen"])

    async def save(self, clock: Clock, derived: Mapping[str, Any]) -> None:
        first_seen = self.docs.get(clock.key.id, {}).get("first_seen", datetime.now().astimezone())
        self.docs[clock.key.id] = {"clock": clock, **derived, "first_seen": first_seen}

    async def find(self, *, court: str | None = None, case_id: str | None = None,
                   unfinished: bool = False) -> list[Clock]:
        return [d["clock"] for _, d in sorted(self.docs.items())
                if court in (None, d["clock"].key.court) and case_id in (None, d["clock"].key.case_id)
                and (not unfinished or d["state"] in ("running", "paused"))]

    async def due_ids(self, now: datetime, limit: int) -> list[str]:
        return [k for k, d in self.docs.items() if d["next_wakeup"] is not None and d["next_wakeup"] <= now][:limit]

    async def overdue_counts(self, now: datetime) -> Counter[tuple[str, str]]:
        return Counter((d["clock"].key.court, d["clock"].key.rule_id) for d in self.docs.values()
                       if d["state"] == "running" and d["due"] is not None and d["due"] < now)


class MemoryNotices:
    def __init__(self) -> None:
        self.notifications: dict[str, dict[str, Any]] = {}
        self.inbox_items: dict[str, dict[str, Any]] = {}
        self.delivery_docs: dict[str, dict[str, Any]] = {}

    async def add_notification(self, notification_id: str, doc: Mapping[str, Any]) -> bool:
        if notification_id in self.notifications:
            return False
        self.notifications[notification_id] = dict(doc)
        return True

    async def add_inbox_item(self, item_id: str, doc: Mapping[str, Any]) -> None:
        self.inbox_items[item_id] = {**doc, "id": item_id}

    async def add_delivery(self, delivery_id: str, doc: Mapping[str, Any]) -> None:
        self.delivery_docs[delivery_id] = copy.deepcopy({**doc, "id": delivery_id})

    async def inbox(self, user_id: str, *, unread_only: bool, limit: int) -> tuple[list[dict[str, Any]], int]:
        mine = [d for d in self.inbox_items.values() if d["user_id"] == user_id]
        shown = [d for d in mine if not unread_only or d["read_at"] is None]
        return sorted(shown, key=lambda d: d["created_at"], reverse=True)[:limit], sum(
            d["read_at"] is None for d in mine)

    async def mark_read(self, user_id: str, ids: Sequence[str] | None, at: datetime) -> int:
        marked = [d for d in self.inbox_items.values() if d["user_id"] == user_id and d["read_at"] is None
                  and (ids is None or d["id"] in ids or d["notification_id"] in ids)]
        for d in marked:
            d["read_at"] = at
        return len(marked)

    async def deliveries(self, *, user_id: str | None = None, state: str | None = None,
                         due_by: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return [copy.deepcopy(d) for d in self.delivery_docs.values()
                if user_id in (None, d["user_id"]) and state in (None, d["state"])
                and (due_by is None or d["next_attempt_at"] <= due_by)][:limit]

    async def update_delivery(self, delivery_id: str, changes: Mapping[str, Any],
                              attempt: Mapping[str, Any] | None = None) -> None:
        self.delivery_docs[delivery_id].update(changes)
        if attempt is not None:
            self.delivery_docs[delivery_id]["log"].append(dict(attempt))


class MemoryPreferences:
    def __init__(self) -> None:
        self.by_user: dict[str, UserPreferences] = {}

    async def get(self, user_id: str) -> UserPreferences | None:
        return self.by_user.get(user_id)

    async def put(self, prefs: UserPreferences) -> None:
        self.by_user[prefs.user_id] = prefs


class MemoryHolidayTables:
    def __init__(self) -> None:
        self.by_year: dict[int, HolidayTable] = {}

    async def all(self) -> list[HolidayTable]:
        return list(self.by_year.values())

    async def put(self, table: HolidayTable) -> None:
        self.by_year[table.year] = table


class MemoryDirectory:
    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.head_ids: dict[str, str] = {}
        self.role_holders: dict[str, dict[str, Any]] = {}

    async def record_case(self, court: str, case_id: str, *, department: str | None, panel: list[dict[str, Any]],
                          secret: bool) -> None:
        self.cases[f"{court}/{case_id}"] = {"court": court, "case_id": case_id, "department": department,
                                            "panel": panel, "secret": secret}

    async def court_of_case(self, case_id: str) -> str | None:
        return next((d["court"] for d in self.cases.values() if d["case_id"] == case_id), None)

    async def heads(self) -> dict[str, str]:
        return dict(self.head_ids)

    async def snapshot(self, cases: Iterable[tuple[str, str]], settings_heads: Mapping[str, str],
                       settings_roles: Mapping[str, Mapping[str, Any]]) -> DirectorySnapshot:
        found = {f"{c}/{n}": self.cases[f"{c}/{n}"] for c, n in cases if f"{c}/{n}" in self.cases}
        return DirectorySnapshot(found, {**settings_heads, **self.head_ids}, {**settings_roles, **self.role_holders})


class MemoryIndicators:
    def __init__(self) -> None:
        self.by_id: dict[str, InboundEvent] = {}
        self.reports: dict[str, MonthlyReport] = {}
        self.runs: set[str] = set()

    async def record(self, event: InboundEvent) -> None:
        self.by_id[event.id] = event

    async def events(self, court: str | None = None) -> list[InboundEvent]:
        return [e for e in self.by_id.values() if court in (None, e.court)]

    async def courts(self) -> list[str]:
        return sorted({e.court for e in self.by_id.values()})

    async def store_report(self, report: MonthlyReport, now: datetime) -> None:
        self.reports[f"{report.court}/{report.period}"] = report

    async def report_ran(self, period: str) -> bool:
        return period in self.runs

    async def mark_report_run(self, period: str, now: datetime, courts: int) -> None:
        self.runs.add(period)


class MemoryRepositories:
    def __init__(self) -> None:
        self.clocks = MemoryClocks()
        self.notices = MemoryNotices()
        self.preferences = MemoryPreferences()
        self.holiday_tables = MemoryHolidayTables()
        self.directory = MemoryDirectory()
        self.indicators = MemoryIndicators()


class World:
    """The notifier's use cases on one in-memory unit of work (``uow``), with the packaged rules and tables."""

    def __init__(self, **config: Any) -> None:
        self.repos = MemoryRepositories()
        self.uow = FakeUnitOfWork(self.repos)
        self.cfg = NotifierConfig(rules=load_rules(), policy=config.pop("policy", NotificationPolicy()),
                                  packaged_tables=load_holiday_tables(), **config)
        self.clocks = ClockService(self.cfg, self.uow.transact, self.repos)
        self.reminders = ReminderService(self.cfg, self.repos)
        self.indicators = IndicatorService(self.cfg, self.uow.transact, self.repos)
        self.preferences = PreferenceService(self.repos)
