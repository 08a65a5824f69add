"""Access requests (阅览申请) and their approval chain (吉高法〔2020〕11号 第九条)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from juanzong_shared.pagination import Limit, Offset, Page
from pydantic import BaseModel, ConfigDict, Field

from ..domain.approvals import AccessRequest
from ..domain.cases import Action
from .deps import AcDep, CallerDep
from .problems_doc import responses

router = APIRouter(prefix="/v1/access-requests", tags=["approvals"])


class AccessRequestIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"case_number": "（2025）吉01民终123号", "actions": ["read_pages", "read_text"],
         "purpose": "类案参考，需查阅本案证据材料", "days": 7}]})

    case_number: str = Field(..., min_length=1, max_length=100)
    actions: list[Action] = Field(..., min_length=1, examples=[["read_pages", "read_text"]])
    purpose: str = Field(..., max_length=2000, examples=["类案参考"])
    days: int | None = Field(None, ge=1, le=365, description="How long the grant lasts (house limit 30 days).")


class ReasonIn(BaseModel):
    reason: str = Field(..., max_length=2000, examples=["与本案无关"])


class ApprovalOut(BaseModel):
    step: str = Field(..., examples=["undertaking_judge"])
    approver_id: str = Field(..., examples=["u-judge-wang"])
    at: datetime


class AccessRequestOut(BaseModel):
    request_id: str = Field(..., examples=["ar-3f9c1e2a7b4d"])
    case_number: str
    requester: str = Field(..., examples=["u-judge-chen"])
    actions: list[str]
    purpose: str
    status: str = Field(..., examples=["pending"])
    rule: str = Field(..., examples=["吉高法〔2020〕11号 第九条第2项"])
    steps: list[str] = Field(..., examples=[["undertaking_judge", "department_head", "supervising_leader"]])
    approvals: list[ApprovalOut]
    next_step: str | None = Field(None, examples=["department_head"])
    requested_at: datetime
    decide_by: datetime
    grant_id: str | None = None
    expires_at: datetime | None = None
    closed_by: str | None = None
    close_reason: str | None = None

    @classmethod
    def of(cls, r: AccessRequest) -> AccessRequestOut:
        return cls(request_id=r.request_id, case_number=r.case_id, requester=r.requester_id,
                   actions=sorted(a.value for a in r.actions), purpose=r.purpose_zh, status=r.status.value,
                   rule=r.route.rule, steps=[s.value for s in r.route.steps],
                   approvals=[ApprovalOut(step=a.step.value, approver_id=a.approver_id, at=a.at) for a in r.approvals],
                   next_step=r.next_step.value if r.next_step else None, requested_at=r.requested_at,
                   decide_by=r.decide_by, grant_id=r.grant_id, expires_at=r.expires_at, closed_by=r.closed_by,
                   close_reason=r.close_reason_zh)


@router.post("", status_code=201, response_model=AccessRequestOut, summary="Ask to read a case (阅览申请)",
             responses=responses(401, 403, 404, 422))
async def open_request(body: AccessRequestIn, caller: CallerDep, ac: AcDep) -> AccessRequestOut:
    return AccessRequestOut.of(await ac.approvals.open(caller, body.case_number, body.actions, body.purpose, body.days))


@router.get("", response_model=Page[AccessRequestOut], summary="Access requests (mine, by case, or awaiting me)",
            responses=responses(401))
async def list_requests(caller: CallerDep, ac: AcDep,
                        case_number: str | None = Query(None, examples=["（2025）吉01民终123号"]),
                        status: str | None = Query(None, examples=["pending"]),
                        awaiting_me: bool = Query(False, description="Pending requests whose next step is mine."),
                        limit: Limit = 50, offset: Offset = 0) -> Page[AccessRequestOut]:
    if awaiting_me:
        found = await ac.approvals.awaiting(caller, limit=limit, offset=offset)
    elif case_number:
        decision, _ = await ac.decisions.decide(caller, Action.MANAGE, case_number, record=False)
        found = await ac.approvals.list(case_number=case_number, status=status, limit=limit, offset=offset,
                                        requester=None if decision.allowed else caller.id)
    else:
        found = await ac.approvals.list(requester=caller.id, status=status, limit=limit, offset=offset)
    return Page.of([AccessRequestOut.of(r) for r in found], limit=limit, offset=offset)


@router.get("/{request_id}", response_model=AccessRequestOut, summary="One access request",
            responses=responses(401, 403, 404))
async def get_request(request_id: str, caller: CallerDep, ac: AcDep) -> AccessRequestOut:
    r = await ac.approvals.get(request_id)
    if caller.id != r.requester_id:
        decision, _ = await ac.decisions.decide(caller, Action.MANAGE, r.case_id, record=False)
        if not decision.allowed:
            from juanzong_shared.problems import forbidden
            raise forbidden(decision.reason_zh, decision.rule)
    return AccessRequestOut.of(r)


@router.post("/{request_id}/approve", response_model=AccessRequestOut,
             summary="Approve the step now due (承办法官 → 部门负责人 → 分管院领导)",
             responses=responses(401, 403, 404, 409))
async def approve(request_id: str, caller: CallerDep, ac: AcDep) -> AccessRequestOut:
    return AccessRequestOut.of(await ac.approvals.approve(caller, request_id))


@router.post("/{request_id}/deny", response_model=AccessRequestOut, summary="Refuse at the step now due",
             responses=responses(401, 403, 404, 409, 422))
async def deny(request_id: str, body: ReasonIn, caller: CallerDep, ac: AcDep) -> AccessRequestOut:
    return AccessRequestOut.of(await ac.approvals.deny(caller, request_id, body.reason))


@router.post("/{request_id}/revoke", response_model=AccessRequestOut,
             summary="End a grant early (the grantee or one of its approvers)",
             responses=responses(401, 403, 404, 409, 422))
async def revoke(request_id: str, body: ReasonIn, caller: CallerDep, ac: AcDep) -> AccessRequestOut:
    return AccessRequestOut.of(await ac.approvals.revoke(caller, request_id, body.reason))


@router.post("/{request_id}/withdraw", response_model=AccessRequestOut, summary="The requester drops a pending request",
             responses=responses(401, 404, 409))
async def withdraw(request_id: str, caller: CallerDep, ac: AcDep) -> AccessRequestOut:
    return AccessRequestOut.of(await ac.approvals.withdraw(caller, request_id))
