"""POST /v1/decisions: may the bearer do this action on this case? 200 for yes and for no."""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..adapters.receipts import issue_receipt
from ..bootstrap import AccessControl
from ..domain.cases import Action
from ..domain.identities import Principal
from .deps import AcDep, CallerDep, access_control, get_caller
from .problems_doc import responses


class DecisionRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"action": "read_pages", "case_number": "（2025）吉01民终123号", "resource": "page:p-0001"}]})

    action: Action = Field(..., description=(
        "read_pages | read_text | search | read_archive | write | manage | read_case | update_case | close_case | "
        "link_original | add_pages | transfer_archive"))
    case_number: str = Field(..., min_length=1, max_length=100, examples=["（2025）吉01民终123号"])
    resource: str | None = Field(None, max_length=500, description=(
        "What is read, for the audit trail: ';'-separated parts. 'volume=sub' or 'undisclosable' narrows a "
        "litigant's decision to one document (法〔2016〕264号 三(六)); for add_pages, 'station:<id>' names the "
        "station a service acts for and 'scan_task:<id>' the scan task the pages belong to (吉高法〔2020〕11号 "
        "第三条(三)). Unknown parts are ignored."), examples=["page:p-0001", "station:station-01;scan_task:st-1"])


class ObligationOut(BaseModel):
    kind: str = Field(..., examples=["record_access"])
    rule: str = Field(..., examples=["吉高法〔2020〕11号 第九条; 法〔2016〕264号 一(三)"])


class DecisionOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"allowed": False, "reason": "本案尚未审结，电子卷宗限于合议庭成员查阅；其他人员须经承办法官、部门负责人及分管院领导依次审批后阅览。",
         "rule": "吉高法〔2020〕11号 第九条第2项", "detail": "unfinished case: panel only", "obligations": [],
         "grant_id": None, "valid_until": "2026-03-02T09:00:30Z", "max_age": 5, "receipt": None}]})

    allowed: bool
    reason: str
    rule: str
    detail: str = ""
    obligations: list[ObligationOut] = Field(default_factory=list)
    grant_id: str | None = None
    valid_until: datetime
    max_age: int = Field(..., description="Seconds the caller may reuse this answer (also in Cache-Control).")
    receipt: str | None = Field(None, description=(
        "An allowed decision's signed receipt (subject, action, case, expiry): presented with a read reported to "
        "POST /v1/audit/reads. None for a refusal."))


def _json_content(content_type: str | None) -> bool:
    """As FastAPI decides it: a body is JSON under application/json or application/*+json only."""
    if not content_type:
        return False
    if content_type.startswith("application/json"):
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def _invalid(errors: list[dict[str, Any]]) -> RequestValidationError:
    return RequestValidationError([{**e, "loc": ("body", *e.get("loc", ()))} for e in errors])


async def answer(ac: AccessControl, caller: Principal, body: DecisionRequest) -> JSONResponse:
    decision, max_age = await ac.decisions.decide(caller, body.action, body.case_number, resource=body.resource)
    # Built by hand (the shape of DecisionOut): this is the hottest route of the whole system.
    out = {"allowed": decision.allowed, "reason": decision.reason_zh, "rule": decision.rule,
           "detail": decision.detail_en, "obligations": [{"kind": o.kind.value, "rule": o.rule}
                                                         for o in decision.obligations],
           "grant_id": decision.grant_id, "valid_until": decision.valid_until.isoformat(), "max_age": max_age,
           "receipt": issue_receipt(caller.id, body.action.value, body.case_number, decision.valid_until,
                                    decision.grant_id) if decision.allowed else None}
    return JSONResponse(out, headers={"Cache-Control": f"private, max-age={max_age}"})


async def lean_decide(request: Request) -> Response:
    """The request handler of POST /v1/decisions without FastAPI's per-request dependency solving.

    Same steps and answers as the generic handler of the declared endpoint below: the body is read and
    parsed as JSON (malformed JSON → 422), the caller is verified (401), the body is validated against
    ``DecisionRequest`` (422 with ``body.*`` fields), then the decision.
    """
    raw = await request.body()
    data: Any = raw
    if raw and _json_content(request.headers.get("content-type")):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise RequestValidationError([{"type": "json_invalid", "loc": ("body", error.pos),
                                           "msg": "JSON decode error", "input": {},
                                           "ctx": {"error": error.msg}}]) from None
        except (UnicodeDecodeError, ValueError, RecursionError):  # as FastAPI: not UTF-8, too deep, ...
            raise HTTPException(status_code=400, detail="There was an error parsing the body") from None
    ac = access_control(request)
    caller = await get_caller(request)
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required",
                                       "input": None}])
    try:
        body = DecisionRequest.model_validate(data, from_attributes=True)  # FastAPI's messages
    except ValidationError as error:
        raise _invalid(error.errors(include_url=False)) from None
    return await answer(ac, caller, body)


class DecisionRoute(APIRoute):
    """FastAPI's documented hook for a custom request handler (``get_route_handler``): the route keeps its
    declared signature — and so its OpenAPI operation — while requests skip the generic dependency
    machinery, which cost about as much as the decision itself on this, the hottest route."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return lean_decide


router = APIRouter(prefix="/v1", tags=["decisions"], route_class=DecisionRoute)


@router.post("/decisions", response_model=DecisionOut, summary="Decide one action on one case (policy decision point)",
             responses=responses(401, 422))
async def decide(body: DecisionRequest, caller: CallerDep, ac: AcDep) -> JSONResponse:
    return await answer(ac, caller, body)
