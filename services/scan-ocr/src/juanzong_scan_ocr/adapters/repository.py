"""The scan-ocr collections (its own database) and their indexes.

* ``batches`` — one per batch: scan task, case, source (REST, chunked upload, station job), atomic
  counters ``pages_total/done/failed/rescan`` and ``completed`` (set once, with scan.batch.completed).
* ``pages`` — one per page: state, original (bucket, key, page index), content hash, QC numbers,
  clean-up, OCR provenance (engine, model version, confidence), stage keys, failure, attempts.
* ``uploads`` — chunked upload sessions.
* ``job_refusals`` — one per refused station job, keyed like the batch it would have been (station and job
  id): code, reason, rule; the station reads it at ``GET /v1/station-jobs/{job_id}``.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

BATCHES = "batches"
PAGES = "pages"
UPLOADS = "uploads"
JOB_REFUSALS = "job_refusals"

INDEXES = {
    BATCHES: [
        IndexModel([("scan_task_id", ASCENDING), ("created_at", DESCENDING)], name="by_scan_task"),
        IndexModel([("case_number", ASCENDING), ("created_at", DESCENDING)], name="by_case"),
        IndexModel([("station_id", ASCENDING), ("job_id", ASCENDING)], name="by_station_job"),
    ],
    PAGES: [
        IndexModel([("batch_id", ASCENDING), ("seq", ASCENDING)], name="batch_seq", unique=True),
        IndexModel([("content_sha256", ASCENDING), ("status", ASCENDING)], name="by_content"),
        IndexModel([("case_number", ASCENDING)], name="by_case"),
    ],
    UPLOADS: [IndexModel([("created_at", ASCENDING)], name="created_at")],
    JOB_REFUSALS: [IndexModel([("station_id", ASCENDING), ("refused_at", DESCENDING)], name="by_station")],
}
