"""The OCR worker's look-up of an earlier copy of a page, and its side threads (fakes; no I/O)."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.service_layer.pages import Done, PageWorker, lower_thread_priority

pytestmark = pytest.mark.unit


class _Pages:
    def __init__(self, recorded: dict | None = None) -> None:
        self.recorded = recorded
        self.lookups = 0

    async def find_one(self, query: dict, *args, **kwargs):
        self.lookups += 1
        return self.recorded


def _worker(pages: _Pages) -> PageWorker:
    mongo = SimpleNamespace(db={"pages": pages})
    pipeline = SimpleNamespace(engine=SimpleNamespace(name="ppocr"))
    return PageWorker(mongo, None, SimpleNamespace(worker_side_nice=0), pipeline, "w-test")  # type: ignore[arg-type]


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
    first.set_result(_done("p1"))
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
    worker._in_hand.pop("abc")
    first.set_result(B.Failure("processing_error", "该页图像无法处理，请重新扫描。", "boom"))
    prior, mine = await waiting
    assert prior is None and mine is not None and pages.lookups == 2


async def test_a_page_recorded_earlier_is_reused_from_the_database():
    recorded = {"_id": "p0", "content_sha256": "abc", "status": B.PageStatus.DONE.value}
    worker = _worker(_Pages(recorded))
    prior, mine = await worker._prior(_cmd("p5"), "abc")
    assert prior is recorded and mine is None and worker._in_hand == {}


@pytest.mark.skipif(not hasattr(os, "setpriority") or not os.path.exists("/proc/self/task"), reason="Linux only")
def test_side_threads_run_at_a_lower_priority_than_the_engine():
    before = os.getpriority(os.PRIO_PROCESS, 0)
    with ThreadPoolExecutor(1, initializer=lower_thread_priority, initargs=(19,)) as side:
        tid = side.submit(threading.get_native_id).result()
        stat = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        policy = side.submit(os.sched_getscheduler, 0).result()
    assert int(stat[16]) == 19 and policy == os.SCHED_IDLE  # nice 19, idle scheduling class
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the process (and the engine's threads) untouched
