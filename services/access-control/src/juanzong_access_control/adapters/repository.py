"""MongoDB storage of access-control: accounts, case facts, requests, grants, borrowings, revoked tokens — the
only module that reaches the database (the audit chain keeps its own, ``audit_chain.py``).

Domain objects are stored as their JSON form (``model_dump(mode="json")``) under their id, with the few
fields queries need (times, status) copied beside them in native types under ``q``. Each repository holds the
session of the unit of work it was made for (None: reads and writes outside a transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from ..domain.approvals import AccessRequest
from ..domain.borrowing import Borrowing
from ..domain.cases import (
    UNASSIGNED,
    CaseFacts,
    DeliberativeBody,
    LinkedCase,
    LinkRecord,
    Panel,
    Submission,
    court_of_case_number,
    known_only_by_link,
)
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
# scan task → its case (吉高法〔2020〕11号 第三条(三)2: pages enter a dossier through a scan task of that case)
SCAN_TASKS = "scan_tasks"

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


class _Repository:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.db, self.session = db, session


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


class Accounts(_Repository):
    async def user_by_login(self, login: str) -> dict[str, Any] | None:
        return await self.db[USERS].find_one({"$or": [{"username": login}, {"_id": login}], "active": True})

    async def user(self, user_id: str) -> dict[str, Any] | None:
        return await self.db[USERS].find_one({"_id": user_id, "active": True})

    async def client(self, client_id: str) -> dict[str, Any] | None:
        return await self.db[CLIENTS].find_one({"_id": client_id, "active": True})

    async def client_principal(self, client_id: str) -> Principal | None:
        """An active service or station client."""
        doc = await self.client(client_id)
        return principal_of_client(doc) if doc is not None else None

    async def principal(self, subject: str) -> Principal | None:
        """The active account behind a token subject (users first, then service and station clients)."""
        doc = await self.user(subject)
        if doc is not None:
            return principal_of_user(doc)
        return await self.client_principal(subject)

    async def approvers(self, role: Role, court: str, department: str | None, besides: str) -> list[str]:
        """Active users of ``court`` who head ``department`` (``DEPARTMENT_HEAD``) or supervise it (a leader),
        but ``besides`` (nobody approves their own request)."""
        field = "department" if role is Role.DEPARTMENT_HEAD else "supervised_departments"
        query = {"roles": role.value, "court": court, field: department, "active": True}
        found = [d["_id"] async for d in self.db[USERS].find(query, projection={"_id": 1})]
        return sorted(i for i in found if i != besides)

    async def seeded_fingerprint(self) -> str | None:
        state = await self.db[SEED].find_one({"_id": "demo"})
        return state.get("fingerprint") if state else None

    async def record_seed(self, fingerprint: str, at: datetime) -> None:
        await self.db[SEED].replace_one({"_id": "demo"}, {"_id": "demo", "fingerprint": fingerprint, "at": at},
                                        upsert=True)

    async def put_user(self, user_id: str, fields: dict[str, Any]) -> None:
        await self.db[USERS].update_one({"_id": user_id}, {"$set": fields}, upsert=True)

    async def put_client(self, client_id: str, fields: dict[str, Any], *, unset: tuple[str, ...] = (),
                         on_insert: dict[str, Any] | None = None) -> None:
        update: dict[str, Any] = {"$set": fields}
        if unset:
            update["$unset"] = {name: "" for name in unset}
        if on_insert:
            update["$setOnInsert"] = on_insert
        await self.db[CLIENTS].update_one({"_id": client_id}, update, upsert=True)


# -- case facts -----------------------------------------------------------------------------------
def panel_of(doc: dict[str, Any]) -> Panel:
    p = doc.get("panel") or {}
    return Panel(undertaking_judge=p.get("undertaking_judge") or UNASSIGNED,
                 presiding_judge=p.get("presiding_judge"), members=frozenset(p.get("members", [])),
                 judge_assistants=frozenset(p.get("judge_assistants", [])), clerks=frozenset(p.get("clerks", [])))


def panel_doc(panel: Panel) -> dict[str, Any]:
    return {"undertaking_judge": None if panel.undertaking_judge == UNASSIGNED else panel.undertaking_judge,
            "presiding_judge": panel.presiding_judge, "members": sorted(panel.members),
            "judge_assistants": sorted(panel.judge_assistants), "clerks": sorted(panel.clerks)}


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _link_records(doc: dict[str, Any] | None) -> list[LinkRecord]:
    if doc is None:
        return []
    if "records" not in doc:  # a link stored before records were kept: one record for the whole case
        return [LinkRecord(ref="case", active=doc.get("active", True) is not False,
                           at=_aware(doc.get("at") or datetime.min.replace(tzinfo=UTC)))]
    return [LinkRecord(ref=r["ref"], active=bool(r["active"]), at=_aware(r["at"])) for r in doc["records"]]


# a link document is active unless an unlink or a return to the lower court ended it (older documents: active)
ACTIVE_LINK: dict[str, Any] = {"active": {"$ne": False}}


class CaseRepository(_Repository):
    """The facts of cases as intake's and archive's events tell them, the 原审 links and the scan tasks."""

    async def _update(self, case_number: str, update: dict[str, Any], *, upsert: bool = False) -> None:
        update["$set"]["updated_at"] = datetime.now(UTC)
        await self.db[CASES].update_one({"_id": case_number}, update, upsert=upsert, session=self.session)

    async def registered(self, case_number: str, *, court: str, department: str | None, classified: bool,
                         panel: Panel, case_type: str, paperless: bool | None, registered_at: datetime) -> None:
        await self._update(case_number, {
            "$set": {"court": court, "department": department, "classified": classified, "panel": panel_doc(panel),
                     "case_type": case_type, "registered": True, "paperless": paperless,
                     "registered_at": registered_at},
            "$setOnInsert": {"finished": False, "archived": False, "submitted_to": []}}, upsert=True)

    async def closed(self, case_number: str, closed_at: datetime, court: str) -> None:
        await self._update(case_number, {"$set": {"finished": True, "closed_at": closed_at},
                                         "$setOnInsert": {"court": court, "panel": {}, "submitted_to": []}},
                           upsert=True)

    async def stage_changed(self, case_number: str, stage: str) -> None:
        await self._update(case_number, {"$set": {"stage": stage}})

    async def submitted(self, case_number: str, submission: Submission) -> None:
        """The case was submitted to a 法官会议 or the 审委会 (吉高法〔2020〕11号 第九条第2项)."""
        members = sorted(submission.member_ids) if submission.member_ids is not None else None
        entry = {"body": submission.body.value, "member_ids": members}
        await self._update(case_number, {"$set": {}, "$addToSet": {"submitted_to": entry}})

    async def archived(self, case_number: str, archival_code: str | None, at: datetime) -> None:
        await self._update(case_number, {"$set": {"finished": True, "archived": True, "archival_code": archival_code,
                                                  "archived_at": at}})

    async def link_records(self, original: str, later: str) -> list[LinkRecord]:
        return _link_records(await self.db[CASE_LINKS].find_one({"_id": f"{original}|{later}"},
                                                                session=self.session))

    async def originals_of(self, later: str) -> list[tuple[str, list[LinkRecord]]]:
        """The originals ``later`` ever linked, with their records."""
        return [(d["original_case_number"], _link_records(d))
                async for d in self.db[CASE_LINKS].find({"case_number": later}, session=self.session)]

    async def save_link(self, original: str, later: str, records: Sequence[LinkRecord], at: datetime,
                        fields: dict[str, Any]) -> None:
        """One pair's link document: its records and whether any is linked (``active``)."""
        await self.db[CASE_LINKS].update_one({"_id": f"{original}|{later}"}, {"$set": {
            "original_case_number": original, "case_number": later, "active": any(r.active for r in records),
            "records": [{"ref": r.ref, "active": r.active, "at": r.at} for r in records], "at": at, **fields}},
            upsert=True, session=self.session)

    async def scan_task_created(self, task_id: str, case_number: str, court: str | None, at: datetime) -> None:
        """A scan task belongs to one case for good: the first word on it stands."""
        await self.db[SCAN_TASKS].update_one({"_id": task_id}, {"$setOnInsert": {
            "case_number": case_number, "court": court, "at": at}}, upsert=True, session=self.session)

    async def scan_task_case(self, task_id: str) -> str | None:
        doc = await self.db[SCAN_TASKS].find_one({"_id": task_id}, session=self.session)
        return doc.get("case_number") if doc is not None else None

    async def facts(self, case_number: str) -> CaseFacts | None:
        """What the decision point knows of a case, with the later cases whose active link names it as 原审."""
        doc = await self.db[CASES].find_one({"_id": case_number}, session=self.session)
        links = [link async for link in self.db[CASE_LINKS].find({"original_case_number": case_number,
                                                                  **ACTIVE_LINK}, session=self.session)]
        linked: list[LinkedCase] = []
        if links:
            later = {d["_id"]: d async for d in self.db[CASES].find(
                {"_id": {"$in": [link["case_number"] for link in links]}}, session=self.session)}
            for link in links:
                other = later.get(link["case_number"])
                if other is not None and other.get("court"):
                    linked.append(LinkedCase(case_id=other["_id"], court=other["court"],
                                             team=panel_of(other).everyone, finished=bool(other.get("finished")),
                                             classified=bool(other.get("classified"))))
        if doc is None:
            return known_only_by_link(case_number, linked) if linked else None
        submitted = tuple(Submission(body=DeliberativeBody(s["body"]),
                                     member_ids=frozenset(s["member_ids"]) if s.get("member_ids") is not None
                                     else None) for s in doc.get("submitted_to", []))
        archived = bool(doc.get("archived"))
        return CaseFacts(case_id=doc["_id"], court=doc.get("court") or court_of_case_number(case_number),
                         department=doc.get("department"),
                         registered=bool(doc.get("registered") or doc.get("registered_at")),
                         paperless=doc.get("paperless") is True,
                         finished=bool(doc.get("finished")) or archived, archived=archived,
                         classified=bool(doc.get("classified")), panel=panel_of(doc), submitted_to=submitted,
                         litigant_representatives=frozenset(doc.get("litigant_representatives", [])),
                         linked_by=tuple(linked))


