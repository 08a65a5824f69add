"""REST API of scan-ocr: batch upload (multipart and chunked), batch progress, page QC and OCR summary."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from juanzong_shared.auth import CurrentIdentity, Decision, Identity, enforce
from juanzong_shared.deps import MongoDep, StoreDep
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import transact
from juanzong_shared.problems import (
    PROBLEM_RESPONSES,
    FieldError,
    Problem,
    conflict,
    invalid,
    not_found,
)
from minio.error import S3Error

from juanzong_scan_ocr.adapters.repository import BATCHES, JOB_REFUSALS, PAGES, UPLOADS
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
from juanzong_scan_ocr.service_layer.intake import BatchSpec, FileIn, create_batch, keep_originals, plan_files
from juanzong_scan_ocr.service_layer.station_jobs import check_replacement
from juanzong_scan_ocr.settings import ServiceSettings

router = APIRouter(prefix="/v1", tags=["scan-ocr"])
log = get_logger(__name__)

_R = {k: PROBLEM_RESPONSES[k] for k in (401, 403, 404, 409, 413, 422)}


# ----------------------------------------------------------------------------- authorisation


ADD_PAGES = "add_pages"


async def _allow_add_pages(request: Request, identity: Identity, case_number: str,
                           scan_task_id: str | None) -> Decision | None:
    """Every page, whoever hands it in (a person, a service or a station), goes to a case that may take it:
    access-control decides ``add_pages`` for the caller's own token — case registered, of the caller's court,
    inside 第十四条 scope, not 涉密 (第十条), not archived (第三条(八)), and the scan task, when one is named,
    belongs to the case. Asked before anything is read or stored; a no is 403 problem+json naming the rule."""
    decider = getattr(request.app.state, "decider", None)
    if decider is None:
        if not request.app.state.settings.auth_required:
            return None
        raise Problem(503, "access-control-unconfigured", "权限服务未配置", "set JZ_ACCESS_CONTROL_URL")
    return await enforce(decider, identity, ADD_PAGES, case_number,
                         resource=f"scan_task:{scan_task_id}" if scan_task_id else None)


async def _allow_read(request: Request, identity: Identity, batch: dict) -> None:
    """A station follows its own batches' progress and never reads dossiers; others ask access-control."""
    if identity.kind == "station":
        if identity.subject in (batch.get("station_id"), batch.get("created_by")):
            return
        raise Problem(403, "forbidden", "无权访问", "扫描工位只能查看本工位提交批次的进度 (a station sees only its own batches)",
                      rule="扫描工位不得阅卷")
    decider = getattr(request.app.state, "decider", None)
    if decider is None:
        if not request.app.state.settings.auth_required:
            return
        raise Problem(503, "access-control-unconfigured", "权限服务未配置", "set JZ_ACCESS_CONTROL_URL")
    await enforce(decider, identity, "read_pages", batch["case_number"], resource=f"batch:{batch['_id']}")


# ----------------------------------------------------------------------------- intake


