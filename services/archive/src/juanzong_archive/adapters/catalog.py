"""Catalog's compiled e-dossier (compiled-dossier.v1) → the archive's :class:`StagedDossier`, and the HTTP client
that fetches it.

``GET {catalog}/v1/dossiers/{案号}/compiled`` (called with this service's own token) answers a
:class:`~juanzong_shared.contracts.CompiledDossier`: volumes (正卷/副卷) with their page slots (electronic page
number, where the PDF is, QC/OCR provenance) and their documents. An answer off the contract is catalog's error,
not something to guess at; a page without a QC record is a finding of 核查.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from juanzong_shared.contracts import CompiledDossier
from juanzong_shared.contracts.compiled_dossier import CompiledPage, CompiledVolume
from juanzong_shared.errors import Conflict, Unavailable
from juanzong_shared.service_token import ServiceToken
from pydantic import ValidationError

from juanzong_archive.domain.dossier import OcrRecord, QcRecord, VolumeKind
from juanzong_archive.domain.errors import refusal
from juanzong_archive.domain.review import StagedDocument, StagedDossier, StagedPage, StagedVolume

PAGES_BUCKET = "juanzong-pages"
VOLUME_KINDS = {"main": VolumeKind.MAIN, "secondary": VolumeKind.SECONDARY}


def staged_page(page: CompiledPage) -> StagedPage:
    qc = problem = None
    if page.qc is not None:
        try:
            qc, problem = QcRecord(passed=page.qc.passed, dpi=page.qc.dpi, skew_degrees=page.qc.skew_degrees,
                                   checked_at=page.qc.checked_at, checked_by=page.qc.checked_by), None
        except ValueError as error:
            problem = f"质检记录无效：{error}"
    recognised_at = page.recognised_at or (qc.checked_at if qc else None)
    ocr = OcrRecord(engine=page.engine, engine_version=page.model_version or "",
                    mean_confidence=page.mean_confidence or 0.0, char_count=page.text_chars or 0,
                    recognised_at=recognised_at) if page.engine and recognised_at else None
    return StagedPage(page_id=str(page.page_id), number=page.page_number, bucket=page.bucket or PAGES_BUCKET,
                      pdf_key=page.pdf_key or f"pages/{page.page_id}/page.pdf", qc=qc, qc_problem=problem, ocr=ocr)


def staged_volume(volume: CompiledVolume) -> StagedVolume:
    """A volume's documents, each with its numbered pages in page order (unnumbered parts — cover, 卷内目录, 备考表
    — are generated again by the archive's builder)."""
    documents = []
    for doc in volume.documents:
        ids = set(doc.page_ids)
        pages = sorted((staged_page(p) for p in volume.pages if p.page_number is not None
                        and (p.document_id == doc.document_id or p.page_id in ids)), key=lambda p: p.number)
        documents.append(StagedDocument(document_id=doc.document_id, title=doc.title, category=doc.category_zh,
                                        date=doc.date, issuer=doc.issuing_party or "", first_page=doc.first_page,
                                        last_page=doc.last_page, pages=tuple(pages)))
    return StagedVolume(kind=VOLUME_KINDS[volume.volume], documents=tuple(documents))


def staged_dossier(dossier: CompiledDossier) -> StagedDossier:
    return StagedDossier(case_number=dossier.case_number, volumes=tuple(staged_volume(v) for v in dossier.volumes),
                         pending_documents=dossier.review_queue,
                         case_hints=dossier.case.model_dump(mode="json", exclude_none=True))


class CatalogClient:
    def __init__(self, base_url: str | None, token: ServiceToken, client: httpx.AsyncClient) -> None:
        self.base_url = (base_url or "").rstrip("/")
        self.token = token
        self.client = client

    async def compiled(self, case_number: str) -> StagedDossier:
        if not self.base_url:
            raise refusal(Unavailable, "catalog-unconfigured", "编目服务未配置", "JZ_SERVICE_URLS has no \"catalog\" entry")
        url = f"{self.base_url}/v1/dossiers/{quote(case_number, safe='')}/compiled"
        try:
            response = await self.client.get(url, headers={"Authorization": f"Bearer {await self.token.get()}"})
        except httpx.HTTPError as error:
            raise refusal(Unavailable, "catalog-unavailable", "编目服务不可用", f"catalog unreachable: {error}") from None
        if response.status_code == 404:
            raise refusal(Conflict, "dossier-missing", "电子卷宗不存在",
                          f"编目服务没有 {case_number} 的电子卷宗（吉高法〔2020〕11号 第三条(六)）")
        if response.status_code != 200:
            raise refusal(Unavailable, "catalog-error", "编目服务出错",
                          f"catalog answered {response.status_code}: {response.text[:300]}")
        try:
            return staged_dossier(CompiledDossier.model_validate_json(response.content))
        except ValidationError as error:
            raise refusal(Unavailable, "catalog-error", "编目服务出错",
                          f"catalog answered off the compiled-dossier.v1 contract: {str(error)[:300]}") from None
