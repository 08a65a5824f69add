"""Case facts from intake's and archive's events: the panel, the stage, closing and archiving, the 原审 links
and the scan tasks; and the decision point's reading of them (:class:`CaseRecords`).

Each handler writes in the consumer's unit of work (ledger entry in the same transaction, so a
redelivered event changes nothing) and tells the decision cache that the case is changing in that
transaction: the cache keeps the case out until the transaction has ended, then forgets it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from juanzong_shared.bus import HandlerMap, PermanentError
from juanzong_shared.events import REGISTRY, Event
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.intake import (
    CaseClosed,
    CaseRegistered,
    CaseReturnedToLowerCourt,
    CaseStageChanged,
    OriginalLinked,
    OriginalUnlinked,
    ScanTaskChanged,
)
from juanzong_shared.outbox import UnitOfWork

from ..adapters.mongo import CASE_LINKS, CASES, UNASSIGNED, CaseStore, court_of_case_number, panel_of
from ..domain.cases import (
    CaseFacts,
    DeliberativeBody,
    LinkedCase,
    LinkRecord,
    Panel,
    Submission,
    link_records_after,
)

# scan task → its case (吉高法〔2020〕11号 第三条(三)2: pages enter a dossier through a scan task of that case)
SCAN_TASKS = "scan_tasks"
# a link document is active unless an unlink or a return to the lower court ended it (older documents: active)
ACTIVE_LINK: dict[str, Any] = {"active": {"$ne": False}}

# intake's stage names that put the case before a deliberative body (吉高法〔2020〕11号 第九条第2项)
SUBMISSION_STAGES = {
    "submitted_to_judges_meeting": DeliberativeBody.JUDGES_MEETING,
    "judges_meeting": DeliberativeBody.JUDGES_MEETING,
    "submitted_to_committee": DeliberativeBody.ADJUDICATION_COMMITTEE,
    "submitted_to_adjudication_committee": DeliberativeBody.ADJUDICATION_COMMITTEE,
    "adjudication_committee": DeliberativeBody.ADJUDICATION_COMMITTEE,
}


def panel_doc(event: CaseRegistered) -> dict:
    """intake's panel list → the case team. The 承办法官 defaults to the 审判长, then the first judge."""
    by_role: dict[str, list[str]] = {}
    for m in event.panel:
        by_role.setdefault(m.role, []).append(m.user_id)
    undertaking = (by_role.get("undertaking_judge") or by_role.get("presiding_judge")
                   or by_role.get("panel_member") or [None])[0]
    presiding = (by_role.get("presiding_judge") or [None])[0]
    members = {*by_role.get("panel_member", []), *by_role.get("undertaking_judge", [])[1:],
               *by_role.get("presiding_judge", [])[1:]}
    return {"undertaking_judge": undertaking, "presiding_judge": presiding, "members": sorted(members),
            "judge_assistants": sorted(set(by_role.get("judge_assistant", []))),
            "clerks": sorted(set(by_role.get("clerk", [])))}


def _parse(event: Event):
    try:
        return REGISTRY.parse_payload(event)
    except (ValueError, LookupError) as error:  # ValidationError is a ValueError; UnknownEventType a LookupError
        raise PermanentError(f"{event.event_type}: payload does not match its schema: {error}") from None


def case_handlers(changing: Callable[[str, UnitOfWork], None]) -> HandlerMap:
    async def register_case(event: Event, uow: UnitOfWork) -> None:
        p: CaseRegistered = _parse(event)
        changing(p.case_number, uow)
        now = datetime.now(UTC)
        await uow.db[CASES].update_one({"_id": p.case_number}, {
            "$set": {"court": p.court, "department": p.department, "classified": p.secret, "panel": panel_doc(p),
                     "case_type": p.case_type, "registered": True, "paperless": p.paperless,
                     "registered_at": p.registered_at, "updated_at": now},
            "$setOnInsert": {"finished": False, "archived": False, "submitted_to": []}},
            upsert=True, session=uow.session)

    async def close_case(event: Event, uow: UnitOfWork) -> None:
        p: CaseClosed = _parse(event)
        changing(p.case_number, uow)
        await uow.db[CASES].update_one({"_id": p.case_number}, {
            "$set": {"finished": True, "closed_at": p.closed_at, "updated_at": datetime.now(UTC)},
            "$setOnInsert": {"court": event.court or "", "panel": {}, "submitted_to": []}},
            upsert=True, session=uow.session)

    async def change_stage(event: Event, uow: UnitOfWork) -> None:
        p: CaseStageChanged = _parse(event)
        body = SUBMISSION_STAGES.get(p.stage)
        changing(p.case_number, uow)
        update: dict = {"$set": {"stage": p.stage, "updated_at": datetime.now(UTC)}}
        if body is not None:
            update["$addToSet"] = {"submitted_to": {"body": body.value, "member_ids": None}}
        await uow.db[CASES].update_one({"_id": p.case_number}, update, session=uow.session)

    async def archive_case(event: Event, uow: UnitOfWork) -> None:
        p: Archived = _parse(event)
        changing(p.case_number, uow)
        await uow.db[CASES].update_one({"_id": p.case_number}, {
            "$set": {"finished": True, "archived": True, "archival_code": p.archival_code,
                     "archived_at": p.at, "updated_at": datetime.now(UTC)}}, session=uow.session)

    async def link_original(event: Event, uow: UnitOfWork) -> None:
        p: OriginalLinked = _parse(event)
        changing(p.original_case_number, uow)
        await _change_link(uow, p.original_case_number, p.case_number, _refs(p), True, event.occurred_at,
                           {"manual": p.manual, "by": p.by, "reason": p.reason})

    async def unlink_original(event: Event, uow: UnitOfWork) -> None:
        """第三条(二): a wrong link removed by a person closes the later team's way into the original (once no
        record of that original is linked any more)."""
        p: OriginalUnlinked = _parse(event)
        changing(p.original_case_number, uow)
        await _change_link(uow, p.original_case_number, p.case_number, _refs(p), False, event.occurred_at,
                           {"ended_by": "unlinked", "by": p.by, "reason": p.reason})

    async def return_to_lower_court(event: Event, uow: UnitOfWork) -> None:
        """第三条(二): a case returned to the lower court works on no original here: all its links end."""
        p: CaseReturnedToLowerCourt = _parse(event)
        changing(p.case_number, uow)  # forgets, on every replica, the originals whose facts name this case
        docs = [d async for d in uow.db[CASE_LINKS].find({"case_number": p.case_number}, session=uow.session)]
        for doc in docs:
            await _change_link(uow, doc["original_case_number"], p.case_number, [], False, event.occurred_at,
                               {"ended_by": "returned_to_lower_court", "reason": p.reason}, current=doc)

    async def record_scan_task(event: Event, uow: UnitOfWork) -> None:
        """A scan task belongs to one case for good: the first word on it stands."""
        p: ScanTaskChanged = _parse(event)
        changing(p.case_number, uow)
        await uow.db[SCAN_TASKS].update_one({"_id": p.task_id}, {"$setOnInsert": {
            "case_number": p.case_number, "court": p.court, "at": p.at}}, upsert=True, session=uow.session)

    return {
        "case.registered": [register_case],
        "case.closed": [close_case],
        "case.stage.changed": [change_stage],
        "archive.archived": [archive_case],
        "case.original.linked": [link_original],
        "case.original.unlinked": [unlink_original],
        "case.returned_to_lower_court": [return_to_lower_court],
        "scan.task.created": [record_scan_task],
    }


