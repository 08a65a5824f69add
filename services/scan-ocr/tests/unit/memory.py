"""In-memory twins of scan-ocr's repositories (``adapters/repository.py``), for service-layer unit tests."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from juanzong_scan_ocr.adapters.repository import Repositories
from juanzong_shared.testing import FakeUnitOfWork

Doc = dict[str, Any]


class _Memory:
    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}

    async def get(self, key: str) -> Doc | None:
        doc = self.docs.get(key)
        return copy.deepcopy(doc) if doc is not None else None

    async def exists(self, key: str) -> bool:
        return key in self.docs

    async def add(self, doc: Doc) -> None:
        assert doc["_id"] not in self.docs, f"duplicate key {doc['_id']}"
        self.docs[doc["_id"]] = copy.deepcopy(doc)


class Batches(_Memory):
    async def count_end(self, batch_id: str, inc: dict[str, int], now: datetime) -> Doc | None:
        doc = self.docs.get(batch_id)
        if doc is None:
            return None
        for key, n in inc.items():
            doc[key] = doc.get(key, 0) + n
        doc["updated_at"] = now
        return copy.deepcopy(doc)

    async def complete(self, batch_id: str, changes: Doc) -> None:
        doc = self.docs.get(batch_id)
        if doc is not None and doc.get("completed") is False:
            doc.update(changes)


class Pages(_Memory):
    async def add_many(self, pages: list[Doc]) -> None:
        for page in pages:
            await self.add(page)

    async def set_unless_ended(self, page_id, changes, ended, *, inc=None) -> bool:
        doc = self.docs.get(page_id)
        if doc is None or doc.get("status") in set(ended):
            return False
        doc.update(copy.deepcopy(changes))
        for key, n in (inc or {}).items():
            doc[key] = doc.get(key, 0) + n
        return True

    async def note_error(self, page_id: str, error: str) -> None:
        if page_id in self.docs:
            self.docs[page_id]["last_error"] = error

    async def of_batch(self, batch_id: str) -> list[Doc]:
        return sorted((copy.deepcopy(d) for d in self.docs.values() if d["batch_id"] == batch_id),
                      key=lambda d: d["seq"])

    async def failed_of_batch(self, batch_id: str) -> list[Doc]:
        return [d for d in await self.of_batch(batch_id) if d.get("failure") is not None]

    async def done_with_content(self, sha, status, *, other_than, engines) -> Doc | None:
        for d in self.docs.values():
            if (d.get("content_sha256") == sha and d.get("status") == status and d["_id"] != other_than
                    and d.get("reused_from") is None and (d.get("ocr") or {}).get("engine") in engines):
                return copy.deepcopy(d)
        return None


class Uploads(_Memory):
    async def append_chunk(self, upload_id, offset, size, key) -> Doc | None:
        doc = self.docs.get(upload_id)
        if doc is None or doc["offset"] != offset or doc["state"] != "receiving":
            return None
        doc["offset"] = offset + size
        doc["parts"].append({"offset": offset, "size": size, "key": key})
        return copy.deepcopy(doc)

    async def claim(self, upload_id: str, batch_id: str) -> bool:
        doc = self.docs.get(upload_id)
        if doc is None or doc["state"] != "receiving":
            return False
        doc.update(state="completing", batch_id=batch_id)
        return True

    async def set(self, upload_id: str, **changes: Any) -> None:
        self.docs[upload_id].update(changes)


class JobRefusals(_Memory):
    async def put(self, doc: Doc) -> None:
        self.docs[doc["_id"]] = copy.deepcopy(doc)


def memory_uow() -> FakeUnitOfWork[Repositories]:
    """A unit of work on fresh in-memory repositories (rolled back on an exception, like the real one)."""
    return FakeUnitOfWork(_Repos())


class _Repos:
    def __init__(self) -> None:
        self.batches, self.pages, self.uploads, self.job_refusals = Batches(), Pages(), Uploads(), JobRefusals()
