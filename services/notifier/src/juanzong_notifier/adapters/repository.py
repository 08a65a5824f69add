"""The notifier's own collections (no other service reads them), their indexes and every query on them.

=====================  ===========================================================================
collection             one document per
=====================  ===========================================================================
clocks                 ClockKey (``_id`` = ``court/case/rule/subject``): the journal, the notification
                       keys already produced, and derived fields for queries (state, due,
                       provisional, responsible, next_wakeup)
notifications          Notification (``_id`` = notification id: unique, so nothing is sent twice)
inbox                  notification × recipient (``_id`` = ``<notification id>|<user>``), read_at
deliveries             notification × recipient × push channel, with the attempt log (delivery log)
preferences            user (``_id`` = user id): channels, addresses, quiet hours
holiday_tables         year (``_id`` = year): a court-maintained holiday table with its notice
indicator_events       inbound event (``_id`` = event id) feeding the six indicators
case_people            case (``_id`` = ``court/case``): panel and department from case.registered
department_heads       ``court/department`` → user id
role_holders           ``court/role`` → person, for roles that are offices rather than panel members
reports                ``court/period``: monthly indicator reports made on the 3rd
report_runs            period: the monthly report was made
=====================  ===========================================================================

Each repository holds the unit of work's session (None: a read outside a transaction).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_notifier.domain.calendar import HolidayTable
from juanzong_notifier.domain.clocks import Clock, ClockKey
from juanzong_notifier.domain.directory import DirectorySnapshot
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.indicators import MonthlyReport
from juanzong_notifier.domain.preferences import UserPreferences

CLOCKS = "clocks"
NOTIFICATIONS = "notifications"
INBOX = "inbox"
DELIVERIES = "deliveries"
PREFERENCES = "preferences"
HOLIDAY_TABLES = "holiday_tables"
INDICATOR_EVENTS = "indicator_events"
CASE_PEOPLE = "case_people"
DEPARTMENT_HEADS = "department_heads"
ROLE_HOLDERS = "role_holders"
REPORTS = "reports"
REPORT_RUNS = "report_runs"

INDEXES = {
    CLOCKS: [
        IndexModel([("court", ASCENDING), ("case_id", ASCENDING)], name="case"),
        IndexModel([("case_id", ASCENDING)], name="case_id"),
        IndexModel([("next_wakeup", ASCENDING)], name="next_wakeup"),
        IndexModel([("state", ASCENDING), ("due", ASCENDING)], name="state_due"),
    ],
    INBOX: [IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)], name="user")],
    DELIVERIES: [IndexModel([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="pending")],
    INDICATOR_EVENTS: [IndexModel([("court", ASCENDING), ("occurred_at", ASCENDING)], name="court_time")],
    NOTIFICATIONS: [IndexModel([("case_id", ASCENDING)], name="case_id")],
    CASE_PEOPLE: [IndexModel([("case_id", ASCENDING)], name="case_id")],
}


def _now() -> datetime:
    return datetime.now(UTC)


def _without_id(doc: Mapping[str, Any], *also: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_id" and k not in also}


class _Repository:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None) -> None:
        self.db, self.session = db, session


class Clocks(_Repository):
    async def of_case(self, court: str, case_id: str) -> dict[ClockKey, Clock]:
        clocks = [Clock.model_validate(d["clock"]) async for d in self.db[CLOCKS].find(
            {"court": court, "case_id": case_id}, session=self.session)]
        return {c.key: c for c in clocks}

    async def get(self, clock_id: str) -> tuple[Clock, datetime | None] | None:
        """The clock and when the notifier first saw it."""
        doc = await self.db[CLOCKS].find_one({"_id": clock_id}, session=self.session)
        return None if doc is None else (Clock.model_validate(doc["clock"]), doc.get("first_seen"))

    async def save(self, clock: Clock, derived: Mapping[str, Any]) -> None:
        k, now = clock.key, _now()
        doc = {"court": k.court, "case_id": k.case_id, "rule_id": k.rule_id, "subject_id": k.subject_id,
               "clock": clock.model_dump(mode="json"), **derived, "updated_at": now}
        await self.db[CLOCKS].update_one({"_id": k.id}, {"$set": doc, "$setOnInsert": {"first_seen": now}},
                                         upsert=True, session=self.session)

    async def find(self, *, court: str | None = None, case_id: str | None = None,
                   unfinished: bool = False) -> list[Clock]:
        query: dict[str, Any] = {}
        if court is not None:
            query["court"] = court
        if case_id is not None:
            query["case_id"] = case_id
        if unfinished:
            query["state"] = {"$in": ["running", "paused"]}
        return [Clock.model_validate(d["clock"])
                async for d in self.db[CLOCKS].find(query, session=self.session).sort("_id")]

    async def due_ids(self, now: datetime, limit: int) -> list[str]:
        return [d["_id"] async for d in self.db[CLOCKS].find(
            {"next_wakeup": {"$ne": None, "$lte": now}}, {"_id": 1}, session=self.session).limit(limit)]

    async def overdue_counts(self, now: datetime) -> Counter[tuple[str, str]]:
        """Running clocks past their due moment, by (court, rule)."""
        counts: Counter[tuple[str, str]] = Counter()
        async for d in self.db[CLOCKS].find({"state": "running", "due": {"$lt": now}}, {"court": 1, "rule_id": 1},
                                            session=self.session):
            counts[(d["court"], d["rule_id"])] += 1
        return counts


class Notices(_Repository):
    """Notifications, their inbox items and their push deliveries (with the attempt log)."""

    async def add_notification(self, notification_id: str, doc: Mapping[str, Any]) -> bool:
        """False when it exists already (its id is unique: a repeat never sends twice)."""
        if await self.db[NOTIFICATIONS].find_one({"_id": notification_id}, {"_id": 1}, session=self.session):
            return False
        await self.db[NOTIFICATIONS].insert_one({"_id": notification_id, **doc}, session=self.session)
        return True

    async def add_inbox_item(self, item_id: str, doc: Mapping[str, Any]) -> None:
        await self.db[INBOX].insert_one({"_id": item_id, **doc}, session=self.session)

    async def add_delivery(self, delivery_id: str, doc: Mapping[str, Any]) -> None:
        await self.db[DELIVERIES].insert_one({"_id": delivery_id, **doc}, session=self.session)

    async def inbox(self, user_id: str, *, unread_only: bool, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The user's items newest first (``id`` for the database id), and how many are unread."""
        query: dict[str, Any] = {"user_id": user_id}
        if unread_only:
            query["read_at"] = None
        items = [{**_without_id(d), "id": d["_id"]} async for d in self.db[INBOX].find(
            query, session=self.session).sort("created_at", -1).limit(limit)]
        unread = await self.db[INBOX].count_documents({"user_id": user_id, "read_at": None}, session=self.session)
        return items, unread

    async def mark_read(self, user_id: str, ids: Sequence[str] | None, at: datetime) -> int:
        """Mark the user's unread items read: those of ``ids`` (item or notification ids), or all (None)."""
        query: dict[str, Any] = {"user_id": user_id, "read_at": None}
        if ids is not None:
            query["$or"] = [{"_id": {"$in": list(ids)}}, {"notification_id": {"$in": list(ids)}}]
        result = await self.db[INBOX].update_many(query, {"$set": {"read_at": at}}, session=self.session)
        return result.modified_count

    async def deliveries(self, *, user_id: str | None = None, state: str | None = None, due_by: datetime | None = None,
                         limit: int = 100) -> list[dict[str, Any]]:
        """Deliveries newest first (``id`` for the database id); ``due_by``: pending ones due by then."""
        query: dict[str, Any] = {}
        if user_id:
            query["user_id"] = user_id
        if state:
            query["state"] = state
        if due_by is not None:
            query["next_attempt_at"] = {"$lte": due_by}
        cursor = self.db[DELIVERIES].find(query, session=self.session)
        if due_by is None:
            cursor = cursor.sort("created_at", -1)
        return [{**_without_id(d), "id": d["_id"]} async for d in cursor.limit(limit)]

    async def update_delivery(self, delivery_id: str, changes: Mapping[str, Any],
                              attempt: Mapping[str, Any] | None = None) -> None:
        update: dict[str, Any] = {"$set": dict(changes)}
        if attempt is not None:
            update["$push"] = {"log": dict(attempt)}
        await self.db[DELIVERIES].update_one({"_id": delivery_id}, update, session=self.session)


