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

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from juanzong_shared.auth import CurrentIdentity, Decision, Identity, enforce
from juanzong_shared.case_numbers import MAX_LENGTH, case_number_shape_error
from juanzong_shared.contracts import CompiledDossier
from juanzong_shared.pagination import Limit, Offset, Page
from juanzong_shared.problems import PROBLEM_RESPONSES, FieldError, Problem, not_found

from juanzong_catalog.domain.categories import Volume
from juanzong_catalog.domain.disclosure import SPC_3_6, Withholding, visibility
from juanzong_catalog.service_layer.corrections import Corrections
from juanzong_catalog.service_layer.queries import Dossiers
from juanzong_catalog.service_layer.reading import Reading

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
PageId = Annotated[str, PathParam(description="The page (scan-ocr's page_id)", examples=["b1-p0001"])]


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

    async def withheld_by(self, action: str, case_number: str, resource: str) -> Withholding:
        return Withholding.of(await self.require(action, case_number, resource=resource))


def get_access(request: Request, identity: CurrentIdentity) -> Access:
    return Access(request, identity)


def _service(name: str):
    def get(request: Request) -> Any:
        return getattr(request.app.state, name)
    return get


AccessDep = Annotated[Access, Depends(get_access)]
DossiersDep = Annotated[Dossiers, Depends(_service("dossiers"))]
CorrectionsDep = Annotated[Corrections, Depends(_service("corrections"))]
ReadingDep = Annotated[Reading, Depends(_service("reading"))]


def withheld(what: str, key: str) -> Problem:
    return Problem(403, "forbidden", "无权访问", f"{what} {key} 属于副卷或依法不公开的材料，不向本案当事人、诉讼代理人提供",
                   rule=SPC_3_6)


# ---------------------------------------------------------------------------------------- dossier


@router.get("/dossiers/{case_number}", response_model=DossierOut, responses=R,
            summary="The dossier: volumes, documents in standard order, electronic page numbers")
async def get_dossier(case_number: CaseNumber, dossiers: DossiersDep, access: AccessDep) -> dict[str, Any]:
    return await dossiers.view(case_number, await access.withheld_by("read_pages", case_number, "dossier"))


@router.get("/dossiers/{case_number}/catalogue", response_model=CatalogueOut, responses=R,
            summary="卷内目录: sequence, title, issuer, date, page range per volume")
async def get_catalogue(case_number: CaseNumber, dossiers: DossiersDep, access: AccessDep) -> dict[str, Any]:
    return await dossiers.catalogue(case_number, await access.withheld_by("read_pages", case_number, "catalogue"))


@router.get("/dossiers/{case_number}/compiled", response_model=CompiledDossier, responses=R,
            summary="The compiled dossier for archiving: volumes → documents → pages with provenance")
async def get_compiled(case_number: CaseNumber, dossiers: DossiersDep, access: AccessDep) -> CompiledDossier:
    return await dossiers.compiled(case_number, await access.withheld_by("read_pages", case_number, "compiled"))


@router.get("/dossiers/{case_number}/review", responses=R, summary="Documents of one dossier awaiting review")
async def get_review(case_number: CaseNumber, dossiers: DossiersDep, access: AccessDep) -> dict[str, Any]:
    view = await dossiers.view(case_number, await access.withheld_by("read_pages", case_number, "review"))
    return {"case_number": case_number, "documents": view["review_queue"]}


@router.get("/review-queue", responses=R, summary="Dossiers with documents awaiting review (that the caller may edit)")
async def review_queue(dossiers: DossiersDep, access: AccessDep,
                       limit: Annotated[int, Query(ge=1, le=200, examples=[50])] = 50) -> dict[str, Any]:
    return await dossiers.review_queue(lambda cn: access.withholding("write", cn), limit)


# ------------------------------------------------------------------------------------ corrections


@router.post("/dossiers/{case_number}/corrections", status_code=201, response_model=CorrectionOut,
             responses={**R, 409: PROBLEM_RESPONSES[409], 422: PROBLEM_RESPONSES[422]},
             summary="Correct the cataloguing: move, split, merge, reclassify, reorder, rename, edit "
                     "(题名/日期/责任者)")
async def post_correction(case_number: CaseNumber, body: CorrectionIn, corrections: CorrectionsDep,
                          access: AccessDep) -> dict[str, Any]:
    if (await access.withheld_by("write", case_number, f"correction:{body.operation}")).any:
        raise withheld("更正", case_number)  # a corrector sees the whole dossier; one who may not, corrects nothing
    ident = access.identity
    return await corrections.correct(case_number, body.model_dump(exclude_none=True), actor=ident.subject,
                                     actor_name=ident.name, court=ident.court)


@router.get("/dossiers/{case_number}/corrections", responses=R, summary="Every correction, who and when")
async def list_corrections(case_number: CaseNumber, dossiers: DossiersDep, access: AccessDep) -> dict[str, Any]:
    return await dossiers.corrections(case_number,
                                      await access.withheld_by("read_pages", case_number, "corrections"))


# ----------------------------------------------------------------------------------------- search


@router.get("/dossiers/{case_number}/search", response_model=SearchOut, responses=R,
            summary="Keyword search inside one dossier (CJK-aware), hits with line boxes")
