"""Request and response models of the scan-ocr REST API (with OpenAPI examples)."""

from __future__ import annotations

from datetime import datetime

from juanzong_shared.problems import TYPE_BASE
from pydantic import BaseModel, ConfigDict, Field, field_validator

from juanzong_scan_ocr.domain.intake import plain_file_name

CASE_EXAMPLE = "（2025）吉01民终123号"


class PageFailure(BaseModel):
    """A page that will not be processed, as an RFC 9457 problem naming the page and the reason."""

    type: str = Field(..., examples=[TYPE_BASE + "page/decompression_bomb"])
    title: str = Field(..., examples=["页面被拒收"])
    status: int = Field(422, examples=[422])
    code: str = Field(..., examples=["decompression_bomb"])
    detail: str = Field(..., examples=["图像尺寸 100000×100000 超出像素上限 90000000，疑似解压炸弹，已拒收。"])
    detail_en: str = Field(..., examples=["declared size 100000x100000 exceeds the pixel limit 90000000"])
    page_id: str = Field(..., examples=["b-3f2a9c0d1e4b5a6c7d8e-p0003"])
    seq: int = Field(..., examples=[3])
    file_name: str | None = Field(None, examples=["scan_0003.png"])
    page_index: int | None = Field(None, description="Page inside a multi-page file (0-based).", examples=[0])


class BatchAccepted(BaseModel):
    batch_id: str = Field(..., examples=["b-3f2a9c0d1e4b5a6c7d8e"])
    status: str = Field(..., examples=["processing"])
    case_number: str = Field(..., examples=[CASE_EXAMPLE])
    scan_task_id: str | None = Field(None, examples=["st-0001"])
    pages_total: int = Field(..., examples=[12])
    pages_queued: int = Field(..., examples=[11])
    pages_failed: int = Field(..., examples=[1])
    failures: list[PageFailure] = Field(default_factory=list)
    links: dict[str, str] = Field(default_factory=dict, examples=[{"self": "/v1/batches/b-3f2a9c0d1e4b5a6c7d8e"}])


class PageState(BaseModel):
    page_id: str
    seq: int
    status: str = Field(..., examples=["done"])
    file_name: str | None = None
    page_index: int = 0
    needs_rescan: bool | None = None
    failure: dict | None = Field(None, examples=[{"code": "corrupt", "reason_zh": "文件已损坏或不完整，无法读取，请重新扫描或上传。",
                                                  "reason_en": "cannot decode PNG: ..."}])


class BatchView(BaseModel):
    batch_id: str
    status: str = Field(..., examples=["completed"])
    completed: bool
    case_number: str = Field(..., examples=[CASE_EXAMPLE])
    scan_task_id: str | None = None
    source: str = Field(..., examples=["station"])
    station_id: str | None = Field(None, examples=["station-01"])
    job_id: str | None = None
    operator: str | None = Field(None, examples=["王书记员"])
    pages_total: int
    pages_done: int
    pages_failed: int
    pages_rescan: int
    created_at: datetime
    completed_at: datetime | None = None
    pages: list[PageState] = Field(default_factory=list)


class PageView(BaseModel):
    """QC numbers and an OCR summary of one page (the text itself is served by catalog)."""

    model_config = ConfigDict(extra="ignore")

    page_id: str
    batch_id: str
    seq: int
    status: str
    case_number: str
    file_name: str | None = None
    page_index: int = 0
    attempts: int = 0
    content_sha256: str | None = None
    born_digital: bool | None = None
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    needs_rescan: bool | None = None
    qc: dict | None = Field(None, examples=[{"effective_dpi": 300, "clarity": 0.92, "blank": False,
                                             "skew_degrees": 1.2, "orientation": 180, "needs_rescan": False}])
    clean: dict | None = Field(None, examples=[{"rotation": 180, "skew_degrees": 1.2, "seal_pixels_removed": 5120}])
    ocr: dict | None = Field(None, examples=[{"engine": "ppocr", "model_version": "PP-OCRv5_mobile det+rec",
                                              "text_chars": 812, "lines": 31, "mean_confidence": 0.97}])
    bucket: str | None = Field(None, examples=["juanzong-pages"])
    ocr_key: str | None = Field(None, examples=["pages/b-3f2a9c0d1e4b5a6c7d8e-p0001/ocr.json"])
    pdf_key: str | None = Field(None, examples=["pages/b-3f2a9c0d1e4b5a6c7d8e-p0001/page.pdf"])
    image_key: str | None = None
    reused_from: str | None = None
    failure: dict | None = None
    timings: dict | None = None


class UploadStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file_name: str = Field(..., min_length=1, max_length=255, examples=["卷宗扫描件.pdf"],
                           description="A plain file name: no folders, no `..`, no control characters.")
    size: int = Field(..., ge=1, description="Total bytes the client will send.", examples=[734003200])
    case_number: str = Field(..., min_length=1, max_length=100, examples=[CASE_EXAMPLE])
    scan_task_id: str | None = Field(None, max_length=100, examples=["st-0001"])
    operator: str | None = Field(None, max_length=100, examples=["王书记员"])
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="Checked at completion when given.")

    @field_validator("file_name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        """Refused (422 naming ``file_name``) rather than trimmed: a client that sends ``../../x.pdf`` is told so."""
        return plain_file_name(value)


class UploadState(BaseModel):
    upload_id: str = Field(..., examples=["up-5b1e0c6f0a2d4c8e9f71"])
    file_name: str
    size: int
    offset: int = Field(..., description="Bytes received so far: the next PUT starts here.", examples=[0])
    state: str = Field(..., examples=["receiving"])
    max_chunk_bytes: int
    batch_id: str | None = None


class StationJobCheck(BaseModel):
    """A station's question before it uploads: may pages of this scan task go into this case?"""

    model_config = ConfigDict(extra="forbid")

    case_number: str = Field(..., min_length=1, max_length=100, examples=[CASE_EXAMPLE])
    scan_task_id: str | None = Field(None, min_length=1, max_length=100, examples=["ST-3f2a9c1d0b7e"])


class StationJobCheckOut(BaseModel):
    allowed: bool = Field(..., examples=[True])
    case_number: str = Field(..., examples=[CASE_EXAMPLE])
    scan_task_id: str | None = None
    reason: str = Field(..., examples=["扫描工位可为本院已立案案件补充电子卷宗页面。"])
    rule: str | None = Field(None, examples=["吉高法〔2020〕11号 第三条(三)"])


class StationJobState(BaseModel):
    """What became of a station's job: accepted (with its batch) or refused (with the reason and the rule)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "job_id": "5b1e0c6f0a2d4c8e", "state": "refused", "batch_id": None, "code": "add_pages_denied",
        "reason": "涉国家秘密案件不在本系统生成和阅览电子卷宗。", "reason_en": "access-control refused add_pages",
        "rule": "吉高法〔2020〕11号 第十条", "files_deleted": 3}]})

    job_id: str
    state: str = Field(..., description="accepted | refused", examples=["accepted"])
    batch_id: str | None = Field(None, examples=["sj-3f2a9c0d1e4b5a6c7d8e"])
    case_number: str | None = None
    scan_task_id: str | None = None
    code: str | None = Field(None, examples=["add_pages_denied"])
    reason: str | None = None
    reason_en: str | None = None
    rule: str | None = None
    files_deleted: int | None = None
    at: datetime | None = None
    links: dict[str, str] = Field(default_factory=dict)
