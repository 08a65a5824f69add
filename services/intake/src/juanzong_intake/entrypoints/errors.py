"""Domain refusals as problem+json: the field, the reason staff read (Chinese), an English hint, the article."""

from __future__ import annotations

from fastapi import FastAPI, Request
from juanzong_shared.app import _problem_response
from juanzong_shared.problems import FieldError, Problem

from juanzong_intake.domain.errors import (
    DataFileError,
    IllegalTransition,
    IntakeError,
    InvalidInput,
    OutsidePaperlessFlow,
    SecretCaseRefused,
)
from juanzong_intake.domain.permissions import NotPermitted
from juanzong_intake.service_layer.access import NotFound
from juanzong_intake.service_layer.services import AlreadyDone

_TITLES = {403: "无权办理", 404: "未找到", 409: "状态冲突", 422: "请求参数无效", 500: "服务配置错误"}
_HINTS = {
    "case-number": "The case number (案号) is malformed; errors[].field names the bad part.",
    "unknown-court": "Unknown court code (法院代字); only Jilin's courts are registered.",
    "unknown-case-type": "Unknown case type code (类型代字).",
    "secret-case": "Classified case (涉密): no e-dossier is created, scanned or stored (第十条).",
    "outside-paperless-flow": "This case type is registered but outside the paperless flow (第十四条).",
    "wrong-stage": "The stage does not allow this; stages only move forward.",
    "illegal-transition": "Illegal scan-task transition; 'allowed' lists the states reachable from here.",
    "scan-task": "The scan-task request breaks a rule; see errors[].",
    "manifest": "The submission manifest (报送清单) was refused; see errors[].",
    "original-link": "The original-trial link or unlink was refused; see errors[].",
    "invalid-input": "Invalid input; see errors[].",
    "forbidden": "Your role may not do this.",
    "not-found": "Not found.",
    "conflict": "Conflicts with what was already done.",
}


def status_of(error: IntakeError) -> int:
    if isinstance(error, SecretCaseRefused | NotPermitted):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, IllegalTransition | OutsidePaperlessFlow | AlreadyDone):
        return 409
    if isinstance(error, DataFileError):
        return 500
    return 422


def to_problem(error: IntakeError) -> Problem:
    status = status_of(error)
    if isinstance(error, InvalidInput):
        fields = [FieldError(field=f, reason=r) for f, r in error.errors]
    elif isinstance(error, IllegalTransition):
        fields = [FieldError(field="to", reason=error.reason_zh)]
    else:
        fields = [FieldError(field=error.field, reason=error.reason_zh)]
    extra: dict[str, object] = {"hint": _HINTS.get(error.code, "")}
    if error.article:
        extra["rule"] = error.article
    if isinstance(error, IllegalTransition):
        extra |= {"current": error.current, "requested": error.requested, "allowed": list(error.allowed)}
    return Problem(status, error.code, _TITLES.get(status, "请求错误"), error.reason_zh, errors=fields, **extra)


def install(app: FastAPI) -> None:
    @app.exception_handler(IntakeError)
    async def _intake_error(request: Request, exc: IntakeError):
        return _problem_response(to_problem(exc), request.url.path)
