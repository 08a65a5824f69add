"""Reading scan-ocr's per-page OCR JSON (``pages/{page_id}/ocr.json``) tolerantly.

The shape is scan-ocr's ``OcrPage``: ``{text, lines: [{text, polygon, confidence}], engine,
model_version, width, height, ...}``. Extra keys are kept out; missing ones get defaults; a line
whose polygon is not four points is given its bounding rectangle (or dropped when it has none).
QC verdicts may appear as ``blank`` or ``qc.blank``; an image of the cleaned page may be named by
``image_key`` (or ``processed_key``).
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["OcrResult", "parse_ocr_json"]

_IMAGE_KEYS = ("image_key", "processed_key", "processed_image_key", "clean_key")


class OcrResult(dict):
    """A plain mapping (stored as is in Mongo): text, lines, width, height, engine, blank, image_key."""


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _polygon(raw: Any) -> list[list[float]] | None:
    if isinstance(raw, dict):  # {x, y, w, h} boxes
        x, y = _num(raw.get("x")), _num(raw.get("y"))
        w, h = _num(raw.get("w", raw.get("width"))), _num(raw.get("h", raw.get("height")))
        return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]
    if not isinstance(raw, (list, tuple)) or not raw:
        return None
    if len(raw) == 4 and all(isinstance(v, (int, float)) for v in raw):  # [x0, y0, x1, y1]
        x0, y0, x1, y1 = (float(v) for v in raw)
        return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]
    points = [(_num(p[0]), _num(p[1])) for p in raw if isinstance(p, (list, tuple)) and len(p) >= 2]
    if len(points) == 4:
        return [[x, y] for x, y in points]
    if len(points) >= 2:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]
    return None


def parse_ocr_json(data: bytes | str | dict[str, Any]) -> OcrResult:
    """The fields cataloguing needs from one page's OCR JSON."""
    doc = json.loads(data) if isinstance(data, (bytes, str)) else dict(data)
    if not isinstance(doc, dict):
        raise ValueError("OCR JSON is not an object")  # noqa: TRY004 - bad data, not a programming error
    lines: list[dict[str, Any]] = []
    for raw in doc.get("lines") or []:
        if not isinstance(raw, dict):
            continue
        text = str(raw.get("text") or "")
        polygon = _polygon(raw.get("polygon", raw.get("box", raw.get("bbox"))))
        if not text.strip() or polygon is None:
            continue
        confidence = min(1.0, max(0.0, _num(raw.get("confidence", 1.0), 1.0)))
        lines.append({"text": text, "polygon": polygon, "confidence": confidence})
    text = doc.get("text")
    if not isinstance(text, str) or not text.strip():
        text = "\n".join(ln["text"] for ln in lines)
    qc = doc.get("qc") if isinstance(doc.get("qc"), dict) else {}
    blank = bool(doc.get("blank", qc.get("blank", False))) or not text.strip()
    image_key = next((doc[k] for k in _IMAGE_KEYS if isinstance(doc.get(k), str) and doc[k]), None)
    return OcrResult(text=text, lines=lines, width=int(_num(doc.get("width"))), height=int(_num(doc.get("height"))),
                     engine=str(doc.get("engine") or ""), model_version=str(doc.get("model_version") or ""),
                     blank=blank, image_key=image_key, qc=qc or None)
