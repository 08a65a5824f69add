"""Bus handlers: store each processed page, catalogue each completed batch, remember each case.

吉高法〔2020〕11号 第三条(三)1-2: every batch the 智能办案辅助中心 scans is catalogued (编目归目) into the
case's e-dossier, born-digital materials the same way. Pages arrive one event each
(``scan.page.processed``), the batch's end as ``scan.batch.completed``; the batch is catalogued once
both its completion event and all its processed pages are stored, whichever comes last:

* the completion event finds every page stored → it catalogues the batch;
* it finds pages missing → it records its counts in ``batch_progress`` and returns (no retry, so a slow
  batch no longer ends in the dead-letter queue after the bus's ~42 s retry schedule);
* the page whose storing completes such a batch catalogues it in the same transaction.

Both handlers write the batch's ``batch_progress`` record, so concurrent ones conflict and the later
is retried after the earlier committed: the last to commit always sees the others' writes. After a
batch is catalogued, the dossier's in-memory search index is brought up to date (``search_cache``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from juanzong_shared.bus import Delivery, PermanentError, handles
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.catalog import DossierCatalogued
from juanzong_shared.events.intake import CaseRegistered
from juanzong_shared.events.scan_ocr import BatchCompleted, PageProcessed
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork

from juanzong_catalog.adapters.ocr_results import OcrDocumentRefused, page_fields, read_page_ocr
from juanzong_catalog.adapters.repository import Repository, empty_dossier, now, page_text
from juanzong_catalog.domain.admission import page_refusal
from juanzong_catalog.domain.case_kind import case_kind_for
from juanzong_catalog.domain.cataloguing import BatchCatalogue, catalogue_batch
from juanzong_catalog.domain.classifier import Classifier
from juanzong_catalog.domain.dossier import DossierDocument, add_documents, cataloguing_rate
from juanzong_catalog.domain.rescans import replace_page

log = get_logger(__name__)

MAX_OCR_JSON_BYTES = 32 * 1024 * 1024


def court_name(case: dict[str, Any] | None) -> str | None:
    """本院's name for metadata, when intake gave a name rather than a court code."""
    case = case or {}
    if case.get("court_name"):
        return case["court_name"]
    court = case.get("court") or ""
    return court if court.endswith("法院") else None


