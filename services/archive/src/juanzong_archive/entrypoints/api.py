"""REST API of the archive service: the close-to-archive workflow and the e-archive (thin handlers).

A case-number path is checked for its shape before anything else, the caller authenticated before the
database is touched. Every read and every step is decided by access-control for the caller (its audit record
is the trace, 吉高法〔2020〕11号 第九条 全程留痕), no role or service account excepted — which question for which
route is ``domain.access``: the workflow record and its steps ``read_case``, the e-archive ``read_archive``, a
移交 ``transfer_archive``; a 涉密 case is invisible (404) to those refused with 第十条. Every workflow step is
then checked by the domain (state, role, responsible person) and answers a problem naming the rule when
refused. Documents (packages, reports) carry ``nosniff`` and a Content-Security-Policy.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, StreamingResponse
from juanzong_shared.auth import AccessDecider, CurrentIdentity, Decision, Identity, enforce
from juanzong_shared.case_numbers import MAX_LENGTH, CaseNumber, InvalidCaseNumber, court_code_of
from juanzong_shared.deps import DeciderDep, from_state
from juanzong_shared.pagination import Limit, Offset, Page
from juanzong_shared.problems import PROBLEM_RESPONSES, FieldError, Problem
from starlette.background import BackgroundTask

from juanzong_archive.adapters.bagit_package import ExportFormat
from juanzong_archive.domain import access as rules
from juanzong_archive.domain.errors import missing_case, no_package
from juanzong_archive.domain.report import REPORT_CSP
from juanzong_archive.domain.workflow import Actor, HistoryEntry, Step
from juanzong_archive.entrypoints.schemas import (
    CN_EXAMPLE,
    ArchiveStatus,
    Backup,
    Compile,
    Note,
    Return,
    ReviewPass,
    VerifyResult,
    status_of,
)
from juanzong_archive.service_layer.archiving import ARCHIVE_BUCKET, ArchiveService
from juanzong_archive.service_layer.workflow import actor_of, now, state_of

router = APIRouter(prefix="/v1", tags=["archive"])


def _responses(*codes: int) -> dict:
    return {c: PROBLEM_RESPONSES[c] for c in codes}


ServiceDep = Annotated[ArchiveService, Depends(from_state("archive"))]


# a file served by the archive is never sniffed into something else and never runs anything
DOCUMENT_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


_UNSEEN = object()


async def decide(decider: AccessDecider, identity: Identity, action: str, case_number: str,
                 resource: str | None = None, *, record: Any = _UNSEEN) -> Decision:
    """access-control's yes for ``action`` (its audit record names the caller and ``resource``), or the refusal:
    403 naming the rule; the 404 of an unknown case for a 涉密 case (第十条) — and, given the archive's ``record``
    of the case, for a refused caller when there is none, so that a 涉密 case answers exactly like a case that
    does not exist; 403 for a yes that would have material withheld from a whole record."""
    try:
        decision = await _settled(decider, identity, action, case_number, resource,
                                  record if isinstance(record, dict) else None)
    except Problem as problem:
        if problem.status == 403 and (rules.hides_case(problem.extra.get("rule")) or record is None or (
                isinstance(record, dict) and (record.get("intake") or {}).get("secret"))):
            raise missing_case(case_number) from None
        raise
    if rules.must_withhold(decision.excludes_sub_volume, decision.excludes_undisclosable):
        raise Problem(403, "forbidden", "无权访问", rules.WITHHELD_REASON, rule=rules.SPC_3_6)
    return decision


async def _settled(decider: AccessDecider, identity: Identity, action: str, case_number: str, resource: str | None,
                   record: dict | None, *, wait: float = 6.0) -> Decision:
    """``enforce``, asked again for up to ``wait`` seconds while access-control has not yet heard of a 审核归档 this
    archive made moments ago (``rules.may_be_settling``). Each new question names its attempt in ``resource``, so it
    reaches access-control (a cached no is not reused) and its audit record shows it."""
    try:
        return await enforce(decider, identity, action, case_number, resource=resource)
    except Problem as problem:
        if not (problem.status == 403 and rules.may_be_settling(record, problem.extra.get("rule"), now())):
            raise
        refused = problem
    loop = asyncio.get_running_loop()
    deadline, delay, attempt = loop.time() + wait, 0.1, 1
    while loop.time() < deadline:
        await asyncio.sleep(delay)
        delay, attempt = min(delay * 2, 1.0), attempt + 1
        try:
            return await enforce(decider, identity, action, case_number, resource=f"{resource or ''};settle:{attempt}")
        except Problem as problem:
            if not (problem.status == 403 and rules.may_be_settling(record, problem.extra.get("rule"), now())):
                raise
            refused = problem
    raise refused


def case_number_param(case_number: Annotated[str, PathParam(description="案号 (percent-encoded)",
                                                              examples=[CN_EXAMPLE])]) -> str:
    """Refused (422) before anything else — token, database — when it cannot be a 案号."""
    try:
        CaseNumber.parse(case_number)
    except InvalidCaseNumber as error:
        raise Problem(422, "validation", "请求参数无效", f"案号“{case_number[:MAX_LENGTH]}”不符合案号编制规则",
                      errors=[FieldError(field="case_number", reason=error.reason)]) from None
    return case_number.strip()


CaseNumberParam = Annotated[str, Depends(case_number_param)]


# ------------------------------------------------------------------------------------ reads


@router.get("/archives/{case_number}", response_model=ArchiveStatus, summary="归档状态: state, clock, package, history",
            responses=_responses(403, 404, 422))
async def get_status(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                     service: ServiceDep) -> ArchiveStatus:
    await decide(decider, identity, rules.READ_CASE, case_number, "archive:record", record=await service.find(case_number))
    return status_of(await service.record(case_number))


@router.get("/archives/{case_number}/history", response_model=Page[HistoryEntry],
            summary="每一步的时间、办理人和原因 (全程留痕), oldest first", responses=_responses(403, 404, 422))
async def get_history(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                      service: ServiceDep, limit: Limit = 50, offset: Offset = 0) -> Page[HistoryEntry]:
    await decide(decider, identity, rules.READ_CASE, case_number, "archive:history",
                 record=await service.find(case_number))
    history = status_of(await service.record(case_number)).history
    return Page.of(history[offset:offset + limit], limit=limit, offset=offset, total=len(history))


# ------------------------------------------------------------------------------------ steps


async def step_actor(decider: AccessDecider, identity: Identity, service: ArchiveService, case_number: str,
                     step: Step) -> Actor:
    """Every step is decided per case first (the caller must be one of the case's people — its team, 本院立案庭,
    本院档案科 for a finished case; access-control's ``read_case``), then by the domain (state, role, person)."""
    await decide(decider, identity, rules.READ_CASE, case_number, f"archive:step:{step.value}",
                 record=await service.find(case_number))
    return actor_of(identity)


@router.post("/archives/{case_number}/submit", response_model=ArchiveStatus,
             summary="结案立卷: the assistant or clerk files the e-dossier (吉高法〔2020〕11号 第三条(六))",
             responses=_responses(403, 404, 409, 422))
async def submit(case_number: CaseNumberParam, body: Note, identity: CurrentIdentity, decider: DeciderDep,
                 service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.SUBMIT)
    return status_of(await service.step(case_number, Step.SUBMIT, actor, detail=body.note))


@router.post("/archives/{case_number}/confirm", response_model=ArchiveStatus,
             summary="承办法官确认立卷 (吉高法〔2020〕11号 第三条(六)(七))", responses=_responses(403, 404, 409, 422))
async def confirm(case_number: CaseNumberParam, body: Note, identity: CurrentIdentity, decider: DeciderDep,
                  service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.CONFIRM)
    return status_of(await service.step(case_number, Step.CONFIRM, actor, detail=body.note))


@router.get("/archives/{case_number}/review-check", summary="核查 preview: the automatic findings, nothing stored",
            responses=_responses(403, 404, 422, 503))
async def review_check(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                       service: ServiceDep) -> dict:
    await decide(decider, identity, rules.READ_CASE, case_number, "archive:review-check",
                 record=await service.find(case_number))
    return await service.review_preview(case_number, [])


@router.post("/archives/{case_number}/review-pass", response_model=ArchiveStatus,
             summary="电子卷宗核查合格 — refused with the findings when the automatic checks find problems "
                     "(吉高法〔2020〕11号 第三条(七)；长中法〔2018〕129号 第九条)", responses=_responses(403, 404, 409, 422))
async def review_pass(case_number: CaseNumberParam, body: ReviewPass, identity: CurrentIdentity, decider: DeciderDep,
                      service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.PASS_REVIEW)
    return status_of(await service.review(case_number, actor, passed=True, reasons=[], paper=body.paper_list))


@router.post("/archives/{case_number}/review-return", response_model=ArchiveStatus,
             summary="核查不合格，注明原因退回承办法官 (吉高法〔2020〕11号 第三条(七)、第五条(五))",
             responses=_responses(403, 404, 409, 422))
async def review_return(case_number: CaseNumberParam, body: Return, identity: CurrentIdentity, decider: DeciderDep,
                        service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.RETURN_REVIEW)
    return status_of(await service.review(case_number, actor, passed=False, reasons=body.reasons,
                                        paper=body.paper_list))


@router.post("/archives/{case_number}/compile", response_model=ArchiveStatus,
             summary="组卷质检: metadata complete, 档号 fixed (吉高法〔2020〕11号 第三条(八))",
             responses=_responses(403, 404, 409, 422))
async def compile_dossier(case_number: CaseNumberParam, body: Compile, identity: CurrentIdentity,
                          decider: DeciderDep, service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.COMPILE)
    return status_of(await service.compile(
        case_number, actor, retention_period=body.retention_period, secrecy_level=body.secrecy_level,
        archive_serial=body.archive_serial, entered=body.case.model_dump(mode="json", exclude_none=True),
        notes=body.notes))


@router.post("/archives/{case_number}/convert", response_model=ArchiveStatus,
             summary="一键转为电子档案: archival PDFs, metadata, manifest, court seal, four-property check, "
                     "write-once storage (吉高法〔2020〕11号 第三条(八)；青法〔2021〕116号)",
             responses=_responses(403, 404, 409, 422))
async def convert(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                  service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.CONVERT)
    return status_of(await service.convert(case_number, actor))


@router.post("/archives/{case_number}/audit-pass", response_model=ArchiveStatus,
             summary="审核归档: the stored package is re-verified first (吉高法〔2020〕11号 第三条(九))",
             responses=_responses(403, 404, 409, 422))
async def audit_pass(case_number: CaseNumberParam, body: Note, identity: CurrentIdentity, decider: DeciderDep,
                     service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.PASS_AUDIT)
    return status_of(await service.audit_pass(case_number, actor, body.note))


@router.post("/archives/{case_number}/audit-return", response_model=ArchiveStatus,
             summary="审核不合格，注明原因退回智能办案辅助中心 (吉高法〔2020〕11号 第三条(九)、第五条(七))",
             responses=_responses(403, 404, 409, 422))
async def audit_return(case_number: CaseNumberParam, body: Return, identity: CurrentIdentity, decider: DeciderDep,
                       service: ServiceDep) -> ArchiveStatus:
    actor = await step_actor(decider, identity, service, case_number, Step.RETURN_AUDIT)
    return status_of(await service.step(case_number, Step.RETURN_AUDIT, actor, reasons=body.reasons))


# ------------------------------------------------------------------------------------ the e-archive


@router.get("/archives/{case_number}/report", summary="四性检测报告 (DA/T 70-2018): JSON, Chinese text or HTML",
            responses=_responses(403, 404, 422))
async def get_report(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep, service: ServiceDep,
                     format: Literal["json", "text", "html"] = "json",
                     report_id: Annotated[str | None, Query(description="a specific report; default the latest")] = None):
    record = await service.find(case_number)
    found = await service.latest_report_id(case_number, report_id)
    named = f"report:{found}:{format}" if found else f"report:{format}"
    await decide(decider, identity, rules.report_action(state_of(record)), case_number, named, record=record)
    doc = await service.report(found) if found else None
    if doc is None:
        raise Problem(404, "not-found", "未找到", f"{case_number} 没有四性检测报告")
    if format == "text":
        return PlainTextResponse(doc["text"], headers=DOCUMENT_HEADERS)
    if format == "html":
        return HTMLResponse(doc["html"], headers={**DOCUMENT_HEADERS, "Content-Security-Policy": REPORT_CSP,
                                                  "Referrer-Policy": "no-referrer"})
    return {"report_id": doc["_id"], "kind": doc["kind"], "revision": doc.get("revision"), "passed": doc["passed"],
            "conclusion": doc["conclusion"], "problems": doc.get("problems", []), "report": doc["report"]}


@router.get("/archives/{case_number}/reports", summary="All check reports of the case (conversion, verify, audit)",
            responses=_responses(403, 422))
async def list_reports(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                       service: ServiceDep, limit: Limit = 50, offset: Offset = 0) -> Page[dict]:
    record = await service.find(case_number)
    await decide(decider, identity, rules.report_action(state_of(record)), case_number, "reports", record=record)
    return Page.of(await service.reports(case_number, limit=limit, offset=offset), limit=limit, offset=offset)


def _ascii_disposition(name: str) -> str:
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"


@router.get("/archives/{case_number}/package", summary="Download the stored e-archive package (tar.gz)",
            responses=_responses(403, 404, 409, 422))
async def download_package(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                           service: ServiceDep) -> StreamingResponse:
    doc = await service.find(case_number)
    pkg = (doc or {}).get("package")
    await decide(decider, identity, rules.READ_ARCHIVE, case_number,
                 f"package:{pkg['bucket']}/{pkg['tar_key']}" if pkg else "package", record=doc)
    if doc is None:
        raise missing_case(case_number)
    if not pkg:
        raise no_package(case_number, state=doc.get("state"))
    name = f"{doc['archival_code']}.tar.gz"
    return StreamingResponse(service.store.stream(ARCHIVE_BUCKET, pkg["tar_key"]), media_type="application/gzip",
                             headers={"Content-Disposition": _ascii_disposition(name),
                                      "X-Content-SHA256": pkg["sha256"], **DOCUMENT_HEADERS})


@router.post("/archives/{case_number}/verify", response_model=VerifyResult,
             summary="Re-check the stored package: hashes, seals, four properties; any changed byte is flagged "
                     "and archive.fixity.failed emitted", responses=_responses(403, 404, 409, 422))
async def verify(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                 service: ServiceDep) -> VerifyResult:
    record = await service.find(case_number)
    await decide(decider, identity, rules.report_action(state_of(record)), case_number,
                 f"verify:{(record or {}).get('archival_code') or 'package'}", record=record)
    doc = await service.record(case_number)
    outcome = await service.verify(case_number)
    return VerifyResult(case_number=case_number, archival_code=doc.get("archival_code") or "", passed=outcome.passed,
                        conclusion=outcome.report.conclusion(), problems=outcome.problems, report_id=outcome.report_id)


@router.post("/archives/{case_number}/backup", status_code=201,
             summary="Offline backup of the verified package to the backup folder (青法〔2021〕116号 五)",
             responses=_responses(403, 404, 409, 422))
async def backup(case_number: CaseNumberParam, body: Backup, identity: CurrentIdentity, decider: DeciderDep,
                 service: ServiceDep) -> dict:
    if not identity.has_role("archives_office_staff", "technology_office_staff", "service_account"):
        raise Problem(403, "forbidden", "无权办理", "离线备份由档案科或技术处办理", rule="青法〔2021〕116号 五")
    record = await service.find(case_number)
    await decide(decider, identity, rules.READ_ARCHIVE, case_number,
                 f"backup:{(record or {}).get('archival_code') or 'package'}:{body.format}", record=record)
    return await service.backup(case_number, ExportFormat(body.format))


@router.get("/archives/{case_number}/transfer-package",
            summary="Transfer package for a higher or requesting court — only after a passing check "
                    "(吉高法〔2020〕11号 第十二条；法〔2016〕264号 三(五))", responses=_responses(403, 404, 409, 422))
async def transfer_package(case_number: CaseNumberParam, identity: CurrentIdentity, decider: DeciderDep,
                           service: ServiceDep) -> FileResponse:
    record = await service.find(case_number)
    await decide(decider, identity, rules.TRANSFER_ARCHIVE, case_number,
                 f"transfer-package:{(record or {}).get('archival_code') or 'package'}", record=record)
    folder = tempfile.mkdtemp(prefix="jz-transfer-")
    try:
        tar, sha = await service.transfer_export(case_number, Path(folder))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(tar, media_type="application/gzip", filename=tar.name,
                        headers={"X-Content-SHA256": sha, **DOCUMENT_HEADERS},
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


Sha256Header = Annotated[str | None, Header(pattern=r"^[0-9a-fA-F]{64}$", examples=["e3b0c442" * 8])]


@router.post("/transfers", status_code=201,
             summary="接收 a transfer package (tar.gz body): quarantine, four-property check, keep only if it passes "
                     "(吉高法〔2020〕11号 第十二条; DA/T 70-2018 接收检测)", responses=_responses(403, 413, 422))
async def import_transfer(request: Request, identity: CurrentIdentity, decider: DeciderDep, service: ServiceDep,
                          x_content_sha256: Sha256Header = None) -> dict:
    if not (identity.kind == "user" and identity.has_role("archives_office_staff", "filing_division_staff")
            or identity.kind == "service" and "archive:transfer" in identity.scopes):
        raise Problem(403, "forbidden", "无权办理", "移交接收由档案科或立案庭办理", rule="吉高法〔2020〕11号 第十二条")

    async def authorise(case_number: str, transfer_id: str) -> None:
        """A package of one of this court's own cases is a 移交 record of that case: decided per case before
        anything is kept. A package from another court (第十二条 接收) names a case access-control does not
        hold; the receiving office's role above is what admits it, and its record names the receiving court."""
        if identity.court is not None and court_code_of(case_number) == identity.court:
            await decide(decider, identity, rules.TRANSFER_ARCHIVE, case_number, f"transfer:{transfer_id}")

    folder = Path(tempfile.mkdtemp(prefix="jz-incoming-"))
    try:
        source = folder / "transfer.tar.gz"
        with source.open("wb") as fh:
            async for chunk in request.stream():
                fh.write(chunk)
        if source.stat().st_size == 0:
            raise Problem(422, "validation", "请求参数无效", "请求体为空",
                          errors=[FieldError(field="body", reason="缺少信息包 (tar.gz)")])
        entry = await service.transfer_import(source, actor_of(identity), x_content_sha256, authorise=authorise,
                                              receiving_court=identity.court)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not entry["accepted"]:
        raise Problem(422, "transfer-rejected", "信息包检测不通过，不予接收", "；".join(entry["reasons"])[:2000],
                      errors=[FieldError(field="body", reason=r) for r in entry["reasons"][:100]],
                      transfer_id=entry["_id"], report_id=entry["report_id"], rule="吉高法〔2020〕11号 第十二条")
    return {"transfer_id": entry["_id"], **{k: v for k, v in entry.items() if k != "_id"}}


@router.get("/transfers/{transfer_id}", summary="A received transfer package and its check (移交 record: "
            "decided per case, transfer_archive)", responses=_responses(403, 404))
async def get_transfer(transfer_id: Annotated[str, PathParam(max_length=64, pattern=r"^[0-9a-f]{1,64}$",
                                                          examples=["9f86d081884c7d659a2feaa0c55ad015"])],
                       identity: CurrentIdentity, decider: DeciderDep, service: ServiceDep) -> dict:
    doc = await service.transfer(transfer_id)
    missing = Problem(404, "not-found", "未找到", f"移交信息包 {transfer_id} 不存在")
    if doc is None:
        raise missing
    case_number = doc.get("case_number")
    if case_number:
        try:
            await decide(decider, identity, rules.TRANSFER_ARCHIVE, case_number, f"transfer:{transfer_id}")
        except Problem as problem:
            raise missing if problem.status == 404 else problem from None
    elif doc.get("received_by") != identity.subject:
        # a package that could not even be read names no case: only whoever received it sees its refusal
        raise missing
    return {"transfer_id": doc.pop("_id"), **doc}