class Preferences(_Repository):
    async def get(self, user_id: str) -> UserPreferences | None:
        doc = await self.db[PREFERENCES].find_one({"_id": user_id}, session=self.session)
        return None if doc is None else UserPreferences.model_validate(_without_id(doc))

    async def put(self, prefs: UserPreferences) -> None:
        await self.db[PREFERENCES].replace_one({"_id": prefs.user_id}, prefs.model_dump(mode="json"), upsert=True,
                                               session=self.session)


class HolidayTables(_Repository):
    async def all(self) -> list[HolidayTable]:
        return [HolidayTable.model_validate(_without_id(d, "stored_at"))
                async for d in self.db[HOLIDAY_TABLES].find({}, session=self.session)]

    async def put(self, table: HolidayTable) -> None:
        doc = {**table.model_dump(mode="json"), "stored_at": _now()}
        await self.db[HOLIDAY_TABLES].replace_one({"_id": table.year}, doc, upsert=True, session=self.session)


class Directory(_Repository):
    """The panels of cases (from case.registered), department heads and office-role holders."""

    async def record_case(self, court: str, case_id: str, *, department: str | None, panel: list[dict[str, Any]],
                          secret: bool) -> None:
        await self.db[CASE_PEOPLE].replace_one(
            {"_id": f"{court}/{case_id}"},
            {"court": court, "case_id": case_id, "department": department, "panel": panel, "secret": secret,
             "updated_at": _now()}, upsert=True, session=self.session)

    async def court_of_case(self, case_id: str) -> str | None:
        doc = await self.db[CASE_PEOPLE].find_one({"case_id": case_id}, session=self.session)
        return None if doc is None else doc.get("court")

    async def standing(self, case_id: str) -> tuple[bool, bool]:
        """(known, secret): whether the notifier holds anything of the case (a clock, or its panel from
        case.registered), and whether case.registered said it is 涉密."""
        people = self.db[CASE_PEOPLE]
        if await people.find_one({"case_id": case_id, "secret": True}, {"_id": 1}, session=self.session):
            return True, True
        if await self.db[CLOCKS].find_one({"case_id": case_id}, {"_id": 1}, session=self.session):
            return True, False
        return await people.find_one({"case_id": case_id}, {"_id": 1}, session=self.session) is not None, False

    async def heads(self) -> dict[str, str]:
        """``court/department`` → user id, as set through the admin API."""
        return {d["_id"]: d["user_id"] async for d in self.db[DEPARTMENT_HEADS].find({}, session=self.session)}

    async def put_head(self, court: str, department: str, user_id: str) -> None:
        await self.db[DEPARTMENT_HEADS].replace_one(
            {"_id": f"{court}/{department}"}, {"court": court, "department": department, "user_id": user_id},
            upsert=True, session=self.session)

    async def put_role_holder(self, court: str, role: str, holder: Mapping[str, Any]) -> None:
        await self.db[ROLE_HOLDERS].replace_one({"_id": f"{court}/{role}"}, {"court": court, "role": role, **holder},
                                                upsert=True, session=self.session)

    async def snapshot(self, cases: Iterable[tuple[str, str]], settings_heads: Mapping[str, str],
                       settings_roles: Mapping[str, Mapping[str, Any]]) -> DirectorySnapshot:
        ids = [f"{court}/{case}" for court, case in cases]
        found = {d["_id"]: d async for d in self.db[CASE_PEOPLE].find({"_id": {"$in": ids}}, session=self.session)}
        roles = {k: dict(v) for k, v in settings_roles.items()}
        async for d in self.db[ROLE_HOLDERS].find({}, session=self.session):
            roles[d["_id"]] = {"user_id": d["user_id"], "department": d.get("department"), "name": d.get("name")}
        return DirectorySnapshot(found, {**settings_heads, **await self.heads()}, roles)


