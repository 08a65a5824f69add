"""Chunked uploads on in-memory repositories: offsets, resuming, completing into a batch, refusals at completion
(service layer, no servers)."""

from __future__ import annotations

import hashlib
import io

import pytest
from juanzong_scan_ocr.config import ServiceSettings
from juanzong_scan_ocr.service_layer.access import CaseGate, NotAllowed
from juanzong_scan_ocr.service_layer.intake import BatchIntake, NoProcessablePage
from juanzong_scan_ocr.service_layer.uploads import BeyondDeclaredSize, EmptyChunk, Uploads
from juanzong_shared.auth import Identity
from juanzong_shared.errors import Conflict, NotFound
from juanzong_shared.testing import FakeDecider, FakeStore
from PIL import Image

from .memory import memory_uow

pytestmark = pytest.mark.unit

CASE = "（2025）吉01民终123号"
CLERK = Identity(subject="u-clerk", kind="user", court="吉01", token="t")


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buf, "PNG")
    return buf.getvalue()


def uploads(allow=True):
    uow, store, settings = memory_uow(), FakeStore(), ServiceSettings()
    decider = FakeDecider(lambda identity, action, case_number: allow)
    gate = CaseGate(lambda: decider, auth_required=True)
    service = Uploads(uow.transact, store, settings, gate, BatchIntake(uow.transact, store, settings))
    return uow, store, decider, service


async def started(service, data: bytes, **fields) -> dict:
    return await service.start(CLERK, {"file_name": "thick.png", "size": len(data), "case_number": CASE,
                                       "scan_task_id": "ST-1", "operator": None, "sha256": None, **fields})


async def test_chunks_at_increasing_offsets_resume_and_complete_into_a_batch():
    uow, store, _, service = uploads()
    data = png()
    doc = await started(service, data, sha256=hashlib.sha256(data).hexdigest())
    half = len(data) // 2
    doc = await service.put_chunk(await service.receiving_at(doc["_id"], CLERK, 0), 0, data[:half])
    assert doc["offset"] == half
    with pytest.raises(Conflict) as wrong:  # a resumed client learns where to go on from
        await service.receiving_at(doc["_id"], CLERK, 0)
    assert wrong.value.extra["expected_offset"] == half
    assert (await service.own(doc["_id"], CLERK))["offset"] == half
    with pytest.raises(Conflict):  # not all received yet
        await service.complete(doc["_id"], CLERK)
    await service.put_chunk(await service.receiving_at(doc["_id"], CLERK, half), half, data[half:])

    batch, failures = await service.complete(doc["_id"], CLERK)
    assert batch["upload_id"] == doc["_id"] and batch["source"] == "upload" and failures == []
    assert uow.repos.uploads.docs[doc["_id"]]["state"] == "completed"
    assert not [k for k in store.objects["juanzong-pages"] if k.startswith("uploads/")]  # chunks deleted
    assert "scan-ocr.page.process" in uow.published_types()
    again, _ = await service.complete(doc["_id"], CLERK)  # completing twice answers the same batch
    assert again["_id"] == batch["_id"] and len(uow.repos.batches.docs) == 1


async def test_chunks_beyond_the_declared_size_or_empty_are_refused():
    _, _, _, service = uploads()
    doc = await started(service, b"0123456789")
    with pytest.raises(BeyondDeclaredSize):
        await service.put_chunk(doc, 0, b"x" * 11)
    with pytest.raises(EmptyChunk):
        await service.put_chunk(doc, 0, b"")


async def test_someone_elses_upload_is_not_found():
    _, _, _, service = uploads()
    doc = await started(service, b"0123456789")
    with pytest.raises(NotFound):
        await service.own(doc["_id"], Identity(subject="u-other", kind="user", court="吉01", token="t"))


async def test_a_case_refused_at_completion_ends_the_upload_and_keeps_no_bytes():
    uow, store, decider, service = uploads()
    data = png()
    doc = await started(service, data)
    await service.put_chunk(doc, 0, data)
    decider.allow = lambda identity, action, case_number: False  # archived meanwhile, say
    with pytest.raises(NotAllowed):
        await service.complete(doc["_id"], CLERK)
    assert uow.repos.uploads.docs[doc["_id"]]["state"] == "refused" and not uow.repos.batches.docs
    assert not store.objects["juanzong-pages"]
    with pytest.raises(Conflict):
        await service.complete(doc["_id"], CLERK)


async def test_a_file_without_a_processable_page_is_rejected():
    uow, _, _, service = uploads()
    doc = await started(service, b"no page here")
    await service.put_chunk(doc, 0, b"no page here")
    with pytest.raises(NoProcessablePage):
        await service.complete(doc["_id"], CLERK)
    assert uow.repos.uploads.docs[doc["_id"]]["state"] == "rejected" and not uow.repos.batches.docs
