"""A batch handed in over HTTP, on in-memory repositories: accepted pages queued, bad ones failed, nothing kept
when no page can be processed (service layer, no servers)."""

from __future__ import annotations

import io

import pytest
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.service_layer.intake import BatchIntake, BatchSpec, FileIn, NoProcessablePage
from juanzong_shared.testing import FakeStore
from PIL import Image

from .memory import memory_uow

pytestmark = pytest.mark.unit

CASE = "（2025）吉01民终123号"


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (40, 30), 255).save(buf, "PNG")
    return buf.getvalue()


def intake():
    uow, store = memory_uow(), FakeStore()
    return uow, store, BatchIntake(uow.transact, store, ServiceSettings())


def spec(batch_id: str = "b-1") -> BatchSpec:
    return BatchSpec(batch_id, CASE, "ST-1", "王书记员", "吉01", "rest", created_by="u-clerk")


async def test_a_batch_is_accepted_its_pages_queued_and_the_bad_file_failed():
    uow, store, service = intake()
    batch, failures = await service.take_in(spec(), [FileIn("p1.png", png()), FileIn("notes.png", b"not a page"),
                                                     FileIn("p3.png", png())])
    assert (batch["pages_total"], batch["pages_failed"], batch["completed"]) == (3, 1, False)
    assert [f["seq"] for f in failures] == [2] and failures[0]["page_id"] == B.page_id("b-1", 2)
    assert uow.published_types() == ["scan-ocr.page.process", "scan.page.failed", "scan-ocr.page.process"]
    commands = uow.payloads("scan-ocr.page.process")
    assert [c.seq for c in commands] == [1, 3] and all(c.case_number == CASE for c in commands)
    assert uow.committed[0].case_number == CASE and uow.committed[0].court == "吉01"
    pages = uow.repos.pages.docs
    assert [pages[B.page_id("b-1", n)]["status"] for n in (1, 2, 3)] == ["queued", "failed", "queued"]
    assert len(store.objects["juanzong-pages"]) == 3  # originals kept untouched, the refused one too


async def test_nothing_processable_keeps_nothing_and_names_every_page():
    uow, store, service = intake()
    with pytest.raises(NoProcessablePage) as refused:
        await service.take_in(spec(), [FileIn("a.png", b"x"), FileIn("b.png", b"%PDF-junk")])
    assert [f["seq"] for f in refused.value.extra["failures"]] == [1, 2]
    assert refused.value.kind == "invalid" and len(refused.value.errors) == 2
    assert not uow.repos.batches.docs and not uow.committed and not store.objects["juanzong-pages"]


async def test_a_replacement_must_be_a_page_of_the_same_case():
    _uow, _, service = intake()
    await service.take_in(spec(), [FileIn("p1.png", png())])
    assert await service.check_replacement(B.page_id("b-1", 1), CASE) is None
    assert (await service.check_replacement(B.page_id("b-1", 1), "（2025）吉01民终9号")).code == "unknown_replaced_page"
    assert (await service.check_replacement("b-x-p0001", CASE)).code == "unknown_replaced_page"
