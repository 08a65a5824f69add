"""网上阅卷 (法〔2016〕264号 三(二)): a page's files, the reader's own marks and notes, the record of a read.

Marks are private: every query and deletion is scoped to their author. A recorded read emits
``catalog.dossier.read`` (吉高法〔2020〕11号 第九条: 全程留痕).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from juanzong_shared.errors import NotFound
from juanzong_shared.events.catalog import DossierRead
from juanzong_shared.storage import UnsafeObjectName
from minio.error import S3Error

from juanzong_catalog.adapters.repository import Repository, now

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".tif": "image/tiff", ".tiff": "image/tiff"}


def _missing(what: str, key: str) -> NotFound:
    return NotFound("", f"{what} {key} 不存在 (not found)")


class Reading:
    """``transact`` runs a unit of work (retried on a conflict); ``repos`` reads outside one; ``store`` holds
    the pages' files."""

    def __init__(self, transact: Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]], repos: Repository,
                 store: Any) -> None:
        self.transact = transact
        self.repos = repos
        self.store = store

    async def _file(self, page: dict[str, Any], key: str | None, what: str) -> bytes:
        if not key:
            raise _missing(what, page["_id"])
        try:
            return await self.store.get_bytes(page["bucket"], key)
        except (S3Error, FileNotFoundError, UnsafeObjectName):
            raise _missing(what, page["_id"]) from None

    async def pdf(self, page: dict[str, Any]) -> bytes:
        """The page's searchable PDF."""
        return await self._file(page, page.get("pdf_key"), "page pdf")

    async def image(self, page: dict[str, Any]) -> tuple[bytes, str]:
        """The page's (cleaned) image, as scan-ocr named it (``image_key``), and its media type."""
        key = page.get("image_key")
        data = await self._file(page, key, "page image")
        return data, IMAGE_TYPES.get("." + key.rsplit(".", 1)[-1].lower(), "application/octet-stream")

    async def marks(self, case_number: str, user: str, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        """``user``'s own marks in the dossier, oldest first."""
        return [_mark_out(m) for m in await self.repos.marks_of(case_number, user, limit=limit, offset=offset)]

    async def add_mark(self, case_number: str, user: str, mark: dict[str, Any]) -> dict[str, Any]:
        record = {"_id": uuid.uuid4().hex, "case_number": case_number, "user": user, **mark, "created_at": now()}
        await self.transact(lambda uow: uow.repos.insert_mark(record))
        return _mark_out(record)

    async def delete_mark(self, case_number: str, user: str, mark_id: str) -> None:
        if not await self.transact(lambda uow: uow.repos.delete_mark(mark_id, case_number, user)):
            raise _missing("mark", mark_id)

    async def record_read(self, case_number: str, *, reader: str, reader_name: str | None, court: str | None,
                          pages: int) -> dict[str, Any]:
        """Record that ``reader`` opened the dossier online; emits catalog.dossier.read."""
        async def work(uow: Any) -> None:
            await uow.repos.insert_read({"_id": uuid.uuid4().hex, "case_number": case_number, "reader": reader,
                                         "at": now()})
            uow.emit(DossierRead(case_number=case_number, reader=reader, reader_name=reader_name, pages=pages,
                                 at=now()), court=court, case_number=case_number)
        await self.transact(work)
        return {"case_number": case_number, "reader": reader, "recorded": True}


def _mark_out(m: dict[str, Any]) -> dict[str, Any]:
    return {"mark_id": m["_id"], "case_number": m["case_number"], "page_id": m["page_id"], "kind": m["kind"],
            "text": m.get("text", ""), "polygon": m.get("polygon"), "color": m.get("color"),
            "created_at": m["created_at"].isoformat()}
