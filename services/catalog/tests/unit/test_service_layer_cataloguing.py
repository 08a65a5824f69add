"""Cataloguing on an in-memory unit of work: scan-ocr's page and batch events become documents of the dossier
and one catalog.dossier.catalogued event, whichever arrives last; closed cases and off-contract OCR are refused."""

from __future__ import annotations

import pytest
from juanzong_catalog.domain.categories import CaseKind
from juanzong_catalog.domain.classifier import Classifier
from juanzong_catalog.service_layer.cataloguing import Cataloguing
from juanzong_shared.bus import PermanentError
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.scan_ocr import BatchCompleted, PageProcessed
from juanzong_shared.testing import FakeStore
from juanzong_training.corpus import generate_bundle

from .memory import BUCKET, delivery, memory_uow, put_ocr

pytestmark = [pytest.mark.unit, pytest.mark.asyncio]

BUNDLE = generate_bundle(31, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=8)
CN = BUNDLE.case_number


async def _setup(classifier: Classifier):
    store, uow, warmed = FakeStore(), memory_uow(), []

    async def ready() -> Classifier:
        return classifier
    service = Cataloguing(store, ready, catalogued=lambda cn, version: warmed.append((cn, version)))
    pages = []
    for page in BUNDLE.pages:
        key = await put_ocr(store, page)
        pages.append(PageProcessed(batch_id="b1", page_id=page.page_id, seq=page.seq + 1, content_sha256="0" * 64,
                                   engine="test-engine", text_chars=len(page.text), mean_confidence=0.97,
                                   born_digital=page.born_digital, bucket=BUCKET, ocr_key=key,
                                   pdf_key=f"pages/{page.page_id}/page.pdf", scan_task_id="st-1", case_number=CN))
    batch = BatchCompleted(batch_id="b1", scan_task_id="st-1", case_number=CN, pages_total=len(pages),
                           pages_done=len(pages), pages_failed=0)
    return service, uow, pages, batch, warmed


async def _handle(handler, payload, uow) -> None:
    async with uow:
        await handler(payload, delivery(payload, uow))


async def test_a_batch_whose_pages_are_stored_is_catalogued_once(trained_classifier: Classifier):
    service, uow, pages, batch, warmed = await _setup(trained_classifier)
    for page in pages:
        await _handle(service.store_page, page, uow)
    assert uow.published_types() == []
    await _handle(service.catalogue_batch, batch, uow)
    await _handle(service.catalogue_batch, batch, uow)  # redelivered: nothing more
    assert uow.published_types() == ["catalog.dossier.catalogued"]
    (event,) = uow.payloads("catalog.dossier.catalogued")
    dossier, _ = await uow.repos.load_dossier(CN)
    assert event.documents == len(dossier.documents) >= 2 and event.pages == len(pages)
    assert event.dossier_pages == len(pages) and event.scan_task_id == "st-1"
    assert sorted(dossier.page_ids) == sorted(p.page_id for p in pages)
    assert warmed == [(CN, 1)] and uow.committed[0].court == "吉01"


async def test_a_completion_before_its_pages_waits_for_the_last_page(trained_classifier: Classifier):
    service, uow, pages, batch, _ = await _setup(trained_classifier)
    await _handle(service.catalogue_batch, batch, uow)
    for page in pages[:-1]:
        await _handle(service.store_page, page, uow)
    assert uow.published_types() == []
    await _handle(service.store_page, pages[-1], uow)
    await _handle(service.store_page, pages[-1], uow)  # redelivered: stored once
    assert uow.published_types() == ["catalog.dossier.catalogued"]
    assert uow.payloads("catalog.dossier.catalogued")[0].pages == len(pages)


async def test_no_page_enters_an_archived_case_and_a_bad_ocr_document_is_refused(trained_classifier: Classifier):
    service, uow, pages, _, _ = await _setup(trained_classifier)
    await service.store.put_bytes(BUCKET, pages[1].ocr_key, b'{"page_id": "x"}')
    with pytest.raises(PermanentError, match="not a page-ocr.v1 document"):
        await _handle(service.store_page, pages[1], uow)
    await _handle(service.remember_archived, Archived.model_validate(
        {"case_number": CN, "archival_code": "J01-2026-C-0001", "package_key": "p/1.zip", "at": "2026-12-07T10:00:00Z"}),
        uow)
    with pytest.raises(PermanentError, match="refused"):
        await _handle(service.store_page, pages[0], uow)
    assert uow.repos.pages == {} and uow.repos.cases[CN]["archived"] is True
