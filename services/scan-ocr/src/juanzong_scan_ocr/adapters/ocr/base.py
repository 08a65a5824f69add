"""The typed contract every OCR engine fulfils: ``OcrEngine.recognize(image) -> OcrPage``."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Annotated

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Point = tuple[float, float]


def _four_points(points: tuple[Point, ...]) -> tuple[Point, ...]:
    if len(points) != 4:
        raise ValueError(f"a line polygon has 4 points, got {len(points)}")
    return points


Polygon = Annotated[tuple[Point, ...], AfterValidator(_four_points)]


class OcrLine(BaseModel):
    """One recognised text line (识别行).

    ``polygon``: 4 [x, y] points in the pixel space of the image given to the engine, clockwise
    from top-left (top-left, top-right, bottom-right, bottom-left; y grows downwards).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    polygon: Polygon
    confidence: float = Field(ge=0.0, le=1.0)


class OcrPage(BaseModel):
    """OCR result of one page image: text in reading order, its lines, and which engine made it."""

    model_config = ConfigDict(frozen=True)

    text: str
    lines: tuple[OcrLine, ...]
    engine: str
    model_version: str
    width: int
    height: int
    timings: dict[str, float] = Field(default_factory=dict)
    """Seconds per stage (e.g. ``det``, ``rec``), for worker metrics."""

    @property
    def mean_confidence(self) -> float:
        if not self.lines:
            return 0.0
        return sum(ln.confidence for ln in self.lines) / len(self.lines)


class OcrEngine(abc.ABC):
    """An OCR engine behind the service's seam. Engines load their models lazily, once, on first use."""

    name: str

    @property
    @abc.abstractmethod
    def version(self) -> str:
        """Engine and model version recorded in every ``OcrPage``."""

    @abc.abstractmethod
    def recognize(self, image: np.ndarray, *, lines: Sequence[np.ndarray] | None = None,
                  transform: np.ndarray | None = None) -> OcrPage:
        """Recognise a page: ``image`` is uint8 gray or BGR (OpenCV order).

        ``lines``: text-line quads (4x2, in ``image`` pixels) already found on this very image by
        the clean-up's orientation check with this engine's own detector; an engine that detects
        lines the same way reads them instead of detecting again, other engines ignore them.
        ``transform``: a 2x3 affine map (the deskew) from ``image`` to the page the result is about
        (same size); polygons, width and height are given on that page. An engine may read the
        lines through the map without warping ``image`` (PP-OCR) or warp it first (Tesseract).
        """


class OcrEngineError(RuntimeError):
    """The engine could not run (missing binary or model); the page fails with this reason."""


def as_bgr(image: np.ndarray) -> np.ndarray:
    """uint8 BGR view of a gray/BGR/BGRA page."""
    if image.dtype != np.uint8:
        raise ValueError("expected uint8 pixels")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    raise ValueError(f"expected a gray or BGR image, got shape {image.shape}")


def join_row(texts: list[str]) -> str:
    """Join pieces of one printed row: nothing between CJK pieces, a space otherwise."""
    out = ""
    for t in texts:
        if out and not (_is_cjk(out[-1]) and _is_cjk(t[:1])):
            out += " "
        out += t
    return out


def _is_cjk(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch)
    return 0x3000 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF
