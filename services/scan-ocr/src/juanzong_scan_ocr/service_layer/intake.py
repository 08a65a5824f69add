"""Intake of scan batches: REST upload, chunked upload and a station's job, all ending in ``create_batch``.

Each file is checked (name, size, type by content, page count, pixels) without decoding a page; each
refusal becomes a failed page with its code and reason, never a failed batch. Originals are stored
untouched; the batch fans out one ``scan-ocr.page.process`` command per accepted page, written with
the batch in one transaction (outbox) so a page is never queued without its record or vice versa.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from juanzong_shared.errors import Invalid
from juanzong_shared.events.scan_ocr import BatchCompleted, PageFailed, ProcessPage, ProcessScanJob
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.storage import ObjectStore, ObjectTooLarge

from juanzong_scan_ocr.adapters.repository import Repositories
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.formats import (
    MediaKind,
    PageRejected,
    check_upload_size,
    safe_object_name,
)
from juanzong_scan_ocr.domain.intake import Inspection, Limits, check_name, inspect_file, kind_of

Transact = Callable[[Callable[[UnitOfWork[Repositories]], Awaitable[Any]]], Awaitable[Any]]
"""Runs a piece of work in a unit of work, again on a transient conflict (``Runtime.transact``)."""


@dataclass(frozen=True)
class BatchSpec:
    batch_id: str
    case_number: str
    scan_task_id: str | None
    operator: str | None
    court: str | None
    source: str  # rest | upload | station
    station_id: str | None = None
    job_id: str | None = None
    created_by: str | None = None
    extra: dict = field(default_factory=dict)


def limits_of(settings: ServiceSettings) -> Limits:
    return Limits(settings.max_file_bytes, settings.max_page_pixels, settings.max_file_pages)


@dataclass
class FileIn:
    """One file of a batch: its bytes (None when refused before reading) and where it is kept."""

    name: str | None
    data: bytes | None = None
    bucket: str | None = None
    key: str | None = None
    failure: B.Failure | None = None
    stored: bool = False
    replaces_page_id: str | None = None
    inspection: Inspection | None = None
    """Set when the file was already inspected (a station file read from its head)."""
    content_type: str = "application/octet-stream"


async def plan_files(store: ObjectStore, settings: ServiceSettings, batch_id: str,
                     files: Sequence[FileIn]) -> list[B.PlannedPage]:
    """Inspect every file (in a thread: header parsing is CPU work) and number the pages; store nothing.

    A new original gets the key it will be kept under (:func:`keep_originals` stores it once the batch is
    going to be created: a batch with no processable page is refused and leaves nothing behind)."""
    limits = limits_of(settings)
    planned: list[B.PlannedPage] = []
    seq = 0
    for file_no, f in enumerate(files, start=1):
        failure = f.failure or check_name(f.name)
        inspection = None
        if failure is None and f.data is not None:
            inspection = f.inspection or await asyncio.to_thread(inspect_file, f.data, limits)
            failure = inspection.failure
        if f.data is not None and not f.stored and 0 < len(f.data) <= settings.max_file_bytes:
            # Kept untouched even when refused (a corrupt file is evidence of what the station sent).
            f.bucket = settings.pages_bucket
            f.key = B.original_key(batch_id, file_no, inspection.kind if inspection else None)
            f.content_type = inspection.kind.value if inspection and inspection.kind else "application/octet-stream"
        if failure is not None:
            seq += 1
            index = inspection.page_index if inspection and inspection.page_index is not None else 0
            planned.append(B.PlannedPage(seq, file_no, f.name, index, f.bucket, f.key, failure))
            continue
        pages = inspection.pages if inspection else 1
        if f.replaces_page_id and pages != 1:
            seq += 1
            planned.append(B.PlannedPage(seq, file_no, f.name, 0, f.bucket, f.key, B.Failure(
                "replacement_not_single_page", f"重扫页应为单页文件，该文件共 {pages} 页。",
                f"a replacement for {f.replaces_page_id} must be a single page, the file has {pages}")))
            continue
        for index in range(pages):
            seq += 1
            planned.append(B.PlannedPage(seq, file_no, f.name, index, f.bucket, f.key,
                                         replaces_page_id=f.replaces_page_id))
    if len(planned) > settings.max_batch_pages:
        raise PageRejected("too_many_pages", f"本批次共 {len(planned)} 页，超过上限 {settings.max_batch_pages} 页，请分批上传。",
                           f"{len(planned)} pages exceed the batch limit of {settings.max_batch_pages}")
    return planned


async def keep_originals(store: ObjectStore, files: Sequence[FileIn]) -> None:
    """Store the new originals :func:`plan_files` gave a key (a station's files stay where the station put them)."""
    for f in files:
        if f.data is not None and not f.stored and f.key is not None:
            await store.put_bytes(f.bucket, f.key, f.data, content_type=f.content_type)
            f.stored = True


async def create_batch(uow: UnitOfWork[Repositories], spec: BatchSpec, planned: Sequence[B.PlannedPage]) -> dict:
    """Write the batch and its pages; emit page.failed for refused pages and one page command per page."""
    now = datetime.now(UTC)
    failed = [p for p in planned if not p.accepted]
    batch = {
        "_id": spec.batch_id, "case_number": spec.case_number, "scan_task_id": spec.scan_task_id,
        "operator": spec.operator, "court": spec.court, "source": spec.source, "station_id": spec.station_id,
        "job_id": spec.job_id, "created_by": spec.created_by, "created_at": now, "updated_at": now,
        "status": B.BatchStatus.PROCESSING.value, "pages_total": len(planned), "pages_done": 0,
        "pages_failed": len(failed), "pages_rescan": 0,
        "pages_replacing": sum(1 for p in planned if p.accepted and p.replaces_page_id),
        "completed": False, "completed_at": None, **spec.extra,
    }
    pages = []
    about = {"court": spec.court, "case_number": spec.case_number}
    for p in planned:
        pid = B.page_id(spec.batch_id, p.seq)
        pages.append({
            "_id": pid, "batch_id": spec.batch_id, "seq": p.seq, "file_no": p.file_no, "file_name": p.file_name,
            "page_index": p.page_index, "original": {"bucket": p.bucket, "key": p.object_key},
            "case_number": spec.case_number, "scan_task_id": spec.scan_task_id,
            "status": (B.PageStatus.QUEUED if p.accepted else B.PageStatus.FAILED).value,
            "failure": p.failure.as_dict() if p.failure else None, "attempts": 0,
            "replaces_page_id": p.replaces_page_id,
            "created_at": now, "updated_at": now, "ended_at": None if p.accepted else now,
        })
        if p.accepted:
            uow.emit(ProcessPage(
                batch_id=spec.batch_id, page_id=pid, seq=p.seq, bucket=p.bucket, object_key=p.object_key,
                page_index=p.page_index, file_name=p.file_name, case_number=spec.case_number,
                scan_task_id=spec.scan_task_id, court=spec.court, replaces_page_id=p.replaces_page_id), **about)
        else:
            uow.emit(PageFailed(
                batch_id=spec.batch_id, page_id=pid, seq=p.seq, code=p.failure.code, reason=p.failure.reason_zh,
                reason_en=p.failure.reason_en, file_name=p.file_name, page_index=p.page_index,
                case_number=spec.case_number, scan_task_id=spec.scan_task_id), **about)
    if planned and B.counts_of(batch).complete:  # nothing left for a worker
        batch.update(completed=True, status=B.BatchStatus.COMPLETED.value, completed_at=now)
        emit_batch_completed(uow, batch)
    await uow.repos.batches.add(batch)
    await uow.repos.pages.add_many(pages)
    return batch


def emit_batch_completed(uow: UnitOfWork, batch: dict) -> None:
    uow.emit(BatchCompleted(
        batch_id=batch["_id"], scan_task_id=batch.get("scan_task_id"), case_number=batch["case_number"],
        pages_total=batch["pages_total"], pages_done=batch.get("pages_done", 0),
        pages_failed=batch.get("pages_failed", 0), pages_rescan=batch.get("pages_rescan", 0),
        pages_replacing=batch.get("pages_replacing", 0), station_id=batch.get("station_id"),
        job_id=batch.get("job_id")), court=batch.get("court"), case_number=batch["case_number"])


async def check_replacement(uow: UnitOfWork[Repositories], page_id: str, case_number: str) -> B.Failure | None:
    """A re-scan may only replace a page of the same case that this service processed."""
    old = await uow.repos.pages.get(page_id)
    if old is None or old.get("case_number") != case_number:
        return B.Failure("unknown_replaced_page", f"要替换的页面 {page_id[:80]} 不存在或不属于本案，请核对页面编号。",
                         f"page {page_id[:80]!r} to replace is unknown or belongs to another case")
    return None


def page_failure(page_id: str, seq: int, file_name: str | None, page_index: int | None, failure: dict) -> dict:
    """A page that will not be processed, as a problem object naming the page (``PageFailure`` in the API)."""
    return {"type": f"https://juanzong.court/problems/page/{failure['code']}", "title": "页面被拒收", "status": 422,
            "code": failure["code"], "detail": failure["reason_zh"], "detail_en": failure["reason_en"],
            "page_id": page_id, "seq": seq, "file_name": file_name, "page_index": page_index}


class TooManyPages(Invalid, title="批次页数超过上限"): ...


class NoProcessablePage(Invalid, code="no-processable-page", title="没有可处理的页面"): ...


def nothing_processable(failures: list[dict]) -> NoProcessablePage:
    return NoProcessablePage(
        "", "; ".join(f"第{f['seq']}页 {f['file_name'] or ''}: {f['detail']}" for f in failures)[:2000],
        errors=[(f"pages[{f['seq']}]" + (f" {f['file_name']}" if f["file_name"] else ""),
                 f"{f['code']}: {f['detail']} ({f['detail_en']})") for f in failures],
        failures=[{k: v for k, v in f.items() if k != "page_id"} for f in failures])


class BatchIntake:
    """A batch handed in over HTTP (multipart or a completed chunked upload)."""

    def __init__(self, transact: Transact, store: ObjectStore, settings: ServiceSettings) -> None:
        self.transact = transact
        self.store = store
        self.settings = settings

    async def check_replacement(self, page_id: str, case_number: str) -> B.Failure | None:
        return await self.transact(lambda uow: check_replacement(uow, page_id, case_number))

    async def take_in(self, spec: BatchSpec, files: list[FileIn]) -> tuple[dict, list[dict]]:
        """Plan the pages; when none can be processed, refuse naming every page and keep nothing (no batch, no
        original); else store the originals and write the batch with its pages and page commands. The batch
        and the pages that failed."""
        try:
            planned = await plan_files(self.store, self.settings, spec.batch_id, files)
        except PageRejected as rejected:
            raise TooManyPages("", rejected.reason_zh, code=rejected.code.value,
                               detail_en=rejected.reason_en) from None
        failures = [page_failure(B.page_id(spec.batch_id, p.seq), p.seq, p.file_name, p.page_index,
                                 p.failure.as_dict()) for p in planned if not p.accepted]
        if planned and len(failures) == len(planned):
            raise nothing_processable(failures)
        await keep_originals(self.store, files)
        batch = await self.transact(lambda uow: create_batch(uow, spec, planned))
        return batch, failures


# ----------------------------------------------------------------------------- station jobs


STATION_READS_IN_FLIGHT = 8
"""A station's files are looked up and read this many at a time (each is a round trip to storage)."""


async def load_station_files(store: ObjectStore, settings: ServiceSettings, job: ProcessScanJob) -> list[FileIn]:
    """The station's files, in page order; a file that is unsafe, elsewhere, missing or too big fails alone."""
    files: list[FileIn] = []
    reads = []
    for item in sorted(job.pages, key=lambda p: p.seq):
        f = FileIn(name=item.name or item.object_key.rsplit("/", 1)[-1], bucket=job.bucket, key=item.object_key,
                   stored=True, replaces_page_id=item.replaces_page_id)
        files.append(f)
        try:
            key = safe_object_name(item.object_key)
        except PageRejected as rejected:
            f.failure = B.Failure.of(rejected)
            continue
        if job.bucket != settings.stations_bucket or not key.startswith(B.station_prefix(job.station_id)):
            f.failure = B.outside_prefix(item.object_key, job.station_id)
            continue
        reads.append((f, key))
    turns = asyncio.Semaphore(STATION_READS_IN_FLIGHT)

    async def load(f: FileIn, key: str) -> None:
        async with turns:
            info = await store.stat(job.bucket, key)
            if info is None:
                f.failure = B.missing_object(key)
                return
            try:
                check_upload_size(info.size, settings.max_file_bytes)
                f.data, f.inspection = await _read_for_inspection(store, settings, job.bucket, key, info.size)
            except PageRejected as rejected:
                f.failure = B.Failure.of(rejected)
            except ObjectTooLarge:
                f.failure = B.Failure("oversize", "文件超过大小上限，请拆分后上传。", "object larger than the limit")

    await asyncio.gather(*(load(f, key) for f, key in reads))
    return files


HEAD_BYTES = 512 * 1024
"""A JPEG's or PNG's headers (kind, size in pixels) are in its first bytes, EXIF and colour profile included."""


async def _read_for_inspection(store: ObjectStore, settings: ServiceSettings, bucket: str, key: str,
                               size: int) -> tuple[bytes, Inspection | None]:
    """What the intake needs of a station's file to inspect it: a single-image JPEG or PNG larger than
    ``HEAD_BYTES`` only up to there (the inspection reads its headers, decodes nothing, and the worker
    reads the whole file anyway; a 300-dpi PNG is ~10 MB), with that inspection; anything else, or a
    head that does not pass, whole (not yet inspected) — so a file is judged as if read whole."""
    if size > HEAD_BYTES:
        head = await store.get_head(bucket, key, HEAD_BYTES)
        if kind_of(head) in (MediaKind.JPEG, MediaKind.PNG):
            inspection = await asyncio.to_thread(inspect_file, head, limits_of(settings))
            if inspection.failure is None:
                return head, inspection
    return await store.get_bytes(bucket, key, max_bytes=settings.max_file_bytes), None
