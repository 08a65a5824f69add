"""Commands to and events from scan-ocr (station jobs, pages, batches)."""

from __future__ import annotations

from pydantic import Field

from juanzong_shared.events.envelope import EventSpec, Payload

PRODUCER = "scan-ocr"
_REPLACES = ("This page is a re-scan of that page (flagged for re-scan, 法〔2016〕264号 二(五)); "
             "it takes the old page's place in the dossier.")


class JobPage(Payload):
    seq: int = Field(..., ge=1, description="Page order within the job (1-based).")
    object_key: str = Field(..., description="Key of the uploaded file in the station bucket.")
    name: str | None = None
    replaces_page_id: str | None = Field(None, description=_REPLACES)


class ProcessScanJob(Payload):
    """A scanning station's command: its files are already in object storage under its prefix."""

    job_id: str
    scan_task_id: str
    case_number: str
    station_id: str
    operator: str
    bucket: str
    pages: list[JobPage] = Field(..., min_length=1)


class ProcessPage(Payload):
    """Internal work item of scan-ocr: one page of a batch for an OCR worker (queue ``<ns>.scan-ocr.pages``)."""

    batch_id: str
    page_id: str
    seq: int = Field(..., ge=1)
    bucket: str = Field(..., description="Bucket of the original file (juanzong-pages or juanzong-stations).")
    object_key: str = Field(..., description="Key of the original file, stored untouched.")
    page_index: int = Field(0, ge=0, description="Page inside a multi-page TIFF or PDF (0-based).")
    file_name: str | None = None
    case_number: str
    scan_task_id: str | None = None
    court: str | None = None
    replaces_page_id: str | None = None


class PageProcessed(Payload):
    batch_id: str
    page_id: str
    seq: int
    content_sha256: str
    engine: str
    text_chars: int
    mean_confidence: float | None = None
    needs_rescan: bool = False
    born_digital: bool = False
    bucket: str = Field(..., description="Bucket holding ocr_key and pdf_key (readable by consumers of this event).")
    ocr_key: str
    pdf_key: str
    scan_task_id: str | None = None
    case_number: str
    image_key: str | None = Field(None, description="Upright, deskewed page image (JPEG) in ``bucket``.")
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    rotation: int | None = Field(None, description="Clockwise turn the scan had (0/90/180/270), undone.")
    reused_from: str | None = Field(None, description="Page whose result was reused (same content hash).")
    replaces_page_id: str | None = Field(None, description=_REPLACES)


class PageFailed(Payload):
    batch_id: str
    page_id: str
    seq: int
    code: str
    reason: str
    reason_en: str | None = None
    file_name: str | None = None
    page_index: int | None = None
    case_number: str | None = None
    scan_task_id: str | None = None


class RescanRequired(Payload):
    batch_id: str
    page_id: str
    seq: int
    reasons: list[str]
    rule: str = "法〔2016〕264号 二(五)"
    codes: list[str] = Field(default_factory=list, description="Stable codes, e.g. dpi_below_floor, blurred.")
    effective_dpi: int | None = None
    clarity: float | None = None
    case_number: str | None = None
    scan_task_id: str | None = None


class BatchCompleted(Payload):
    batch_id: str
    scan_task_id: str | None = None
    case_number: str
    pages_total: int
    pages_done: int
    pages_failed: int
    pages_rescan: int = 0
    pages_replacing: int = Field(0, ge=0, description="Pages of the batch that are re-scans replacing earlier pages.")
    station_id: str | None = None
    job_id: str | None = None


SPECS = [
    EventSpec("scan-ocr.job.process", 1, ProcessScanJob, "scanning-station",
              "Command from a scanning station (扫描工位): process the pages it uploaded.", kind="command"),
    EventSpec("scan-ocr.page.process", 1, ProcessPage, PRODUCER,
              "Internal command: one page of a batch for an OCR worker (fan-out of a batch).", kind="command"),
    EventSpec("scan.page.processed", 1, PageProcessed, PRODUCER, "A page was QC'd, cleaned, OCR'd and made searchable."),
    EventSpec("scan.page.failed", 1, PageFailed, PRODUCER, "A page could not be processed; the batch goes on."),
    EventSpec("scan.page.rescan_required", 1, RescanRequired, PRODUCER,
              "A page fell below the clarity or dpi threshold (法〔2016〕264号 二(五))."),
    EventSpec("scan.batch.completed", 1, BatchCompleted, PRODUCER, "Every page of a batch is done or failed."),
]
