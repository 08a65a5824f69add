"""The one shape every list answer has, in every service.

    GET /v1/cases?limit=50&offset=0  →  {"items": [...], "total": 132, "limit": 50, "offset": 0, "next_offset": 50}

``total`` is the number of items the caller may see over all pages (None where counting would cost a scan the
answer does not need); ``next_offset`` is None on the last page. Items never carry a database ``_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

T = TypeVar("T")

MAX_LIMIT = 500
DEFAULT_LIMIT = 50

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Limit", "Offset", "Page"]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (at most 500).", examples=[50])]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip: the previous page's next_offset.",
                              examples=[0])]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int | None = Field(None, description="Items over all pages the caller may see", examples=[132])
    limit: int = Field(..., examples=[50])
    offset: int = Field(0, examples=[0])
    next_offset: int | None = Field(None, description="Offset of the next page; null on the last", examples=[50])

    @classmethod
    def of(cls, items: Sequence[T], *, limit: int, offset: int = 0, total: int | None = None) -> Page[T]:
        """A page from the items fetched with ``limit + 1`` (the extra one tells that another page follows) or
        with ``total`` known."""
        more = len(items) > limit if total is None else offset + min(len(items), limit) < total
        return cls(items=list(items[:limit]), total=total, limit=limit, offset=offset,
                   next_offset=offset + limit if more else None)
