"""Catalog's compiled e-dossier → the archive's :class:`StagedDossier`, and the HTTP client that fetches it.

``GET {catalog}/v1/dossiers/{案号}/compiled`` (called with this service's own token) answers the case
metadata catalog knows, volumes (正卷/副卷) → documents (title, category, date, issuer, page range) →
pages (page_id, electronic page number or null, bucket, pdf_key, qc/ocr provenance). The mapping is
tolerant of field names (``issuer``/``issuing_party``, ``page_number``/``number`` …) and of pages
listed per volume with a ``document_id`` instead of inside each document; what it cannot read becomes
a finding of 核查, never a guess.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import quote

import httpx
from juanzong_shared.problems import Problem

from juanzong_archive.domain.dossier import OcrRecord, QcRecord, VolumeKind
from juanzong_archive.domain.review import StagedDocument, StagedDossier, StagedPage, StagedVolume

PAGES_BUCKET = "juanzong-pages"
_VOLUME_NAMES = {"main": VolumeKind.MAIN, "正卷": VolumeKind.MAIN, "z": VolumeKind.MAIN,
                 "secondary": VolumeKind.SECONDARY, "副卷": VolumeKind.SECONDARY, "f": VolumeKind.SECONDARY}


def _first(data: dict, *names: str, default: Any = None) -> Any:
    for name in names:
        if name in data and data[name] not in (None, ""):
            return data[name]
    return default


def _datetime(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def parse_qc(raw: Any, page: dict) -> tuple[QcRecord | None, str | None]:
    if not isinstance(raw, dict):
        return None, "缺少质检记录"
    passed = _first(raw, "passed", "ok")
    if passed is None and "status" in raw:
        passed = str(raw["status"]).lower() in ("passed", "pass", "ok", "合格", "通过")
    dpi = _first(raw, "dpi", "effective_dpi", "resolution", "dpi_x")
    checked_at = _datetime(_first(raw, "checked_at", "at", "processed_at") or _first(page, "processed_at"))
    missing = [n for n, v in (("passed", passed), ("dpi", dpi), ("checked_at", checked_at)) if v is None]
    if missing:
        return None, f"质检记录缺少 {', '.join(missing)}"
    try:
        return QcRecord(passed=bool(passed), dpi=int(dpi), blur_score=_first(raw, "blur_score", "blur"),
                        skew_degrees=_first(raw, "skew_degrees", "skew"), checked_at=checked_at,
                        checked_by=str(_first(raw, "checked_by", "station_id", "station",
                                              default=_first(page, "station_id", default="scan-ocr")))), None
    except (ValueError, TypeError) as error:
        return None, f"质检记录无效：{error}"


def parse_ocr(raw: Any) -> OcrRecord | None:
    if not isinstance(raw, dict):
        return None
    confidence = _first(raw, "mean_confidence", "confidence", default=0.0)
    try:
        confidence = float(confidence)
        if confidence > 1:
            confidence /= 100
        at = _datetime(_first(raw, "recognised_at", "recognized_at", "at", "processed_at"))
        if at is None:
            return None
        return OcrRecord(engine=str(_first(raw, "engine", "engine_name", default="unknown")),
                         engine_version=str(_first(raw, "engine_version", "version", default="")),
                         mean_confidence=max(0.0, min(1.0, confidence)),
                         char_count=int(_first(raw, "char_count", "chars", default=len(raw.get("text") or ""))),
                         recognised_at=at)
    except (ValueError, TypeError):
        return None


def parse_page(raw: dict) -> StagedPage:
    qc, problem = parse_qc(raw.get("qc"), raw)
    number = _first(raw, "page_number", "number", "electronic_page_number", "electronic_page")
    return StagedPage(page_id=str(_first(raw, "page_id", "id")),
                      number=int(number) if number is not None else None,
                      bucket=str(_first(raw, "bucket", default=PAGES_BUCKET)),
                      pdf_key=str(_first(raw, "pdf_key", "key", default=f"pages/{_first(raw, 'page_id', 'id')}/page.pdf")),
                      qc=qc, qc_problem=problem, ocr=parse_ocr(raw.get("ocr") or _flat_ocr(raw, qc)))


def _flat_ocr(raw: dict, qc: QcRecord | None) -> dict | None:
    """Catalog lists a page's OCR provenance beside its other fields; recognised when QC checked it."""
    if not raw.get("engine"):
        return None
    return {"engine": raw["engine"], "engine_version": raw.get("model_version") or "",
            "mean_confidence": raw.get("mean_confidence") or 0.0, "char_count": raw.get("text_chars") or 0,
            "recognised_at": raw.get("recognised_at") or (qc.checked_at.isoformat() if qc else None)}


