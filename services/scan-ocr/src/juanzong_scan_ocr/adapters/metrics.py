"""OCR worker metrics (names are part of the operations contract: Grafana, KEDA, alerts)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

OCR_PAGES = Counter("jz_ocr_pages_total", "Pages finished by OCR workers, by outcome (done, reused, failed).",
                    ["engine", "outcome"])
OCR_STAGE_SECONDS = Histogram(
    "jz_ocr_stage_seconds", "Seconds per page and stage (load, decode, clean, qc, ocr, pdf, store, page).",
    ["engine", "stage"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 8, 13, 30, 60))
OCR_QUEUE_WAIT = Histogram("jz_ocr_queue_wait_seconds", "Time a page waited in the queue before a worker took it.",
                           ["engine"], buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600))
WORKER_BUS_CONNECTED = Gauge("jz_ocr_worker_bus_connected", "1 while the worker's broker connection is up.")
