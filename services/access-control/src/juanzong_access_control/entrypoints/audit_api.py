"""The audit trail (全程留痕): records by case, chain verification, export for inspection, and the
read records other services report when they serve pages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from juanzong_shared.problems import forbidden
from pydantic import BaseModel, ConfigDict, Field

from ..domain import rules
from ..domain.cases import Action
from ..domain.identities import Principal, PrincipalKind, Role
from .deps import AcDep, CallerDep
from .problems_doc import responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])

AUDITORS = frozenset({Role.TECHNOLOGY_OFFICE_STAFF, Role.SUPERVISING_LEADER})


class AuditRecordOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"seq": 41, "at": "2026-03-02T09:00:00.123Z", "actor": "u-judge-chen", "action": "decision",
         "case_id": "（2025）吉01民终123号", "detail": {"action": "read_pages", "allowed": False,
                                                    "rule": "吉高法〔2020〕11号 第九条第2项"},
         "prev_hash": "9f…", "hash": "4c…"}]})

    seq: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool = Field(..., examples=[False])
    checked: int = Field(..., examples=[40])
    first_bad_seq: int | None = Field(None, examples=[17])
    problem: str | None = Field(None, examples=["hash_mismatch"])
    problem_zh: str | None = Field(None, examples=["记录内容被修改"])
    head_seq: int | None = None
    head_hash: str | None = None
    verified_at: datetime


class ReadReportIn(BaseModel):
    case_number: str = Field(..., min_length=1, max_length=100, examples=["（2025）吉01民终123号"])
    subject: str = Field(..., min_length=1, max_length=200, description="Who read (the user's id).",
                         examples=["u-judge-li"])
    action: Action = Field(..., examples=["read_pages"])
    resources: list[str] = Field(..., min_length=1, max_length=500, examples=[["page:p-0001", "page:p-0002"]])


async def _may_read_case_trail(ac, caller: Principal, case_number: str) -> None:
    if caller.kind is PrincipalKind.USER and caller.roles & AUDITORS:
        return
    decision, _ = await ac.decisions.decide(caller, Action.MANAGE, case_number, record=False)
    if not decision.allowed:
        raise forbidden(f"查看本案留痕记录：{decision.reason_zh}", decision.rule)


def _auditor(caller: Principal) -> None:
    if not (caller.kind is PrincipalKind.USER and caller.roles & AUDITORS):
        raise forbidden("全院留痕记录的查看、校验和导出限于技术处和院领导。", rules.SPC_1_3)


@router.get("", response_model=list[AuditRecordOut], summary="Audit records, by case (全程留痕)",
            responses=responses(401, 403))
async def list_records(caller: CallerDep, ac: AcDep,
                       case_number: str | None = Query(None, examples=["（2025）吉01民终123号"]),
                       after_seq: int = Query(0, ge=0, le=2**63 - 1, description="Records after this sequence number."), limit: int = Query(500, ge=1, le=5000)) -> list[AuditRecordOut]:
    if case_number:
        await _may_read_case_trail(ac, caller, case_number)
    else:
        _auditor(caller)
    query = {"case_id": case_number} if case_number else {}
    return [AuditRecordOut(**r.model_dump()) async for r in ac.audit.records(query, after_seq=after_seq, limit=limit)]


@router.get("/verify", response_model=VerifyOut, summary="Check the whole hash chain against its head checkpoint",
            responses=responses(401, 403))
async def verify(caller: CallerDep, ac: AcDep) -> VerifyOut:
    _auditor(caller)
    await ac.audit.flush()
    result, head = await ac.audit.verify()
    return VerifyOut(ok=result.ok, checked=result.checked, first_bad_seq=result.first_bad_seq,
                     problem=result.problem.value if result.problem else None, problem_zh=result.problem_zh,
                     head_seq=head[0] if head else None, head_hash=head[1] if head else None,
                     verified_at=datetime.now(UTC))


@router.get("/export", summary="Export the chain (or one case's records) as JSON lines for inspection",
            response_class=StreamingResponse, responses={200: {"content": {"application/x-ndjson": {}}}} |
            responses(401, 403))
async def export(caller: CallerDep, ac: AcDep,
                 case_number: str | None = Query(None, examples=["（2025）吉01民终123号"])) -> StreamingResponse:
    if case_number:
        await _may_read_case_trail(ac, caller, case_number)
    else:
        _auditor(caller)
    await ac.audit.flush()
    head = await ac.audit.head()

    async def lines() -> AsyncIterator[bytes]:
        yield (json.dumps({"export": "juanzong-audit", "case_number": case_number, "head_seq": head[0] if head else None,
                           "head_hash": head[1] if head else None, "exported_by": caller.id,
                           "exported_at": datetime.now(UTC).isoformat()}, ensure_ascii=False) + "\n").encode()
        async for r in ac.audit.records({"case_id": case_number} if case_number else {}):
            yield (r.model_dump_json() + "\n").encode()
    name = "audit-export.ndjson"
    return StreamingResponse(lines(), media_type="application/x-ndjson",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/reads", status_code=202, summary="A service reports what a user read (obligation record_access)",
             responses=responses(401, 403, 422))
async def report_reads(body: ReadReportIn, caller: CallerDep, ac: AcDep) -> dict[str, Any]:
    if caller.kind is not PrincipalKind.SERVICE:
        raise forbidden("阅览记录由提供卷宗的服务账户报送。", rules.SPC_1_3)
    record = await ac.audit.append(actor=body.subject, action=f"read.{body.action.value}", case_id=body.case_number,
                                   detail={"resources": body.resources, "reported_by": caller.id})
    return {"seq": record.seq}
