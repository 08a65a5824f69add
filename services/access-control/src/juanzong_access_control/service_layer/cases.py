"""Case facts from intake's and archive's events: the panel, the stage, closing and archiving.

Each handler writes in the consumer's unit of work (ledger entry in the same transaction, so a
redelivered event changes nothing) and tells the decision cache that the case is changing in that
transaction: the cache keeps the case out until the transaction has ended, then forgets it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from juanzong_shared.bus import HandlerMap, PermanentError
from juanzong_shared.events import REGISTRY, Event
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.intake import CaseClosed, CaseRegistered, CaseStageChanged, OriginalLinked
from juanzong_shared.outbox import UnitOfWork

from ..adapters.mongo import CASE_LINKS, CASES
from ..domain.cases import DeliberativeBody

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
                     "case_type": p.case_type, "registered_at": p.registered_at, "updated_at": now},
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
        await uow.db[CASE_LINKS].update_one(
            {"_id": f"{p.original_case_number}|{p.case_number}"},
            {"$set": {"original_case_number": p.original_case_number, "case_number": p.case_number,
                      "manual": p.manual, "at": datetime.now(UTC)}}, upsert=True, session=uow.session)

    return {
        "case.registered": [register_case],
        "case.closed": [close_case],
        "case.stage.changed": [change_stage],
        "archive.archived": [archive_case],
        "case.original.linked": [link_original],
    }
