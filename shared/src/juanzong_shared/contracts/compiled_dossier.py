"""The compiled dossier: ``GET {catalog}/v1/dossiers/{案号}/compiled``, answered by catalog, read by archive.

Everything the archive needs to build the e-archive (吉高法〔2020〕11号 第三条(六)(八)): the case as catalog
knows it, volumes (正卷/副卷) in order, each with its page slots — electronic page number, where the page's
PDF is and how it was made (QC/OCR provenance) — its documents and its 卷内目录 rows. What the caller's decision
withholds (副卷, 依法不公开, 法〔2016〕264号 三(六)) is not in the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from juanzong_shared.contracts.page_ocr import PageQc

__all__ = ["CataloguingRate", "CompiledCase", "CompiledCatalogueRow", "CompiledCorrection", "CompiledDocument",
           "CompiledDossier", "CompiledPage", "CompiledParty", "CompiledVolume"]

VolumeName = Literal["main", "secondary"]


class _Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompiledPage(_Contract):
    """One page slot of a volume: a content page (``role`` null) or an unnumbered part (cover, 卷内目录, 备考表,
    卷底), ``generated`` when the system produces it because none was scanned (then ``page_id`` is null and
    every provenance field is null)."""

    role: str | None = Field(..., description="Category id of an unnumbered part, null for a content page.",
                             examples=["cover"])
    page_id: str | None = Field(..., examples=["b1-p0001"])
    document_id: str | None = Field(None, examples=["b1-d001"])
    page_number: int | None = Field(..., description="Electronic page number (卷内页号), null if unnumbered.",
                                    examples=[1])
    generated: bool = False
    bucket: str | None = Field(None, examples=["juanzong-pages"])
    pdf_key: str | None = Field(None, examples=["pages/b1-p0001/page.pdf"])
    ocr_key: str | None = Field(None, examples=["pages/b1-p0001/ocr.json"])
    image_key: str | None = Field(None, examples=["pages/b1-p0001/page.jpg"])
    batch_id: str | None = None
    seq: int | None = Field(None, description="The page's place in its batch.")
    scan_task_id: str | None = None
    engine: str | None = Field(None, description="OCR engine (page-ocr.v1 ``engine``).", examples=["ppocr"])
    model_version: str | None = Field(None, description="OCR engine and model version.")
    mean_confidence: float | None = Field(None, ge=0.0, le=1.0)
    needs_rescan: bool | None = None
    born_digital: bool | None = None
    content_sha256: str | None = None
    qc: PageQc | None = Field(None, description="The page's image QC as scan-ocr recorded it (page-ocr.v1 ``qc``).")
    width: int | None = None
    height: int | None = None
    text_chars: int | None = Field(None, description="Characters of OCR text on the page.")
    replaces_page_id: str | None = Field(None, description="The page this re-scan replaced.")
    recognised_at: AwareDatetime | None = Field(None, description="When catalog stored the page's OCR result.")


class CompiledParty(_Contract):
    role: Literal["plaintiff", "defendant", "appellant", "appellee", "third_party"]
    name: str


class CompiledDocument(_Contract):
    """One catalogued document of the volume (documents waiting for review are only in ``review_queue``)."""

    document_id: str = Field(..., examples=["b1-d001"])
    category: str = Field(..., examples=["appeal_petition"])
    category_zh: str = Field(..., examples=["上诉状"])
    title: str = Field(..., examples=["民事上诉状"])
    issuing_party: str | None = Field(None, description="责任者.", examples=["张三"])
    date: dt.date | None = Field(None, description="The date the document bears.")
    numbered: bool = Field(..., description="Its pages get electronic page numbers (not an unnumbered part).")
    catalogue_sequence: int | None = Field(None, description="序号 of its 卷内目录 row.")
    first_page: int | None = None
    last_page: int | None = None
    page_ids: tuple[str, ...]
    confidence: float
    basis: str = Field(..., description="How it was classified (a rule, the model, or ``manual``).")
    disclosable: bool = Field(True, description="False: 依法不公开 (法〔2016〕264号 三(六)).")
    parties: tuple[CompiledParty, ...] = ()


class CompiledCatalogueRow(_Contract):
    """One line of the 卷内目录: 序号, 题名, 责任者, 日期, 页号."""

    volume: VolumeName
    volume_zh: str = Field(..., examples=["正卷"])
    sequence: int
    document_id: str
    title: str
    issuer: str | None = None
    date: dt.date | None = None
    first_page: int
    last_page: int
    page_range: str = Field(..., examples=["1-3"])
    category: str
    category_zh: str


class CompiledVolume(_Contract):
    volume: VolumeName
    name_zh: str = Field(..., examples=["正卷"])
    numbered_pages: int
    pages: tuple[CompiledPage, ...]
    documents: tuple[CompiledDocument, ...]
    catalogue: tuple[CompiledCatalogueRow, ...]


class CompiledCase(_Contract):
    """The case as intake registered it (what catalog was told; fields it was not told are null)."""

    court: str | None = Field(None, examples=["J01"])
    case_type: str | None = None
    category: str | None = None
    cause: str | None = None
    department: str | None = None
    registered_at: AwareDatetime | None = None


class CataloguingRate(_Contract):
    total_pages: int = Field(..., examples=[120])
    automatic_pages: int = Field(..., examples=[114])
    rate: float = Field(..., examples=[0.95], description="智能编目率 (吉高院通报29期)")
    rule: str = "吉高院通报29期 智能编目率"


class CompiledCorrection(_Contract):
    """A person's correction of the automatic cataloguing (全程留痕)."""

    correction_id: str
    kind: Literal["move", "split", "merge", "reclassify", "reorder", "rename", "edit", "disclosure"]
    actor: str
    at: AwareDatetime
    document_ids: tuple[str, ...]
    page_ids: tuple[str, ...] = ()
    before: str = ""
    after: str = ""


def _document_schema(schema: dict[str, Any]) -> None:
    schema["required"] = sorted({*schema.get("required", []), "version"})
    schema.update({"x-producer": "catalog", "x-consumers": ["archive"],
                   "x-endpoint": "GET /v1/dossiers/{case_number}/compiled"})


class CompiledDossier(_Contract):
    """The compiled e-dossier of one case, as the caller may see it."""

    model_config = ConfigDict(json_schema_extra=_document_schema)

    version: Literal[1] = Field(1, description="Version of this document's shape.")
    case_number: str = Field(..., description="案号.", examples=["（2025）吉01民终123号"])
    case_kind: str = Field(..., examples=["civil_second_instance"])
    case: CompiledCase = Field(default_factory=CompiledCase)
    volumes: tuple[CompiledVolume, ...]
    review_queue: tuple[str, ...] = Field((), description="Documents (ids) still waiting for review.")
    complete: bool = Field(..., description="No document waits for review.")
    cataloguing_rate: CataloguingRate
    corrections: tuple[CompiledCorrection, ...] = ()
    blank_page_ids: tuple[str, ...] = Field((), description="Blank pages left out of the dossier.")
