"""网上阅卷 on an in-memory unit of work: marks are their author's alone; a read is recorded and announced."""

from __future__ import annotations

import pytest
from juanzong_catalog.service_layer.reading import Reading
from juanzong_shared.errors import NotFound
from juanzong_shared.testing import FakeStore

from .memory import BUCKET, memory_uow

pytestmark = [pytest.mark.unit, pytest.mark.asyncio]

CN = "（2025）吉0104民初88号"


def _reading():
    uow, store = memory_uow(), FakeStore()
    return uow, store, Reading(uow.transact, uow.repos, store)


async def test_marks_are_private():
    uow, _, reading = _reading()
    mine = await reading.add_mark(CN, "u-judge", {"page_id": "p1", "kind": "note", "text": "注意", "polygon": None,
                                                  "color": None})
    assert mine["page_id"] == "p1" and "user" not in mine and "_id" not in mine
    assert [m["mark_id"] for m in await reading.marks(CN, "u-judge", limit=10)] == [mine["mark_id"]]
    assert await reading.marks(CN, "u-lawyer", limit=10) == []
    with pytest.raises(NotFound):
        await reading.delete_mark(CN, "u-lawyer", mine["mark_id"])  # another reader's mark: not there for them
    await reading.delete_mark(CN, "u-judge", mine["mark_id"])
    assert await reading.marks(CN, "u-judge", limit=10) == [] and uow.published_types() == []


async def test_a_read_is_recorded_and_announced():
    uow, _, reading = _reading()
    assert (await reading.record_read(CN, reader="u-lawyer", reader_name="王律师", court="吉01", pages=12))["recorded"]
    assert [r["reader"] for r in uow.repos.reads] == ["u-lawyer"]
    (event,) = uow.payloads("catalog.dossier.read")
    assert (event.reader, event.reader_name, event.pages) == ("u-lawyer", "王律师", 12)
    assert uow.committed[0].case_number == CN and uow.committed[0].court == "吉01"


async def test_page_files_come_from_the_store_or_are_not_found():
    _, store, reading = _reading()
    page = {"_id": "p1", "bucket": BUCKET, "pdf_key": "pages/p1/page.pdf"}
    with pytest.raises(NotFound):
        await reading.pdf(page)
    await store.put_bytes(BUCKET, "pages/p1/page.pdf", b"%PDF-1.4")
    await store.put_bytes(BUCKET, "pages/p1/processed.png", b"png", "image/png")
    assert await reading.pdf(page) == b"%PDF-1.4"
    with pytest.raises(NotFound):
        await reading.image(page)  # no image_key: no image (nothing is guessed)
    assert await reading.image({**page, "image_key": "pages/p1/processed.png"}) == (b"png", "image/png")
    assert await reading.image({**page, "image_key": "pages/p1/page.pdf"}) == (b"%PDF-1.4",
                                                                               "application/octet-stream")
