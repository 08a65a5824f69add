"""An in-memory twin of ``adapters.repository.Repository`` for service-layer unit tests (the same methods, dicts
instead of collections), and page events as scan-ocr sends them."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from juanzong_catalog.adapters.repository import dossier_from, page_text
from juanzong_catalog.domain.dossier import Dossier
from juanzong_catalog.domain.pages import PageText
from juanzong_catalog.domain.search_index import line_entries
from juanzong_shared.bus import Delivery
from juanzong_shared.contracts import OcrLine, PageOcrDocument, PageQc
from juanzong_shared.events import REGISTRY, Payload
from juanzong_shared.testing import FakeStore, FakeUnitOfWork

BUCKET = "juanzong-pages"


class MemoryRepository:
    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        self.lines: list[Any] = []
        self.dossiers: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.progress: dict[str, dict[str, Any]] = {}
        self.cases: dict[str, dict[str, Any]] = {}
        self.corrections: list[dict[str, Any]] = []
        self.reads: list[dict[str, Any]] = []
        self.marks: dict[str, dict[str, Any]] = {}

    async def has_page(self, page_id: str) -> bool:
        return page_id in self.pages

    async def insert_page(self, page: dict[str, Any]) -> bool:
        if page["_id"] in self.pages:
            return False
        self.pages[page["_id"]] = copy.deepcopy(page)
        self.lines.extend(line_entries(page["case_number"], "", page_text(page)))
        return True

    async def get_page(self, page_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.pages.get(page_id))

    async def pages_of_batch(self, batch_id: str) -> list[dict]:
        return sorted((copy.deepcopy(p) for p in self.pages.values() if p["batch_id"] == batch_id),
                      key=lambda p: p["seq"])

    async def count_batch_pages(self, batch_id: str) -> int:
        return sum(1 for p in self.pages.values() if p["batch_id"] == batch_id)

    async def load_dossier(self, case_number: str) -> tuple[Dossier, dict[str, Any]] | None:
        doc = self.dossiers.get(case_number)
        return None if doc is None else (dossier_from(doc), copy.deepcopy(doc))

    async def save_dossier(self, dossier: Dossier, *, extra: Mapping[str, Any] | None = None) -> int:
        version = self.dossiers.get(dossier.case_number, {}).get("version", 0) + 1
        self.dossiers[dossier.case_number] = {**dossier.model_dump(mode="json"), **copy.deepcopy(dict(extra or {})),
                                              "version": version}
        return version

    async def is_catalogued(self, batch_id: str) -> bool:
        return batch_id in self.batches

    async def insert_batch(self, batch: dict[str, Any]) -> None:
        self.batches[batch["_id"]] = batch
        self.progress.setdefault(batch["_id"], {})["catalogued_at"] = batch["catalogued_at"]

    async def page_arrived(self, batch_id: str, case_number: str) -> dict[str, Any]:
        record = self.progress.setdefault(batch_id, {"case_number": case_number, "stored": 0})
        record["stored"] = record.get("stored", 0) + 1
        return copy.deepcopy(record)

    async def completion_arrived(self, batch_id: str, completion: Mapping[str, Any]) -> None:
        self.progress.setdefault(batch_id, {"stored": 0})["completion"] = dict(completion)

    async def get_case(self, case_number: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.cases.get(case_number))

    async def set_case(self, case_number: str, fields: Mapping[str, Any]) -> None:
        self.cases.setdefault(case_number, {}).update(case_number=case_number, **fields)

    async def insert_correction(self, record: dict[str, Any]) -> None:
        self.corrections.append(record)

    async def corrections_of(self, case_number: str) -> list[dict[str, Any]]:
        return [c for c in self.corrections if c["case_number"] == case_number]

    async def insert_read(self, read: dict[str, Any]) -> None:
        self.reads.append(read)

    async def marks_of(self, case_number: str, user: str, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
        return sorted((m for m in self.marks.values() if m["case_number"] == case_number and m["user"] == user),
                      key=lambda m: (m["created_at"], m["_id"]))[offset:offset + limit]

    async def insert_mark(self, mark: dict[str, Any]) -> None:
        self.marks[mark["_id"]] = mark

    async def delete_mark(self, mark_id: str, case_number: str, user: str) -> bool:
        mark = self.marks.get(mark_id)
        if mark is None or (mark["case_number"], mark["user"]) != (case_number, user):
            return False
        del self.marks[mark_id]
        return True


def memory_uow() -> FakeUnitOfWork[MemoryRepository]:
    return FakeUnitOfWork(MemoryRepository())


def delivery(payload: Payload, uow: FakeUnitOfWork, *, court: str = "吉01") -> Delivery:
    """How the bus hands a handler its payload: the envelope and the unit of work."""
    event = REGISTRY.event(payload, court=court, case_number=getattr(payload, "case_number", None))
    return Delivery(event=event, uow=uow)  # type: ignore[arg-type]


async def put_ocr(store: FakeStore, page: PageText) -> str:
    """The page's ``ocr.json`` (page-ocr.v1) in the store, as scan-ocr writes it; returns its key."""
    qc = PageQc(width_px=2480, height_px=3508, effective_dpi=300, dpi_source="declared", clarity=0.9,
                edge_spread_mm=0.1, blurred=False, ink_ratio=0.04, blank=page.blank, skew_degrees=0.0,
                needs_rescan=False, passed=True, dpi=300, checked_at=datetime.now(UTC))
    document = PageOcrDocument(
        page_id=page.page_id, engine="test-engine", model_version="t1", text=page.text, width=2480, height=3508,
        dpi=300, rotation=0, skew_degrees=0.0, born_digital=page.born_digital, qc=qc,
        lines=tuple(OcrLine(text=ln.text, polygon=ln.polygon, confidence=ln.confidence) for ln in page.lines))
    key = f"pages/{page.page_id}/ocr.json"
    await store.put_bytes(BUCKET, key, document.model_dump_json().encode(), "application/json")
    return key
