"""Request and response models of catalog's REST API (with OpenAPI examples)."""

from __future__ import annotations

from typing import Any, Literal

from juanzong_shared.contracts.compiled_dossier import CataloguingRate, CompiledCatalogueRow
from pydantic import BaseModel, ConfigDict, Field

CN = "（2025）吉01民终123号"


class _Open(BaseModel):
    """A view whose nested parts are documented by example (they mirror the domain's structure)."""

    model_config = ConfigDict(extra="allow")


class DossierOut(_Open):
    case_number: str = Field(..., examples=[CN])
    case_kind: str = Field(..., examples=["civil_second_instance"])
    case_kind_zh: str = Field(..., examples=["民事二审"])
    volumes: list[dict[str, Any]] = Field(..., examples=[[{
        "volume": "main", "name_zh": "正卷", "numbered_pages": 12,
        "unnumbered_parts": [{"role": "cover", "name_zh": "卷宗封面", "generated": True, "page_id": None}],
        "documents": [{"document_id": "b1-d001", "category": "appeal_petition", "category_zh": "上诉状",
                       "title": "民事上诉状", "issuing_party": "张三", "date": "2025-03-12", "first_page": 1,
                       "last_page": 3, "page_count": 3, "confidence": 0.98, "needs_review": False,
                       "pages": [{"page_id": "p-1", "page_number": 1}]}]}]])
    review_queue: list[dict[str, Any]] = Field(default_factory=list)
    cataloguing_rate: CataloguingRate
    corrections: int = 0


class CatalogueOut(BaseModel):
    case_number: str = Field(..., examples=[CN])
    rows: list[CompiledCatalogueRow] = Field(..., description="One line of the 卷内目录 each: 序号, 题名, 责任者, "
                                                            "日期, 页号.")
    review_pending: int = Field(0, description="Documents waiting for review (not in the 目录 yet).")


class CorrectionIn(BaseModel):
    """One correction. Fields needed per operation: move (page_ids, to_document_id, position?),
    split (document_id, at_page_id, category?, title?), merge (document_ids), reclassify (document_id,
    category), reorder (document_id, position), rename (document_id, title), edit (document_id and at
    least one of title, date, issuing_party — the 卷内目录's 题名, 日期, 责任者), disclosure (document_id,
    disclosable: false marks the document 依法不公开, withheld from litigants and their lawyers, 法〔2016〕264号
    三(六); true opens it again)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"operation": "reclassify", "document_id": "b1-d004", "category": "defence"},
        {"operation": "split", "document_id": "b1-d002", "at_page_id": "p-7"},
        {"operation": "rename", "document_id": "b1-d001", "title": "民事上诉状（张三）"},
        {"operation": "edit", "document_id": "b1-d007", "date": "2026-01-08",
         "issuing_party": "吉林省长春市中级人民法院"},
        {"operation": "disclosure", "document_id": "b1-d009", "disclosable": False},
    ]})

    operation: Literal["move", "split", "merge", "reclassify", "reorder", "rename", "edit", "disclosure"]
    document_id: str | None = Field(None, max_length=200)
    document_ids: list[str] | None = Field(None, max_length=500)
    page_ids: list[str] | None = Field(None, max_length=5000)
    to_document_id: str | None = Field(None, max_length=200)
    at_page_id: str | None = Field(None, max_length=200)
    position: int | None = Field(None, ge=0, le=100_000)
    category: str | None = Field(None, max_length=60, description="Category id (e.g. defence) or its Chinese name.")
    title: str | None = Field(None, max_length=200)
    date: str | None = Field(None, max_length=32, examples=["2026-01-08"],
                             description="edit: the date the document bears (日期), ISO yyyy-mm-dd, not after today.")
    issuing_party: str | None = Field(None, max_length=200, examples=["吉林省长春市中级人民法院"],
                                      description="edit: the document's 责任者 (issuing court, party or body).")
    disclosable: bool | None = Field(None, description="disclosure: false = 依法不公开 (法〔2016〕264号 三(六)).")


class CorrectionOut(_Open):
    correction_id: str = Field(..., examples=[f"{CN}-c1"])
    kind: str = Field(..., examples=["reclassify"], description="move | split | merge | reclassify | reorder | "
                                                                "rename | edit | disclosure")
    actor: str = Field(..., examples=["u-clerk-li"])
    at: str = Field(..., examples=["2025-03-12T09:00:00Z"])
    document_ids: list[str]
    page_ids: list[str]
    before: str = ""
    after: str = ""
    cataloguing_rate: dict[str, Any] | None = None


class SearchHitOut(BaseModel):
    case_number: str = Field(..., examples=[CN])
    document_id: str = Field(..., examples=["b1-d001"])
    document_title: str = Field(..., examples=["民事上诉状"])
    page_id: str = Field(..., examples=["p-1"])
    page_number: int | None = Field(None, examples=[1])
    line_no: int = Field(..., examples=[3])
    text: str = Field(..., examples=["上诉人张三因民间借贷纠纷一案"])
    line_polygon: list[list[float]]
    spans: list[list[int]] = Field(..., examples=[[[3, 9]]], description="[start, end) in text")
    highlight_polygons: list[list[list[float]]] = Field(..., description="A box per match, in page pixels.")


class SearchOut(BaseModel):
    query: str = Field(..., examples=["民间借贷"])
    hits: list[SearchHitOut]
    total: int = Field(..., description="Hits returned. Dossiers the caller may not search are neither shown nor "
                                        "counted (issue 20 item 8).")


class PageTextOut(BaseModel):
    page_id: str
    case_number: str
    text: str = Field(..., examples=["民事上诉状\n上诉人：张三"])
    lines: list[dict[str, Any]] = Field(..., examples=[[{"text": "民事上诉状", "confidence": 0.98,
                                                         "polygon": [[300, 320], [900, 320], [900, 386], [300, 386]]}]])
    width: int = Field(..., examples=[2480])
    height: int = Field(..., examples=[3508])
    blank: bool = False


class MarkIn(BaseModel):
    """A personal mark (书签/标记) or note (批注) on a page, visible only to its author."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"page_id": "p-1", "kind": "note", "text": "注意上诉请求第二项", "polygon": [[300, 500], [900, 500],
                                                                             [900, 560], [300, 560]]}]})

    page_id: str = Field(..., min_length=1, max_length=200)
    kind: Literal["mark", "note"] = "mark"
    text: str = Field("", max_length=4000)
    polygon: list[list[float]] | None = Field(None, min_length=4, max_length=4)
    color: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


class MarkOut(BaseModel):
    mark_id: str
    case_number: str
    page_id: str
    kind: str
    text: str
    polygon: list[list[float]] | None = None
    color: str | None = None
    created_at: str


class ReadOut(BaseModel):
    case_number: str
    reader: str
    recorded: bool = True
