"""Event handlers (what intake does when other services report): one explicit map, ``HANDLERS``.

Each handler runs inside the consumer's unit of work (the ledger makes a redelivery a no-op) and is
idempotent on its own as well: a batch already counted or a task already in the target state changes
nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from juanzong_shared.events import REGISTRY, Event
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.catalog import DossierCatalogued
from juanzong_shared.events.notifier import DeadlineChanged
from juanzong_shared.events.scan_ocr import BatchCompleted
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork

from juanzong_intake.adapters.repository import IntakeRepository, case_from_doc, task_from_doc
from juanzong_intake.domain.original_trial import RecordKind
from juanzong_intake.domain.scan_task import ScanTaskState, check_scanned_pages, transition
from juanzong_intake.domain.stages import CaseStage
from juanzong_intake.service_layer.services import (
    CATALOG_ACTOR,
    SCAN_OCR_ACTOR,
    _apply_auto_link,
    _moved,
    canonical,
)

log = get_logger(__name__)
S = ScanTaskState


def _at(event: Event, floor: datetime) -> datetime:
    """The event's time, but never before the task's last change (clocks of two machines differ)."""
    return max(event.occurred_at, floor)


async def mark_scanned(event: Event, uow: UnitOfWork) -> None:
    """scan.batch.completed → the task is 已扫描, with the post-scan check of pages against the list
    (吉高法〔2020〕11号 第五条(三)); a difference is recorded on the task with its reason."""
    payload = REGISTRY.parse_payload(event)
    assert isinstance(payload, BatchCompleted)
    if not payload.scan_task_id:
        return
    repo = IntakeRepository(uow.db, uow.session)
    doc = await repo.task_doc(payload.scan_task_id)
    if doc is None:
        log.warning("batch for an unknown scan task", task_id=payload.scan_task_id, batch_id=payload.batch_id)
        return
    if any(b["batch_id"] == payload.batch_id for b in doc.get("batches", [])):
        return
    task = task_from_doc(doc)
    case = case_from_doc(await repo.case_doc(task.case_number.canonical))
    # a re-scan replacing flagged pages adds none to the count checked against the 材料清单
    scanned = doc.get("scanned_pages", 0) + payload.pages_total - payload.pages_replacing
    check = check_scanned_pages(task, scanned)
    at = _at(event, task.updated_at)
    moves = {S.CHECK_PASSED: (S.SCANNING, S.SCANNED), S.SCANNING: (S.SCANNED,)}.get(task.state, ())
    if not moves and task.state not in (S.SCANNED, S.CATALOGUED):
        log.warning("batch arrived before the material check passed; counted, state kept",
                    task_id=task.task_id, state=task.state.value)
    for to in moves:
        reason = check.reason_zh if to is S.SCANNED and not check.consistent else None
        task, moved = transition(task, to, at, SCAN_OCR_ACTOR, reason, case=case)
        await _moved(uow, repo, task, moved, check if to is S.SCANNED else None)
    batch = {"batch_id": payload.batch_id, "pages_total": payload.pages_total, "pages_done": payload.pages_done,
             "pages_failed": payload.pages_failed, "pages_rescan": payload.pages_rescan,
             "pages_replacing": payload.pages_replacing, "at": at}
    await repo.save_task(task, scanned_pages=scanned, post_scan_check=check.model_dump(mode="json"),
                         batches=[*doc.get("batches", []), batch])


async def mark_catalogued(event: Event, uow: UnitOfWork) -> None:
    """catalog.dossier.catalogued → the task is 已编目; the case's e-dossier becomes linkable as an original."""
    payload = REGISTRY.parse_payload(event)
    assert isinstance(payload, DossierCatalogued)
    repo = IntakeRepository(uow.db, uow.session)
    key = canonical(payload.case_number)
    await _remember_and_link(repo, uow, key, RecordKind.E_DOSSIER, f"e-dossier:{key}", "catalog", event)
    if not payload.scan_task_id:
        return
    doc = await repo.task_doc(payload.scan_task_id)
    if doc is None:
        return
    task = task_from_doc(doc)
    if task.state is not S.SCANNED:
        if task.state is not S.CATALOGUED:
            log.warning("catalogued before scanned; state kept", task_id=task.task_id, state=task.state.value)
        return
    case = case_from_doc(await repo.case_doc(task.case_number.canonical))
    task, moved = transition(task, S.CATALOGUED, _at(event, task.updated_at), CATALOG_ACTOR, case=case)
    await repo.save_task(task)
    await _moved(uow, repo, task, moved)


async def mark_archived(event: Event, uow: UnitOfWork) -> None:
    """archive.archived → the case is 已归档, and its e-archive becomes linkable as an original."""
    payload = REGISTRY.parse_payload(event)
    assert isinstance(payload, Archived)
    repo = IntakeRepository(uow.db, uow.session)
    key = canonical(payload.case_number)
    await _remember_and_link(repo, uow, key, RecordKind.E_ARCHIVE, payload.archival_code, "archive", event)
    doc = await repo.case_doc(key)
    if doc is not None and doc["stage"] == CaseStage.CLOSED.value:
        case = case_from_doc(doc)
        await repo.save_case(case.model_copy(update={"stage": CaseStage.ARCHIVED}), status="archived")


async def record_overdue(event: Event, uow: UnitOfWork) -> None:
    """notify.deadline.overdue → the case is listed as overdue until that clock's step is done."""
    payload = REGISTRY.parse_payload(event)
    assert isinstance(payload, DeadlineChanged)
    await IntakeRepository(uow.db, uow.session).add_overdue_clock(canonical(payload.case_number), {
        "clock_id": payload.clock_id, "rule": payload.rule, "due": payload.due,
        "responsible": payload.responsible})


async def _remember_and_link(repo: IntakeRepository, uow: UnitOfWork, original_key: str, kind: RecordKind, ref: str,
                             source: str, event: Event) -> None:
    """Remember the record; auto-link it into every registered case that names it as an original."""
    own = await repo.case_doc(original_key)
    if own is not None and own.get("secret"):
        return  # 第十条: nothing of a secret case is recorded
    await repo.remember_record(original_key, kind, ref, source, event.occurred_at)
    found = await repo.known_records([original_key])
    for doc in await repo.cases_with_original(original_key):
        case = case_from_doc(doc)
        if case.e_dossier_allowed:
            await _apply_auto_link(uow, repo, case, await repo.links(case), found, datetime.now(UTC))


HANDLERS = {
    "scan.batch.completed": [mark_scanned],
    "catalog.dossier.catalogued": [mark_catalogued],
    "archive.archived": [mark_archived],
    "notify.deadline.overdue": [record_overdue],
}