# -- requests, grants, borrowings -----------------------------------------------------------------
def _model_of(model, doc: dict[str, Any]):
    return model.model_validate({k: v for k, v in doc.items() if k not in ("_id", "q")})


async def _replace(collection, key: str, item, session: AsyncClientSession | None, **q: Any) -> None:
    """Store ``item`` as its JSON form under ``key``, with the fields queries need (``q``) in native types."""
    doc = item.model_dump(mode="json") | {"_id": key, "q": q}
    await collection.replace_one({"_id": key}, doc, upsert=True, session=session)


def _where(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v}


class Requests(_Repository):
    """Access requests (阅览申请) and the grants they issue."""

    async def get(self, request_id: str) -> AccessRequest | None:
        doc = await self.db[REQUESTS].find_one({"_id": request_id}, session=self.session)
        return _model_of(AccessRequest, doc) if doc is not None else None

    async def save(self, r: AccessRequest, grant: Grant | None) -> None:
        await _replace(self.db[REQUESTS], r.request_id, r, self.session, status=r.status.value,
                       decide_by=r.decide_by, expires_at=r.expires_at,
                       next_step=r.next_step.value if r.next_step else None)
        if grant is not None:
            await _replace(self.db[GRANTS], grant.grant_id, grant, self.session, expires_at=grant.expires_at,
                           revoked=grant.revoked_at is not None)

    async def due(self, now: datetime) -> list[str]:
        """Requests nobody decided in time, and grants past their end."""
        cursor = self.db[REQUESTS].find({"$or": [{"q.status": "pending", "q.decide_by": {"$lte": now}},
                                                 {"q.status": "approved", "q.expires_at": {"$lte": now}}]},
                                        projection={"_id": 1}, session=self.session)
        return [d["_id"] async for d in cursor]

    async def find(self, *, case_number: str | None = None, requester: str | None = None, status: str | None = None,
                   limit: int, offset: int = 0) -> list[AccessRequest]:
        """Newest first."""
        query = _where(case_id=case_number, requester_id=requester, **{"q.status": status})
        cursor = self.db[REQUESTS].find(query, session=self.session, sort=NEWEST, skip=offset, limit=limit)
        return [_model_of(AccessRequest, d) async for d in cursor]

    async def grants(self, case_number: str, grantee: str) -> list[Grant]:
        cursor = self.db[GRANTS].find({"case_id": case_number, "grantee_id": grantee}, session=self.session)
        return [_model_of(Grant, d) async for d in cursor]


