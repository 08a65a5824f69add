"""Scan batches (扫描批次) and their pages: names, object keys, page states and completion.

A batch is what one scan task hands in at once — a REST upload, a chunked upload or a scanning
station's job. It fans out into pages; each page ends ``done`` or ``failed`` exactly once, and the
batch completes when every page has ended (issue 3, item 6). No I/O here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from juanzong_scan_ocr.domain.formats import MediaKind, PageRejected

_STATION_JOBS = uuid.UUID("6f1d4c52-8a57-4d0e-9a35-3c0f4b1f7e21")


class PageStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


TERMINAL = (PageStatus.DONE.value, PageStatus.FAILED.value)


class BatchStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"


def new_batch_id() -> str:
    return "b-" + uuid.uuid4().hex[:20]


def station_batch_id(station_id: str, job_id: str) -> str:
    """The batch a station job becomes; the station CLI computes the same id to follow it."""
    return "sj-" + uuid.uuid5(_STATION_JOBS, f"{station_id}/{job_id}").hex[:20]


def page_id(batch_id: str, seq: int) -> str:
    return f"{batch_id}-p{seq:04d}"


# Stage outputs have predictable names (catalog reads ocr.json and page.pdf).
def ocr_key(pid: str) -> str:
    return f"pages/{pid}/ocr.json"


def pdf_key(pid: str) -> str:
    return f"pages/{pid}/page.pdf"


def image_key(pid: str) -> str:
    return f"pages/{pid}/page.jpg"


_EXT = {MediaKind.PNG: ".png", MediaKind.JPEG: ".jpg", MediaKind.TIFF: ".tif", MediaKind.PDF: ".pdf"}


def original_key(batch_id: str, file_no: int, kind: MediaKind | None) -> str:
    """Where an uploaded file is kept, untouched (the client's file name is never part of a key)."""
    return f"batches/{batch_id}/originals/{file_no:04d}{_EXT.get(kind, '.bin') if kind else '.bin'}"


def station_prefix(station_id: str) -> str:
    return f"{station_id}/"


_STATION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def valid_station_id(station_id: str) -> bool:
    return bool(_STATION_ID.match(station_id))


@dataclass(frozen=True)
class Failure:
    """Why a page was not processed: a stable code, a reason for court staff, one for integrators."""

    code: str
    reason_zh: str
    reason_en: str

    @classmethod
    def of(cls, rejected: PageRejected) -> Failure:
        return cls(rejected.code.value, rejected.reason_zh, rejected.reason_en)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "reason_zh": self.reason_zh, "reason_en": self.reason_en}


def missing_object(key: str) -> Failure:
    return Failure("missing", "扫描文件不存在，请重新上传。", f"object {key!r} not found")


def outside_prefix(key: str, station_id: str) -> Failure:
    return Failure("unsafe_name", f"对象名称不安全：文件不在本工位目录 {station_id}/ 下。",
                   f"object {key!r} is outside the station prefix {station_id}/")


def too_many_attempts(attempts: int, last_error: str | None) -> Failure:
    return Failure("processing_error", f"该页处理失败 {attempts} 次，已停止重试，请重新扫描或联系技术处。",
                   f"gave up after {attempts} attempts: {last_error or 'worker stopped while processing'}")


@dataclass(frozen=True)
class PlannedPage:
    """One page of a batch as decided at intake: queued for a worker, or failed with a reason."""

    seq: int
    file_no: int
    file_name: str | None
    page_index: int
    bucket: str | None
    object_key: str | None
    failure: Failure | None = None
    replaces_page_id: str | None = None  # a re-scan taking that page's place in the dossier

    @property
    def accepted(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class Counts:
    total: int
    done: int
    failed: int

    @property
    def complete(self) -> bool:
        """Every page ended (done or failed): the batch is complete (scan.batch.completed)."""
        return self.done + self.failed >= self.total


def counts_of(batch: dict) -> Counts:
    return Counts(int(batch["pages_total"]), int(batch.get("pages_done", 0)), int(batch.get("pages_failed", 0)))


def parse_replacements(items: list[str], names: set[str]) -> dict[str, str]:
    """``FILE=PAGE_ID`` entries → {file name: page id}; FILE must be one of the files sent with them.

    Raises ValueError with the reason (English; the callers add their own wording around it).
    """
    out: dict[str, str] = {}
    for item in items:
        name, sep, page_id = item.partition("=")
        if not sep or not name or not page_id:
            raise ValueError(f"{item[:120]!r}: expected FILE=PAGE_ID")
        if name not in names:
            raise ValueError(f"{name[:120]!r} is not among the files uploaded")
        if name in out:
            raise ValueError(f"{name[:120]!r} is named twice")
        out[name] = page_id
    return out
