"""案号: parse, validate and normalise case numbers.

《关于人民法院案件案号的若干规定》(法〔2015〕137号) 第三条 and its 2018 amendment: a case number is
``（收案年度）`` + 法院代字 + [专门审判代字] + 类型代字 + 案件编号 + ``号``, e.g. ``（2020）吉01民终123号``.
Input may use ASCII or full-width parentheses, full-width digits and stray spaces; the canonical form
uses full-width parentheses and ASCII digits. Numbers from before 2016 (``（2012）长民一初字第123号``)
only appear as original-trial numbers and are handled by :func:`parse_original_case_number`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, computed_field, model_validator

from juanzong_intake.domain.case_types import CaseType, CaseTypeTable
from juanzong_intake.domain.courts import Court, CourtRegistry
from juanzong_intake.domain.errors import CaseNumberError

CASE_NUMBER_PARTS: Final = ("format", "year", "court_code", "type_code", "serial")
FIRST_YEAR: Final = 2016  # the uniform case-number standard applies to cases received from 2016-01-01
FIRST_LEGACY_YEAR: Final = 1949
CRIMINAL_REVIEW_TYPE: Final = "刑核"
CRIMINAL_REVIEW_SERIAL_DIGITS: Final = 8  # 第十条第二款: 刑事复核案件编号为8位自然数
MAX_SERIAL_DIGITS: Final = 7  # house setting: no court receives 10 million cases of one type a year
EXAMPLE: Final = "（2020）吉01民终123号"

_OPEN, _CLOSE = "（", "）"
_BRACKETS = str.maketrans({"(": _OPEN, ")": _CLOSE, "〔": _OPEN, "〕": _CLOSE, "[": _OPEN, "]": _CLOSE,
                           "【": _OPEN, "】": _CLOSE})
_RUNS = re.compile(r"\d+|\D+")
_LEGACY = re.compile(r"（(?P<year>\d{4})）(?P<body>\D+?字第)(?P<serial>[1-9]\d*)号")


def normalize_text(text: str) -> str:
    """NFKC (full-width digits → ASCII), no whitespace, every bracket pair as full-width parentheses."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", folded).translate(_BRACKETS)


class CaseNumber(BaseModel):
    """A valid current-scheme 案号. Build it with :func:`parse_case_number` or pass the text to a field.

    Validating a string or a dict of parts (or a dict holding ``canonical``) runs the full parse,
    including the court and type look-ups, so a CaseNumber in any model is always a valid one.
    """

    model_config = ConfigDict(frozen=True)

    year: int  # 收案年度
    court_code: str  # 法院代字
    special_code: str | None = None  # 专门审判代字
    type_code: str  # 类型代字
    serial: int  # 案件编号

    @model_validator(mode="before")
    @classmethod
    def _parse_input(cls, data: Any) -> Any:
        if isinstance(data, CaseNumber):
            return data
        if isinstance(data, str):
            return _parse_parts(data)
        if isinstance(data, Mapping):
            if "canonical" in data:
                return _parse_parts(str(data["canonical"]))
            return _parse_parts(_compose(data))
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def canonical(self) -> str:
        serial = str(self.serial).zfill(CRIMINAL_REVIEW_SERIAL_DIGITS) if (
            self.type_code == CRIMINAL_REVIEW_TYPE) else str(self.serial)
        return f"{_OPEN}{self.year}{_CLOSE}{self.court_code}{self.special_code or ''}{self.type_code}{serial}号"

    def __str__(self) -> str:
        return self.canonical

    @property
    def case_type(self) -> CaseType:
        """The type-table row of the packaged table."""
        return CaseTypeTable.load().get(self.type_code)

    @property
    def court(self) -> Court:
        """The court of the packaged registry."""
        return CourtRegistry.load().get(self.court_code)