def _accepted(request: Request, batch: dict, failures: list[PageFailure]) -> JSONResponse:
    """202 with the batch (some pages may have failed: each is named in ``failures``)."""
    queued = batch["pages_total"] - len(failures)
    body = BatchAccepted(batch_id=batch["_id"], status=batch["status"], case_number=batch["case_number"],
                         scan_task_id=batch.get("scan_task_id"), pages_total=batch["pages_total"], pages_queued=queued,
                         pages_failed=len(failures), failures=failures,
                         links={"self": f"/v1/batches/{batch['_id']}"})
    return JSONResponse(body.model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/v1/batches/{batch['_id']}"})


def _failures(batch_id: str, planned) -> list[PageFailure]:
    return [PageFailure(type=f"https://juanzong.court/problems/page/{p.failure.code}", title="页面被拒收",
                        code=p.failure.code, detail=p.failure.reason_zh, detail_en=p.failure.reason_en,
                        page_id=B.page_id(batch_id, p.seq), seq=p.seq, file_name=p.file_name,
                        page_index=p.page_index) for p in planned if not p.accepted]


async def _intake(request: Request, spec: BatchSpec, files: list[FileIn]) -> JSONResponse:
    """Plan the pages; when none can be processed, answer 422 naming every page and keep nothing (no batch, no
    original); else store the originals and write the batch with its pages and page commands."""
    settings: ServiceSettings = request.app.state.settings
    try:
        planned = await plan_files(request.app.state.store, settings, spec.batch_id, files)
    except PageRejected as rejected:
        raise Problem(422, rejected.code.value, "批次页数超过上限", rejected.reason_zh, detail_en=rejected.reason_en) from None
    failures = _failures(spec.batch_id, planned)
    if planned and len(failures) == len(planned):
        raise _nothing_processable(failures)
    await keep_originals(request.app.state.store, files)
    batch = await transact(request.app.state.mongo, lambda uow: create_batch(uow, spec, planned),
                           on_commit=request.app.state.outbox.notify)
    return _accepted(request, batch, failures)


def _nothing_processable(failures: list[PageFailure]) -> Problem:
    return Problem(422, "no-processable-page", "没有可处理的页面",
                   "; ".join(f"第{f.seq}页 {f.file_name or ''}: {f.detail}" for f in failures)[:2000],
                   errors=[FieldError(field=f"pages[{f.seq}]" + (f" {f.file_name}" if f.file_name else ""),
                                      reason=f"{f.code}: {f.detail} ({f.detail_en})") for f in failures],
                   failures=[f.model_dump(exclude={"page_id"}) for f in failures])


@router.post("/batches", status_code=202, response_model=BatchAccepted, summary="Upload a scan batch (multipart)",
             description="Many page files (PNG, JPEG, TIFF incl. multi-page, PDF) for one scan task. Types are "
                         "decided by content. Each bad file or page is recorded failed with a code and reason "
                         "(listed in `failures` as problem objects naming the page); the other pages are queued. "
                         "When no page at all can be processed the answer is 422 problem+json naming every page, "
                         "and nothing is kept. The caller must be allowed `add_pages` on the case (and the scan "
                         "task must be the case's): 403 problem+json naming the rule otherwise, nothing kept.",
             responses=_R)
async def upload_batch(request: Request, identity: CurrentIdentity,
                       files: Annotated[list[UploadFile], File(description="Page files in page order.")],
                       case_number: Annotated[str, Form(min_length=1, max_length=100, examples=["（2025）吉01民终123号"])],
                       scan_task_id: Annotated[str | None, Form(max_length=100, examples=["st-0001"])] = None,
                       operator: Annotated[str | None, Form(max_length=100, examples=["王书记员"])] = None,
                       replaces: Annotated[list[str] | None, Form(
                           max_length=500, description="Re-scans: `FILE=PAGE_ID`, one entry per file that takes the "
                           "place of a page flagged for re-scan (法〔2016〕264号 二(五)); the file must be a "
                           "single page of the same case.",
                           examples=[["page-07.png=b-3f2a9c1e-p0007"]])] = None):
    await _allow_add_pages(request, identity, case_number, scan_task_id)
    settings: ServiceSettings = request.app.state.settings
    try:
        replacing = B.parse_replacements(replaces or [], {u.filename for u in files if u.filename})
    except ValueError as error:
        raise invalid("replaces", f"重扫替换项无效：{error}（格式：文件名=页面编号）") from None
    items: list[FileIn] = []
    for upload in files:
        f = FileIn(name=upload.filename, replaces_page_id=replacing.get(upload.filename or ""))
        if f.replaces_page_id:
            f.failure = await check_replacement(request.app.state.mongo.db, f.replaces_page_id, case_number)
        try:
            if f.failure is None:
                if upload.size is not None:
                    check_upload_size(upload.size, settings.max_file_bytes)
                data = await upload.read(settings.max_file_bytes + 1)
                check_upload_size(len(data), settings.max_file_bytes)
                f.data = data
        except PageRejected as rejected:
            f.failure = B.Failure.of(rejected)
        finally:
            await upload.close()
        items.append(f)
    spec = BatchSpec(B.new_batch_id(), case_number, scan_task_id, operator, identity.court, "rest",
                     station_id=identity.subject if identity.kind == "station" else None,
                     created_by=identity.subject)
    return await _intake(request, spec, items)


@router.post("/uploads", status_code=201, response_model=UploadState, summary="Start a chunked upload",
             description="For large files (a thick PDF or TIFF): send chunks with PUT ?offset=, resume after a "
                         "break from the returned offset, then POST .../complete to turn the file into a batch.",
             responses=_R)
async def start_upload(request: Request, identity: CurrentIdentity, body: UploadStart, mongo: MongoDep):
    settings: ServiceSettings = request.app.state.settings
    await _allow_add_pages(request, identity, body.case_number, body.scan_task_id)
    try:
        check_upload_size(body.size, settings.max_file_bytes)
    except PageRejected as rejected:
        raise Problem(413, rejected.code.value, "文件过大", rejected.reason_zh, detail_en=rejected.reason_en,
                      errors=[FieldError(field="size", reason=rejected.reason_en)]) from None
    doc = {"_id": "up-" + uuid.uuid4().hex[:20], **body.model_dump(), "offset": 0, "parts": [],
           "state": "receiving", "court": identity.court, "created_by": identity.subject,
           "station_id": identity.subject if identity.kind == "station" else None,
           "created_at": datetime.now(UTC), "batch_id": None}
    await mongo.db[UPLOADS].insert_one(doc)
    return _upload_state(doc, settings)


def _upload_state(doc: dict, settings: ServiceSettings) -> UploadState:
    return UploadState(upload_id=doc["_id"], file_name=doc["file_name"], size=doc["size"], offset=doc["offset"],
                       state=doc["state"], max_chunk_bytes=settings.max_upload_chunk_bytes,
                       batch_id=doc.get("batch_id"))


async def _own_upload(mongo, upload_id: str, identity: Identity) -> dict:
    doc = await mongo.db[UPLOADS].find_one({"_id": upload_id})
    if doc is None or doc.get("created_by") != identity.subject:
        raise not_found("upload", upload_id)
    return doc


@router.get("/uploads/{upload_id}", response_model=UploadState, summary="Where a chunked upload stands",
            responses=_R)
async def get_upload(request: Request, upload_id: str, identity: CurrentIdentity, mongo: MongoDep):
    return _upload_state(await _own_upload(mongo, upload_id, identity), request.app.state.settings)


@router.put("/uploads/{upload_id}", response_model=UploadState, summary="Send one chunk at an offset",
            description="The raw request body is the chunk. `offset` must equal the bytes received so far "
                        "(409 problem with `expected_offset` otherwise — resume from there).", responses=_R)
async def put_chunk(request: Request, upload_id: str, identity: CurrentIdentity, mongo: MongoDep, store: StoreDep,
                    offset: Annotated[int, Query(ge=0, le=2**63 - 1)]):
    settings: ServiceSettings = request.app.state.settings
    doc = await _own_upload(mongo, upload_id, identity)
    if doc["state"] != "receiving":
        raise conflict(f"上传已结束 (upload is {doc['state']})", state=doc["state"])
    if offset != doc["offset"]:
        raise conflict(f"偏移量应为 {doc['offset']} (expected offset {doc['offset']})", expected_offset=doc["offset"])
    chunk = bytearray()
    async for piece in request.stream():
        chunk.extend(piece)
        if len(chunk) > settings.max_upload_chunk_bytes:
            raise Problem(413, "chunk-too-large", "分块过大", f"chunk over {settings.max_upload_chunk_bytes} bytes")
    if not chunk:
        raise Problem(422, "empty-chunk", "分块为空", "empty chunk")
    if offset + len(chunk) > doc["size"]:
        raise Problem(413, "oversize", "超过声明的文件大小",
                      f"chunk ends at {offset + len(chunk)}, beyond the declared size {doc['size']}")
    key = f"uploads/{upload_id}/{offset:016d}-{uuid.uuid4().hex[:8]}"
    await store.put_bytes(settings.pages_bucket, key, bytes(chunk))
    updated = await mongo.db[UPLOADS].find_one_and_update(
        {"_id": upload_id, "offset": offset, "state": "receiving"},
        {"$set": {"offset": offset + len(chunk)}, "$push": {"parts": {"offset": offset, "size": len(chunk), "key": key}}},
        return_document=True)
    if updated is None:  # a concurrent chunk won; ours is dropped
        await store.delete(settings.pages_bucket, key)
        current = await mongo.db[UPLOADS].find_one({"_id": upload_id})
        raise conflict("并发分块冲突 (a concurrent chunk was stored first)", expected_offset=current["offset"])
    return _upload_state(updated, settings)


@router.post("/uploads/{upload_id}/complete", status_code=202, response_model=BatchAccepted,
             summary="Finish a chunked upload: the file becomes a batch",
             description="The case is checked again (`add_pages`: it may have been archived meanwhile). A refusal, "
                         "or a file that holds no processable page, ends the upload (`refused` / `rejected`): its "
                         "chunks are deleted and no batch is made.", responses=_R)
async def complete_upload(request: Request, upload_id: str, identity: CurrentIdentity, mongo: MongoDep,
                          store: StoreDep):
    settings: ServiceSettings = request.app.state.settings
    doc = await _own_upload(mongo, upload_id, identity)
    if doc["state"] == "completed":
        batch = await mongo.db[BATCHES].find_one({"_id": doc["batch_id"]})
        pages = await mongo.db[PAGES].find({"batch_id": doc["batch_id"], "failure": {"$ne": None}}).to_list(None)
        return _accepted(request, batch, [_page_failure(p) for p in pages])
    if doc["state"] in ("refused", "rejected"):
        raise conflict(f"上传已被拒收 (upload was {doc['state']})", state=doc["state"])
    if doc["offset"] != doc["size"]:
        raise conflict(f"尚未收齐：已收到 {doc['offset']} / {doc['size']} 字节 (incomplete upload)",
                       expected_offset=doc["offset"])
    try:
        await _allow_add_pages(request, identity, doc["case_number"], doc.get("scan_task_id"))
    except Problem as refused:
        if refused.status == 403:
            await _end_upload(mongo, store, settings, doc, "refused")
        raise
    data = b"".join([await store.get_bytes(settings.pages_bucket, part["key"])
                     for part in sorted(doc["parts"], key=lambda p: p["offset"])])
    if doc.get("sha256") and hashlib.sha256(data).hexdigest() != doc["sha256"]:
        raise Problem(422, "checksum-mismatch", "文件校验失败", "sha256 of the received bytes differs from the declared one",
                      errors=[FieldError(field="sha256", reason="mismatch")])
    batch_id = B.new_batch_id()
    claimed = await mongo.db[UPLOADS].update_one({"_id": upload_id, "state": "receiving"},
                                                 {"$set": {"state": "completing", "batch_id": batch_id}})
    if claimed.modified_count == 0:
        raise conflict("上传正在完成中 (upload is being completed)")
    spec = BatchSpec(batch_id, doc["case_number"], doc.get("scan_task_id"), doc.get("operator"), doc.get("court"),
                     "upload", station_id=doc.get("station_id"), created_by=doc["created_by"],
                     extra={"upload_id": upload_id})
    try:
        response = await _intake(request, spec, [FileIn(name=doc["file_name"], data=data)])
    except Problem as rejected:
        if rejected.status == 422:
            await _end_upload(mongo, store, settings, doc, "rejected")
        raise
    await mongo.db[UPLOADS].update_one({"_id": upload_id}, {"$set": {"state": "completed"}})
    await _delete_chunks(store, settings, doc)
    return response


async def _end_upload(mongo, store, settings: ServiceSettings, doc: dict, state: str) -> None:
    """A refused or rejected upload keeps no bytes: its chunks go, the session says why it ended."""
    await mongo.db[UPLOADS].update_one({"_id": doc["_id"]}, {"$set": {"state": state, "parts": [],
                                                                      "batch_id": None}})
    await _delete_chunks(store, settings, doc)


async def _delete_chunks(store, settings: ServiceSettings, doc: dict) -> None:
    for part in doc["parts"]:
        try:
            await store.delete(settings.pages_bucket, part["key"])
        except (S3Error, OSError) as error:  # leftovers only cost space
            log.warning("upload chunk not deleted", key=part["key"], error=str(error))


def _page_failure(p: dict) -> PageFailure:
    f = p["failure"]
    return PageFailure(type=f"https://juanzong.court/problems/page/{f['code']}", title="页面被拒收", code=f["code"],
                       detail=f["reason_zh"], detail_en=f["reason_en"], page_id=p["_id"], seq=p["seq"],
                       file_name=p.get("file_name"), page_index=p.get("page_index"))


# ----------------------------------------------------------------------------- station jobs


@router.post("/station-jobs/check", response_model=StationJobCheckOut, summary="May pages of this task enter this case?",
             description="Asked by a scanning station before it uploads anything: access-control decides `add_pages` "
                         "for the caller (the station's own token) on the case, narrowed to the scan task when one "
                         "is named. 403 problem+json naming the rule when not; nothing is stored either way.",
             responses=_R)
async def check_station_job(request: Request, identity: CurrentIdentity, body: StationJobCheck):
    decision = await _allow_add_pages(request, identity, body.case_number, body.scan_task_id)
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
                          mongo: MongoDep):
    if identity.kind != "station" or not B.valid_station_id(identity.subject):
        raise Problem(403, "forbidden", "无权访问", "只有提交该作业的扫描工位可以查看作业结果 (a station's own jobs only)")
    key = B.station_batch_id(identity.subject, job_id)
    batch = await mongo.db[BATCHES].find_one({"_id": key}, {"case_number": 1, "scan_task_id": 1, "created_at": 1})
    if batch is not None:
        return StationJobState(job_id=job_id, state="accepted", batch_id=key, case_number=batch["case_number"],
                               scan_task_id=batch.get("scan_task_id"), at=batch.get("created_at"),
                               links={"batch": f"/v1/batches/{key}"})
    refusal = await mongo.db[JOB_REFUSALS].find_one({"_id": key})
    if refusal is None:
        raise Problem(404, "not-found", "未找到", f"作业 {job_id} 尚未受理或不存在 (job not taken in yet, or never sent)")
    return StationJobState(job_id=job_id, state="refused", case_number=refusal.get("case_number"),
                           scan_task_id=refusal.get("scan_task_id"), code=refusal.get("code"),
                           reason=refusal.get("reason_zh"), reason_en=refusal.get("reason_en"),
                           rule=refusal.get("rule"), files_deleted=refusal.get("files_deleted"),
                           at=refusal.get("refused_at"))


