"""What an uploaded file holds, decided before any page is decoded (issue 3, item 2).

``inspect_file`` applies every declared limit of :mod:`formats` — name, size, type by content,
page count, pixels per page — and answers how many pages the file has, or why it is refused.
Pixels are decoded later, by the OCR worker that gets the page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from juanzong_scan_ocr.domain.batches import Failure
from juanzong_scan_ocr.domain.formats import (
    MediaKind,
    PageRejected,
    check_upload_size,
    iter_pages,
    safe_object_name,
    sniff,
)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_page_pixels: int
    max_file_pages: int


@dataclass(frozen=True)
class Inspection:
    kind: MediaKind | None
    pages: int
    failure: Failure | None = None
    page_index: int | None = None


def check_name(name: str | None) -> Failure | None:
    """A client's file name is only recorded, never used as a key — but an unsafe one is refused."""
    if name is None:
        return None
    try:
        safe_object_name(name)
    except PageRejected as rejected:
        return Failure.of(rejected)
    return None


def plain_file_name(name: str) -> str:
    """A client's file name as one plain name (no folder, no ``..``, nothing hidden); ValueError saying why."""
    if "/" in name or "\\" in name:
        raise ValueError("文件名不得包含路径（/ 或 \\），只能是文件名本身 (a plain file name, no folders)")
    if name in (".", ".."):
        raise ValueError("文件名不得为 . 或 .. (not a file name)")
    try:
        return safe_object_name(name)
    except PageRejected as rejected:
        raise ValueError(f"{rejected.reason_zh} ({rejected.reason_en})") from None


def kind_of(data: bytes) -> MediaKind | None:
    try:
        return sniff(data)
    except PageRejected:
        return None


def inspect_file(data: bytes, limits: Limits) -> Inspection:
    """Page count of a file, or the refusal (empty, oversize, unsupported, corrupt, bomb, too many pages)."""
    kind = kind_of(data)
    try:
        check_upload_size(len(data), limits.max_file_bytes)
        pages = iter_pages(data, max_pixels=limits.max_page_pixels, max_pages=limits.max_file_pages)
        pages.close()  # the checks ran on the call; nothing is decoded
        return Inspection(kind, _page_count(data, kind))
    except PageRejected as rejected:
        return Inspection(kind, 1, Failure.of(rejected), rejected.page_index)
    except MemoryError:
        return Inspection(kind, 1, Failure("decompression_bomb", "文件解码所需内存过大，已拒收。",
                                           "decoding would exhaust memory"))


def _page_count(data: bytes, kind: MediaKind | None) -> int:
    if kind is MediaKind.PDF:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            return len(pdf)
        finally:
            pdf.close()
    if kind is MediaKind.TIFF:
        with Image.open(io.BytesIO(data), formats=["TIFF"]) as im:
            return int(getattr(im, "n_frames", 1))
    return 1
