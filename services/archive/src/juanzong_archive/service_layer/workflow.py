"""Handlers of the workflow: load the case's archive record, decide (domain), store, emit — in one unit
of work, so the step and its event are committed together (outbox).

Also the consumers of intake's case.registered / case.closed (the archive's own copy of the facts it
needs: court, cause, panel, dates); a redelivered event changes nothing (ledger + idempotent updates).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from juanzong_shared.auth import Identity
from juanzong_shared.bus import Delivery, Subscription, handles
from juanzong_shared.events.archive import Archived, ArchiveStepChanged
from juanzong_shared.events.intake import CaseClosed, CaseRegistered
from juanzong_shared.outbox import UnitOfWork

from juanzong_archive.adapters.repository import Repositories
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

# runs ``work`` in a unit of work holding the archive's repositories (Runtime.transact, FakeUnitOfWork.transact)
Transact = Callable[[Callable[[UnitOfWork[Repositories]], Awaitable[Any]]], Awaitable[Any]]


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


def step_payload(entry: HistoryEntry, case_number: str, *, archival_code: str | None,
                 package_key: str | None) -> ArchiveStepChanged | Archived:
    if RULES[Step(entry.step)].event_type == "archive.archived":
        return Archived(case_number=case_number, archival_code=archival_code or "", package_key=package_key or "",
                        at=entry.at)
    return ArchiveStepChanged(case_number=case_number, step=entry.step, at=entry.at, actor=entry.actor,
                              reasons=list(entry.reasons), state=entry.to_state.value, actor_name=entry.actor_name,
                              rule=entry.rule, archival_code=archival_code, package_key=package_key)


async def take_step(transact: Transact, case_number: str, step: Step, actor: Actor,
                    reasons: list[str] | tuple[str, ...] = (), *, detail: str = "",
                    set_fields: dict[str, Any] | None = None, unset_fields: tuple[str, ...] = (),
                    push_fields: dict[str, Any] | None = None) -> dict:
    """Apply one workflow step: decide, store the new state and history entry, emit the event."""

    async def work(uow: UnitOfWork[Repositories]) -> dict:
        archives = uow.repos.archives
        doc = await archives.get(case_number)
        entry = decide(state_of(doc), step, actor, reasons, at=now(), responsibles=responsibles_of(doc),
                       detail=detail)
        fields = {"state": entry.to_state.value, "updated_at": entry.at, **(set_fields or {})}
        await archives.update(case_number, fields, push={"history": entry.model_dump(mode="json"), **(push_fields or {})},
                              unset=unset_fields)
        merged = {**(doc or {}), **fields}
        uow.emit(step_payload(entry, case_number, archival_code=merged.get("archival_code"),
                              package_key=(merged.get("package") or {}).get("tar_key")),
                 court=court_of(doc, case_number), case_number=case_number, event_type=RULES[step].event_type)
        return await archives.get(case_number)

    return await transact(work)


# ------------------------------------------------------------------------------ intake's events


@handles("case.registered")
async def on_case_registered(payload: CaseRegistered, delivery: Delivery) -> None:
    """case.registered: keep court, cause, panel and 立案 date; the case is 审理中."""
    cn = payload.case_number
    intake = {"court": payload.court, "court_code": delivery.court or court_code(cn), "case_type": payload.case_type,
              "category": payload.category, "cause": payload.cause, "secret": payload.secret,
              "department": payload.department, "panel": [p.model_dump() for p in payload.panel],
              "parties": [p.model_dump() for p in payload.parties], "registered_at": payload.registered_at}
    await delivery.uow.repos.archives.update(
        cn, {f"intake.{k}": v for k, v in intake.items()} | {"updated_at": now()},
        set_on_insert={"case_number": cn, "state": ArchiveState.OPEN.value, "history": [], "created_at": now()})


@handles("case.closed")
async def on_case_closed(payload: CaseClosed, delivery: Delivery) -> None:
    """case.closed: 结案 starts the archiving clock (吉高法〔2020〕11号 第七条: one natural month)."""
    cn, closed_at, court = payload.case_number, payload.closed_at, delivery.court
    archives = delivery.uow.repos.archives
    doc = await archives.get(cn)
    if doc is None:
        await archives.insert({"_id": cn, "case_number": cn, "state": ArchiveState.CLOSED.value,
                               "history": [_closing_entry(closed_at)], "created_at": now(),
                               "intake": {"closed_at": closed_at, "result": payload.result,
                                          "court_code": court or court_code(cn)}})
        return
    fields: dict[str, Any] = {"intake.closed_at": closed_at, "intake.result": payload.result, "updated_at": now()}
    if court:
        fields["intake.court_code"] = court
    opened = state_of(doc) is ArchiveState.OPEN
    if opened:
        fields["state"] = ArchiveState.CLOSED.value
    await archives.update(cn, fields, push={"history": _closing_entry(closed_at)} if opened else None)


def _closing_entry(closed_at: dt.datetime) -> dict:
    return HistoryEntry(step="close", step_zh="结案", from_state=ArchiveState.OPEN, to_state=ArchiveState.CLOSED,
                        at=closed_at, actor="intake", actor_name="审判业务管理系统", role="system",
                        rule="吉高法〔2020〕11号 第三条(六)、第七条").model_dump(mode="json")


SUBSCRIPTION = Subscription([on_case_registered, on_case_closed])
