"""The shape every service can check a 案号 against before touching storage.

The full grammar — court codes, type codes, the court registry — lives in intake, which owns case
registration. Other services only need to refuse what can never be a case number (control
characters, direction overrides, absurd lengths, a missing 收案年度) with a clear problem, instead
of looking it up; this module is that check and the FastAPI path parameter built on it.
"""

from __future__ import annotations

import re
from typing import Annotated

from dataclasses import dataclass

from fastapi import Depends, Path

from juanzong_shared.errors import Invalid
from juanzong_shared.problems import FieldError, Problem

__all__ = ["MAX_LENGTH", "CaseNumber", "CaseNumberPath", "InvalidCaseNumber", "case_number_shape_error",
           "court_code_of"]

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


# The lexical parts: （年度）法院代字 类型代字 编号 号. 法院代字 is a province's letter, alone for its high court (吉)
# or with the court's digits (吉01, 吉0102), or 最高法; the 类型代字 is what stands between it and the serial (民终, 刑初, 执恢, 知民初).
_PARTS = re.compile(r"^[（(](?P<year>\d{4})[）)](?P<court>最高法|[\u4e00-\u9fff]\d*)"
                    r"(?P<type>[\u4e00-\u9fff]+)(?P<serial>\d+)号$")


class InvalidCaseNumber(Invalid):
    code = "case-number"


@dataclass(frozen=True, slots=True)
class CaseNumber:
    """A 案号 read into its parts, without looking anything up (intake checks codes against its registry).

    ``str()`` gives the canonical text (full-width brackets), which is how every service stores and compares
    it: （2026）吉01民终1001号 and (2026)吉01民终1001号 are one case."""

    year: int
    court: str
    type_code: str
    serial: str  # the digits as written: 刑核 serials keep their zero padding (00000012)

    @classmethod
    def parse(cls, text: str, field: str = "case_number") -> CaseNumber:
        reason = case_number_shape_error(text.strip())
        match = _PARTS.match(text.strip()) if reason is None else None
        if match is None:
            raise InvalidCaseNumber(field, reason or "无法识别法院代字或类型代字，例如 " + EXAMPLE)
        return cls(int(match["year"]), match["court"], match["type"], match["serial"])

    @classmethod
    def read(cls, text: str | None) -> CaseNumber | None:
        """The parts, or None for text that is not a 案号 (a tolerant reader's question)."""
        if not text:
            return None
        try:
            return cls.parse(text)
        except InvalidCaseNumber:
            return None

    @property
    def number(self) -> int:
        return int(self.serial)

    @property
    def province(self) -> str:
        return self.court[0]

    @property
    def procedure(self) -> str:
        """The last character of the 类型代字: 初 (first instance), 终 (second), 再/申/监… (retrial)."""
        return self.type_code[-1]

    def __str__(self) -> str:
        return f"（{self.year}）{self.court}{self.type_code}{self.serial}号"
