"""The notifier's own collections (no other service reads them) and how domain objects are stored.

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
=====================  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_notifier.domain.calendar import HolidayTable, WorkingCalendar
from juanzong_notifier.domain.clocks import Clock, ClockKey, Person
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.rules import Role

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


def now_utc() -> datetime:
    return datetime.now(UTC)


async def case_standing(db: AsyncDatabase, case_id: str) -> tuple[bool, bool]:
    """(known, secret): whether the notifier holds anything of the case (a clock, or its panel from
    case.registered), and whether case.registered said it is 涉密."""
    people = await db[CASE_PEOPLE].find_one({"case_id": case_id, "secret": True}, {"_id": 1})
    if people is not None:
        return True, True
    if await db[CLOCKS].find_one({"case_id": case_id}, {"_id": 1}):
        return True, False
    return await db[CASE_PEOPLE].find_one({"case_id": case_id}, {"_id": 1}) is not None, False


# -- clocks ----------------------------------------------------------------------------------


def clock_from_doc(doc: Mapping[str, Any]) -> Clock:
    return Clock.model_validate(doc["clock"])


def clock_doc(clock: Clock, derived: Mapping[str, Any]) -> dict[str, Any]:
    k = clock.key
    return {
        "_id": k.id,
        "court": k.court,
        "case_id": k.case_id,
        "rule_id": k.rule_id,
        "subject_id": k.subject_id,
        "clock": clock.model_dump(mode="json"),
        **derived,
        "updated_at": now_utc(),
    }


async def case_clocks(
    db: AsyncDatabase, court: str, case_id: str, session: AsyncClientSession | None = None
) -> dict[ClockKey, Clock]:
    out: dict[ClockKey, Clock] = {}
    async for doc in db[CLOCKS].find({"court": court, "case_id": case_id}, session=session):
        clock = clock_from_doc(doc)
        out[clock.key] = clock
    return out


async def save_clock(
    db: AsyncDatabase, clock: Clock, derived: Mapping[str, Any], session: AsyncClientSession | None
) -> None:
    doc = clock_doc(clock, derived)
    key = doc.pop("_id")
    await db[CLOCKS].update_one({"_id": key}, {"$set": doc, "$setOnInsert": {"first_seen": doc["updated_at"]}},
                                upsert=True, session=session)


# -- calendar --------------------------------------------------------------------------------


def table_doc(table: HolidayTable) -> dict[str, Any]:
    return {"_id": table.year, **table.model_dump(mode="json"), "stored_at": now_utc()}


def table_from_doc(doc: Mapping[str, Any]) -> HolidayTable:
    return HolidayTable.model_validate({k: v for k, v in doc.items() if k not in ("_id", "stored_at")})


async def stored_tables(db: AsyncDatabase, session: AsyncClientSession | None = None) -> list[HolidayTable]:
    return [table_from_doc(d) async for d in db[HOLIDAY_TABLES].find({}, session=session)]


async def load_calendar(
    db: AsyncDatabase, packaged: Iterable[HolidayTable], session: AsyncClientSession | None = None
) -> WorkingCalendar:
    """Packaged tables (the data file), overridden year by year by tables loaded through the admin API."""
    by_year = {t.year: t for t in packaged}
    for table in await stored_tables(db, session):
        by_year[table.year] = table
    return WorkingCalendar(by_year.values())


# -- directory -------------------------------------------------------------------------------

# Panel roles of case.registered (shared events/intake.py) that hold a rule's role, in order of preference.
PANEL_ROLES: dict[Role, tuple[str, ...]] = {
    Role.JUDGE: ("undertaking_judge", "presiding_judge"),
    Role.JUDGE_ASSISTANT: ("judge_assistant", "clerk"),
}


class DirectorySnapshot:
    """The domain's :class:`Directory`, read from the database before a domain call (which is sync).

    Panel roles come from case.registered; office roles (立案窗口, 智能办案辅助中心, 档案科, 原审法院)
    from ``role_holders`` (admin API or settings); department heads from ``department_heads``
    (admin API) over settings.
    """

    def __init__(
        self,
        cases: Mapping[str, Mapping[str, Any]],
        heads: Mapping[str, str],
        role_holders: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self._cases = cases
        self._heads = heads
        self._roles = role_holders

    def responsible_for(self, role: Role, event: InboundEvent) -> Person | None:
        case = self._cases.get(f"{event.court}/{event.case_id}")
        if case is not None and role in PANEL_ROLES:
            for wanted in PANEL_ROLES[role]:
                for member in case.get("panel", []):
                    if member.get("role") == wanted and member.get("user_id"):
                        return Person(
                            person_id=member["user_id"],
                            department_id=case.get("department"),
                            name=member.get("name"),
                        )
        holder = self._roles.get(f"{event.court}/{role.value}")
        if holder is not None:
            return Person(
                person_id=holder["user_id"], department_id=holder.get("department"), name=holder.get("name")
            )
        return None

    def knows_case(self, court: str, case_id: str) -> bool:
        return f"{court}/{case_id}" in self._cases

    def department_head(self, court: str, department_id: str) -> Person | None:
        user = self._heads.get(f"{court}/{department_id}")
        return None if user is None else Person(person_id=user, department_id=department_id)


async def directory_snapshot(
    db: AsyncDatabase,
    cases: Iterable[tuple[str, str]],
    settings_heads: Mapping[str, str],
    settings_roles: Mapping[str, Mapping[str, Any]],
    session: AsyncClientSession | None = None,
) -> DirectorySnapshot:
    ids = [f"{court}/{case}" for court, case in cases]
    found = {d["_id"]: d async for d in db[CASE_PEOPLE].find({"_id": {"$in": ids}}, session=session)}
    heads = dict(settings_heads)
    async for d in db[DEPARTMENT_HEADS].find({}, session=session):
        heads[d["_id"]] = d["user_id"]
    roles = {k: dict(v) for k, v in settings_roles.items()}
    async for d in db[ROLE_HOLDERS].find({}, session=session):
        roles[d["_id"]] = {"user_id": d["user_id"], "department": d.get("department"), "name": d.get("name")}
    return DirectorySnapshot(found, heads, roles)


async def court_of_case(db: AsyncDatabase, case_id: str, session: AsyncClientSession | None = None) -> str | None:
    doc = await db[CASE_PEOPLE].find_one({"case_id": case_id}, session=session)
    return None if doc is None else doc.get("court")


# -- indicator events ----------------------------------------------------------------------


def indicator_doc(event: InboundEvent) -> dict[str, Any]:
    return {
        "_id": event.id,
        "type": event.type,
        "occurred_at": event.occurred_at.astimezone(UTC),
        "court": event.court,
        "case_id": event.case_id,
        "payload": event.payload,
    }


def indicator_from_doc(doc: Mapping[str, Any]) -> InboundEvent:
    return InboundEvent(
        id=doc["_id"],
        type=doc["type"],
        occurred_at=doc["occurred_at"],
        court=doc["court"],
        case_id=doc["case_id"],
        payload=doc.get("payload") or {},
    )


async def court_indicator_events(db: AsyncDatabase, court: str) -> list[InboundEvent]:
    return [indicator_from_doc(d) async for d in db[INDICATOR_EVENTS].find({"court": court})]
