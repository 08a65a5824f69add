"""An OCR worker's handling of one page command, and the recording of its end.

Exactly once in effect: stage outputs have deterministic keys (a redo overwrites the same objects);
the page's move to ``done``/``failed`` is conditional on it not having ended, in the same transaction
as the batch counters and the events, so a page redone after a worker died is counted and announced
once, and ``scan.batch.completed`` goes out once, by whoever ends the last page.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from juanzong_shared.bus import Delivery, PermanentError, handles
from juanzong_shared.contracts import PageOcrDocument
from juanzong_shared.events import Event
from juanzong_shared.events.scan_ocr import PageFailed, PageProcessed, ProcessPage, RescanRequired
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.storage import ObjectStore, ObjectTooLarge
from minio.error import S3Error
from pydantic import ValidationError

from juanzong_scan_ocr.adapters.allocator import trim_heap_above
from juanzong_scan_ocr.adapters.metrics import OCR_PAGES, OCR_QUEUE_WAIT, OCR_STAGE_SECONDS
from juanzong_scan_ocr.adapters.pipeline import (
    PagePipeline,
    PageResult,
    PreparedPage,
    content_hash,
    decode_page,
)
from juanzong_scan_ocr.adapters.repository import Repositories
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.formats import PageRejected
from juanzong_scan_ocr.domain.intake import Limits
from juanzong_scan_ocr.service_layer.intake import emit_batch_completed, limits_of

log = get_logger(__name__)


@dataclass
class Done:
    fields: dict
    needs_rescan: bool
    rescan_reasons: list[str]
    rescan_codes: list[str]
    reused_from: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    page_id: str | None = None


Outcome = Done | B.Failure


async def end_page(uow: UnitOfWork, cmd: ProcessPage, outcome: Outcome) -> bool:
    """Record the end of a page with its events; False (and nothing written) when it had already ended."""
    now = datetime.now(UTC)
    if isinstance(outcome, Done):
        changes = {**outcome.fields, "status": B.PageStatus.DONE.value, "failure": None,
                   "needs_rescan": outcome.needs_rescan, "reused_from": outcome.reused_from}
        inc = {"pages_done": 1, "pages_rescan": int(outcome.needs_rescan)}
    else:
        changes = {"status": B.PageStatus.FAILED.value, "failure": outcome.as_dict()}
        inc = {"pages_failed": 1}
    changes.update(updated_at=now, ended_at=now)
    repos: Repositories = uow.repos
    if not await repos.pages.set_unless_ended(cmd.page_id, changes, B.TERMINAL):
        return False
    batch = await repos.batches.count_end(cmd.batch_id, inc, now)
    if batch is None:
        raise PermanentError(f"batch {cmd.batch_id} of page {cmd.page_id} does not exist")
    about = {"court": cmd.court, "case_number": cmd.case_number}
    if isinstance(outcome, Done):
        f = outcome.fields
        uow.emit(PageProcessed(
            batch_id=cmd.batch_id, page_id=cmd.page_id, seq=cmd.seq, content_sha256=f["content_sha256"],
            engine=f["ocr"]["engine"], text_chars=f["ocr"]["text_chars"],
            mean_confidence=f["ocr"]["mean_confidence"], needs_rescan=outcome.needs_rescan,
            born_digital=f["born_digital"], bucket=f["bucket"], ocr_key=f["ocr_key"], pdf_key=f["pdf_key"],
            image_key=f["image_key"], scan_task_id=cmd.scan_task_id, case_number=cmd.case_number,
            width=f["width"], height=f["height"], dpi=f["dpi"], rotation=f["clean"]["rotation"],
            reused_from=outcome.reused_from, replaces_page_id=cmd.replaces_page_id), **about)
        if outcome.needs_rescan:  # 法〔2016〕264号 二(五): 图像文件清晰度
            uow.emit(RescanRequired(
                batch_id=cmd.batch_id, page_id=cmd.page_id, seq=cmd.seq, reasons=outcome.rescan_reasons,
                codes=outcome.rescan_codes, effective_dpi=f["qc"]["effective_dpi"], clarity=f["qc"]["clarity"],
                case_number=cmd.case_number, scan_task_id=cmd.scan_task_id), **about)
    else:
        uow.emit(PageFailed(
            batch_id=cmd.batch_id, page_id=cmd.page_id, seq=cmd.seq, code=outcome.code, reason=outcome.reason_zh,
            reason_en=outcome.reason_en, file_name=cmd.file_name, page_index=cmd.page_index,
            case_number=cmd.case_number, scan_task_id=cmd.scan_task_id), **about)
    if B.counts_of(batch).complete and not batch.get("completed"):
        await repos.batches.complete(cmd.batch_id, {"completed": True, "status": B.BatchStatus.COMPLETED.value,
                                                    "completed_at": now})
        emit_batch_completed(uow, batch)
    return True


def _decode(pipeline: PagePipeline, data: bytes, page_index: int, limits: Limits) -> tuple[PreparedPage, str]:
    """Decode, content hash, and the pipeline's pixel formats (the decoder's RGB is dropped here)."""
    page = decode_page(data, page_index, limits)
    return pipeline.prepare(page), content_hash(page)


class PageWorker:
    """Handles ``scan-ocr.page.process`` in an OCR worker process.

    Two pages may be in hand (``worker_prefetch``). The engine-bound part of a page (clean-up and
    OCR: ``PagePipeline.analyse``) runs one page at a time under ``_cpu``; beside it the other page
    is loaded, decoded and its start recorded, or its QC, image and PDF are made, stored and its end
    recorded (its own transaction, its own ack after commit). The engine's threads leave the cores
    idle often enough for that work to fit in between. Each page's effects are stored before its
    message is acknowledged, as with one page.
    """

    RECENT = 8  # pages of ended content kept for their copies (see ``_settle``)

    def __init__(self, repos: Repositories, store: ObjectStore, settings: ServiceSettings, pipeline: PagePipeline,
                 worker_id: str) -> None:
        self.repos = repos  # outside any transaction: a page's start, its errors, earlier copies
        self.store = store
        self.settings = settings
        self.pipeline = pipeline
        self.worker_id = worker_id
        self.engine = pipeline.engine.name
        # The outcomes of the pages in hand survive a retried transaction, so OCR is not run twice.
        self._outcomes: OrderedDict[str, Outcome] = OrderedDict()
        self._cpu = asyncio.Lock()
        # Content hash → the outcome of the page of that content in hand or just ended (see ``_prior``).
        self._in_hand: OrderedDict[str, asyncio.Future] = OrderedDict()
        self._turn: asyncio.Future | None = None  # set once the page that came last has claimed its content
        # Decoding, QC and rendering beside the engine, at the process's own priority: a thread at a
        # lower one (nice 19, SCHED_IDLE) that holds the GIL when other programs take the cores stalls the
        # event loop and the engine's Python parts behind it (a whole batch stalled so in CI).
        self._side = ThreadPoolExecutor(2, thread_name_prefix="page-side")

    async def _beside(self, fn, *args):
        """Run ``fn(*args)`` in a side thread."""
        return await asyncio.get_running_loop().run_in_executor(self._side, fn, *args)

    def close(self) -> None:
        self._side.shutdown(wait=False, cancel_futures=True)

    @handles("scan-ocr.page.process")
    async def handle(self, cmd: ProcessPage, delivery: Delivery) -> None:
        event = delivery.event
        outcome = self._outcomes.get(cmd.page_id)
        if outcome is None:
            page = await self.repos.pages.get(cmd.page_id)
            if page is None:
                raise PermanentError(f"page {cmd.page_id} is not recorded")
            if page["status"] in B.TERMINAL:
                log.info("page already ended; command ignored", page_id=cmd.page_id, status=page["status"])
                return
            attempts = int(page.get("attempts", 0))
            if attempts >= self.settings.bus_max_attempts:  # it keeps killing workers or failing
                outcome = B.too_many_attempts(attempts, page.get("last_error"))
            else:
                try:
                    outcome = await self.process(cmd, event)
                except Exception as error:  # storage or database trouble: the bus retries the page
                    await self.repos.pages.note_error(cmd.page_id, f"{type(error).__name__}: {error}"[:500])
                    raise
            self._outcomes[cmd.page_id] = outcome
            while len(self._outcomes) > 8:
                self._outcomes.popitem(last=False)
        ended = await end_page(delivery.uow, cmd, outcome)
        if ended:
            kind = "failed" if isinstance(outcome, B.Failure) else ("reused" if outcome.reused_from else "done")
            OCR_PAGES.labels(self.engine, kind).inc()

    async def process(self, cmd: ProcessPage, event: Event | None = None) -> Outcome:
        # Pages claim their content in the order they came (see ``_prior``): of two copies in hand,
        # the earlier page is the one computed, whichever decodes first.
        previous, turn = self._turn, asyncio.get_running_loop().create_future()
        self._turn = turn
        try:
            return await self._process(cmd, event, previous, turn)
        finally:
            if not turn.done():
                turn.set_result(None)

    async def _process(self, cmd: ProcessPage, event: Event | None, previous: asyncio.Future | None,
                       turn: asyncio.Future) -> Outcome:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        # Loading the original is I/O: it overlaps the CPU work of the other page in hand.
        try:
            data = await self.store.get_bytes(cmd.bucket, cmd.object_key, max_bytes=self.settings.max_file_bytes)
        except ObjectTooLarge:
            return B.Failure("oversize", "文件超过大小上限，请拆分后上传。", "original larger than the limit")
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return B.missing_object(cmd.object_key)
            raise
        timings["load"] = time.perf_counter() - started
        keys = {"bucket": self.settings.pages_bucket, "ocr_key": B.ocr_key(cmd.page_id),
                "pdf_key": B.pdf_key(cmd.page_id), "image_key": B.image_key(cmd.page_id)}
        await self.repos.pages.set_unless_ended(cmd.page_id, {
            "status": B.PageStatus.PROCESSING.value, "worker": self.worker_id, "started_at": datetime.now(UTC)},
            B.TERMINAL, inc={"attempts": 1})
        if event is not None:
            OCR_QUEUE_WAIT.labels(self.engine).observe(
                max(0.0, (datetime.now(UTC) - event.occurred_at).total_seconds()))
        # Decoding runs beside the other page's analysis (the engine leaves the cores idle often enough).
        t = time.perf_counter()
        try:
            source, sha = await self._beside(_decode, self.pipeline, data, cmd.page_index, limits_of(self.settings))
        except PageRejected as rejected:
            return B.Failure.of(rejected)
        timings["decode"] = time.perf_counter() - t
        if not source.born_digital:
            data = None  # only a born-digital PDF's page is kept from the original
        if previous is not None:
            await asyncio.wait([previous])
        prior, mine = await self._prior(cmd, sha)
        turn.set_result(None)
        outcome: Outcome | None = None
        try:
            if prior is not None:
                del source
                outcome = await self._reuse(cmd, prior, keys)
            else:
                try:
                    async with self._cpu:  # the engine-bound part, one page at a time
                        analysis = await asyncio.to_thread(self.pipeline.analyse, source, data)
                    del source, data
                    # The page image and PDF are made beside the next page's analysis.
                    result = await self._beside(self.pipeline.render, analysis)
                    del analysis
                except Exception as error:  # no I/O inside: the same page would fail the same way again
                    log.exception("page processing failed", page_id=cmd.page_id)
                    outcome = B.Failure("processing_error", "该页图像无法处理，请重新扫描。",
                                        f"processing failed: {type(error).__name__}: {error}"[:500])
                    return outcome
                finally:
                    # The freed page buffers back to the OS when memory runs high (see worker_trim_above_mb).
                    await self._beside(trim_heap_above, self.settings.worker_trim_above_mb)
                outcome = await self._store(cmd, result, sha, keys, timings)
            self._observe(timings, started)
            return outcome
        finally:
            if mine is not None:  # the copies waiting for this page go on, whatever became of it
                self._settle(sha, mine, outcome)

    def _settle(self, sha: str, mine: asyncio.Future, outcome: Outcome | None) -> None:
        """Hand this page's outcome to the copies waiting for it, and keep it for the copies that come
        before its record is in the database (the record is written after :meth:`process` returns).
        A page that failed is forgotten at once: the next copy tries for itself."""
        mine.set_result(outcome)
        if not isinstance(outcome, Done) or outcome.reused_from is not None:
            self._in_hand.pop(sha, None)
            return
        self._in_hand.move_to_end(sha)
        ended = [key for key, future in self._in_hand.items() if future.done()]
        for key in ended[:max(0, len(ended) - self.RECENT)]:
            del self._in_hand[key]

    async def _prior(self, cmd: ProcessPage, sha: str) -> tuple[dict | None, asyncio.Future | None]:
        """A page of the same content already processed (its record, for :meth:`_reuse`), or None
        and this page's promise to the copies that come while it is in hand.

        A copy right behind its first page (prefetch 2) waits for that page in this worker, or takes
        its outcome if it has just ended, rather than looking in the database before the first is
        recorded."""
        twin = self._in_hand.get(sha)
        if twin is not None:
            ahead = await asyncio.shield(twin)
            if isinstance(ahead, Done) and ahead.reused_from is None and ahead.page_id != cmd.page_id:
                return {**ahead.fields, "_id": ahead.page_id, "needs_rescan": ahead.needs_rescan}, None
        prior = await self.repos.pages.done_with_content(sha, B.PageStatus.DONE.value, other_than=cmd.page_id,
                                                         engines=[self.engine, "pdf-text"])
        if prior is not None or sha in self._in_hand:
            return prior, None
        mine = asyncio.get_running_loop().create_future()
        self._in_hand[sha] = mine
        return None, mine

    async def _store(self, cmd: ProcessPage, result: PageResult, sha: str, keys: dict,
                     timings: dict[str, float]) -> Done:
        """Store the page's outputs under its keys (I/O: the next page computes meanwhile)."""
        timings.update(result.timings)
        t = time.perf_counter()
        bucket = self.settings.pages_bucket
        await asyncio.gather(
            self.store.put_bytes(bucket, keys["image_key"], result.image_jpeg, "image/jpeg"),
            self.store.put_bytes(bucket, keys["pdf_key"], result.pdf, "application/pdf"),
            self.store.put_bytes(bucket, keys["ocr_key"], result.ocr_json(cmd.page_id), "application/json"))
        timings["store"] = time.perf_counter() - t
        qc = result.qc
        ocr = result.ocr
        fields = {
            **keys, "content_sha256": sha, "born_digital": result.born_digital, "width": ocr.width,
            "height": ocr.height, "dpi": result.dpi,
            "qc": qc.model_dump(mode="json"),
            "clean": {"rotation": result.rotation, "rotation_confidence": result.rotation_confidence,
                      "skew_degrees": result.skew_degrees, "seal_pixels_removed": result.seal_pixels_removed},
            "ocr": {"engine": ocr.engine, "model_version": ocr.model_version, "text_chars": len(ocr.text),
                    "lines": len(ocr.lines), "mean_confidence": round(ocr.mean_confidence, 4) if ocr.lines else None},
            "timings": {k: round(v, 4) for k, v in timings.items()}, "worker": self.worker_id,
        }
        return Done(fields, qc.needs_rescan, [r.message for r in qc.reasons if r.severity == "rescan"],
                    list(qc.rescan_codes), None, timings, page_id=cmd.page_id)

    async def _reuse(self, cmd: ProcessPage, prior: dict, keys: dict) -> Done:
        """Same content as a page already processed: copy its stage outputs instead of OCR again."""
        bucket = prior["bucket"]
        try:  # the copy is the contract's document under this page's id
            document = PageOcrDocument.model_validate_json(await self.store.get_bytes(bucket, prior["ocr_key"]))
        except ValidationError as error:
            raise PermanentError(f"OCR JSON of page {prior['_id']} (reused) does not match page-ocr.v1: "
                                 f"{error}") from error
        document = document.model_copy(update={"page_id": cmd.page_id})
        image, pdf = await asyncio.gather(self.store.get_bytes(bucket, prior["image_key"]),
                                          self.store.get_bytes(bucket, prior["pdf_key"]))
        await asyncio.gather(
            self.store.put_bytes(keys["bucket"], keys["image_key"], image, "image/jpeg"),
            self.store.put_bytes(keys["bucket"], keys["pdf_key"], pdf, "application/pdf"),
            self.store.put_bytes(keys["bucket"], keys["ocr_key"], document.model_dump_json().encode(),
                                 "application/json"))
        fields = {k: prior[k] for k in ("content_sha256", "born_digital", "width", "height", "dpi", "qc", "clean",
                                        "ocr")}
        fields.update(keys, worker=self.worker_id, timings={})
        qc = prior["qc"]
        reasons = [r for r in qc.get("reasons", []) if r.get("severity") == "rescan"]
        return Done(fields, bool(prior.get("needs_rescan")), [r["message"] for r in reasons],
                    [r["code"] for r in reasons], reused_from=prior["_id"], page_id=cmd.page_id)

    def _observe(self, timings: dict[str, float], started: float) -> None:
        for stage, seconds in timings.items():
            OCR_STAGE_SECONDS.labels(self.engine, stage).observe(seconds)
        OCR_STAGE_SECONDS.labels(self.engine, "page").observe(time.perf_counter() - started)