class Cataloguing:
    """The bus handlers: pages and batches into the dossier, what intake and archive say about the case.

    ``store`` reads the page's ``ocr.json``; ``classifier`` awaits the trained classifier; ``catalogued(case_number,
    version)`` runs once a batch is catalogued into the dossier (the search index is warmed then)."""

    def __init__(self, store: Any, classifier: Callable[[], Awaitable[Classifier]],
                 catalogued: Callable[[str, int], None] = lambda case_number, version: None) -> None:
        self.store = store
        self.classifier = classifier
        self.catalogued = catalogued

    @property
    def handlers(self) -> list[Callable]:
        return [self.remember_case, self.remember_archived, self.store_page, self.catalogue_batch]

    @handles("case.registered")
    async def remember_case(self, case: CaseRegistered, delivery: Delivery) -> None:
        await delivery.uow.repos.set_case(case.case_number, {
            "court": case.court, "court_name": case.court_name, "case_type": case.case_type,
            "category": case.category, "cause": case.cause, "department": case.department,
            "panel": [m.model_dump() for m in case.panel], "registered_at": case.registered_at,
            "secret": case.secret, "paperless": case.paperless,
        })

    @handles("archive.archived")
    async def remember_archived(self, archived: Archived, delivery: Delivery) -> None:
        """archive.archived: the dossier is an e-archive now (第三条(八)); no page enters it any more."""
        await delivery.uow.repos.set_case(archived.case_number, {"archived": True, "archived_at": archived.at})

    async def _refuse_closed_case(self, repos: Repository, case_number: str, what: str) -> None:
        """No page of a 涉密, out-of-scope or archived case is stored, catalogued or indexed (dead-lettered
        with the reason: scan-ocr should have refused it at the door)."""
        refusal = page_refusal(await repos.get_case(case_number))
        if refusal is not None:
            rule, reason = refusal
            log.warning("page refused for the case", case_number=case_number, what=what, rule=rule)
            raise PermanentError(f"{what} of {case_number} refused: {reason} ({rule})")

    @handles("scan.page.processed")
    async def store_page(self, page: PageProcessed, delivery: Delivery) -> None:
        """Keep the page's OCR text and lines and index them for search (idempotent by page_id)."""
        uow = delivery.uow
        repos: Repository = uow.repos
        if await repos.has_page(page.page_id):
            return
        await self._refuse_closed_case(repos, page.case_number, f"page {page.page_id}")
        raw = await self.store.get_bytes(page.bucket, page.ocr_key, max_bytes=MAX_OCR_JSON_BYTES)
        try:
            ocr = page_fields(read_page_ocr(raw, page.page_id))
        except OcrDocumentRefused as error:
            raise PermanentError(f"OCR JSON of page {page.page_id} ({page.ocr_key}) refused: {error}") from error
        doc = {
            "_id": page.page_id, "batch_id": page.batch_id, "seq": page.seq, "case_number": page.case_number,
            "scan_task_id": page.scan_task_id, "bucket": page.bucket, "ocr_key": page.ocr_key,
            "pdf_key": page.pdf_key, "content_sha256": page.content_sha256, "mean_confidence": page.mean_confidence,
            "needs_rescan": page.needs_rescan, "born_digital": page.born_digital, "image_key": page.image_key,
            **ocr, "stored_at": now(), "event_id": str(delivery.event.event_id),
            "replaces_page_id": page.replaces_page_id, "text_chars": page.text_chars,
        }
        if not await repos.insert_page(doc):
            return
        progress = await repos.page_arrived(page.batch_id, page.case_number)
        completion = progress.get("completion")
        if completion and not progress.get("catalogued_at"):
            batch = BatchCompleted.model_validate(completion["payload"])
            if await self._ready(repos, batch):
                await self._catalogue(uow, batch, court=completion.get("court"),
                                      correlation_id=completion.get("correlation_id"))

    @handles("scan.batch.completed")
    async def catalogue_batch(self, batch: BatchCompleted, delivery: Delivery) -> None:
        """Catalogue the batch when all its pages are stored; otherwise keep the completion for the
        batch's last page (``store_page``)."""
        event, repos = delivery.event, delivery.uow.repos
        if await repos.is_catalogued(batch.batch_id):
            return  # catalogued before (a second completion event for the same batch)
        await self._refuse_closed_case(repos, batch.case_number, f"batch {batch.batch_id}")
        await repos.completion_arrived(batch.batch_id, {
            "payload": batch.model_dump(mode="json"), "case_number": batch.case_number, "court": event.court,
            "correlation_id": event.correlation_id, "event_id": str(event.event_id)})
        if not await self._ready(repos, batch):
            stored = await repos.count_batch_pages(batch.batch_id)
            log.info("batch completion recorded; waiting for its pages", batch_id=batch.batch_id,
                     stored=stored, pages_done=batch.pages_done)
            return
        await self._catalogue(delivery.uow, batch, court=event.court, correlation_id=event.correlation_id)

    async def _ready(self, repos: Repository, batch: BatchCompleted) -> bool:
        if await repos.is_catalogued(batch.batch_id):
            return False
        return await repos.count_batch_pages(batch.batch_id) >= batch.pages_done

    async def _catalogue(self, uow: UnitOfWork, batch: BatchCompleted, *, court: str | None,
                         correlation_id: str | None) -> None:
        """Split, classify, order and number the batch into the dossier; emit catalog.dossier.catalogued."""
        repos: Repository = uow.repos
        page_docs = await repos.pages_of_batch(batch.batch_id)
        case = await repos.get_case(batch.case_number)
        loaded = await repos.load_dossier(batch.case_number)
        if loaded is None:
            kind = case_kind_for(batch.case_number, (case or {}).get("case_type"))
            dossier, extra = empty_dossier(batch.case_number, kind), {}
        else:
            dossier, extra = loaded
        # re-scans take their flagged page's place (法〔2016〕264号 二(五)); the rest is catalogued
        replaced = list(extra.get("replaced_pages") or [])
        fresh_docs = []
        for d in page_docs:
            swapped = replace_page(dossier, d["replaces_page_id"], d["_id"]) if d.get("replaces_page_id") else None
            if swapped is None:
                fresh_docs.append(d)
                continue
            if swapped is not dossier:
                replaced.append({"old_page_id": d["replaces_page_id"], "new_page_id": d["_id"],
                                 "batch_id": batch.batch_id, "at": now()})
            dossier = swapped
        pages = [page_text(d) for d in fresh_docs]
        if pages:
            classifier = await self.classifier()
            result = await asyncio.to_thread(catalogue_batch, pages, classifier, court_name=court_name(case))
        else:  # a batch of re-scans only
            result = BatchCatalogue(documents=())
        known = set(dossier.page_ids)
        new_docs, doc_meta = [], dict(extra.get("document_meta") or {})
        for i, d in enumerate(result.documents, start=1):
            if known.intersection(d.page_ids):
                continue  # a page already filed (re-sent in a later batch) stays where it is
            document_id = f"{batch.batch_id}-d{i:03d}"
            new_docs.append(DossierDocument.from_catalogued(d, document_id))
            doc_meta[document_id] = {
                "batch_id": batch.batch_id, "split_basis": d.split_basis,
                "split_confidence": d.split_confidence, "classification_basis": d.classification.basis,
                "classification_confidence": d.classification.confidence,
                "alternatives": [[c.value, p] for c, p in d.classification.alternatives],
                "parties": [p.model_dump(mode="json") for p in d.metadata.parties],
                "born_digital": d.born_digital,
            }
        dossier = add_documents(dossier, new_docs)
        rate = cataloguing_rate(dossier)
        blank = list(result.blank_page_ids)
        version = await repos.save_dossier(dossier, extra={
            "document_meta": doc_meta, "court": (case or {}).get("court") or court,
            "blank_page_ids": sorted(set(extra.get("blank_page_ids") or []) | set(blank)),
            "replaced_pages": replaced,
        })
        review = sum(1 for d in new_docs if d.category is None)
        await repos.insert_batch({
            "_id": batch.batch_id, "case_number": batch.case_number, "scan_task_id": batch.scan_task_id,
            "documents": [d.document_id for d in new_docs], "pages": len(pages), "blank_pages": blank,
            "needs_review": review, "catalogued_at": now()})
        # the batch's own correlation id, also when its last page (another event) completes it
        uow.emit(REGISTRY.event(DossierCatalogued(
            case_number=batch.case_number, batch_id=batch.batch_id, documents=len(new_docs), pages=len(pages),
            needs_review=review, documents_auto=len(new_docs) - review, scan_task_id=batch.scan_task_id,
            dossier_pages=rate.total_pages, automatic_pages=rate.automatic_pages,
            cataloguing_rate=round(rate.rate, 4)), court=court, case_number=batch.case_number,
            correlation_id=correlation_id))
        # once this transaction commits: index the new pages for search before the first reader asks
        self.catalogued(batch.case_number, version)
        log.info("batch catalogued", batch_id=batch.batch_id, case_number=batch.case_number,
                 documents=len(new_docs), pages=len(pages), needs_review=review)
