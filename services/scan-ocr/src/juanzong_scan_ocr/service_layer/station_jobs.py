"""The scanning station's command ``scan-ocr.job.process``: checked, then its files become a batch.

Checked before anything of the job is stored or read (issue 20, item 2; the rules in
:mod:`juanzong_scan_ocr.domain.station_jobs`):

* the publisher — RabbitMQ's validated ``user_id`` must be ``<namespace>.<station_id>`` of the station the job
  names (the broker refuses a ``user_id`` other than the connection's user, and each station has its own user
  that may publish only this command);
* the files — every object key under ``<station_id>/`` in ``juanzong-stations`` (the station's object-store
  credentials are limited to that prefix, so a job cannot point scan-ocr at what the station could not write);
* the case — scan-ocr asks access-control ``add_pages`` on its OWN service token (scope ``dossier:add_pages``)
  with ``resource="station:<station_id>;scan_task:<task_id>"``: access-control checks that the station is an
  active station of the case's court, the task belongs to the case, and the case may take pages (registered,
  inside 第十四条 scope, not 涉密, not archived). The station's own token never goes on the bus (a message
  outlives a token and is readable by whoever can read the queue); the broker's word names the station and
  access-control decides for it.
* the content — at least one file is a page image.

A refused job keeps nothing but its refusal (collection ``job_refusals``, read by the station at
``GET /v1/station-jobs/{job_id}``), and the job's files are deleted from the station's prefix (not when the
publisher is not the station named: those files are not the publisher's to have deleted).

Without authentication (``JZ_AUTH_REQUIRED=false``, the benchmark's local stack) the publisher and case checks
are skipped, as every REST check is; the file and content checks always apply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from juanzong_shared.auth import AccessDecider, Decision, Identity
from juanzong_shared.bus import Delivery, PermanentError, current_publisher, handles
from juanzong_shared.errors import Unavailable
from juanzong_shared.events import Event
from juanzong_shared.events.scan_ocr import ProcessScanJob
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.storage import ObjectStore

from juanzong_scan_ocr.adapters.repository import Repositories
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain import station_jobs as J
from juanzong_scan_ocr.service_layer.intake import (
    BatchSpec,
    check_replacement,
    create_batch,
    load_station_files,
    plan_files,
)

log = get_logger(__name__)

ADD_PAGES = "add_pages"


def station_job_resource(station_id: str, scan_task_id: str | None) -> str:
    """The ``resource`` of an ``add_pages`` question for a station's job (the shared action contract)."""
    return f"station:{station_id}" + (f";scan_task:{scan_task_id}" if scan_task_id else "")


class StationJobAccess:
    """Asks access-control, on scan-ocr's own account, whether a station's job may add pages to its case."""

    def __init__(self, decider: Callable[[], AccessDecider | None], identity: Callable[[], Awaitable[Identity]],
                 on_refused_token: Callable[[], None] = lambda: None) -> None:
        self._decider = decider
        self._identity = identity
        self._on_refused_token = on_refused_token

    async def decide(self, job: ProcessScanJob) -> Decision:
        decider = self._decider()
        if decider is None:  # a configuration fault, not the station's: retried, then dead-lettered
            raise RuntimeError("no access-control decider configured (set JZ_ACCESS_CONTROL_URL)")
        try:
            identity = await self._identity()
        except Unavailable as error:  # access-control down or refusing our secret: retried, then dead-lettered
            raise RuntimeError(str(error)) from error
        try:
            return await decider.decide(identity, ADD_PAGES, job.case_number,
                                        resource=station_job_resource(job.station_id, job.scan_task_id))
        except Exception:
            self._on_refused_token()  # maybe an expired or revoked service token: fetch a fresh one next time
            raise