class LegacyCaseNumber(BaseModel):
    """A pre-2016 case number (``（2012）长民一初字第123号``), kept as normalised text.

    Old numbers have no uniform court code, so only the year and the shape are checked. They are
    accepted only where an original-trial number is expected (申诉 of long-closed cases).
    """

    model_config = ConfigDict(frozen=True)

    scheme: Literal["legacy"] = "legacy"
    year: int
    text: str

    @model_validator(mode="before")
    @classmethod
    def _parse_input(cls, data: Any) -> Any:
        if isinstance(data, str):
            return _parse_legacy(data).model_dump(exclude={"canonical"})
        if isinstance(data, Mapping) and "canonical" in data and "text" not in data:
            return _parse_legacy(str(data["canonical"])).model_dump(exclude={"canonical"})
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def canonical(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def parse_case_number(text: str, *, courts: CourtRegistry | None = None, types: CaseTypeTable | None = None,
                      today: date | None = None) -> CaseNumber:
    """Parse and validate a 案号; raises :class:`CaseNumberError` naming the bad part.

    《关于人民法院案件案号的若干规定》 第三条 (format), 第十条 (numbering). ``today`` bounds the
    收案年度 (a case cannot be received in a future year); by default the system date.
    """
    return CaseNumber.model_construct(**_parse_parts(text, courts=courts, types=types, today=today))


def parse_original_case_number(text: str, *, courts: CourtRegistry | None = None,
                               types: CaseTypeTable | None = None,
                               today: date | None = None) -> CaseNumber | LegacyCaseNumber:
    """Parse an original-trial number: the current scheme, or a pre-2016 number as a fallback."""
    try:
        return parse_case_number(text, courts=courts, types=types, today=today)
    except CaseNumberError as current_error:
        try:
            return _parse_legacy(text)
        except CaseNumberError:
            raise current_error from None


def case_number_key(number: CaseNumber | LegacyCaseNumber | str) -> str:
    """The canonical text used to match numbers (e.g. linking originals by case number)."""
    if isinstance(number, CaseNumber | LegacyCaseNumber):
        return number.canonical
    return parse_original_case_number(number).canonical


def _coerce_original(value: Any) -> Any:
    if isinstance(value, CaseNumber | LegacyCaseNumber):
        return value
    if isinstance(value, str):
        return parse_original_case_number(value)
    if isinstance(value, Mapping):
        if value.get("scheme") == "legacy":
            return LegacyCaseNumber.model_validate(value)
        return CaseNumber.model_validate(value)
    return value


AnyCaseNumber = CaseNumber | LegacyCaseNumber
"""Either scheme, for function signatures."""

OriginalCaseNumber = Annotated[CaseNumber | LegacyCaseNumber, BeforeValidator(_coerce_original)]
"""A pydantic field type for 原审案号: current-scheme or legacy, given as text or as a dumped model."""


def _fail(part: str, reason_zh: str, text: str) -> CaseNumberError:
    return CaseNumberError(part, f"{reason_zh}（案号“{text}”）", text=text)


def _parse_parts(text: str, *, courts: CourtRegistry | None = None, types: CaseTypeTable | None = None,
                 today: date | None = None) -> dict[str, Any]:
    courts = courts or CourtRegistry.load()
    types = types or CaseTypeTable.load()
    if not isinstance(text, str) or not text.strip():
        raise CaseNumberError("format", f"案号为空；应形如“{EXAMPLE}”", text=None)
    raw = text
    t = normalize_text(text)
    match = re.fullmatch(r"（(?P<year>[^（）]*)）(?P<body>[^（）]*)", t)
    if match is None:
        reason = (f"案号应以括号括起的收案年度开头，如“{EXAMPLE}”" if not t.startswith(_OPEN)
                  else "案号中的括号不成对或多余")
        raise _fail("format", reason, raw)
    year_text, body = match["year"], match["body"]
    if not body.endswith("号"):
        raise _fail("format", "案号应以“号”字结尾", raw)
    body = body[:-1]
    if "第" in body:
        raise _fail("format", "现行案号不含“字第”“第”；2016年以前的旧案号只能作为原审案号", raw)

    # 收案年度
    if not re.fullmatch(r"\d{4}", year_text):
        raise _fail("year", "收案年度应为四位阿拉伯数字", raw)
    year = int(year_text)
    this_year = (today or date.today()).year
    if not FIRST_YEAR <= year <= this_year:
        raise _fail("year", f"收案年度{year}不在合理范围（{FIRST_YEAR}—{this_year}年）内", raw)

    runs = _RUNS.findall(body)
    if not runs:
        raise _fail("court_code", "缺少法院代字、类型代字和案件编号", raw)
    if runs[0].isdigit():
        raise _fail("court_code", "缺少法院代字：收案年度之后应为法院代字（如“吉01”）", raw)
    if not runs[-1].isdigit():
        raise _fail("serial", "缺少案件编号：类型代字之后、“号”字之前应为阿拉伯数字编号", raw)
    serial_text = runs[-1]
    middle = runs[:-1]

    # 法院代字 (+ 专门审判代字 + 类型代字)
    if len(middle) == 3:  # 吉 01 民终
        court_code, type_text = middle[0] + middle[1], middle[2]
        if len(middle[1]) not in (2, 4):
            raise _fail("court_code", f"法院代字“{court_code}”的数字部分应为2位（中级法院）或4位（基层法院）", raw)
    elif len(middle) == 1:  # 吉民终: the high court, or 最高法…
        court_code, type_text = _split_lettered_court(middle[0], courts)
        if not type_text:
            raise _fail("type_code", "缺少类型代字", raw)
    else:
        raise _fail("format", "案号含有多余的数字或字符", raw)
    if court_code not in courts:
        raise _fail("court_code", f"未知法院代字“{court_code}”：不在本系统法院名录（吉林省法院）中", raw)

    split = types.split(type_text)
    if split is None:
        raise _fail("type_code", f"未知类型代字“{type_text}”", raw)
    special_code, type_code = split

    # 案件编号
    if set(serial_text) == {"0"}:
        raise _fail("serial", "案件编号应为正整数", raw)
    if type_code == CRIMINAL_REVIEW_TYPE:
        if len(serial_text) != CRIMINAL_REVIEW_SERIAL_DIGITS:
            raise _fail("serial", "刑事复核案件编号应为8位自然数", raw)
    elif serial_text.startswith("0"):
        raise _fail("serial", "案件编号不能以0开头", raw)
    elif len(serial_text) > MAX_SERIAL_DIGITS:
        raise _fail("serial", f"案件编号超过{MAX_SERIAL_DIGITS}位，疑为录入错误", raw)
    return {"year": year, "court_code": court_code, "special_code": special_code, "type_code": type_code,
            "serial": int(serial_text)}


def _split_lettered_court(text: str, courts: CourtRegistry) -> tuple[str, str]:
    """Split ``吉民终`` into (court code, rest) using the registry's codes without digits."""
    for code in sorted(courts.high_court_codes(), key=len, reverse=True):
        if text.startswith(code):
            return code, text[len(code):]
    guess = "最高法" if text.startswith("最高法") else text[:1]
    return guess, text[len(guess):]


def _compose(parts: Mapping[str, Any]) -> str:
    try:
        return (f"{_OPEN}{parts['year']}{_CLOSE}{parts['court_code']}{parts.get('special_code') or ''}"
                f"{parts['type_code']}{parts['serial']}号")
    except KeyError as missing:
        raise CaseNumberError("format", f"案号缺少组成部分：{missing.args[0]}") from None


def _parse_legacy(text: str) -> LegacyCaseNumber:
    if not isinstance(text, str) or not text.strip():
        raise CaseNumberError("format", "案号为空", text=None)
    t = normalize_text(text)
    match = _LEGACY.fullmatch(t)
    if match is None:
        raise _fail("format", "不是2016年以前的旧式案号（应形如“（2012）长民一初字第123号”）", text)
    year = int(match["year"])
    if not FIRST_LEGACY_YEAR <= year < FIRST_YEAR:
        raise _fail("year", f"旧式案号的收案年度应在{FIRST_LEGACY_YEAR}—{FIRST_YEAR - 1}年之间", text)
    return LegacyCaseNumber.model_construct(year=year, text=t)
