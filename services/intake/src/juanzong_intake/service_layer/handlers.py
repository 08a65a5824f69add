"""What intake does when other services report: typed handlers, each marked with the event type it handles.

Each handler runs inside the consumer's unit of work (the ledger makes a redelivery a no-op) and is idempotent
on its own as well: a batch already counted or a task already in the target state changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from juanzong_shared.bus import Delivery, Subscription, handles
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.catalog import DossierCatalogued
from juanzong_shared.events.notifier import DeadlineChanged
from juanzong_shared.events.scan_ocr import BatchCompleted
from juanzong_shared.logging import get_logger

from juanzong_intake.adapters.repository import case_from_doc, task_from_doc
from juanzong_intake.domain.original_trial import RecordKind
from juanzong_intake.domain.scan_task import ScanTaskState, check_scanned_pages, transition
from juanzong_intake.domain.stages import CaseStage
from juanzong_intake.service_layer.common import canonical
from juanzong_intake.service_layer.originals import apply_auto_link
from juanzong_intake.service_layer.scan_tasks import moved

log = get_logger(__name__)
S = ScanTaskState
SCAN_OCR_ACTOR = "scan-ocr"
CATALOG_ACTOR = "catalog"


def _at(delivery: Delivery, floor: datetime) -> datetime:
    """The event's time, but never before the task's last change (clocks of two machines differ)."""
    return max(delivery.event.occurred_at, floor)


@handles("scan.batch.completed")
async def mark_scanned(payload: BatchCompleted, delivery: Delivery) -> None:
    """The task is 已扫描, with the post-scan check of pages against the list (吉高法〔2020〕11号 第五条(三)); a
    difference is recorded on the task with its reason."""
    if not payload.scan_task_id:
        return
    uow = delivery.uow
    repos = uow.repos
    doc = await repos.tasks.task_doc(payload.scan_task_id)
    if doc is None:
        log.warning("batch for an unknown scan task", task_id=payload.scan_task_id, batch_id=payload.batch_id)
        return
    if any(b["batch_id"] == payload.batch_id for b in doc.get("batches", [])):
        return
    task = task_from_doc(doc)
    case = case_from_doc(await repos.cases.case_doc(task.case_number.canonical))
    # a re-scan replacing flagged pages adds none to the count checked against the 材料清单
    scanned = doc.get("scanned_pages", 0) + payload.pages_total - payload.pages_replacing
    check = check_scanned_pages(task, scanned)
    at = _at(delivery, task.updated_at)
    moves = {S.CHECK_PASSED: (S.SCANNING, S.SCANNED), S.SCANNING: (S.SCANNED,)}.get(task.state, ())
    if not moves and task.state not in (S.SCANNED, S.CATALOGUED):
        log.warning("batch arrived before the material check passed; counted, state kept",
                    task_id=task.task_id, state=task.state.value)
    for to in moves:
        reason = check.reason_zh if to is S.SCANNED and not check.consistent else None
        task, event = transition(task, to, at, SCAN_OCR_ACTOR, reason, case=case)
        await moved(uow, task, event, check if to is S.SCANNED else None)
    batch = {"batch_id": payload.batch_id, "pages_total": payload.pages_total, "pages_done": payload.pages_done,
             "pages_failed": payload.pages_failed, "pages_rescan": payload.pages_rescan,
             "pages_replacing": payload.pages_replacing, "at": at}
    await repos.tasks.save_task(task, scanned_pages=scanned, post_scan_check=check.model_dump(mode="json"),
                                batches=[*doc.get("batches", []), batch])


@handles("catalog.dossier.catalogued")
async def mark_catalogued(payload: DossierCatalogued, delivery: Delivery) -> None:
    """The task is 已编目; the case's e-dossier becomes linkable as an original."""
    repos = delivery.uow.repos
    key = canonical(payload.case_number)
    await _remember_and_link(delivery, key, RecordKind.E_DOSSIER, f"e-dossier:{key}", "catalog")
    if not payload.scan_task_id:
        return
    doc = await repos.tasks.task_doc(payload.scan_task_id)
    if doc is None:
        return
    task = task_from_doc(doc)
    if task.state is not S.SCANNED:
        if task.state is not S.CATALOGUED:
            log.warning("catalogued before scanned; state kept", task_id=task.task_id, state=task.state.value)
        return
    case = case_from_doc(await repos.cases.case_doc(task.case_number.canonical))
    task, event = transition(task, S.CATALOGUED, _at(delivery, task.updated_at), CATALOG_ACTOR, case=case)
    await repos.tasks.save_task(task)
    await moved(delivery.uow, task, event)


@handles("archive.archived")
async def mark_archived(payload: Archived, delivery: Delivery) -> None:
    """The case is 已归档, and its e-archive becomes linkable as an original."""
    repos = delivery.uow.repos
    key = canonical(payload.case_number)
    await _remember_and_link(delivery, key, RecordKind.E_ARCHIVE, payload.archival_code, "archive")
    doc = await repos.cases.case_doc(key)
    if doc is not None and doc["stage"] == CaseStage.CLOSED.value:
        case = case_from_doc(doc)
        await repos.cases.save_case(case.model_copy(update={"stage": CaseStage.ARCHIVED}), status="archived")


@handles("notify.deadline.overdue")
async def record_overdue(payload: DeadlineChanged, delivery: Delivery) -> None:
    """The case is listed as overdue until that clock's step is done."""
    await delivery.uow.repos.cases.add_overdue_clock(canonical(payload.case_number), {
        "clock_id": payload.clock_id, "rule": payload.rule, "due": payload.due, "responsible": payload.responsible})


async def _remember_and_link(delivery: Delivery, original_key: str, kind: RecordKind, ref: str, source: str) -> None:
    """Remember the record; auto-link it into every registered case that names it as an original."""
    repos = delivery.uow.repos
    own = await repos.cases.case_doc(original_key)
    if own is not None and own.get("secret"):
        return  # 第十条: nothing of a secret case is recorded
    await repos.originals.remember_record(original_key, kind, ref, source, delivery.event.occurred_at)
    found = await repos.originals.known_records([original_key])
    for doc in await repos.cases.cases_with_original(original_key):
        case = case_from_doc(doc)
        if case.e_dossier_allowed:
            await apply_auto_link(delivery.uow, case, await repos.originals.links(case), found, datetime.now(UTC))


# intake's queue, bound to the event types its handlers are marked with
SUBSCRIPTION = Subscription(handlers=[mark_scanned, mark_catalogued, mark_archived, record_overdue])