# ----------------------------------------------------------------------------- progress and pages


@router.get("/batches/{batch_id}", response_model=BatchView, summary="Progress of a batch, page by page",
            description="Counts and every page's state with the failure reason. A station may follow its own "
                        "batches; others need the case's read_pages permission.", responses=_R)
async def get_batch(request: Request, batch_id: str, identity: CurrentIdentity, mongo: MongoDep,
                    pages: Annotated[bool, Query(description="Include the per-page list.")] = True):
    batch = await mongo.db[BATCHES].find_one({"_id": batch_id})
    if batch is None:
        raise not_found("batch", batch_id)
    await _allow_read(request, identity, batch)
    states: list[PageState] = []
    if pages:
        cursor = mongo.db[PAGES].find({"batch_id": batch_id}, {"seq": 1, "status": 1, "file_name": 1, "page_index": 1,
                                                                 "needs_rescan": 1, "failure": 1}).sort("seq", 1)
        states = [PageState(page_id=p["_id"], seq=p["seq"], status=p["status"], file_name=p.get("file_name"),
                            page_index=p.get("page_index", 0), needs_rescan=p.get("needs_rescan"),
                            failure=p.get("failure")) async for p in cursor]
    return BatchView(batch_id=batch["_id"], pages=states, **{k: batch.get(k) for k in (
        "status", "completed", "case_number", "scan_task_id", "source", "station_id", "job_id", "operator",
        "pages_total", "pages_done", "pages_failed", "pages_rescan", "created_at", "completed_at")})


@router.get("/pages/{page_id}", response_model=PageView, summary="QC numbers and OCR summary of a page",
            responses=_R)
async def get_page(request: Request, page_id: str, identity: CurrentIdentity, mongo: MongoDep):
    page = await mongo.db[PAGES].find_one({"_id": page_id})
    if page is None:
        raise not_found("page", page_id)
    batch = await mongo.db[BATCHES].find_one({"_id": page["batch_id"]})
    await _allow_read(request, identity, batch)
    return PageView(page_id=page["_id"], **{k: v for k, v in page.items() if k != "_id"})
