"""The shape every service can check a 案号 against before touching storage.

The full grammar — court codes, type codes, the court registry — lives in intake, which owns case
registration. Other services only need to refuse what can never be a case number (control
characters, direction overrides, absurd lengths, a missing 收案年度) with a clear problem, instead
of looking it up; this module is that check and the FastAPI path parameter built on it.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Path

from juanzong_shared.problems import FieldError, Problem

__all__ = ["MAX_LENGTH", "CaseNumberPath", "case_number_shape_error", "court_code_of"]

MAX_LENGTH = 40
EXAMPLE = "（2026）吉01民终1001号"

# （收案年度）法院代字[专门审判代字]类型代字 编号 号 — letters of the code are CJK ideographs.
_SHAPE = re.compile(r"^[（(](?P<year>\d{4})[）)](?P<codes>[\u4e00-\u9fff][\u4e00-\u9fff0-9]*?)(?P<serial>\d+)号$")


def case_number_shape_error(text: str) -> str | None:
    """Why ``text`` cannot be a 案号, in Chinese, or None when it has the right shape."""
    if len(text) > MAX_LENGTH:
        return f"案号过长（{len(text)} 个字符，最多 {MAX_LENGTH} 个）"
    if _SHAPE.match(text) is None:
        return "案号应为“（收案年度）+ 法院代字 + 类型代字 + 编号 + 号”，例如 " + EXAMPLE
    return None


def _case_number(case_number: Annotated[str, Path(description="案号, percent-encoded", examples=[EXAMPLE],
                                                   max_length=MAX_LENGTH)]) -> str:
    reason = case_number_shape_error(case_number)
    if reason is not None:
        raise Problem(422, "validation", "请求参数无效", f"“{case_number[:MAX_LENGTH]!r}”不是有效的案号",
                      errors=[FieldError(field="case_number", reason=reason)])
    return case_number


CaseNumberPath = Annotated[str, Depends(_case_number)]


_COURT = re.compile(r"^[（(]\d{4}[）)](?P<court>[\u4e00-\u9fff]\d*)")


def court_code_of(case_number: str) -> str | None:
    """法院代字 of a 案号 — （2026）吉01民终1001号 → 吉01 — or None when it has no recognisable one."""
    match = _COURT.match(case_number.strip())
    return match.group("court") if match else None
