"""The one family of refusals the domain and service layers raise.

Below ``entrypoints/`` nothing knows HTTP: a rule refuses with a :class:`DomainError` subclass that says what
kind of refusal it is, which input it concerns and why (in Chinese, for court staff), and where one applies
the article that refused it. The app factory maps every ``DomainError`` to problem+json at the edge
(:func:`juanzong_shared.app.install_problem_handlers`), by :attr:`DomainError.kind`; a consumer sends the
message that raised one to its dead-letter queue with the reason (retrying cannot change a refusal).

    raise NotFound("case_number", f"案件 {number} 不存在")
    raise Refused("stage", "庭审阶段已结束，不能再补充庭前材料", article="长中法〔2018〕129号 第七条")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

Kind = Literal["invalid", "not_found", "conflict", "forbidden", "unauthenticated", "unavailable", "too_large",
               "gone", "bad_request", "too_many", "internal"]

__all__ = ["BadRequest", "Conflict", "DomainError", "Forbidden", "Gone", "Invalid", "Kind", "NotFound", "Refused",
           "TooLarge", "TooMany", "Unauthenticated", "Unavailable"]


class DomainError(Exception):
    """A refusal. ``code`` is stable and machine-readable (the last segment of the problem's ``type``);
    ``field`` names the input concerned ("" when none does); ``reason`` is what court staff read;
    ``errors`` lists further ``(field, reason)`` pairs; ``extra`` members go into the answer as they are
    (for example the states a transition ``allowed``)."""

    kind: ClassVar[Kind] = "invalid"
    code: ClassVar[str] = "invalid-input"
    title: ClassVar[str] = "请求参数无效"

    def __init_subclass__(cls, *, code: str | None = None, title: str | None = None, **kwargs: Any) -> None:
        """``class OverLimit(Forbidden, code="over-limit", title="超出借阅数量"): ...`` — a refusal in one line."""
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if title is not None:
            cls.title = title

    def __init__(self, field: str, reason: str, *, article: str | None = None, code: str | None = None,
                 errors: Iterable[tuple[str, str]] = (), detail: str | None = None,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason
        self.article = article
        self.detail = detail or reason
        self.errors: list[tuple[str, str]] = ([(field, reason)] if field else []) + list(errors)
        self.extra = extra
        # what the answer must carry for the caller to act (Retry-After, a WWW-Authenticate challenge)
        self.headers: dict[str, str] = dict(headers or {})
        if code is not None:
            self.code = code  # type: ignore[misc] — an instance may name a finer code than its class

    def __str__(self) -> str:
        return f"[{self.field}] {self.reason}" if self.field else self.reason

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "code": self.code, "field": self.field, "reason": self.reason,
                "article": self.article, **self.extra}


class Invalid(DomainError):
    """The input breaks a rule of its own shape or content (422)."""


class Refused(DomainError):
    """The input is well formed but a rule refuses it in this case's state (422, with the article)."""

    code = "refused"
    title = "不符合规定"


class NotFound(DomainError):
    kind = "not_found"
    code = "not-found"
    title = "未找到"


class Conflict(DomainError):
    """It contradicts what was already done (a state that moved on, a duplicate)."""

    kind = "conflict"
    code = "conflict"
    title = "状态冲突"


class Forbidden(DomainError):
    kind = "forbidden"
    code = "forbidden"
    title = "无权办理"


class Unauthenticated(DomainError):
    kind = "unauthenticated"
    code = "unauthenticated"
    title = "未认证"


class Unavailable(DomainError):
    """A dependency (another service, the store) cannot answer now: try again later."""

    kind = "unavailable"
    code = "unavailable"
    title = "依赖服务暂不可用"


class TooLarge(DomainError):
    kind = "too_large"
    code = "too-large"
    title = "内容过大"


class BadRequest(DomainError):
    """The request cannot be read as the protocol asks (an OAuth token request without its grant, say)."""

    kind = "bad_request"
    code = "bad-request"
    title = "请求无效"


class TooMany(DomainError):
    """Too many attempts in too short a time: wait (``headers={"Retry-After": ...}``)."""

    kind = "too_many"
    code = "too-many-requests"
    title = "请求过于频繁"


class Gone(DomainError):
    kind = "gone"
    code = "gone"
    title = "已不存在"