class StationJobs:
    """Takes in the stations' jobs from the bus. ``access`` is None when access-control is not configured (every
    checked job is then retried, then dead-lettered); ``publisher`` names who published the message in hand."""

    def __init__(self, store: ObjectStore, settings: ServiceSettings, access: StationJobAccess | None,
                 publisher: Callable[[], str | None] = current_publisher) -> None:
        self.store = store
        self.settings = settings
        self.access = access
        self.publisher = publisher

    @handles("scan-ocr.job.process")
    async def accept(self, job: ProcessScanJob, delivery: Delivery) -> None:
        settings, store, uow = self.settings, self.store, delivery.uow
        repos: Repositories = uow.repos
        if not B.valid_station_id(job.station_id):
            raise PermanentError(f"invalid station id {job.station_id!r}")
        batch_id = B.station_batch_id(job.station_id, job.job_id)
        if await repos.batches.exists(batch_id):
            log.info("station job already accepted", batch_id=batch_id, job_id=job.job_id)
            return  # the same job sent twice is one batch

        owner = job.station_id
        checked = settings.auth_required
        if checked:
            sender = self.publisher()
            if refusal := J.check_publisher(settings.bus_namespace, job.station_id, sender):
                owner = J.station_of_publisher(settings.bus_namespace, sender)
                await _refuse(uow, store, job, refusal, owner, sender, delivery.event)
                return
        if await repos.job_refusals.exists(batch_id):
            log.info("station job already refused", job_id=job.job_id, station=job.station_id)
            return
        keys = [p.object_key for p in job.pages]
        if refusal := J.check_object_keys(job.station_id, job.bucket, settings.stations_bucket, keys):
            await _refuse(uow, store, job, refusal, owner, self.publisher(), delivery.event)
            return
        if checked:
            if self.access is None:
                raise RuntimeError("station jobs cannot be checked: access-control is not configured")
            decision = await self.access.decide(job)
            if not decision.allowed:
                await _refuse(uow, store, job, J.add_pages_refused(decision.reason, decision.rule), owner,
                              self.publisher(), delivery.event)
                return

        files = await load_station_files(store, settings, job)
        for f in files:
            if f.replaces_page_id and f.failure is None:
                f.failure = await check_replacement(uow, f.replaces_page_id, job.case_number)
        planned = await plan_files(store, settings, batch_id, files)
        if not any(p.accepted for p in planned):
            await _refuse(uow, store, job, J.no_processable_page(_failures_of(planned)), owner, self.publisher(),
                          delivery.event)
            return
        spec = BatchSpec(batch_id, job.case_number, job.scan_task_id, job.operator, delivery.court, "station",
                         station_id=job.station_id, job_id=job.job_id, created_by=job.station_id)
        batch = await create_batch(uow, spec, planned)
        log.info("station job accepted", batch_id=batch_id, pages=batch["pages_total"],
                 failed=batch["pages_failed"], station=job.station_id)


def _failures_of(planned) -> list[tuple[str, str]]:
    return [(p.file_name or f"#{p.seq}", p.failure.reason_zh) for p in planned if p.failure is not None]


def refusal_id(station_id: str | None, job_id: str, event: Event) -> str:
    """A refusal is found by the station that sent the job and the job's id (as its batch would be); one whose
    sender is no station of this namespace is kept under the event's id, readable by no station."""
    if station_id:
        return B.station_batch_id(station_id, job_id)
    return f"rj-unverified-{event.event_id}"


async def _refuse(uow: UnitOfWork, store: ObjectStore, job: ProcessScanJob, refusal: J.JobRefusal,
                  owner: str | None, sender: str | None, event: Event) -> None:
    """Keep the refusal for the station to read, delete the job's own files, store nothing else."""
    deleted = 0
    if refusal.delete_objects and owner == job.station_id:
        deleted = await _delete_job_files(store, job)
    doc = {"_id": refusal_id(owner, job.job_id, event), "job_id": job.job_id, "station_id": owner,
           "named_station_id": job.station_id, "publisher": sender, "case_number": job.case_number,
           "scan_task_id": job.scan_task_id, "operator": job.operator, "files": len(job.pages),
           "files_deleted": deleted, "event_id": str(event.event_id), "refused_at": datetime.now(UTC),
           **refusal.as_dict()}
    await uow.repos.job_refusals.put(doc)
    log.warning("station job refused", job_id=job.job_id, station=job.station_id, publisher=sender,
                code=refusal.code, rule=refusal.rule, reason=refusal.reason_en, files_deleted=deleted)


async def _delete_job_files(store: ObjectStore, job: ProcessScanJob) -> int:
    """The refused job's files, each under the station's own prefix (checked: nothing else is touched)."""
    deleted = 0
    for page in job.pages:
        key = page.object_key
        if not J.within_prefix(job.station_id, key):
            continue
        try:
            await store.delete(job.bucket, key)
            deleted += 1
        except Exception as error:  # noqa: BLE001 — a leftover costs space only; the refusal stands
            log.warning("refused job file not deleted", key=key, error=str(error))
    return deleted
