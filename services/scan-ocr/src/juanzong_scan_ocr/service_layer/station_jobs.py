"""The scanning station's command ``scan-ocr.job.process``: its files become a batch."""

from __future__ import annotations

from collections.abc import Callable

from juanzong_shared.bus import PermanentError
from juanzong_shared.events import Event
from juanzong_shared.events.scan_ocr import ProcessScanJob
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.storage import ObjectStore

from juanzong_scan_ocr.adapters.repository import BATCHES, PAGES
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.service_layer.intake import BatchSpec, create_batch, load_station_files, plan_files
from juanzong_scan_ocr.settings import ServiceSettings

log = get_logger(__name__)


def make_accept_station_job(store: Callable[[], ObjectStore], settings: ServiceSettings):
    async def accept_station_job(event: Event, uow: UnitOfWork) -> None:
        job = ProcessScanJob.model_validate(event.payload)
        if not B.valid_station_id(job.station_id):
            raise PermanentError(f"invalid station id {job.station_id!r}")
        batch_id = B.station_batch_id(job.station_id, job.job_id)
        if await uow.db[BATCHES].find_one({"_id": batch_id}, {"_id": 1}) is not None:
            log.info("station job already accepted", batch_id=batch_id, job_id=job.job_id)
            return  # the same job sent twice is one batch
        files = await load_station_files(store(), settings, job)
        for f in files:
            if f.replaces_page_id and f.failure is None:
                f.failure = await check_replacement(uow.db, f.replaces_page_id, job.case_number, uow.session)
        planned = await plan_files(store(), settings, batch_id, files)
        spec = BatchSpec(batch_id, job.case_number, job.scan_task_id, job.operator, event.court, "station",
                         station_id=job.station_id, job_id=job.job_id, created_by=job.station_id)
        batch = await create_batch(uow, spec, planned)
        log.info("station job accepted", batch_id=batch_id, pages=batch["pages_total"],
                 failed=batch["pages_failed"], station=job.station_id)
    return accept_station_job


async def check_replacement(db, page_id: str, case_number: str, session=None) -> B.Failure | None:
    """A re-scan may only replace a page of the same case that this service processed."""
    old = await db[PAGES].find_one({"_id": page_id}, {"case_number": 1, "status": 1}, session=session)
    if old is None or old.get("case_number") != case_number:
        return B.Failure("unknown_replaced_page", f"要替换的页面 {page_id[:80]} 不存在或不属于本案，请核对页面编号。",
                         f"page {page_id[:80]!r} to replace is unknown or belongs to another case")
    return None
