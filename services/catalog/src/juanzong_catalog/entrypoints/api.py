"""catalog's REST API: the dossier, its 卷内目录, the compiled view, corrections, search, pages, marks.

Every read of pages, text and search results asks access-control first (``enforce`` with the caller's own
token, so the decision — and its audit record, 全程留痕 — names the caller; 吉高法〔2020〕11号 第九条), service
accounts included: they read only what their scopes let access-control allow. Every obligation of a yes is
carried out: with ``exclude_sub_volume`` / ``exclude_undisclosable`` no 副卷 or undisclosable document, page or
search hit is served (法〔2016〕264号 三(六), ``domain.disclosure``). Cross-dossier search shows only dossiers
the caller may search and says nothing about the others (no count). A case number in a path is checked for
its shape before anything else; page images and PDFs carry ``nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from juanzong_shared.auth import CurrentIdentity, Decision, Identity, enforce
from juanzong_shared.case_numbers import MAX_LENGTH, case_number_shape_error
from juanzong_shared.contracts import CompiledDossier
from juanzong_shared.deps import MongoDep, StoreDep
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.catalog import DossierRead
from juanzong_shared.outbox import transact
from juanzong_shared.problems import PROBLEM_RESPONSES, FieldError, Problem, not_found
from juanzong_shared.storage import UnsafeObjectName
from minio.error import S3Error
from pymongo.errors import DuplicateKeyError

from juanzong_catalog.adapters import repository as repo
from juanzong_catalog.domain.categories import Volume
from juanzong_catalog.domain.disclosure import SPC_3_6, Visibility, Withholding, visibility
from juanzong_catalog.service_layer import queries
from juanzong_catalog.service_layer.corrections import correct

from .schemas import (
    CatalogueOut,
    CorrectionIn,
    CorrectionOut,
    DossierOut,
    MarkIn,
    MarkOut,
    PageTextOut,
    ReadOut,
    SearchOut,
)

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".tif": "image/tiff", ".tiff": "image/tiff"}

router = APIRouter(prefix="/v1", tags=["catalog"])
R = {k: PROBLEM_RESPONSES[k] for k in (401, 403, 404)}


# documents served as files: never sniffed into something else, never a page that runs anything
DOCUMENT_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                    "Cache-Control": "private, max-age=300"}


def case_number_path(case_number: Annotated[str, PathParam(description="案号 (percent-encoded)",
                                                             examples=["（2025）吉01民终123号"])]) -> str:
    """The 案号 of the path, refused (422) before anything else when it cannot be one."""
    reason = case_number_shape_error(case_number)
    if reason is not None:
        raise Problem(422, "validation", "请求参数无效", f"“{case_number[:MAX_LENGTH]}”不是有效的案号",
                      errors=[FieldError(field="case_number", reason=reason)])
    return case_number


CaseNumber = Annotated[str, Depends(case_number_path)]


class Access:
    """The caller and the way to ask about them: ``await access.require(action, case_number)``.

    Every caller is decided by access-control, with their own token (service accounts by their scopes)."""

    def __init__(self, request: Request, identity: Identity) -> None:
        self.request = request
        self.identity = identity

    def _decider(self):
        decider = getattr(self.request.app.state, "decider", None)
        if decider is None:
            raise Problem(503, "access-control-unconfigured", "权限服务未配置", "set JZ_ACCESS_CONTROL_URL")
        return decider

    async def require(self, action: str, case_number: str, resource: str | None = None) -> Decision:
        """The yes (403 problem+json naming the rule for a no, or for obligations catalog cannot carry out)."""
        return await enforce(self._decider(), self.identity, action, case_number, resource=resource)

    async def withholding(self, action: str, case_number: str) -> Withholding | None:
        """None when the caller may not; else what the yes withholds (obligations)."""
        decision = await self._decider().decide(self.identity, action, case_number)
        if not decision.allowed or decision.unknown():
            return None
        return Withholding.of(decision)


def get_access(request: Request, identity: CurrentIdentity) -> Access:
    return Access(request, identity)


AccessDep = Annotated[Access, Depends(get_access)]


def withheld(what: str, key: str) -> Problem:
    return Problem(403, "forbidden", "无权访问", f"{what} {key} 属于副卷或依法不公开的材料，不向本案当事人、诉讼代理人提供",
                   rule=SPC_3_6)


async def _dossier_for(mongo, case_number: str, decision: Decision) -> tuple[Any, dict[str, Any], Visibility]:
    dossier, raw = await queries.require_dossier(mongo.db, case_number)
    return dossier, raw, visibility(dossier, Withholding.of(decision))


def _notify(request: Request):
    relay = getattr(request.app.state, "outbox", None)
    return relay.notify if relay else None


# ---------------------------------------------------------------------------------------- dossier


@router.get("/dossiers/{case_number}", response_model=DossierOut, responses=R,
            summary="The dossier: volumes, documents in standard order, electronic page numbers")
async def get_dossier(case_number: CaseNumber, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    decision = await access.require("read_pages", case_number, resource="dossier")
    dossier, raw, vis = await _dossier_for(mongo, case_number, decision)
    return queries.dossier_view(dossier, raw, vis)


@router.get("/dossiers/{case_number}/catalogue", response_model=CatalogueOut, responses=R,
            summary="卷内目录: sequence, title, issuer, date, page range per volume")
async def get_catalogue(case_number: CaseNumber, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    decision = await access.require("read_pages", case_number, resource="catalogue")
    dossier, _, vis = await _dossier_for(mongo, case_number, decision)
    return {"case_number": case_number, "rows": queries.catalogue_rows(dossier, vis),
            "review_pending": sum(1 for d in dossier.documents
                                  if d.category is None and not vis.document_hidden(d.document_id))}


@router.get("/dossiers/{case_number}/compiled", response_model=CompiledDossier, responses=R,
            summary="The compiled dossier for archiving: volumes → documents → pages with provenance")
async def get_compiled(case_number: CaseNumber, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    decision = await access.require("read_pages", case_number, resource="compiled")
    dossier, raw, vis = await _dossier_for(mongo, case_number, decision)
    return await queries.compiled_view(mongo.db, dossier, raw, vis)


@router.get("/dossiers/{case_number}/review", responses=R, summary="Documents of one dossier awaiting review")
async def get_review(case_number: CaseNumber, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    decision = await access.require("read_pages", case_number, resource="review")
    dossier, raw, vis = await _dossier_for(mongo, case_number, decision)
    return {"case_number": case_number, "documents": queries.dossier_view(dossier, raw, vis)["review_queue"]}


@router.get("/review-queue", responses=R, summary="Dossiers with documents awaiting review (that the caller may edit)")
async def review_queue(mongo: MongoDep, access: AccessDep,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    items = []
    for raw in await repo.dossiers_with_review(mongo.db, limit=limit):
        withholding = await access.withholding("write", raw["_id"])
        if withholding is None:
            continue
        dossier = repo.dossier_from(raw)
        vis = visibility(dossier, withholding)
        documents = [{"document_id": d.document_id, "candidate": d.candidate.value, "title": d.title,
                      "confidence": d.confidence, "pages": len(d.page_ids)} for d in dossier.documents
                     if d.category is None and not vis.document_hidden(d.document_id)]
        if documents:
            items.append({"case_number": raw["_id"], "documents": documents})
    return {"dossiers": items, "total_documents": sum(len(i["documents"]) for i in items)}


# ------------------------------------------------------------------------------------ corrections


@router.post("/dossiers/{case_number}/corrections", status_code=201, response_model=CorrectionOut,
             responses={**R, 409: PROBLEM_RESPONSES[409], 422: PROBLEM_RESPONSES[422]},
             summary="Correct the cataloguing: move, split, merge, reclassify, reorder, rename, edit "
                     "(题名/日期/责任者)")
async def post_correction(case_number: CaseNumber, body: CorrectionIn, request: Request, mongo: MongoDep,
                          access: AccessDep) -> dict[str, Any]:
    decision = await access.require("write", case_number, resource=f"correction:{body.operation}")
    if Withholding.of(decision).any:  # a corrector sees the whole dossier; one who may not, corrects nothing
        raise withheld("更正", case_number)
    ident = access.identity
    return await transact(mongo, lambda uow: correct(
        uow, case_number, body.model_dump(exclude_none=True), actor=ident.subject, actor_name=ident.name,
        court=ident.court), on_commit=_notify(request))


@router.get("/dossiers/{case_number}/corrections", responses=R, summary="Every correction, who and when")
async def list_corrections(case_number: CaseNumber, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    decision = await access.require("read_pages", case_number, resource="corrections")
    dossier, _, vis = await _dossier_for(mongo, case_number, decision)
    cursor = mongo.db[repo.CORRECTIONS].find({"case_number": case_number}).sort("at", 1)
    items = []
    async for c in cursor:
        if vis.any and (vis.hidden_documents.intersection(c.get("document_ids") or ())
                        or any(vis.page_hidden(p) for p in c.get("page_ids") or ())):
            continue
        c.pop("_id", None)
        c["at"] = c["at"].isoformat()
        items.append(c)
    return {"case_number": case_number, "corrections": items,
            "cataloguing_rate": queries.rate_view(vis.shown(dossier))}


# ----------------------------------------------------------------------------------------- search


def _search_cache(request: Request):
    runtime = getattr(request.app.state, "catalog", None)
    return runtime.search_cache if runtime is not None else None



@router.get("/dossiers/{case_number}/search", response_model=SearchOut, responses=R,
            summary="Keyword search inside one dossier (CJK-aware), hits with line boxes")
async def search_dossier(case_number: CaseNumber, request: Request, mongo: MongoDep, access: AccessDep,
                         q: Annotated[str, Query(min_length=1, max_length=100)],
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    decision = await access.require("search", case_number, resource="search")
    hits = await queries.search_dossier(mongo.db, case_number, q, limit, cache=_search_cache(request),
                                        withholding=Withholding.of(decision))
    return {"query": q, "hits": hits, "total": len(hits)}


@router.get("/search", response_model=SearchOut, responses=R,
            summary="Keyword search across the dossiers the caller may search (nothing about the others)")
async def search_all(request: Request, mongo: MongoDep, access: AccessDep,
                     q: Annotated[str, Query(min_length=1, max_length=100)],
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    hits = await queries.search_all(mongo.db, q, lambda cn: access.withholding("search", cn), limit,
                                    cache=_search_cache(request))
    return {"query": q, "hits": hits, "total": len(hits)}


# ------------------------------------------------------------------------------------------ pages


async def _page(mongo, page_id: str) -> dict[str, Any]:
    page = await repo.get_page(mongo.db, page_id)
    if page is None:
        raise not_found("page", page_id)
    return page


async def _read_page(mongo, access: Access, action: str, page_id: str) -> dict[str, Any]:
    """Decide the read of one page — asking about the one document when it is 副卷 or undisclosable, as the
    decisions API documents (``volume=sub``, ``undisclosable``) — and carry out the yes's obligations.
    The dossier comes from the process's dossier views (one stamp read while it is unchanged)."""
    page = await _page(mongo, page_id)
    case_number = page["case_number"]
    runtime = getattr(access.request.app.state, "catalog", None)
    cache = runtime.search_cache if runtime is not None else queries.SEARCH
    try:
        dossier, where = await cache.view(mongo.db, case_number)
        loaded = (dossier, {})
    except Problem:
        loaded, where = None, {}
    doc = loaded[0].document(where[page_id][0]) if loaded is not None and page_id in where else None
    marks = [f"page:{page_id}"]
    if doc is not None and doc.volume is Volume.SECONDARY:
        marks.append("volume=sub")
    if doc is not None and not doc.disclosable:
        marks.append("undisclosable")
    decision = await access.require(action, case_number, resource=";".join(marks))
    withholding = Withholding.of(decision)
    if withholding.any:
        if loaded is None or visibility(loaded[0], withholding).page_hidden(page_id):
            raise withheld("页面", page_id)
    return page


