"""What scan-ocr delivers for each page: the input contract of cataloguing.

One :class:`PageText` per scanned (or born-digital) page, in batch order (``seq``), with the OCR
lines and their boxes. Boxes are four ``[x, y]`` points in page pixels, clockwise from top-left,
as the OCR engines report them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Line", "PageText", "Point", "Polygon"]

Point = tuple[float, float]
Polygon = tuple[Point, Point, Point, Point]


class Line(BaseModel):
    """One OCR text line with its box and the engine's confidence (0..1)."""

    model_config = ConfigDict(frozen=True)

    text: str
    polygon: Polygon
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class PageText(BaseModel):
    """One page of a batch as OCR saw it.

    ``blank`` is the scan-ocr QC verdict (no content); ``born_digital`` marks pages that came from a
    system (e.g. a judgment PDF) rather than a scanner — they are catalogued the same way.
    """

    model_config = ConfigDict(frozen=True)

    page_id: str = Field(min_length=1)
    seq: int = Field(ge=0)
    text: str = ""
    lines: tuple[Line, ...] = ()
    blank: bool = False
    born_digital: bool = False

    @field_validator("lines", mode="before")
    @classmethod
    def _tuple_lines(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    @property
    def line_texts(self) -> list[str]:
        """The text of each line; falls back to splitting ``text`` when no lines were given."""
        if self.lines:
            return [line.text for line in self.lines]
        return [t for t in self.text.splitlines()]