class Indicators(_Repository):
    """The facts the six indicators are computed from, and the monthly reports."""

    async def record(self, event: InboundEvent) -> None:
        doc = {"type": event.type, "occurred_at": event.occurred_at.astimezone(UTC), "court": event.court,
               "case_id": event.case_id, "payload": event.facts()}
        await self.db[INDICATOR_EVENTS].replace_one({"_id": event.id}, doc, upsert=True, session=self.session)

    async def events(self, court: str | None = None) -> list[InboundEvent]:
        query = {} if court is None else {"court": court}
        return [_indicator_event(d) async for d in self.db[INDICATOR_EVENTS].find(query, session=self.session)]

    async def courts(self) -> list[str]:
        return sorted(await self.db[INDICATOR_EVENTS].distinct("court", session=self.session))

    async def store_report(self, report: MonthlyReport, now: datetime) -> None:
        await self.db[REPORTS].replace_one({"_id": f"{report.court}/{report.period}"},
                                           {**report.to_dict(), "stored_at": now}, upsert=True, session=self.session)

    async def report_ran(self, period: str) -> bool:
        return await self.db[REPORT_RUNS].find_one({"_id": period}, session=self.session) is not None

    async def mark_report_run(self, period: str, now: datetime, courts: int) -> None:
        await self.db[REPORT_RUNS].replace_one({"_id": period}, {"ran_at": now, "courts": courts}, upsert=True,
                                               session=self.session)


_FACTS = frozenset(InboundEvent.model_fields) - {"id", "type", "occurred_at", "court", "case_id"}


def _indicator_event(doc: Mapping[str, Any]) -> InboundEvent:
    # documents stored before the facts were typed keep the whole mapped payload: only the facts are read
    facts = {k: v for k, v in (doc.get("payload") or {}).items() if k in _FACTS}
    return InboundEvent(id=doc["_id"], type=doc["type"], occurred_at=doc["occurred_at"], court=doc["court"],
                        case_id=doc["case_id"], **facts)


class Repositories:
    """What every unit of work of the notifier holds (``uow.repos``)."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.clocks = Clocks(db, session)
        self.notices = Notices(db, session)
        self.preferences = Preferences(db, session)
        self.holiday_tables = HolidayTables(db, session)
        self.directory = Directory(db, session)
        self.indicators = Indicators(db, session)


def repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> Repositories:
    return Repositories(db, session)
