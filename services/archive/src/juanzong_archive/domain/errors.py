"""The archive's refusals: :class:`DomainError`\\ s with the archive's own codes and titles (mapped to problem+json
at the edge). A check that finds problems refuses with every finding, each naming its rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from juanzong_shared.errors import Conflict, DomainError, Invalid, NotFound


def refusal(kind: type[DomainError], code: str, title: str, detail: str, field: str = "", reason: str | None = None,
            **extra: Any) -> DomainError:
    """A refusal of ``kind`` (Invalid 422, Conflict 409, …) under the archive's ``code`` and ``title``."""
    error = kind(field, reason or detail, code=code, detail=detail, **extra)
    error.title = title  # type: ignore[misc] — a finer title than the kind's
    return error


def check_failed(code: str, title: str, detail: str, found: Sequence[str], rule: str, field: str = "dossier",
             kind: type[DomainError] = Invalid, **extra: Any) -> DomainError:
    """A check that found problems: each one is an error of ``field`` and listed in ``findings``."""
    return refusal(kind, code, title, detail, errors=[(field, f) for f in found], findings=list(found), rule=rule,
                   **extra)


def missing_case(case_number: str) -> NotFound:
    """A case without an archive record — and a 涉密 case to those outside it (第十条)."""
    return NotFound("", f"案件 {case_number} 尚无归档记录（未收到立案或结案信息）")


def no_package(case_number: str, **extra: Any) -> DomainError:
    return refusal(Conflict, "no-package", "尚无电子档案", f"{case_number} 尚未转换为电子档案", **extra)


def metadata_incomplete(detail: str, missing: Iterable[str]) -> DomainError:
    return refusal(Invalid, "metadata-incomplete", "案件级元数据不完整", detail,
                   errors=[(f"case.{m}", "缺少该元数据项") for m in missing], rule="青法〔2021〕116号 一")
