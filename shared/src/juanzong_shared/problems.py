"""RFC 9457 problem details (``application/problem+json``) for every error a service returns."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://juanzong.court/problems/"


class FieldError(BaseModel):
    """One bad input: where it is and why it was refused."""

    field: str = Field(..., examples=["case_number"])
    reason: str = Field(..., examples=["类型代字“民X”不存在 (unknown type code)"])


class ProblemBody(BaseModel):
    type: str = Field(..., examples=[TYPE_BASE + "validation"])
    title: str = Field(..., examples=["请求参数无效"])
    status: int = Field(..., examples=[422])
    detail: str | None = Field(None, examples=["案号格式错误"])
    instance: str | None = None
    correlation_id: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
    model_config = {"extra": "allow"}


class Problem(Exception):
    """Raise from any layer to answer with a problem+json response.

    ``code`` becomes the last path segment of ``type``; ``extra`` members are added to the body
    (for example ``allowed`` transitions or the ``rule`` that refused a request).
    """

    def __init__(self, status: int, code: str, title: str, detail: str | None = None,
                 errors: list[FieldError] | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail or title)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers
        self.extra = extra

    def body(self, instance: str | None = None, correlation_id: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": TYPE_BASE + self.code, "title": self.title, "status": self.status,
            "detail": self.detail, "instance": instance, "correlation_id": correlation_id,
            "errors": [e.model_dump() for e in self.errors],
        }
        out.update(self.extra)
        return out


def not_found(what: str, key: str) -> Problem:
    return Problem(404, "not-found", "未找到", f"{what} {key} 不存在 (not found)")


def conflict(detail: str, **extra: Any) -> Problem:
    return Problem(409, "conflict", "状态冲突", detail, **extra)


def invalid(field: str, reason: str, title: str = "请求参数无效") -> Problem:
    return Problem(422, "validation", title, reason, errors=[FieldError(field=field, reason=reason)])


def forbidden(reason: str, rule: str | None = None) -> Problem:
    return Problem(403, "forbidden", "无权访问", reason, rule=rule)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemBody, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": desc}
    for status, desc in [(400, "Bad request"), (401, "Not authenticated"), (403, "Forbidden"),
                         (404, "Not found"), (409, "Conflict"), (413, "Too large"), (422, "Invalid input"),
                         (503, "A dependency is unreachable; retry later")]
}
