"""Handlers of the workflow: load the case's archive record, decide (domain), store, emit — in one unit
of work, so the step and its event are committed together (outbox).

Also the consumers of intake's case.registered / case.closed (the archive's own copy of the facts it
needs: court, cause, panel, dates); a redelivered event changes nothing (ledger + idempotent updates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from juanzong_shared.auth import Identity
from juanzong_shared.db import Mongo
from juanzong_shared.events import REGISTRY, Event
from juanzong_shared.outbox import UnitOfWork, transact

from juanzong_archive.domain.case_facts import court_code
from juanzong_archive.domain.workflow import (
    RULES,
    Actor,
    ArchiveState,
    HistoryEntry,
    Responsibles,
    Step,
    decide,
)

ARCHIVES = "archives"
REPORTS = "reports"
SERIALS = "serials"
TRANSFERS = "transfers"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def actor_of(identity: Identity) -> Actor:
    return Actor(subject=identity.subject, name=identity.name, roles=identity.roles)


def state_of(doc: dict | None) -> ArchiveState | None:
    return ArchiveState(doc["state"]) if doc and doc.get("state") else None


def responsibles_of(doc: dict | None) -> Responsibles:
    panel = ((doc or {}).get("intake") or {}).get("panel") or []
    filers = frozenset(p["user_id"] for p in panel if p.get("role") in ("judge_assistant", "clerk") and p.get("user_id"))
    judges = frozenset(p["user_id"] for p in panel if p.get("role") == "undertaking_judge" and p.get("user_id"))
    return Responsibles(filers=filers, undertaking_judges=judges)


def court_of(doc: dict | None, case_number: str) -> str | None:
    return ((doc or {}).get("intake") or {}).get("court_code") or court_code(case_number)


def check_step(doc: dict | None, step: Step, actor: Actor, reasons: list[str] | tuple[str, ...] = ()) -> HistoryEntry:
    """Decide without storing (a precondition before long work such as a conversion)."""
    return decide(state_of(doc), step, actor, reasons, at=now(), responsibles=responsibles_of(doc))


def step_event(entry: HistoryEntry, case_number: str, court: str | None, *, archival_code: str | None = None,
               package_key: str | None = None, archived_automatically: bool = True) -> Event:
    rule = RULES[Step(entry.step)]
    if rule.event_type == "archive.archived":
        payload: dict[str, Any] = {"case_number": case_number, "archival_code": archival_code or "",
                                   "package_key": package_key or "", "at": entry.at,
                                   "automatic": archived_automatically}
    else:
        payload = {"case_number": case_number, "step": entry.step, "at": entry.at, "actor": entry.actor,
                   "reasons": list(entry.reasons), "state": entry.to_state.value, "actor_name": entry.actor_name,
                   "rule": entry.rule, "archival_code": archival_code, "package_key": package_key}
    return REGISTRY.create(rule.event_type, payload, court=court, case_id=case_number)


async def take_step(mongo: Mongo, on_commit: Callable[[], None] | None, case_number: str, step: Step,
                    actor: Actor, reasons: list[str] | tuple[str, ...] = (), *, detail: str = "",
                    set_fields: dict[str, Any] | None = None, unset_fields: tuple[str, ...] = (),
                    push_fields: dict[str, Any] | None = None) -> dict:
    """Apply one workflow step: decide, store the new state and history entry, emit the event."""

    async def work(uow: UnitOfWork) -> dict:
        coll = uow.db[ARCHIVES]
        doc = await coll.find_one({"_id": case_number}, session=uow.session)
        entry = decide(state_of(doc), step, actor, reasons, at=now(), responsibles=responsibles_of(doc),
                       detail=detail)
        fields = {"state": entry.to_state.value, "updated_at": entry.at, **(set_fields or {})}
        update: dict[str, Any] = {"$set": fields,
                                  "$push": {"history": entry.model_dump(mode="json"), **(push_fields or {})}}
        if unset_fields:
            update["$unset"] = {name: "" for name in unset_fields}
        await coll.update_one({"_id": case_number}, update, session=uow.session)
        merged = {**(doc or {}), **fields}
        package = merged.get("package") or {}
        uow.emit(step_event(entry, case_number, court_of(doc, case_number),
                            archival_code=merged.get("archival_code"), package_key=package.get("tar_key")))
        return await coll.find_one({"_id": case_number}, session=uow.session)

    return await transact(mongo, work, on_commit=on_commit)


# ------------------------------------------------------------------------------ intake's events


async def case_registered(event: Event, uow: UnitOfWork) -> None:
    """case.registered: keep court, cause, panel and 立案 date; the case is 审理中."""
    p = event.payload
    cn = p["case_number"]
    intake = {"court": p.get("court"), "court_code": event.court or court_code(cn), "case_type": p.get("case_type"),
              "category": p.get("category"), "cause": p.get("cause"), "secret": bool(p.get("secret")),
              "department": p.get("department"), "panel": p.get("panel") or [],
              "parties": p.get("parties") or [], "registered_at": p.get("registered_at")}
    await uow.db[ARCHIVES].update_one(
        {"_id": cn},
        {"$set": {f"intake.{k}": v for k, v in intake.items()} | {"updated_at": now()},
         "$setOnInsert": {"case_number": cn, "state": ArchiveState.OPEN.value, "history": [], "created_at": now()}},
        upsert=True, session=uow.session)


async def case_closed(event: Event, uow: UnitOfWork) -> None:
    """case.closed: 结案 starts the archiving clock (吉高法〔2020〕11号 第七条: one natural month)."""
    p = event.payload
    cn = p["case_number"]
    closed_at = dt.datetime.fromisoformat(str(p["closed_at"]))
    coll = uow.db[ARCHIVES]
    doc = await coll.find_one({"_id": cn}, session=uow.session)
    fields: dict[str, Any] = {"intake.closed_at": closed_at, "intake.result": p.get("result"), "updated_at": now()}
    if event.court:
        fields["intake.court_code"] = event.court
    if doc is None:
        await coll.insert_one({"_id": cn, "case_number": cn, "state": ArchiveState.CLOSED.value, "history": [
            _closing_entry(closed_at)], "created_at": now(), "intake": {"closed_at": closed_at, "result": p.get("result"),
                                                                         "court_code": event.court or court_code(cn)}},
                              session=uow.session)
        return
    update: dict[str, Any] = {"$set": fields}
    if state_of(doc) is ArchiveState.OPEN:
        fields["state"] = ArchiveState.CLOSED.value
        update["$push"] = {"history": _closing_entry(closed_at)}
    await coll.update_one({"_id": cn}, update, session=uow.session)


def _closing_entry(closed_at: dt.datetime) -> dict:
    return HistoryEntry(step="close", step_zh="结案", from_state=ArchiveState.OPEN, to_state=ArchiveState.CLOSED,
                        at=closed_at, actor="intake", actor_name="审判业务管理系统", role="system",
                        rule="吉高法〔2020〕11号 第三条(六)、第七条").model_dump(mode="json")


HANDLERS = {"case.registered": [case_registered], "case.closed": [case_closed]}