class CounterRace(Exception):
    """A parallel transaction started the same borrowing counter: run the whole request again."""


class Borrowings(_Repository):
    """Paper borrowings (第八条) and the per-case counters of their limits."""

    async def get(self, borrowing_id: str) -> Borrowing | None:
        doc = await self.db[BORROWINGS].find_one({"_id": borrowing_id}, session=self.session)
        return _model_of(Borrowing, doc) if doc is not None else None

    async def save(self, b: Borrowing) -> None:
        await _replace(self.db[BORROWINGS], b.borrowing_id, b, self.session, status=b.status.value, due_at=b.due_at,
                       explanation_due_at=b.explanation_due_at, explained=b.explained_at is not None)

    async def of_case(self, case_number: str) -> list[Borrowing]:
        return [_model_of(Borrowing, d)
                async for d in self.db[BORROWINGS].find({"case_id": case_number}, session=self.session)]

    async def find(self, *, case_number: str | None = None, borrower: str | None = None, court: str | None = None,
                   status: str | None = None, limit: int, offset: int = 0) -> list[Borrowing]:
        """Newest first."""
        query = _where(case_id=case_number, borrower_id=borrower, court=court, **{"q.status": status})
        cursor = self.db[BORROWINGS].find(query, session=self.session, sort=NEWEST, skip=offset, limit=limit)
        return [_model_of(Borrowing, d) async for d in cursor]

    async def reminders_due(self, now: datetime, emergency_kind: str) -> list[Borrowing]:
        """Lent paper past its due date, and emergency borrowings whose explanation is late."""
        cursor = self.db[BORROWINGS].find({"$or": [
            {"q.status": "lent", "q.due_at": {"$lt": now}},
            {"kind": emergency_kind, "q.explained": False, "q.explanation_due_at": {"$lt": now}}]},
            session=self.session)
        return [_model_of(Borrowing, d) async for d in cursor]

    async def claim_slot(self, case_number: str, kind: str, *, limit: int, counted: int) -> int | None:
        """Take one of the case's ``limit`` borrowings of ``kind`` (吉高法〔2020〕11号 第八条(一)(二)) in this
        transaction: a conditional increment of the (case, kind) counter, so parallel requests cannot all pass a
        count they each read before the others wrote. ``counted``: what the history shows, to start a missing
        counter. The slot number taken, or None when the limit is reached."""
        key = f"{case_number}|{kind}"
        counters = self.db[BORROWING_COUNTERS]
        doc = await counters.find_one_and_update(
            {"_id": key, "used": {"$lt": limit}}, {"$inc": {"used": 1}}, session=self.session,
            return_document=ReturnDocument.AFTER)
        if doc is not None:
            return int(doc["used"])
        if await counters.find_one({"_id": key}, session=self.session) is not None or counted >= limit:
            return None
        try:  # the first borrowing of this kind since counters exist
            await counters.insert_one({"_id": key, "case_id": case_number, "kind": kind, "used": counted + 1},
                                      session=self.session)
        except DuplicateKeyError:
            raise CounterRace(key) from None
        return counted + 1

    async def release_slot(self, case_number: str, kind: str) -> None:
        """A refused (denied) borrowing no longer counts against the limit."""
        await self.db[BORROWING_COUNTERS].update_one({"_id": f"{case_number}|{kind}", "used": {"$gt": 0}},
                                                     {"$inc": {"used": -1}}, session=self.session)