async def search_dossier(case_number: CaseNumber, dossiers: DossiersDep, access: AccessDep,
                         q: Annotated[str, Query(min_length=1, max_length=100)],
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    hits = await dossiers.search(case_number, q, limit, await access.withheld_by("search", case_number, "search"))
    return {"query": q, "hits": hits, "total": len(hits)}


@router.get("/search", response_model=SearchOut, responses=R,
            summary="Keyword search across the dossiers the caller may search (nothing about the others)")
async def search_all(dossiers: DossiersDep, access: AccessDep, q: Annotated[str, Query(min_length=1, max_length=100)],
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    hits = await dossiers.search_all(q, lambda cn: access.withholding("search", cn), limit)
    return {"query": q, "hits": hits, "total": len(hits)}


# ------------------------------------------------------------------------------------------ pages


async def _read_page(dossiers: Dossiers, access: Access, action: str, page_id: str,
                     case_number: str | None = None) -> dict[str, Any]:
    """Decide the read of one page (of ``case_number``, when given) — asking about the one document when it is
    副卷 or undisclosable, as the decisions API documents (``volume=sub``, ``undisclosable``) — and carry out
    the yes's obligations. The dossier comes from the process's dossier views (one stamp read while it is
    unchanged)."""
    page, dossier, doc = await dossiers.placed(page_id)
    if case_number is not None and page["case_number"] != case_number:
        raise not_found("page", page_id)
    marks = [f"page:{page_id}"]
    if doc is not None and doc.volume is Volume.SECONDARY:
        marks.append("volume=sub")
    if doc is not None and not doc.disclosable:
        marks.append("undisclosable")
    withholding = await access.withheld_by(action, page["case_number"], ";".join(marks))
    if withholding.any and (dossier is None or visibility(dossier, withholding).page_hidden(page_id)):
        raise withheld("页面", page_id)
    return page


@router.get("/pages/{page_id}/text", response_model=PageTextOut, responses=R,
            summary="A page's OCR text and lines (the selectable text layer)")
async def page_text(page_id: PageId, dossiers: DossiersDep, access: AccessDep) -> dict[str, Any]:
    page = await _read_page(dossiers, access, "read_text", page_id)
    return {"page_id": page_id, "case_number": page["case_number"], "text": page.get("text") or "",
            "lines": page.get("lines") or [], "width": page.get("width") or 0, "height": page.get("height") or 0,
            "blank": bool(page.get("blank"))}


@router.get("/pages/{page_id}/pdf", responses={**R, 200: {"content": {"application/pdf": {}}}},
            summary="The page's searchable PDF (from object storage)", response_class=Response)
async def page_pdf(page_id: PageId, dossiers: DossiersDep, reading: ReadingDep, access: AccessDep) -> Response:
    data = await reading.pdf(await _read_page(dossiers, access, "read_pages", page_id))
    return Response(data, media_type="application/pdf", headers=DOCUMENT_HEADERS)


@router.get("/pages/{page_id}/image", responses={**R, 200: {"content": {"image/png": {}, "image/jpeg": {}}}},
            summary="The page's (cleaned) image", response_class=Response)
async def page_image(page_id: PageId, dossiers: DossiersDep, reading: ReadingDep, access: AccessDep) -> Response:
    data, media_type = await reading.image(await _read_page(dossiers, access, "read_pages", page_id))
    return Response(data, media_type=media_type, headers=DOCUMENT_HEADERS)


# ------------------------------------------------------------------------------- marks and notes


@router.get("/dossiers/{case_number}/marks", response_model=Page[MarkOut], responses=R,
            summary="The caller's own marks and notes in this dossier (oldest first)")
async def list_marks(case_number: CaseNumber, reading: ReadingDep, access: AccessDep, limit: Limit = 50,
                     offset: Offset = 0) -> Page[dict[str, Any]]:
    await access.require("read_pages", case_number, resource="marks")
    marks = await reading.marks(case_number, access.identity.subject, limit=limit + 1, offset=offset)
    return Page.of(marks, limit=limit, offset=offset)


@router.post("/dossiers/{case_number}/marks", status_code=201, response_model=MarkOut, responses=R,
             summary="Add a personal mark or note on a page")
async def add_mark(case_number: CaseNumber, body: MarkIn, dossiers: DossiersDep, reading: ReadingDep,
                   access: AccessDep) -> dict[str, Any]:
    await _read_page(dossiers, access, "read_pages", body.page_id, case_number)
    return await reading.add_mark(case_number, access.identity.subject, body.model_dump())


@router.delete("/dossiers/{case_number}/marks/{mark_id}", status_code=204, responses=R,
               summary="Delete one of the caller's marks", response_class=Response)
async def delete_mark(case_number: CaseNumber, mark_id: str, reading: ReadingDep, access: AccessDep) -> Response:
    await reading.delete_mark(case_number, access.identity.subject, mark_id)
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ online reading


@router.post("/dossiers/{case_number}/reads", status_code=201, response_model=ReadOut, responses=R,
             summary="Record that the caller opened the dossier online (网上阅卷); emits catalog.dossier.read")
async def record_read(case_number: CaseNumber, dossiers: DossiersDep, reading: ReadingDep,
                      access: AccessDep) -> dict[str, Any]:
    whole, _, vis = await dossiers.load(case_number, await access.withheld_by("read_pages", case_number, "reading"))
    ident = access.identity
    return await reading.record_read(case_number, reader=ident.subject, reader_name=ident.name, court=ident.court,
                                     pages=len(vis.shown(whole).page_ids))
