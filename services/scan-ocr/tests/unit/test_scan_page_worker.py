"""The OCR worker's look-up of an earlier copy of a page, and its side threads (fakes; no I/O)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.service_layer.pages import Done, PageWorker

pytestmark = pytest.mark.unit


class _Pages:
    def __init__(self, recorded: dict | None = None) -> None:
        self.recorded = recorded
        self.lookups = 0

    async def done_with_content(self, sha: str, *args, **kwargs):
        self.lookups += 1
        return self.recorded


def _worker(pages: _Pages) -> PageWorker:
    pipeline = SimpleNamespace(engine=SimpleNamespace(name="ppocr"))
    return PageWorker(SimpleNamespace(pages=pages), None, SimpleNamespace(), pipeline, "w-test")  # type: ignore[arg-type]


def _cmd(page_id: str) -> SimpleNamespace:
    return SimpleNamespace(page_id=page_id)


def _done(page_id: str) -> Done:
    fields = {"bucket": "pages", "ocr_key": f"pages/{page_id}/ocr.json", "pdf_key": f"pages/{page_id}/page.pdf",
              "image_key": f"pages/{page_id}/page.jpg", "content_sha256": "abc", "qc": {"reasons": []}}
    return Done(fields, False, [], [], None, {"ocr": 1.0}, page_id=page_id)


async def test_a_copy_right_behind_its_first_page_waits_for_it_and_reuses_it():
    pages = _Pages()
    worker = _worker(pages)
    prior, first = await worker._prior(_cmd("p1"), "abc")
    assert prior is None and first is not None  # nothing recorded: the first page is computed

    waiting = asyncio.create_task(worker._prior(_cmd("p9"), "abc"))
    await asyncio.sleep(0.01)
    assert not waiting.done()  # the copy waits for the page in hand, not for the database
    worker._settle("abc", first, _done("p1"))
    prior, mine = await waiting
    assert mine is None and prior["_id"] == "p1" and prior["pdf_key"] == "pages/p1/page.pdf"
    assert prior["needs_rescan"] is False
    assert pages.lookups == 1  # the copy did not look in the database at all


async def test_a_copy_whose_first_page_failed_is_computed_itself():
    pages = _Pages()
    worker = _worker(pages)
    _, first = await worker._prior(_cmd("p1"), "abc")
    waiting = asyncio.create_task(worker._prior(_cmd("p2"), "abc"))
    await asyncio.sleep(0.01)
    worker._settle("abc", first, B.Failure("processing_error", "该页图像无法处理，请重新扫描。", "boom"))
    prior, mine = await waiting
    assert prior is None and mine is not None and pages.lookups == 2


async def test_a_copy_after_its_first_page_ended_but_before_its_record_reuses_it():
    # The record is written after the page's processing returns; a copy decoded in between must not
    # miss it (CI once computed such a copy afresh).
    pages = _Pages()  # nothing in the database yet
    worker = _worker(pages)
    _, first = await worker._prior(_cmd("p1"), "abc")
    worker._settle("abc", first, _done("p1"))
    prior, mine = await worker._prior(_cmd("p9"), "abc")
    assert mine is None and prior["_id"] == "p1" and pages.lookups == 1


async def test_only_the_last_few_ended_pages_are_kept_for_their_copies():
    worker = _worker(_Pages())
    for n in range(PageWorker.RECENT + 3):
        _, mine = await worker._prior(_cmd(f"p{n}"), f"sha{n}")
        worker._settle(f"sha{n}", mine, _done(f"p{n}"))
    _, in_hand = await worker._prior(_cmd("q"), "sha-in-hand")
    assert len(worker._in_hand) == PageWorker.RECENT + 1 and "sha-in-hand" in worker._in_hand
    assert "sha0" not in worker._in_hand and f"sha{PageWorker.RECENT + 2}" in worker._in_hand
    worker._settle("sha-in-hand", in_hand, B.Failure("processing_error", "该页图像无法处理，请重新扫描。", "boom"))
    assert "sha-in-hand" not in worker._in_hand  # a failed page is not offered to its copies


async def test_a_page_recorded_earlier_is_reused_from_the_database():
    recorded = {"_id": "p0", "content_sha256": "abc", "status": B.PageStatus.DONE.value}
    worker = _worker(_Pages(recorded))
    prior, mine = await worker._prior(_cmd("p5"), "abc")
    assert prior is recorded and mine is None and worker._in_hand == {}


async def test_of_two_copies_in_hand_the_page_that_came_first_is_computed(monkeypatch):
    # The later copy decodes first (its file is smaller, say); it still waits for the earlier page.
    import time

    from juanzong_scan_ocr.service_layer import pages as module

    def decode(pipeline, data, page_index, limits):
        time.sleep(float(data))
        return SimpleNamespace(born_digital=False), "abc"

    async def get_bytes(bucket, key, max_bytes=None):
        return {"p1": b"0.3", "p9": b"0"}[key]

    async def set_unless_ended(*args, **kwargs):
        return True

    pages = _Pages()
    pages.set_unless_ended = set_unless_ended
    computed: list[str] = []
    worker = _worker(pages)
    worker.store = SimpleNamespace(get_bytes=get_bytes)
    worker.settings = SimpleNamespace(max_file_bytes=10, pages_bucket="pages", worker_trim_above_mb=0)
    worker.pipeline = SimpleNamespace(analyse=lambda source, data: computed.append("analyse"),
                                      render=lambda analysis: "result")
    monkeypatch.setattr(module, "_decode", decode)
    monkeypatch.setattr(module, "limits_of", lambda settings: None)

    async def store(cmd, result, sha, keys, timings):
        computed.append(cmd.page_id)
        return _done(cmd.page_id)

    async def reuse(cmd, prior, keys):
        return Done({}, False, [], [], reused_from=prior["_id"], page_id=cmd.page_id)

    worker._store, worker._reuse = store, reuse
    cmd = lambda page_id: SimpleNamespace(page_id=page_id, bucket="in", object_key=page_id, page_index=0)
    first = asyncio.create_task(worker.process(cmd("p1")))
    await asyncio.sleep(0.01)
    again = await worker.process(cmd("p9"))
    assert (await first).reused_from is None and again.reused_from == "p1"
    assert computed == ["analyse", "p1"]
    worker.close()
