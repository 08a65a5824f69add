"""A page's result recorded on in-memory repositories: the page ends once, the batch counts it, the events follow,
and the batch completes with its last page (service layer, no servers)."""

from __future__ import annotations

import io

import pytest
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.service_layer.intake import BatchIntake, BatchSpec, FileIn
from juanzong_scan_ocr.service_layer.pages import Done, end_page
from juanzong_shared.testing import FakeStore
from PIL import Image

from .memory import memory_uow

pytestmark = pytest.mark.unit

CASE = "（2025）吉01民终123号"


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buf, "PNG")
    return buf.getvalue()


async def batch_of_two():
    uow = memory_uow()
    intake = BatchIntake(uow.transact, FakeStore(), ServiceSettings())
    await intake.take_in(BatchSpec("b-1", CASE, "ST-1", None, "吉01", "rest"), [FileIn("a.png", png()),
                                                                                 FileIn("b.png", png())])
    commands = uow.payloads("scan-ocr.page.process")
    uow.committed.clear()
    return uow, commands


def done(page_id: str, *, rescan: bool = False) -> Done:
    fields = {"bucket": "juanzong-pages", "ocr_key": B.ocr_key(page_id), "pdf_key": B.pdf_key(page_id),
              "image_key": B.image_key(page_id), "content_sha256": "ab" * 32, "born_digital": False,
              "width": 40, "height": 30, "dpi": 150 if rescan else 300,
              "qc": {"effective_dpi": 150 if rescan else 300, "clarity": 0.9, "reasons": []},
              "clean": {"rotation": 0}, "ocr": {"engine": "ppocr", "text_chars": 12, "mean_confidence": 0.97}}
    return Done(fields, rescan, ["分辨率不足"] if rescan else [], ["dpi_below_floor"] if rescan else [],
                page_id=page_id)


async def test_each_page_ends_once_and_the_last_completes_the_batch():
    uow, (first, second) = await batch_of_two()
    assert await uow.transact(lambda u: end_page(u, first, done(first.page_id, rescan=True)))
    assert not await uow.transact(lambda u: end_page(u, first, done(first.page_id)))  # redone: counted once
    assert uow.published_types() == ["scan.page.processed", "scan.page.rescan_required"]
    processed = uow.payloads("scan.page.processed")[0]
    assert (processed.page_id, processed.needs_rescan, processed.case_number) == (first.page_id, True, CASE)
    assert uow.payloads("scan.page.rescan_required")[0].codes == ["dpi_below_floor"]

    failure = B.Failure("processing_error", "该页图像无法处理，请重新扫描。", "boom")
    assert await uow.transact(lambda u: end_page(u, second, failure))
    assert uow.published_types()[2:] == ["scan.page.failed", "scan.batch.completed"]
    completed = uow.payloads("scan.batch.completed")[0]
    assert (completed.pages_total, completed.pages_done, completed.pages_failed, completed.pages_rescan) == (2, 1, 1, 1)
    batch = uow.repos.batches.docs["b-1"]
    assert batch["completed"] and batch["status"] == B.BatchStatus.COMPLETED.value
    assert uow.repos.pages.docs[second.page_id]["failure"]["code"] == "processing_error"
    assert all(e.case_number == CASE and e.court == "吉01" for e in uow.committed)
