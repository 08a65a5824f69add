"""The audit trail (全程留痕): records by case, chain verification against the signed checkpoint kept outside the
database, export for inspection, and the read records other services report when they serve pages — each under the
receipt of the decision that allowed the read, so no service writes a read in another's name."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from juanzong_shared.logging import get_logger
from juanzong_shared.pagination import Limit, Offset, Page
from juanzong_shared.problems import Problem, forbidden
from pydantic import BaseModel, ConfigDict, Field

from ..adapters.audit_chain import CheckpointRefused
from ..adapters.receipts import ReceiptError, verify_receipt
from ..domain import rules
from ..domain.audit import AuditRecord, Checkpoint
from ..domain.cases import Action
from ..domain.identities import Principal, PrincipalKind, Role
from .deps import AcDep, CallerDep
from .problems_doc import responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])
log = get_logger(__name__)

# A read is reported after it was served: a receipt is accepted this long past its decision's validity.
RECEIPT_GRACE = timedelta(seconds=float(os.environ.get("JZ_AUDIT_RECEIPT_GRACE_SECONDS", "300")))

AUDITORS = frozenset({Role.TECHNOLOGY_OFFICE_STAFF, Role.SUPERVISING_LEADER})


class AuditRecordOut(AuditRecord):
    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [
        {"seq": 41, "at": "2026-03-02T09:00:00.123Z", "actor": "u-judge-chen", "action": "decision",
         "case_id": "（2025）吉01民终123号", "detail": {"action": "read_pages", "allowed": False,
                                                    "rule": "吉高法〔2020〕11号 第九条第2项"},
         "prev_hash": "9f…", "hash": "4c…"}]})


class VerifyOut(BaseModel):
    ok: bool = Field(..., examples=[False])
    checked: int = Field(..., examples=[40])
    first_bad_seq: int | None = Field(None, examples=[17])
    problem: str | None = Field(None, examples=["hash_mismatch"])
    problem_zh: str | None = Field(None, examples=["记录内容被修改"])
    head_seq: int | None = None
    head_hash: str | None = None
    anchored: bool = Field(False, description="Checked against a signed checkpoint kept outside the database.")
    checkpoint_seq: int | None = Field(None, examples=[40])
    checkpoint_hash: str | None = None
    checkpoint_at: datetime | None = None
    verified_at: datetime


class CheckpointOut(BaseModel):
    seq: int = Field(..., examples=[40])
    hash: str
    at: datetime
    bucket: str = Field(..., examples=["juanzong-audit"])

    @classmethod
    def of(cls, c: Checkpoint, bucket: str) -> CheckpointOut:
        return cls(seq=c.seq, hash=c.hash, at=c.at, bucket=bucket)


class ReadReportIn(BaseModel):
    case_number: str = Field(..., min_length=1, max_length=100, examples=["（2025）吉01民终123号"])
    action: Action = Field(..., examples=["read_pages"])
    resources: list[str] = Field(..., min_length=1, max_length=500, examples=[["page:p-0001", "page:p-0002"]])
    receipt: str | None = Field(None, max_length=4000, description=(
        "The receipt of the decision that allowed the read (POST /v1/decisions → receipt). The recorded reader is "
        "the receipt's subject; case and action must be the receipt's."))
    subject: str | None = Field(None, max_length=200, description=(
        "Optional: who read. When given it must be the receipt's subject; the record names the receipt's subject."),
        examples=["u-judge-li"])


async def _may_read_case_trail(ac, caller: Principal, case_number: str) -> None:
    if caller.kind is PrincipalKind.USER and caller.roles & AUDITORS:
        return
    decision, _ = await ac.decisions.decide(caller, Action.MANAGE, case_number)  # recorded: reading leaves a trace
    if not decision.allowed:
        raise forbidden(f"查看本案留痕记录：{decision.reason_zh}", decision.rule)


def _auditor(caller: Principal) -> None:
    if not (caller.kind is PrincipalKind.USER and caller.roles & AUDITORS):
        raise forbidden("全院留痕记录的查看、校验和导出限于技术处和院领导。", rules.SPC_1_3)


@router.get("", response_model=Page[AuditRecordOut], summary="Audit records, by case (全程留痕), oldest first",
            responses=responses(401, 403))
async def list_records(caller: CallerDep, ac: AcDep,
                       case_number: str | None = Query(None, examples=["（2025）吉01民终123号"]),
                       after_seq: int = Query(0, ge=0, le=2**63 - 1, description="Records after this sequence number."),
                       limit: Limit = 500, offset: Offset = 0) -> Page[AuditRecordOut]:
    if case_number:
        await _may_read_case_trail(ac, caller, case_number)
    else:
        _auditor(caller)
    found = ac.audit.records({"case_id": case_number} if case_number else {}, after_seq=after_seq, limit=limit + 1,
                             offset=offset)
    return Page.of([AuditRecordOut(**r.model_dump()) async for r in found], limit=limit, offset=offset)


def _storage_away(error: Exception) -> Problem:
    log.warning("audit checkpoints unreachable", error=str(error))
    return Problem(503, "audit-anchor-unavailable", "审计存证不可用",
                   "无法读取库外存证的审计检查点，暂不能校验或存证 (checkpoint storage unreachable)")


@router.get("/verify", response_model=VerifyOut,
            summary="Check the whole hash chain against the latest signed checkpoint kept outside the database",
            responses=responses(401, 403, 503))
async def verify(caller: CallerDep, ac: AcDep) -> VerifyOut:
    _auditor(caller)
    await ac.audit.flush()
    try:
        checkpoint = await ac.checkpoints.latest()
    except Exception as error:  # noqa: BLE001 — storage away: no verdict rather than an unanchored one
        raise _storage_away(error) from None
    result, head = await ac.audit.verify(anchors=[checkpoint.anchor] if checkpoint else [])
    return VerifyOut(ok=result.ok, checked=result.checked, first_bad_seq=result.first_bad_seq,
                     problem=result.problem.value if result.problem else None, problem_zh=result.problem_zh,
                     head_seq=head[0] if head else None, head_hash=head[1] if head else None,
                     anchored=checkpoint is not None, checkpoint_seq=checkpoint.seq if checkpoint else None,
                     checkpoint_hash=checkpoint.hash if checkpoint else None,
                     checkpoint_at=checkpoint.at if checkpoint else None, verified_at=datetime.now(UTC))


@router.post("/checkpoints", response_model=CheckpointOut, status_code=201,
             summary="Anchor the chain's head now: a signed checkpoint into write-once storage",
             responses=responses(401, 403, 409, 503))
async def export_checkpoint(caller: CallerDep, ac: AcDep) -> CheckpointOut:
    _auditor(caller)
    await ac.audit.flush()
    try:
        checkpoint = await ac.checkpoints.export()
    except CheckpointRefused as refused:
        r = refused.result
        raise Problem(409, "audit-chain-rewritten", "记录链与上一检查点不符，拒绝存证",
                      f"第{r.first_bad_seq}号记录：{r.problem_zh}", rule=rules.SPC_1_3) from None
    except Exception as error:  # noqa: BLE001
        raise _storage_away(error) from None
    if checkpoint is None:
        raise Problem(409, "audit-chain-empty", "暂无可存证的记录", "审计记录链为空 (nothing to anchor yet)")
    return CheckpointOut.of(checkpoint, ac.checkpoints.settings.bucket)


@router.get("/checkpoints/latest", response_model=CheckpointOut, summary="The latest signed checkpoint",
            responses=responses(401, 403, 404, 503))
async def latest_checkpoint(caller: CallerDep, ac: AcDep) -> CheckpointOut:
    _auditor(caller)
    try:
        checkpoint = await ac.checkpoints.latest()
    except Exception as error:  # noqa: BLE001
        raise _storage_away(error) from None
    if checkpoint is None:
        raise Problem(404, "not-found", "未找到", "尚无审计检查点 (no checkpoint exported yet)")
    return CheckpointOut.of(checkpoint, ac.checkpoints.settings.bucket)


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


@router.post("/reads", status_code=202, summary="A service reports what a user read (obligation record_access), "
             "with the receipt of the decision that allowed it", responses=responses(401, 403, 422))
async def report_reads(body: ReadReportIn, caller: CallerDep, ac: AcDep) -> dict[str, Any]:
    """The reader recorded is the receipt's subject, never a name the service chose: a service can record only
    reads it served under a decision access-control made (全程留痕, 法〔2016〕264号 一(三))."""
    if caller.kind is not PrincipalKind.SERVICE:
        raise forbidden("阅览记录只能由提供卷宗的服务账户凭授权回执报送。", rules.SPC_1_3)
    if not body.receipt:
        raise forbidden("阅览记录未被接受：缺少授权回执（POST /v1/decisions 的 receipt）。", rules.SPC_1_3)
    try:
        receipt = verify_receipt(body.receipt, leeway=RECEIPT_GRACE)
    except ReceiptError as error:
        raise forbidden(f"阅览记录未被接受：{error.message_zh}", rules.SPC_1_3) from None
    if receipt.case_number != body.case_number or receipt.action != body.action.value:
        raise forbidden("阅览记录未被接受：授权回执所载案件或操作与报送内容不符。", rules.SPC_1_3)
    if body.subject is not None and body.subject != receipt.subject:
        raise forbidden("阅览记录未被接受：阅览人与授权回执所载对象不符。", rules.SPC_1_3)
    record = await ac.audit.append(actor=receipt.subject, action=f"read.{body.action.value}",
                                   case_id=receipt.case_number, detail={
                                       "resources": body.resources, "reported_by": caller.id,
                                       "grant_id": receipt.grant_id, "decided_at": receipt.issued_at.isoformat()})
    return {"seq": record.seq}