def _refs(p: OriginalLinked | OriginalUnlinked) -> list[str]:
    return [f"{kind}:{ref}" for kind, ref in (("e_dossier", p.e_dossier_ref), ("e_archive", p.e_archive_ref)) if ref]


async def _change_link(uow: UnitOfWork, original: str, later: str, refs: list[str], active: bool, at: datetime,
                       fields: dict[str, Any], current: dict[str, Any] | None = None) -> None:
    """One pair's link document: its records (``link_records_after``) and whether any is linked (``active``)."""
    key = f"{original}|{later}"
    if current is None:
        current = await uow.db[CASE_LINKS].find_one({"_id": key}, session=uow.session)
    records = link_records_after(_records_of(current), refs, active, at)
    await uow.db[CASE_LINKS].update_one({"_id": key}, {"$set": {
        "original_case_number": original, "case_number": later, "active": any(r.active for r in records),
        "records": [{"ref": r.ref, "active": r.active, "at": r.at} for r in records], "at": at, **fields}},
        upsert=True, session=uow.session)


def _records_of(doc: dict[str, Any] | None) -> list[LinkRecord]:
    if doc is None:
        return []
    if "records" not in doc:  # a link stored before records were kept: one record for the whole case
        return [LinkRecord(ref="case", active=doc.get("active", True) is not False,
                           at=_aware(doc.get("at") or datetime.min.replace(tzinfo=UTC)))]
    return [LinkRecord(ref=r["ref"], active=bool(r["active"]), at=_aware(r["at"])) for r in doc["records"]]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class CaseRecords(CaseStore):
    """The decision point's reading of the case facts: the case, its active 原审 links and the scan tasks."""

    async def facts(self, case_number: str) -> CaseFacts | None:
        """What the decision point knows of a case, with the later cases whose active link names it as 原审."""
        doc = await self.doc(case_number)
        links = [link async for link in self.db[CASE_LINKS].find({"original_case_number": case_number,
                                                                  **ACTIVE_LINK})]
        linked: list[LinkedCase] = []
        if links:
            later = {d["_id"]: d async for d in self.db[CASES].find(
                {"_id": {"$in": [link["case_number"] for link in links]}})}
            for link in links:
                other = later.get(link["case_number"])
                if other is not None and other.get("court"):
                    linked.append(LinkedCase(case_id=other["_id"], court=other["court"],
                                             team=panel_of(other).everyone, finished=bool(other.get("finished")),
                                             classified=bool(other.get("classified"))))
        if doc is None:
            if not linked:
                return None
            # An original-trial case this court never registered (another court's, or before the system):
            # known only through the link, so it is treated as finished.
            return CaseFacts(case_id=case_number, court=court_of_case_number(case_number) or "unknown",
                             finished=True, panel=Panel(undertaking_judge=UNASSIGNED), linked_by=tuple(linked))
        submitted = tuple(Submission(body=DeliberativeBody(s["body"]),
                                     member_ids=frozenset(s["member_ids"]) if s.get("member_ids") is not None
                                     else None) for s in doc.get("submitted_to", []))
        archived = bool(doc.get("archived"))
        return CaseFacts(case_id=doc["_id"], court=doc.get("court") or court_of_case_number(case_number) or "unknown",
                         department=doc.get("department"),
                         registered=bool(doc.get("registered") or doc.get("registered_at")),
                         paperless=doc.get("paperless") is True,
                         finished=bool(doc.get("finished")) or archived, archived=archived,
                         classified=bool(doc.get("classified")), panel=panel_of(doc), submitted_to=submitted,
                         litigant_representatives=frozenset(doc.get("litigant_representatives", [])),
                         linked_by=tuple(linked))

    async def scan_task_case(self, task_id: str) -> str | None:
        doc = await self.db[SCAN_TASKS].find_one({"_id": task_id})
        return doc.get("case_number") if doc is not None else None

