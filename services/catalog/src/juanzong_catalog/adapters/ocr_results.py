"""Reading scan-ocr's page OCR document (``pages/{page_id}/ocr.json``, the shared ``page-ocr.v1`` contract).

A document that does not match the contract is refused with the reason (the handler dead-letters the
event); nothing is guessed.
"""

from __future__ import annotations

from typing import Any

from juanzong_shared.contracts import PageOcrDocument
from pydantic import ValidationError

__all__ = ["OcrDocumentRefused", "page_fields", "read_page_ocr"]


class OcrDocumentRefused(ValueError):
    """The object is not a page OCR document of this page."""


def _reason(error: ValidationError) -> str:
    problems = error.errors(include_url=False, include_input=False)
    shown = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(document)'}: {e['msg']}" for e in problems[:3])
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    return f"not a page-ocr.v1 document: {shown}{more}"


def read_page_ocr(data: bytes | str, page_id: str) -> PageOcrDocument:
    """The page's OCR document, validated against the contract and checked to be about ``page_id``."""
    try:
        document = PageOcrDocument.model_validate_json(data)
    except ValidationError as error:
        raise OcrDocumentRefused(_reason(error)) from None
    if document.page_id != page_id:
        raise OcrDocumentRefused(f"the document is about page {document.page_id}, not {page_id}")
    return document


def page_fields(document: PageOcrDocument) -> dict[str, Any]:
    """What a catalogued page keeps of its OCR document (stored as is in Mongo)."""
    # A line with no text has nothing to index or to show.
    lines = [{"text": ln.text, "polygon": [list(p) for p in ln.polygon], "confidence": ln.confidence}
             for ln in document.lines if ln.text.strip()]
    return {"text": document.text, "lines": lines, "width": document.width, "height": document.height,
            "engine": document.engine, "model_version": document.model_version,
            "blank": document.qc.blank or not document.text.strip(), "qc": document.qc.model_dump(mode="json")}
