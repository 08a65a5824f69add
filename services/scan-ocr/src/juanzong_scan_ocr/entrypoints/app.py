"""HTTP entry point of the scan-ocr service (the API; OCR runs in ``entrypoints.worker``)."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.settings import load_settings

from juanzong_scan_ocr.bootstrap import INDEXES, bootstrap, buckets, repositories
from juanzong_scan_ocr.config import SERVICE, ServiceSettings
from juanzong_scan_ocr.entrypoints.api import router

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
    return create_service_app(settings, title="卷宗 扫描识别服务 (scan-ocr)", description=DESCRIPTION, parts=ServiceParts(
        routers=[router], indexes=INDEXES, buckets=buckets(settings), bootstrap=bootstrap, repositories=repositories))
