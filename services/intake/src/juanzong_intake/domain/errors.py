"""Errors the intake rules raise: intake's branch of the shared :class:`DomainError` family.

Each carries ``field`` (the input a problem+json response names), ``code`` (stable, machine-readable),
``reason_zh`` (what court staff read) and, where one applies, the ``article`` that refused the request (also
answered as ``rule``). The shared app maps them to problem+json by ``kind``; the rules never build HTTP answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from juanzong_shared.errors import DomainError


class IntakeError(DomainError):
    """Base of every refusal raised by intake (422 unless a subclass says otherwise)."""

    code = "intake-error"

    def __init__(self, field: str, reason_zh: str, *, article: str | None = None,
                 errors: Iterable[tuple[str, str]] = (), **extra: Any) -> None:
        super().__init__(field, reason_zh, article=article, errors=errors,
                         **({"rule": article} if article else {}), **extra)

    @property
    def reason_zh(self) -> str:
        return self.reason


class CaseNumberError(IntakeError, ValueError):
    """A 案号 could not be accepted. ``part`` is one of ``CASE_NUMBER_PARTS``.

    Subclassing ValueError lets pydantic report it as a validation error when a model field parses one.
    """

    code = "case-number"

    def __init__(self, part: str, reason_zh: str, *, text: str | None = None) -> None:
        super().__init__(f"case_number.{part}", reason_zh)
        self.part = part
        self.text = text

    def __str__(self) -> str:
        return f"[{self.part}] {self.reason_zh}"


class UnknownCourt(IntakeError, LookupError):
    code = "unknown-court"

    def __init__(self, court_code: str, field: str = "court_code") -> None:
        super().__init__(field, f"未知法院代字“{court_code}” (unknown court code)")
        self.court_code = court_code


class UnknownCaseType(IntakeError, LookupError):
    code = "unknown-case-type"

    def __init__(self, type_code: str, field: str = "case_type") -> None:
        super().__init__(field, f"未知类型代字“{type_code}” (unknown case type code)")
        self.type_code = type_code


class SecretCaseRefused(IntakeError):
    """涉密 case: no e-dossier work of any kind (吉高法〔2020〕11号 第十条)."""

    kind = "forbidden"
    code = "secret-case"
    title = "无权办理"

    def __init__(self, case_number: str, action_zh: str, reason_zh: str, article: str) -> None:
        super().__init__("secret", reason_zh, article=article)
        self.case_number = case_number
        self.action_zh = action_zh


class OutsidePaperlessFlow(IntakeError):
    """The case is registered but not in the paperless flow (吉高法〔2020〕11号 第十四条)."""

    kind = "conflict"
    code = "outside-paperless-flow"
    title = "状态冲突"

    def __init__(self, case_number: str, scope: str, reason_zh: str, article: str) -> None:
        super().__init__("case_type", reason_zh, article=article)
        self.case_number = case_number
        self.scope = scope


class WrongStage(IntakeError, code="wrong-stage"): ...


class IllegalTransition(IntakeError):
    """A scan-task state change that the state machine does not allow; ``allowed`` names the legal ones."""

    kind = "conflict"
    code = "illegal-transition"
    title = "状态冲突"

    def __init__(self, current: str, requested: str, allowed: Iterable[str], *,
                 labels_zh: dict[str, str] | None = None) -> None:
        self.current = current
        self.requested = requested
        self.allowed = tuple(allowed)
        labels = labels_zh or {}

        def zh(state: str) -> str:
            return f"{labels.get(state, state)}({state})"

        allowed_zh = "、".join(zh(s) for s in self.allowed) or "无（终态）"
        super().__init__("to", f"扫描任务不能从“{zh(current)}”转为“{zh(requested)}”；当前可转为：{allowed_zh}",
                         current=current, requested=requested, allowed=list(self.allowed))


class ScanTaskError(IntakeError, code="scan-task"):
    """A scan task request that breaks a rule other than the state machine (bad list, missing reason …)."""


class ManifestError(IntakeError, code="manifest"):
    """A lower-court submission manifest (报送清单) that cannot be accepted."""


class LinkError(IntakeError, code="original-link"):
    """A manual link or unlink of an original-trial record that cannot be done."""


class InvalidInput(IntakeError):
    """One or more request fields that a domain model refused; ``errors`` holds (field, reason) pairs."""

    code = "invalid-input"

    def __init__(self, errors: Iterable[tuple[str, str]], *, article: str | None = None) -> None:
        pairs = tuple(errors) or (("body", "无效输入"),)
        super().__init__("", "；".join(f"{f}: {r}" for f, r in pairs), article=article, errors=pairs)
        self.field = pairs[0][0]


class DataFileError(IntakeError):
    """A packaged data table is inconsistent (a build error, never a user error)."""

    kind = "internal"
    code = "data-file"
    title = "服务配置错误"


class NotFound(IntakeError):
    kind = "not_found"
    code = "not-found"
    title = "未找到"


class AlreadyDone(IntakeError):
    """The request conflicts with what was already done (e.g. returning a case that need not go back)."""

    kind = "conflict"
    code = "conflict"
    title = "状态冲突"


class NotPermitted(IntakeError):
    """The caller's role, or access-control's decision on the case, refuses it."""

    kind = "forbidden"
    code = "forbidden"
    title = "无权办理"


class AccessRefused(NotPermitted, title="无权访问"):
    """access-control said no on the case (吉高法〔2020〕11号 第九条); answered as before under its own title."""
