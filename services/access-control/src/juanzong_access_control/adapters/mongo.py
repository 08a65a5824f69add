"""MongoDB storage of access-control: accounts, case facts, requests, grants, borrowings, revoked tokens.

Domain objects are stored as their JSON form (``model_dump(mode="json")``) under their id, with the few
fields queries need (times, status) copied beside them in native types under ``q``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain.approvals import AccessRequest
from ..domain.borrowing import Borrowing
from ..domain.cases import CaseFacts, Panel
from ..domain.grants import Grant
from ..domain.identities import Principal, PrincipalKind, Role

USERS = "users"
CLIENTS = "service_clients"
CASES = "cases"
CASE_LINKS = "case_links"
REQUESTS = "access_requests"
GRANTS = "grants"
BORROWINGS = "borrowings"
BORROWING_COUNTERS = "borrowing_counters"
AUDIT = "audit_records"
AUDIT_HEAD = "audit_head"
REVOKED = "revoked_tokens"
LOGIN_FAILURES = "login_failures"
SEED = "seed_state"

INDEXES = {
    USERS: [IndexModel([("username", ASCENDING)], unique=True, name="username")],
    CASE_LINKS: [IndexModel([("original_case_number", ASCENDING)], name="original")],
    REQUESTS: [IndexModel([("case_id", ASCENDING)], name="case"),
               IndexModel([("requester_id", ASCENDING)], name="requester"),
               IndexModel([("q.status", ASCENDING)], name="status")],
    GRANTS: [IndexModel([("case_id", ASCENDING), ("grantee_id", ASCENDING)], name="case_grantee")],
    BORROWINGS: [IndexModel([("case_id", ASCENDING), ("kind", ASCENDING)], name="case_kind"),
                 IndexModel([("q.status", ASCENDING)], name="status")],
    AUDIT: [IndexModel([("seq", ASCENDING)], unique=True, name="seq_unique"),
            IndexModel([("case_id", ASCENDING), ("seq", ASCENDING)], name="case_seq")],
    REVOKED: [IndexModel([("until", ASCENDING)], name="until")],
    LOGIN_FAILURES: [IndexModel([("expires_at", ASCENDING)], name="expires")],
}

UNASSIGNED = "(未分配)"  # placeholder undertaking judge that matches nobody
_COURT_IN_CASE_NUMBER = re.compile(r"^[（(]\d{4}[）)]([^\d\s]\d*)")


def court_of_case_number(case_number: str) -> str | None:
    """``（2024）吉0102民初45号`` → ``吉0102`` (the court code written in the case number)."""
    match = _COURT_IN_CASE_NUMBER.match(case_number)
    return match.group(1) if match else None


# -- accounts -------------------------------------------------------------------------------------
def principal_of_user(doc: dict[str, Any]) -> Principal:
    known = {r.value for r in Role}
    return Principal(
        id=doc["_id"], name=doc.get("name") or doc["_id"], court=doc.get("court", ""),
        department=doc.get("department"), kind=PrincipalKind.USER,
        roles=frozenset(Role(r) for r in doc.get("roles", []) if r in known),
        scopes=frozenset(doc.get("scopes", ["openid", "profile"])),
        supervised_departments=frozenset(doc.get("supervised_departments", [])))


def principal_of_client(doc: dict[str, Any]) -> Principal:
    kind = PrincipalKind(doc.get("kind", "service"))
    role = Role.SCANNING_STATION if kind is PrincipalKind.STATION else Role.SERVICE_ACCOUNT
    return Principal(id=doc["_id"], name=doc.get("name") or doc["_id"], court=doc.get("court", ""),
                     department=doc.get("department"), kind=kind, roles=frozenset({role}),
                     scopes=frozenset(doc.get("scopes", [])))


class Accounts:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    async def user_by_login(self, login: str) -> dict[str, Any] | None:
        return await self.db[USERS].find_one({"$or": [{"username": login}, {"_id": login}], "active": True})

    async def user(self, user_id: str) -> dict[str, Any] | None:
        return await self.db[USERS].find_one({"_id": user_id, "active": True})

    async def client(self, client_id: str) -> dict[str, Any] | None:
        return await self.db[CLIENTS].find_one({"_id": client_id, "active": True})

    async def principal(self, subject: str) -> Principal | None:
        """The active account behind a token subject (users first, then service and station clients)."""
        doc = await self.user(subject)
        if doc is not None:
            return principal_of_user(doc)
        doc = await self.client(subject)
        return principal_of_client(doc) if doc is not None else None

    async def users_where(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return [d async for d in self.db[USERS].find({**query, "active": True}, projection={"password_hash": 0})]


# -- case facts -----------------------------------------------------------------------------------
def panel_of(doc: dict[str, Any]) -> Panel:
    p = doc.get("panel") or {}
    return Panel(undertaking_judge=p.get("undertaking_judge") or UNASSIGNED,
                 presiding_judge=p.get("presiding_judge"), members=frozenset(p.get("members", [])),
                 judge_assistants=frozenset(p.get("judge_assistants", [])), clerks=frozenset(p.get("clerks", [])))


class CaseStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    async def doc(self, case_number: str, session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.db[CASES].find_one({"_id": case_number}, session=session)
    async def facts(self, case_number: str) -> CaseFacts | None:
        """What the decision point knows of a case: read by :class:`..service_layer.cases.CaseRecords`."""
        raise NotImplementedError


# -- requests, grants, borrowings -----------------------------------------------------------------
def _q(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items()}


def request_doc(r: AccessRequest) -> dict[str, Any]:
    doc = r.model_dump(mode="json")
    doc["_id"] = r.request_id
    doc["q"] = _q(status=r.status.value, decide_by=r.decide_by, expires_at=r.expires_at,
                  next_step=r.next_step.value if r.next_step else None)
    return doc


def request_of(doc: dict[str, Any]) -> AccessRequest:
    return AccessRequest.model_validate({k: v for k, v in doc.items() if k not in ("_id", "q")})


def grant_doc(g: Grant) -> dict[str, Any]:
    doc = g.model_dump(mode="json")
    doc["_id"] = g.grant_id
    doc["q"] = _q(expires_at=g.expires_at, revoked=g.revoked_at is not None)
    return doc


def grant_of_doc(doc: dict[str, Any]) -> Grant:
    return Grant.model_validate({k: v for k, v in doc.items() if k not in ("_id", "q")})


def borrowing_doc(b: Borrowing) -> dict[str, Any]:
    doc = b.model_dump(mode="json")
    doc["_id"] = b.borrowing_id
    doc["q"] = _q(status=b.status.value, due_at=b.due_at, explanation_due_at=b.explanation_due_at,
                  explained=b.explained_at is not None)
    return doc


def borrowing_of(doc: dict[str, Any]) -> Borrowing:
    return Borrowing.model_validate({k: v for k, v in doc.items() if k not in ("_id", "q")})


async def grants_for(db: AsyncDatabase, case_number: str, grantee: str) -> list[Grant]:
    return [grant_of_doc(d) async for d in db[GRANTS].find({"case_id": case_number, "grantee_id": grantee})]


async def replace(db: AsyncDatabase, collection: str, doc: dict[str, Any], session: AsyncClientSession) -> None:
    await db[collection].replace_one({"_id": doc["_id"]}, doc, upsert=True, session=session)


async def borrowings_of_case(db: AsyncDatabase, case_number: str,
                             session: AsyncClientSession | None = None) -> list[Borrowing]:
    return [borrowing_of(d) async for d in db[BORROWINGS].find({"case_id": case_number}, session=session)]


async def claim_borrowing_slot(db: AsyncDatabase, case_number: str, kind: str, *, limit: int, counted: int,
                               session: AsyncClientSession) -> int | None:
    """Take one of the case's ``limit`` borrowings of ``kind`` (吉高法〔2020〕11号 第八条(一)(二)) in the caller's
    transaction: a conditional increment of the (case, kind) counter, so parallel requests cannot all pass a count
    they each read before the others wrote. ``counted``: what the history shows, to start a missing counter.
    The slot number taken, or None when the limit is reached."""
    key = f"{case_number}|{kind}"
    doc = await db[BORROWING_COUNTERS].find_one_and_update(
        {"_id": key, "used": {"$lt": limit}}, {"$inc": {"used": 1}}, session=session,
        return_document=ReturnDocument.AFTER)
    if doc is not None:
        return int(doc["used"])
    if await db[BORROWING_COUNTERS].find_one({"_id": key}, session=session) is not None or counted >= limit:
        return None
    # first borrowing of this kind since counters exist: DuplicateKeyError when a parallel one started it
    await db[BORROWING_COUNTERS].insert_one({"_id": key, "case_id": case_number, "kind": kind, "used": counted + 1},
                                            session=session)
    return counted + 1


async def release_borrowing_slot(db: AsyncDatabase, case_number: str, kind: str,
                                 session: AsyncClientSession) -> None:
    """A refused (denied) borrowing no longer counts against the limit."""
    await db[BORROWING_COUNTERS].update_one({"_id": f"{case_number}|{kind}", "used": {"$gt": 0}},
                                            {"$inc": {"used": -1}}, session=session)


# -- failed logins --------------------------------------------------------------------------------
def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


class MongoFailureCounter:
    """Failed password logins per key (a username, a client address) in a window, in one document each, so every
    replica counts the same failures. Old documents are removed now and then by whoever counts."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._swept_at: datetime | None = None

    async def counts(self, keys: Iterable[str], since: datetime) -> dict[str, tuple[int, datetime]]:
        """(failures, window start) of each key whose window began after ``since``."""
        found = {}
        async for d in self.db[LOGIN_FAILURES].find({"_id": {"$in": list(keys)}}):
            start = _aware(d["window_start"])
            if start > since:
                found[d["_id"]] = (int(d["count"]), start)
        return found

    async def add(self, key: str, now: datetime, since: datetime, window: timedelta) -> None:
        """One failure more in the key's window, or a new window starting ``now``."""
        col = self.db[LOGIN_FAILURES]
        for _ in range(3):
            if (await col.update_one({"_id": key, "window_start": {"$gt": since}}, {"$inc": {"count": 1}})
                    ).matched_count:
                break
            try:
                await col.update_one({"_id": key, "$or": [{"window_start": {"$lte": since}},
                                                         {"window_start": {"$exists": False}}]},
                                     {"$set": {"count": 1, "window_start": now, "expires_at": now + window}},
                                     upsert=True)
                break
            except DuplicateKeyError:  # another replica opened the window meanwhile: count in it
                continue
        if self._swept_at is None or now - self._swept_at > timedelta(minutes=1):
            self._swept_at = now
            await col.delete_many({"expires_at": {"$lt": now}})

    async def clear(self, key: str) -> None:
        await self.db[LOGIN_FAILURES].delete_one({"_id": key})


# -- revoked tokens -------------------------------------------------------------------------------
async def revoked_since(db: AsyncDatabase, now: datetime) -> Iterable[tuple[str, datetime]]:
    return [(d["_id"], d["until"]) async for d in db[REVOKED].find({"until": {"$gt": now}})]


SORT_SEQ = [("seq", ASCENDING)]
SORT_SEQ_DESC = [("seq", DESCENDING)]