# -- revoked tokens -------------------------------------------------------------------------------
class RevokedTokens(_Repository):
    async def add(self, jti: str, until: datetime) -> bool:
        """Record a revocation; False when it was already recorded."""
        try:
            await self.db[REVOKED].insert_one({"_id": jti, "until": until, "at": datetime.now(UTC)},
                                              session=self.session)
        except DuplicateKeyError:
            return False
        return True

    async def keep(self, jti: str, until: datetime, at: datetime) -> None:
        """Record a revocation once (a second one changes nothing)."""
        await self.db[REVOKED].update_one({"_id": jti}, {"$setOnInsert": {"until": until, "at": at}}, upsert=True,
                                          session=self.session)

    async def live(self, now: datetime) -> dict[str, datetime]:
        """Revocations of tokens not yet expired; the others are removed."""
        await self.db[REVOKED].delete_many({"until": {"$lte": now}}, session=self.session)
        return {d["_id"]: d["until"] async for d in self.db[REVOKED].find({"until": {"$gt": now}},
                                                                         session=self.session)}


# -- failed logins --------------------------------------------------------------------------------
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


class Repositories:
    """What a unit of work of access-control holds (``uow.repos``)."""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.accounts = Accounts(db, session)
        self.cases = CaseRepository(db, session)
        self.requests = Requests(db, session)
        self.borrowings = Borrowings(db, session)
        self.revoked = RevokedTokens(db, session)


def repositories(db: AsyncDatabase, session: AsyncClientSession | None) -> Repositories:
    return Repositories(db, session)


SORT_SEQ = [("seq", ASCENDING)]
SORT_SEQ_DESC = [("seq", DESCENDING)]
NEWEST = [("requested_at", DESCENDING)]