@router.get("/pages/{page_id}/text", response_model=PageTextOut, responses=R,
            summary="A page's OCR text and lines (the selectable text layer)")
async def page_text(page_id: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    page = await _read_page(mongo, access, "read_text", page_id)
    return {"page_id": page_id, "case_number": page["case_number"], "text": page.get("text") or "",
            "lines": page.get("lines") or [], "width": page.get("width") or 0, "height": page.get("height") or 0,
            "blank": bool(page.get("blank"))}


@router.get("/pages/{page_id}/pdf", responses={**R, 200: {"content": {"application/pdf": {}}}},
            summary="The page's searchable PDF (from object storage)", response_class=Response)
async def page_pdf(page_id: str, mongo: MongoDep, store: StoreDep, access: AccessDep) -> Response:
    page = await _read_page(mongo, access, "read_pages", page_id)
    if not page.get("pdf_key"):
        raise not_found("page pdf", page_id)
    try:
        data = await store.get_bytes(page["bucket"], page["pdf_key"])
    except (S3Error, FileNotFoundError, UnsafeObjectName):
        raise not_found("page pdf", page_id) from None
    return Response(data, media_type="application/pdf", headers=DOCUMENT_HEADERS)


async def _image_key(store, page: dict[str, Any]) -> str | None:
    if page.get("image_key"):
        return page["image_key"]
    prefix = f"pages/{page['_id']}/"
    keys = [k for k in await store.list_keys(page["bucket"], prefix) if k.lower().endswith(tuple(IMAGE_TYPES))]
    keys.sort(key=lambda k: (not any(w in k for w in ("processed", "clean", "page")), k))
    return keys[0] if keys else None


@router.get("/pages/{page_id}/image", responses={**R, 200: {"content": {"image/png": {}, "image/jpeg": {}}}},
            summary="The page's (cleaned) image", response_class=Response)
async def page_image(page_id: str, mongo: MongoDep, store: StoreDep, access: AccessDep) -> Response:
    page = await _read_page(mongo, access, "read_pages", page_id)
    key = await _image_key(store, page)
    if key is None:
        raise not_found("page image", page_id)
    try:
        data = await store.get_bytes(page["bucket"], key)
    except (S3Error, FileNotFoundError, UnsafeObjectName):
        raise not_found("page image", page_id) from None
    ext = "." + key.rsplit(".", 1)[-1].lower()
    return Response(data, media_type=IMAGE_TYPES.get(ext, "application/octet-stream"), headers=DOCUMENT_HEADERS)


# ------------------------------------------------------------------------------- marks and notes


def _mark_out(m: dict[str, Any]) -> dict[str, Any]:
    return {"mark_id": m["_id"], "case_number": m["case_number"], "page_id": m["page_id"], "kind": m["kind"],
            "text": m.get("text", ""), "polygon": m.get("polygon"), "color": m.get("color"),
            "created_at": m["created_at"].isoformat()}


@router.get("/dossiers/{case_number}/marks", response_model=list[MarkOut], responses=R,
            summary="The caller's own marks and notes in this dossier")
async def list_marks(case_number: CaseNumber, mongo: MongoDep, access: AccessDep) -> list[dict[str, Any]]:
    await access.require("read_pages", case_number, resource="marks")
    cursor = mongo.db[repo.MARKS].find({"case_number": case_number, "user": access.identity.subject})
    return [_mark_out(m) async for m in cursor.sort("created_at", 1)]


@router.post("/dossiers/{case_number}/marks", status_code=201, response_model=MarkOut, responses=R,
             summary="Add a personal mark or note on a page")
async def add_mark(case_number: CaseNumber, body: MarkIn, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    page = await _page(mongo, body.page_id)
    if page["case_number"] != case_number:
        raise not_found("page", body.page_id)
    await _read_page(mongo, access, "read_pages", body.page_id)
    mark = {"_id": uuid.uuid4().hex, "case_number": case_number, "user": access.identity.subject,
            **body.model_dump(), "created_at": repo.now()}
    await mongo.db[repo.MARKS].insert_one(mark)
    return _mark_out(mark)


@router.delete("/dossiers/{case_number}/marks/{mark_id}", status_code=204, responses=R,
               summary="Delete one of the caller's marks", response_class=Response)
async def delete_mark(case_number: CaseNumber, mark_id: str, mongo: MongoDep, access: AccessDep) -> Response:
    result = await mongo.db[repo.MARKS].delete_one(
        {"_id": mark_id, "case_number": case_number, "user": access.identity.subject})
    if not result.deleted_count:
        raise not_found("mark", mark_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ online reading


@router.post("/dossiers/{case_number}/reads", status_code=201, response_model=ReadOut, responses=R,
             summary="Record that the caller opened the dossier online (网上阅卷); emits catalog.dossier.read")
async def record_read(case_number: CaseNumber, request: Request, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    decision = await access.require("read_pages", case_number, resource="reading")
    whole, _, vis = await _dossier_for(mongo, case_number, decision)
    dossier = vis.shown(whole)
    ident = access.identity

    async def work(uow):
        await uow.db["reads"].insert_one({"_id": uuid.uuid4().hex, "case_number": case_number,
                                          "reader": ident.subject, "at": repo.now()}, session=uow.session)
        uow.emit(REGISTRY.create("catalog.dossier.read", DossierRead(
            case_number=case_number, reader=ident.subject, reader_name=ident.name, pages=len(dossier.page_ids),
            at=repo.now()), court=ident.court, case_id=case_number))
    try:
        await transact(mongo, work, on_commit=_notify(request))
    except DuplicateKeyError:  # pragma: no cover - uuid collision
        pass
    return {"case_number": case_number, "reader": ident.subject, "recorded": True}
