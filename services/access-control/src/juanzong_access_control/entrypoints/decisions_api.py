"""POST /v1/decisions: may the bearer do this action on this case? 200 for yes and for no."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..domain.cases import Action
from .deps import AcDep, CallerDep
from .problems_doc import responses

router = APIRouter(prefix="/v1", tags=["decisions"])


class DecisionRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"action": "read_pages", "case_number": "（2025）吉01民终123号", "resource": "page:p-0001"}]})

    action: Action = Field(..., description="read_pages | read_text | search | read_archive | write | manage")
    case_number: str = Field(..., min_length=1, max_length=100, examples=["（2025）吉01民终123号"])
    resource: str | None = Field(None, max_length=500, description=(
        "What is read, for the audit trail; 'volume=sub' or 'undisclosable' narrows a litigant's decision "
        "to one document (法〔2016〕264号 三(六))."), examples=["page:p-0001"])


class ObligationOut(BaseModel):
    kind: str = Field(..., examples=["record_access"])
    rule: str = Field(..., examples=["吉高法〔2020〕11号 第九条; 法〔2016〕264号 一(三)"])


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"allowed": False, "reason": "本案尚未审结，电子卷宗限于合议庭成员查阅；其他人员须经承办法官、部门负责人及分管院领导依次审批后阅览。",
         "rule": "吉高法〔2020〕11号 第九条第2项", "detail": "unfinished case: panel only", "obligations": [],
         "grant_id": None, "valid_until": "2026-03-02T09:00:30Z", "max_age": 5}]})

    allowed: bool
    reason: str
    rule: str
    detail: str = ""
    obligations: list[ObligationOut] = Field(default_factory=list)
    grant_id: str | None = None
    valid_until: datetime
    max_age: int = Field(..., description="Seconds the caller may reuse this answer (also in Cache-Control).")


@router.post("/decisions", response_model=DecisionOut, summary="Decide one action on one case (policy decision point)",
             responses=responses(401, 422))
async def decide(body: DecisionRequest, caller: CallerDep, ac: AcDep) -> JSONResponse:
    decision, max_age = await ac.decisions.decide(caller, body.action, body.case_number, resource=body.resource)
    # Built by hand (the shape of DecisionOut): this is the hottest route of the whole system.
    body = {"allowed": decision.allowed, "reason": decision.reason_zh, "rule": decision.rule,
            "detail": decision.detail_en, "obligations": [{"kind": o.kind.value, "rule": o.rule}
                                                          for o in decision.obligations],
            "grant_id": decision.grant_id, "valid_until": decision.valid_until.isoformat(), "max_age": max_age}
    return JSONResponse(body, headers={"Cache-Control": f"private, max-age={max_age}"})
