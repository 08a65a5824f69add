"""HTTP entry point of the scan-ocr service (the API; OCR runs in ``entrypoints.worker``)."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import BucketSpec, ServiceParts, create_service_app
from juanzong_shared.bus import Subscription
from juanzong_shared.settings import load_settings

from juanzong_scan_ocr.adapters.repository import INDEXES
from juanzong_scan_ocr.bootstrap import close_station_job_access, declare_pages_queue, wire_station_job_access
from juanzong_scan_ocr.entrypoints.api import router
from juanzong_scan_ocr.service_layer.station_jobs import make_accept_station_job
from juanzong_scan_ocr.settings import SERVICE, ServiceSettings

__all__ = ["SERVICE", "ServiceSettings", "create_app"]

DESCRIPTION = """扫描识别服务 — scanning-station jobs, image QC, clean-up, OCR and searchable page PDFs.

Batches come in three ways: `POST /v1/batches` (multipart), chunked uploads (`/v1/uploads`), and the
scanning station's command `scan-ocr.job.process` on the bus. Whatever the way, access-control must allow
`add_pages` on the case first (registered, this court, 第十四条 scope, not 涉密, not archived, the scan task
the case's); a station's job is also checked for its publisher (the station's own broker user) and its files
(under the station's own prefix), and a refused job is reported at `GET /v1/station-jobs/{job_id}`. Each page goes to an OCR worker through
the queue `<ns>.scan-ocr.pages`; results are `pages/{page_id}/ocr.json`, `page.pdf` and `page.jpg` in
bucket `juanzong-pages`, announced by `scan.page.processed`, `scan.page.failed`,
`scan.page.rescan_required` (法〔2016〕264号 二(五)) and `scan.batch.completed`.
"""


def create_app() -> FastAPI:
    settings = load_settings(ServiceSettings)
    holder: dict[str, FastAPI] = {}
    handlers = {"scan-ocr.job.process": [make_accept_station_job(
        lambda: holder["app"].state.store, settings, lambda: getattr(holder["app"].state, "station_job_access", None))]}
    app = create_service_app(settings, title="卷宗 扫描识别服务 (scan-ocr)", description=DESCRIPTION, parts=ServiceParts(
        routers=[router], subscriptions=[Subscription(handlers)], indexes=INDEXES,
        buckets=[BucketSpec(settings.pages_bucket), BucketSpec(settings.stations_bucket)],
        on_startup=[declare_pages_queue, wire_station_job_access], on_shutdown=[close_station_job_access]))
    holder["app"] = app
    return app
