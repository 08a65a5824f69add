"""REST API of scan-ocr: batch upload (multipart and chunked), batch progress, page QC and OCR summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from juanzong_shared.auth import CurrentIdentity
from juanzong_shared.deps import from_state
from juanzong_shared.problems import PROBLEM_RESPONSES, invalid

from juanzong_scan_ocr.domain import batches as B
from juanzong_scan_ocr.domain.formats import PageRejected, check_upload_size
from juanzong_scan_ocr.entrypoints.schemas import (
    BatchAccepted,
    BatchView,
    PageFailure,
    PageState,
    PageView,
    StationJobCheck,
    StationJobCheckOut,
    StationJobState,
    UploadStart,
    UploadState,
)
from juanzong_scan_ocr.service_layer.access import CaseGate
from juanzong_scan_ocr.service_layer.intake import BatchIntake, BatchSpec, FileIn
from juanzong_scan_ocr.service_layer.progress import Progress
from juanzong_scan_ocr.service_layer.uploads import Uploads

router = APIRouter(prefix="/v1", tags=["scan-ocr"])

_R = {k: PROBLEM_RESPONSES[k] for k in (401, 403, 404, 409, 413, 422)}



Intake = Annotated[BatchIntake, Depends(from_state("intake"))]
UploadsDep = Annotated[Uploads, Depends(from_state("uploads"))]
ProgressDep = Annotated[Progress, Depends(from_state("progress"))]
Gate = Annotated[CaseGate, Depends(from_state("gate"))]


def _accepted(batch: dict, failures: list[dict]) -> JSONResponse:
    """202 with the batch (some pages may have failed: each is named in ``failures``)."""
    queued = batch["pages_total"] - len(failures)
    body = BatchAccepted(batch_id=batch["_id"], status=batch["status"], case_number=batch["case_number"],
                         scan_task_id=batch.get("scan_task_id"), pages_total=batch["pages_total"], pages_queued=queued,
                         pages_failed=len(failures), failures=[PageFailure(**f) for f in failures],
                         links={"self": f"/v1/batches/{batch['_id']}"})
    return JSONResponse(body.model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/v1/batches/{batch['_id']}"})


@router.post("/batches", status_code=202, response_model=BatchAccepted, summary="Upload a scan batch (multipart)",
             description="Many page files (PNG, JPEG, TIFF incl. multi-page, PDF) for one scan task. Types are "
                         "decided by content. Each bad file or page is recorded failed with a code and reason "
                         "(listed in `failures` as problem objects naming the page); the other pages are queued. "
                         "When no page at all can be processed the answer is 422 problem+json naming every page, "
                         "and nothing is kept. The caller must be allowed `add_pages` on the case (and the scan "
                         "task must be the case's): 403 problem+json naming the rule otherwise, nothing kept.",
             responses=_R)
async def upload_batch(intake: Intake, gate: Gate, identity: CurrentIdentity,
                       files: Annotated[list[UploadFile], File(description="Page files in page order.")],
                       case_number: Annotated[str, Form(min_length=1, max_length=100, examples=["（2025）吉01民终123号"])],
                       scan_task_id: Annotated[str | None, Form(max_length=100, examples=["st-0001"])] = None,
                       operator: Annotated[str | None, Form(max_length=100, examples=["王书记员"])] = None,
                       replaces: Annotated[list[str] | None, Form(
                           max_length=500, description="Re-scans: `FILE=PAGE_ID`, one entry per file that takes the "
                           "place of a page flagged for re-scan (法〔2016〕264号 二(五)); the file must be a "
                           "single page of the same case.",
                           examples=[["page-07.png=b-3f2a9c1e-p0007"]])] = None):
    await gate.add_pages(identity, case_number, scan_task_id)
    max_bytes = intake.settings.max_file_bytes
    try:
        replacing = B.parse_replacements(replaces or [], {u.filename for u in files if u.filename})
    except ValueError as error:
        raise invalid("replaces", f"重扫替换项无效：{error}（格式：文件名=页面编号）") from None
    items: list[FileIn] = []
    for upload in files:
        f = FileIn(name=upload.filename, replaces_page_id=replacing.get(upload.filename or ""))
        if f.replaces_page_id:
            f.failure = await intake.check_replacement(f.replaces_page_id, case_number)
        try:
            if f.failure is None:
                if upload.size is not None:
                    check_upload_size(upload.size, max_bytes)
                data = await upload.read(max_bytes + 1)
                check_upload_size(len(data), max_bytes)
                f.data = data
        except PageRejected as rejected:
            f.failure = B.Failure.of(rejected)
        finally:
            await upload.close()
        items.append(f)
    spec = BatchSpec(B.new_batch_id(), case_number, scan_task_id, operator, identity.court, "rest",
                     station_id=identity.subject if identity.kind == "station" else None,
                     created_by=identity.subject)
    return _accepted(*await intake.take_in(spec, items))


@router.post("/uploads", status_code=201, response_model=UploadState, summary="Start a chunked upload",
             description="For large files (a thick PDF or TIFF): send chunks with PUT ?offset=, resume after a "
                         "break from the returned offset, then POST .../complete to turn the file into a batch.",
             responses=_R)
async def start_upload(uploads: UploadsDep, identity: CurrentIdentity, body: UploadStart):
    return _upload_state(await uploads.start(identity, body.model_dump()), uploads)


def _upload_state(doc: dict, uploads: Uploads) -> UploadState:
    return UploadState(upload_id=doc["_id"], file_name=doc["file_name"], size=doc["size"], offset=doc["offset"],
                       state=doc["state"], max_chunk_bytes=uploads.settings.max_upload_chunk_bytes,
                       batch_id=doc.get("batch_id"))


@router.get("/uploads/{upload_id}", response_model=UploadState, summary="Where a chunked upload stands",
            responses=_R)
async def get_upload(upload_id: str, identity: CurrentIdentity, uploads: UploadsDep):
    return _upload_state(await uploads.own(upload_id, identity), uploads)


@router.put("/uploads/{upload_id}", response_model=UploadState, summary="Send one chunk at an offset",
            description="The raw request body is the chunk. `offset` must equal the bytes received so far "
                        "(409 problem with `expected_offset` otherwise — resume from there).", responses=_R)
async def put_chunk(request: Request, upload_id: str, identity: CurrentIdentity, uploads: UploadsDep,
                    offset: Annotated[int, Query(ge=0, le=2**63 - 1)]):
    doc = await uploads.receiving_at(upload_id, identity, offset)
    chunk = bytearray()
    async for piece in request.stream():
        chunk.extend(piece)
        if len(chunk) > uploads.settings.max_upload_chunk_bytes:
            raise uploads.chunk_too_large()
    return _upload_state(await uploads.put_chunk(doc, offset, bytes(chunk)), uploads)


@router.post("/uploads/{upload_id}/complete", status_code=202, response_model=BatchAccepted,
             summary="Finish a chunked upload: the file becomes a batch",
             description="The case is checked again (`add_pages`: it may have been archived meanwhile). A refusal, "
                         "or a file that holds no processable page, ends the upload (`refused` / `rejected`): its "
                         "chunks are deleted and no batch is made.", responses=_R)
async def complete_upload(upload_id: str, identity: CurrentIdentity, uploads: UploadsDep):
    return _accepted(*await uploads.complete(upload_id, identity))


# ----------------------------------------------------------------------------- station jobs


@router.post("/station-jobs/check", response_model=StationJobCheckOut, summary="May pages of this task enter this case?",
             description="Asked by a scanning station before it uploads anything: access-control decides `add_pages` "
                         "for the caller (the station's own token) on the case, narrowed to the scan task when one "
                         "is named. 403 problem+json naming the rule when not; nothing is stored either way.",
             responses=_R)
async def check_station_job(gate: Gate, identity: CurrentIdentity, body: StationJobCheck):
    decision = await gate.add_pages(identity, body.case_number, body.scan_task_id)
    if decision is None:
        return StationJobCheckOut(allowed=True, case_number=body.case_number, scan_task_id=body.scan_task_id,
                                  reason="未启用鉴权（开发环境） (authentication is off)")
    return StationJobCheckOut(allowed=True, case_number=body.case_number, scan_task_id=body.scan_task_id,
                              reason=decision.reason, rule=decision.rule)


@router.get("/station-jobs/{job_id}", response_model=StationJobState, summary="What became of a station's job",
            description="For the station that sent the job (its own jobs only): `accepted` with the batch, or "
                        "`refused` with the reason and the rule (nothing of a refused job is kept, its files are "
                        "deleted). 404 while the job has not been taken in (or was never sent).", responses=_R)
async def get_station_job(job_id: Annotated[str, Path(min_length=1, max_length=100)], identity: CurrentIdentity,
                          progress: ProgressDep):
    state, doc = await progress.station_job(job_id, identity)
    if state == "accepted":
        return StationJobState(job_id=job_id, state="accepted", batch_id=doc["_id"], case_number=doc["case_number"],
                               scan_task_id=doc.get("scan_task_id"), at=doc.get("created_at"),
                               links={"batch": f"/v1/batches/{doc['_id']}"})
    return StationJobState(job_id=job_id, state="refused", case_number=doc.get("case_number"),
                           scan_task_id=doc.get("scan_task_id"), code=doc.get("code"),
                           reason=doc.get("reason_zh"), reason_en=doc.get("reason_en"),
                           rule=doc.get("rule"), files_deleted=doc.get("files_deleted"),
                           at=doc.get("refused_at"))


# ----------------------------------------------------------------------------- progress and pages


@router.get("/batches/{batch_id}", response_model=BatchView, summary="Progress of a batch, page by page",
            description="Counts and every page's state with the failure reason. A station may follow its own "
                        "batches; others need the case's read_pages permission.", responses=_R)
async def get_batch(batch_id: str, identity: CurrentIdentity, progress: ProgressDep,
                    pages: Annotated[bool, Query(description="Include the per-page list.")] = True):
    batch, records = await progress.batch(batch_id, identity, pages=pages)
    states = [PageState(page_id=p["_id"], seq=p["seq"], status=p["status"], file_name=p.get("file_name"),
                        page_index=p.get("page_index", 0), needs_rescan=p.get("needs_rescan"),
                        failure=p.get("failure")) for p in records]
    return BatchView(batch_id=batch["_id"], pages=states, **{k: batch.get(k) for k in (
        "status", "completed", "case_number", "scan_task_id", "source", "station_id", "job_id", "operator",
        "pages_total", "pages_done", "pages_failed", "pages_rescan", "created_at", "completed_at")})


@router.get("/pages/{page_id}", response_model=PageView, summary="QC numbers and OCR summary of a page",
            responses=_R)
async def get_page(page_id: str, identity: CurrentIdentity, progress: ProgressDep):
    page = await progress.page(page_id, identity)
    return PageView(page_id=page["_id"], **{k: v for k, v in page.items() if k != "_id"})