def parse_document(raw: dict, pages: list[StagedPage]) -> StagedDocument:
    return StagedDocument(
        document_id=_first(raw, "document_id", "id"),
        title=str(_first(raw, "title", default="")),
        category=str(_first(raw, "category_name", "category_zh", "category", default="")),
        date=_date(_first(raw, "date")),
        issuer=str(_first(raw, "issuer", "issuing_party", "responsible", default="")),
        first_page=_first(raw, "first_page"), last_page=_first(raw, "last_page"), pages=tuple(pages))


def parse_volume(raw: dict) -> StagedVolume | None:
    name = str(_first(raw, "kind", "volume", "name", default="main")).lower()
    kind = _VOLUME_NAMES.get(name)
    if kind is None:
        return None
    loose = [p for p in raw.get("pages") or [] if isinstance(p, dict)]
    documents = []
    for doc in raw.get("documents") or raw.get("catalogue") or []:
        own = doc.get("pages")
        if own:
            pages = [parse_page(p) for p in own if isinstance(p, dict)]
        else:
            ids = set(doc.get("page_ids") or [])
            doc_id = _first(doc, "document_id", "id")
            pages = [parse_page(p) for p in loose
                     if (doc_id is not None and p.get("document_id") == doc_id) or p.get("page_id") in ids]
            pages = [p for p in pages if p.number is not None]
        documents.append(parse_document(doc, sorted(pages, key=lambda p: (p.number is None, p.number or 0))))
    return StagedVolume(kind=kind, book_number=int(_first(raw, "book_number", "book", default=1)),
                        documents=tuple(documents))


def parse_compiled(case_number: str, body: dict) -> StagedDossier:
    volumes = [v for v in (parse_volume(raw) for raw in body.get("volumes") or []) if v is not None]
    pending = [str(_first(d, "title", "document_id", default="?")) if isinstance(d, dict) else str(d)
               for d in (body.get("review_queue") or body.get("pending_documents") or [])]
    expected = []
    for item in body.get("expected_materials") or body.get("staged_materials") or []:
        text = item if isinstance(item, str) else _first(item, "title", "name", "category_name", "category")
        if text:
            expected.append(str(text))
    hints = body.get("case") or body.get("case_metadata") or {}
    return StagedDossier(case_number=case_number, volumes=tuple(volumes), pending_documents=tuple(pending),
                         expected_materials=tuple(expected), case_hints=hints if isinstance(hints, dict) else {})


class ServiceToken:
    """This service's own token from access-control (client credentials), cached until near expiry."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, client: httpx.AsyncClient) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.client = client
        self._token: str | None = None
        self._expires = 0.0

    async def get(self) -> str:
        if self._token and time.monotonic() < self._expires - 60:
            return self._token
        try:
            response = await self.client.post(self.token_url, data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret})
        except httpx.HTTPError as error:
            raise Problem(503, "token-unavailable", "无法取得服务令牌", f"access-control unreachable: {error}") from None
        if response.status_code != 200:
            raise Problem(503, "token-refused", "无法取得服务令牌",
                          f"access-control answered {response.status_code}: {response.text[:300]}")
        body = response.json()
        self._token = body["access_token"]
        self._expires = time.monotonic() + float(body.get("expires_in", 300))
        return self._token


class CatalogClient:
    def __init__(self, base_url: str | None, token: ServiceToken, client: httpx.AsyncClient) -> None:
        self.base_url = (base_url or "").rstrip("/")
        self.token = token
        self.client = client

    async def compiled(self, case_number: str) -> StagedDossier:
        if not self.base_url:
            raise Problem(503, "catalog-unconfigured", "编目服务未配置", "JZ_SERVICE_URLS has no \"catalog\" entry")
        url = f"{self.base_url}/v1/dossiers/{quote(case_number, safe='')}/compiled"
        try:
            response = await self.client.get(url, headers={"Authorization": f"Bearer {await self.token.get()}"})
        except httpx.HTTPError as error:
            raise Problem(503, "catalog-unavailable", "编目服务不可用", f"catalog unreachable: {error}") from None
        if response.status_code == 404:
            raise Problem(409, "dossier-missing", "电子卷宗不存在",
                          f"编目服务没有 {case_number} 的电子卷宗（吉高法〔2020〕11号 第三条(六)）")
        if response.status_code != 200:
            raise Problem(503, "catalog-error", "编目服务出错",
                          f"catalog answered {response.status_code}: {response.text[:300]}")
        return parse_compiled(case_number, response.json())
