"""catalog's REST API: the dossier, its 卷内目录, the compiled view, corrections, search, pages, marks.

Every read of pages, text and search results asks access-control first (``enforce``; 吉高法〔2020〕11号
第九条: unfinished cases only for those entitled); cross-dossier search shows only dossiers the caller
may search. Service accounts holding the ``dossier:read`` scope (archive) read without asking.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from juanzong_shared.auth import CurrentIdentity, Identity, enforce
from juanzong_shared.deps import MongoDep, StoreDep
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.catalog import DossierRead
from juanzong_shared.outbox import transact
from juanzong_shared.problems import PROBLEM_RESPONSES, Problem, not_found
from juanzong_shared.storage import UnsafeObjectName
from minio.error import S3Error
from pymongo.errors import DuplicateKeyError

from juanzong_catalog.adapters import repository as repo
from juanzong_catalog.service_layer import queries
from juanzong_catalog.service_layer.corrections import correct

from .schemas import (
    CatalogueOut,
    CompiledOut,
    CorrectionIn,
    CorrectionOut,
    DossierOut,
    MarkIn,
    MarkOut,
    PageTextOut,
    ReadOut,
    SearchOut,
)

READ_SCOPE = "dossier:read"
READ_ACTIONS = frozenset({"read_pages", "read_text", "search", "read_archive"})
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
               ".tif": "image/tiff", ".tiff": "image/tiff"}

router = APIRouter(prefix="/v1", tags=["catalog"])
R = {k: PROBLEM_RESPONSES[k] for k in (401, 403, 404)}


class Access:
    """The caller and the way to ask about them: ``await access.require(action, case_number)``."""

    def __init__(self, request: Request, identity: Identity) -> None:
        self.request = request
        self.identity = identity

    def _service_reader(self, action: str) -> bool:
        return self.identity.kind == "service" and READ_SCOPE in self.identity.scopes and action in READ_ACTIONS

    def _decider(self):
        decider = getattr(self.request.app.state, "decider", None)
        if decider is None:
            raise Problem(503, "access-control-unconfigured", "权限服务未配置", "set JZ_ACCESS_CONTROL_URL")
        return decider

    async def require(self, action: str, case_number: str, resource: str | None = None) -> None:
        if self._service_reader(action):
            return
        await enforce(self._decider(), self.identity, action, case_number, resource=resource)

    async def may(self, action: str, case_number: str) -> bool:
        if self._service_reader(action):
            return True
        return (await self._decider().decide(self.identity, action, case_number)).allowed


def get_access(request: Request, identity: CurrentIdentity) -> Access:
    return Access(request, identity)


AccessDep = Annotated[Access, Depends(get_access)]


def _notify(request: Request):
    relay = getattr(request.app.state, "outbox", None)
    return relay.notify if relay else None


# ---------------------------------------------------------------------------------------- dossier


@router.get("/dossiers/{case_number}", response_model=DossierOut, responses=R,
            summary="The dossier: volumes, documents in standard order, electronic page numbers")
async def get_dossier(case_number: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    dossier, raw = await queries.require_dossier(mongo.db, case_number)
    return queries.dossier_view(dossier, raw)


@router.get("/dossiers/{case_number}/catalogue", response_model=CatalogueOut, responses=R,
            summary="卷内目录: sequence, title, issuer, date, page range per volume")
async def get_catalogue(case_number: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    dossier, _ = await queries.require_dossier(mongo.db, case_number)
    return {"case_number": case_number, "rows": queries.catalogue_rows(dossier),
            "review_pending": sum(1 for d in dossier.documents if d.category is None)}


@router.get("/dossiers/{case_number}/compiled", response_model=CompiledOut, responses=R,
            summary="The compiled dossier for archiving: volumes → documents → pages with provenance")
async def get_compiled(case_number: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    dossier, raw = await queries.require_dossier(mongo.db, case_number)
    return await queries.compiled_view(mongo.db, dossier, raw)


@router.get("/dossiers/{case_number}/review", responses=R, summary="Documents of one dossier awaiting review")
async def get_review(case_number: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    dossier, raw = await queries.require_dossier(mongo.db, case_number)
    return {"case_number": case_number, "documents": queries.dossier_view(dossier, raw)["review_queue"]}


@router.get("/review-queue", responses=R, summary="Dossiers with documents awaiting review (that the caller may edit)")
async def review_queue(mongo: MongoDep, access: AccessDep,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
    items = []
    for raw in await repo.dossiers_with_review(mongo.db, limit=limit):
        if not await access.may("write", raw["_id"]):
            continue
        dossier = repo.dossier_from(raw)
        items.append({"case_number": raw["_id"], "documents": [
            {"document_id": d.document_id, "candidate": d.candidate.value, "title": d.title,
             "confidence": d.confidence, "pages": len(d.page_ids)} for d in dossier.documents if d.category is None]})
    return {"dossiers": items, "total_documents": sum(len(i["documents"]) for i in items)}


# ------------------------------------------------------------------------------------ corrections


@router.post("/dossiers/{case_number}/corrections", status_code=201, response_model=CorrectionOut,
             responses={**R, 409: PROBLEM_RESPONSES[409], 422: PROBLEM_RESPONSES[422]},
             summary="Correct the cataloguing: move, split, merge, reclassify, reorder, rename, edit "
                     "(题名/日期/责任者)")
async def post_correction(case_number: str, body: CorrectionIn, request: Request, mongo: MongoDep,
                          access: AccessDep) -> dict[str, Any]:
    await access.require("write", case_number)
    ident = access.identity
    return await transact(mongo, lambda uow: correct(
        uow, case_number, body.model_dump(exclude_none=True), actor=ident.subject, actor_name=ident.name,
        court=ident.court), on_commit=_notify(request))


@router.get("/dossiers/{case_number}/corrections", responses=R, summary="Every correction, who and when")
async def list_corrections(case_number: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    cursor = mongo.db[repo.CORRECTIONS].find({"case_number": case_number}).sort("at", 1)
    items = []
    async for c in cursor:
        c.pop("_id", None)
        c["at"] = c["at"].isoformat()
        items.append(c)
    dossier, _ = await queries.require_dossier(mongo.db, case_number)
    return {"case_number": case_number, "corrections": items, "cataloguing_rate": queries.rate_view(dossier)}


# ----------------------------------------------------------------------------------------- search


def _search_cache(request: Request):
    runtime = getattr(request.app.state, "catalog", None)
    return runtime.search_cache if runtime is not None else None



@router.get("/dossiers/{case_number}/search", response_model=SearchOut, responses=R,
            summary="Keyword search inside one dossier (CJK-aware), hits with line boxes")
async def search_dossier(case_number: str, request: Request, mongo: MongoDep, access: AccessDep,
                         q: Annotated[str, Query(min_length=1, max_length=100)],
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    await access.require("search", case_number)
    hits = await queries.search_dossier(mongo.db, case_number, q, limit, cache=_search_cache(request))
    return {"query": q, "hits": hits, "total": len(hits)}


@router.get("/search", response_model=SearchOut, responses=R,
            summary="Keyword search across the dossiers the caller may search")
async def search_all(request: Request, mongo: MongoDep, access: AccessDep,
                     q: Annotated[str, Query(min_length=1, max_length=100)],
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    hits, withheld = await queries.search_all(mongo.db, q, lambda cn: access.may("search", cn), limit,
                                              cache=_search_cache(request))
    return {"query": q, "hits": hits, "total": len(hits), "withheld_dossiers": withheld}


# ------------------------------------------------------------------------------------------ pages


async def _page(mongo, page_id: str) -> dict[str, Any]:
    page = await repo.get_page(mongo.db, page_id)
    if page is None:
        raise not_found("page", page_id)
    return page


@router.get("/pages/{page_id}/text", response_model=PageTextOut, responses=R,
            summary="A page's OCR text and lines (the selectable text layer)")
async def page_text(page_id: str, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    page = await _page(mongo, page_id)
    await access.require("read_text", page["case_number"], resource=page_id)
    return {"page_id": page_id, "case_number": page["case_number"], "text": page.get("text") or "",
            "lines": page.get("lines") or [], "width": page.get("width") or 0, "height": page.get("height") or 0,
            "blank": bool(page.get("blank"))}


@router.get("/pages/{page_id}/pdf", responses={**R, 200: {"content": {"application/pdf": {}}}},
            summary="The page's searchable PDF (from object storage)", response_class=Response)
async def page_pdf(page_id: str, mongo: MongoDep, store: StoreDep, access: AccessDep) -> Response:
    page = await _page(mongo, page_id)
    await access.require("read_pages", page["case_number"], resource=page_id)
    if not page.get("pdf_key"):
        raise not_found("page pdf", page_id)
    try:
        data = await store.get_bytes(page["bucket"], page["pdf_key"])
    except (S3Error, FileNotFoundError, UnsafeObjectName):
        raise not_found("page pdf", page_id) from None
    return Response(data, media_type="application/pdf", headers={"Cache-Control": "private, max-age=300"})


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
    page = await _page(mongo, page_id)
    await access.require("read_pages", page["case_number"], resource=page_id)
    key = await _image_key(store, page)
    if key is None:
        raise not_found("page image", page_id)
    try:
        data = await store.get_bytes(page["bucket"], key)
    except (S3Error, FileNotFoundError, UnsafeObjectName):
        raise not_found("page image", page_id) from None
    ext = "." + key.rsplit(".", 1)[-1].lower()
    return Response(data, media_type=IMAGE_TYPES.get(ext, "application/octet-stream"),
                    headers={"Cache-Control": "private, max-age=300"})


# ------------------------------------------------------------------------------- marks and notes


def _mark_out(m: dict[str, Any]) -> dict[str, Any]:
    return {"mark_id": m["_id"], "case_number": m["case_number"], "page_id": m["page_id"], "kind": m["kind"],
            "text": m.get("text", ""), "polygon": m.get("polygon"), "color": m.get("color"),
            "created_at": m["created_at"].isoformat()}


@router.get("/dossiers/{case_number}/marks", response_model=list[MarkOut], responses=R,
            summary="The caller's own marks and notes in this dossier")
async def list_marks(case_number: str, mongo: MongoDep, access: AccessDep) -> list[dict[str, Any]]:
    await access.require("read_pages", case_number)
    cursor = mongo.db[repo.MARKS].find({"case_number": case_number, "user": access.identity.subject})
    return [_mark_out(m) async for m in cursor.sort("created_at", 1)]


@router.post("/dossiers/{case_number}/marks", status_code=201, response_model=MarkOut, responses=R,
             summary="Add a personal mark or note on a page")
async def add_mark(case_number: str, body: MarkIn, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    page = await _page(mongo, body.page_id)
    if page["case_number"] != case_number:
        raise not_found("page", body.page_id)
    mark = {"_id": uuid.uuid4().hex, "case_number": case_number, "user": access.identity.subject,
            **body.model_dump(), "created_at": repo.now()}
    await mongo.db[repo.MARKS].insert_one(mark)
    return _mark_out(mark)


@router.delete("/dossiers/{case_number}/marks/{mark_id}", status_code=204, responses=R,
               summary="Delete one of the caller's marks", response_class=Response)
async def delete_mark(case_number: str, mark_id: str, mongo: MongoDep, access: AccessDep) -> Response:
    result = await mongo.db[repo.MARKS].delete_one(
        {"_id": mark_id, "case_number": case_number, "user": access.identity.subject})
    if not result.deleted_count:
        raise not_found("mark", mark_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ online reading


@router.post("/dossiers/{case_number}/reads", status_code=201, response_model=ReadOut, responses=R,
             summary="Record that the caller opened the dossier online (网上阅卷); emits catalog.dossier.read")
async def record_read(case_number: str, request: Request, mongo: MongoDep, access: AccessDep) -> dict[str, Any]:
    await access.require("read_pages", case_number)
    dossier, _ = await queries.require_dossier(mongo.db, case_number)
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
