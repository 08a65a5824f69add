"""Wiring of scan-ocr: the API's services and station-job consumer, the OCR worker's pipeline and subscription.

Both processes open a :class:`~juanzong_shared.runtime.Runtime` with :data:`INDEXES`, :func:`buckets` and
:func:`repositories`; the API's lifespan then calls :func:`bootstrap`, the worker :func:`worker_wiring`.
"""

from __future__ import annotations

from juanzong_shared.bus import Subscription
from juanzong_shared.logging import get_logger
from juanzong_shared.runtime import BucketSpec, Runtime, Wiring
from juanzong_shared.service_token import ServiceToken, token_url

from juanzong_scan_ocr.adapters.repository import INDEXES, repositories
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.service_layer.access import CaseGate
from juanzong_scan_ocr.service_layer.intake import BatchIntake
from juanzong_scan_ocr.service_layer.pages import PageWorker
from juanzong_scan_ocr.service_layer.progress import Progress
from juanzong_scan_ocr.service_layer.station_jobs import StationJobAccess, StationJobs
from juanzong_scan_ocr.service_layer.uploads import Uploads

__all__ = ["INDEXES", "bootstrap", "buckets", "build_pipeline", "pages_subscription", "repositories",
           "worker_wiring"]

log = get_logger(__name__)

PAGES_SUBSCRIPTION_NAME = "pages"


def buckets(settings: ServiceSettings) -> list[BucketSpec]:
    return [BucketSpec(settings.pages_bucket), BucketSpec(settings.stations_bucket)]


def pages_subscription(worker: PageWorker | None = None, prefetch: int = 1) -> Subscription:
    """``<ns>.scan-ocr.pages``: ``prefetch`` unacknowledged pages per worker, handled concurrently;
    the worker runs the engine for one at a time and decodes, renders, stores and records the other meanwhile.
    Without a worker: the queue's declaration alone (the API declares it)."""
    handler = (worker or PageWorker).handle
    return Subscription([handler], name=PAGES_SUBSCRIPTION_NAME, prefetch=prefetch, concurrency=prefetch)


def station_job_access(runtime: Runtime) -> tuple[StationJobAccess | None, ServiceToken | None]:
    """How station jobs on the bus are decided: access-control's ``add_pages`` on scan-ocr's own service token
    (``JZ_CLIENT_ID`` with ``JZ_CLIENT_SECRET_FILE`` or ``JZ_CLIENT_SECRET``)."""
    settings: ServiceSettings = runtime.settings
    secret = settings.resolved_client_secret()
    if not settings.access_control_url or not secret:
        if settings.auth_required:
            log.error("station jobs cannot be decided: set JZ_ACCESS_CONTROL_URL, JZ_CLIENT_ID and "
                      "JZ_CLIENT_SECRET_FILE (or JZ_CLIENT_SECRET); every job will be retried, then dead-lettered")
        return None, None
    token = ServiceToken(token_url(settings.access_control_url), settings.client_id, secret)
    return StationJobAccess(lambda: runtime.decider, token.identity, token.forget), token


def bootstrap(runtime: Runtime) -> Wiring:
    """The API process: its HTTP services, and the consumer of the stations' jobs. At start-up it declares the
    pages queue, so pages fanned out before any worker has ever started wait in the queue instead of being
    dropped by the exchange."""
    settings: ServiceSettings = runtime.settings
    gate = CaseGate(lambda: runtime.decider, settings.auth_required)
    intake = BatchIntake(runtime.transact, runtime.store, settings)
    access, token = station_job_access(runtime)
    station_jobs = StationJobs(runtime.store, settings, access)
    return Wiring(
        subscriptions=[Subscription([station_jobs.accept])],
        on_startup=[lambda: runtime.bus.declare(pages_subscription())],
        services={"gate": gate, "intake": intake, "station_jobs": station_jobs,
                  "uploads": Uploads(runtime.transact, runtime.store, settings, gate, intake),
                  "progress": Progress(runtime.transact, gate)},
        on_shutdown=[token.close] if token else [])


def worker_wiring(runtime: Runtime, worker: PageWorker) -> Wiring:
    """The OCR worker process: the pages queue."""
    return Wiring(subscriptions=[pages_subscription(worker, runtime.settings.worker_prefetch)])


def build_pipeline(settings: ServiceSettings):
    """The OCR engine (created once per process) and the page pipeline around it."""
    from juanzong_scan_ocr.adapters.ocr import OcrSettings, get_engine
    from juanzong_scan_ocr.adapters.pipeline import PagePipeline
    from juanzong_scan_ocr.domain.qc import QcThresholds

    engine = get_engine(settings.ocr_engine, OcrSettings())
    thresholds = QcThresholds(dpi_floor=settings.rescan_dpi_floor, dpi_recommended=settings.rescan_dpi_recommended,
                              clarity_min=settings.rescan_clarity_min)
    return PagePipeline(engine, thresholds=thresholds)
