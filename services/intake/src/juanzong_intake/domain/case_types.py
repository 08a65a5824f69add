"""Case types (案件类型) and their 类型代字, as a data table with category, procedure and trial level."""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from juanzong_intake.domain.errors import DataFileError, UnknownCaseType

DATA_PACKAGE = "juanzong_intake.data"
CASE_TYPES_FILE = "case_types.json"


class CaseCategory(StrEnum):
    """案件大类. ``civil`` covers 民商事 (the type codes do not tell commercial cases apart)."""

    CIVIL = "civil"  # 民商事
    ADMINISTRATIVE = "administrative"  # 行政
    CRIMINAL = "criminal"  # 刑事
    STATE_COMPENSATION = "state_compensation"  # 国家赔偿（行政赔偿、司法赔偿）
    ENFORCEMENT = "enforcement"  # 执行
    PRESERVATION = "preservation"  # 非诉保全审查
    JUDICIAL_RELIEF = "judicial_relief"  # 司法救助

    @property
    def zh(self) -> str:
        return _CATEGORY_ZH[self]


_CATEGORY_ZH = {
    CaseCategory.CIVIL: "民商事",
    CaseCategory.ADMINISTRATIVE: "行政",
    CaseCategory.CRIMINAL: "刑事",
    CaseCategory.STATE_COMPENSATION: "国家赔偿",
    CaseCategory.ENFORCEMENT: "执行",
    CaseCategory.PRESERVATION: "非诉保全审查",
    CaseCategory.JUDICIAL_RELIEF: "司法救助",
}


class Procedure(StrEnum):
    """程序: what the court does with the case."""

    FIRST_INSTANCE = "first_instance"  # 一审
    APPEAL = "appeal"  # 二审（上诉）
    RETRIAL_REVIEW = "retrial_review"  # 申请再审审查 / 申诉审查
    PROTEST_REVIEW = "protest_review"  # 抗诉再审审查
    RETRIAL = "retrial"  # 再审
    SUPERVISION = "supervision"  # 审判监督（其他）
    JURISDICTION = "jurisdiction"  # 管辖
    JURISDICTION_APPEAL = "jurisdiction_appeal"  # 管辖上诉
    CRIMINAL_REVIEW = "criminal_review"  # 刑事复核
    SPECIAL_PROCEDURE = "special_procedure"  # 特别程序、督促、公示催告、破产等
    NON_LITIGATION_REVIEW = "non_litigation_review"  # 非诉行政执行审查
    COMPENSATION = "compensation"  # 国家赔偿审理
    ENFORCEMENT = "enforcement"  # 执行实施
    ENFORCEMENT_OBJECTION = "enforcement_objection"  # 执行异议
    ENFORCEMENT_REVIEW = "enforcement_review"  # 执行复议
    ENFORCEMENT_SUPERVISION = "enforcement_supervision"  # 执行监督
    PRESERVATION = "preservation"  # 保全审查
    RELIEF = "relief"  # 司法救助
    OTHER = "other"  # 其他

    @property
    def requires_original_trial(self) -> bool:
        """Cases that come from a lower court's (or an earlier) case need its 原审 records.

        吉高法〔2020〕11号 第三条(一)(二): 上诉、申诉等案件 come with the original paper archive, e-archive and
        e-dossier. Appeals (终), retrial reviews (申/抗), retrials (再), supervision (监) and criminal review
        (核) all decide on an earlier case; first instance and enforcement do not.
        """
        return self in _NEEDS_ORIGINAL

    @property
    def is_appeal(self) -> bool:
        return self in (Procedure.APPEAL, Procedure.JURISDICTION_APPEAL)


_NEEDS_ORIGINAL = frozenset({
    Procedure.APPEAL, Procedure.JURISDICTION_APPEAL, Procedure.RETRIAL_REVIEW, Procedure.PROTEST_REVIEW,
    Procedure.RETRIAL, Procedure.SUPERVISION, Procedure.CRIMINAL_REVIEW,
})


class TrialLevel(StrEnum):
    FIRST = "first"  # 一审
    SECOND = "second"  # 二审
    RETRIAL = "retrial"  # 再审 / 审判监督
    NONE = "none"  # 不属审级（执行、保全、救助、复核等）


class CaseType(BaseModel):
    """One row of the type table: a 类型代字 and what it means."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(..., min_length=1, max_length=3, examples=["民终"])  # 类型代字: at most 3 汉字
    name_zh: str
    category: CaseCategory
    procedure: Procedure
    trial_level: TrialLevel
    note: str | None = None

    @property
    def requires_original_trial(self) -> bool:
        return self.procedure.requires_original_trial


class SpecialTrialCode(BaseModel):
    """专门审判代字 (e.g. 知 for intellectual property), placed before the type code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(..., min_length=1)
    name_zh: str
    note: str | None = None


class CaseTypeTable:
    """Read-only lookup of 类型代字 and 专门审判代字. :meth:`load` returns the packaged table (loaded once)."""

    def __init__(self, types: list[CaseType], special_codes: list[SpecialTrialCode]) -> None:
        self._types: dict[str, CaseType] = {}
        for t in types:
            if t.code in self._types:
                raise DataFileError("case_types", f"类型代字重复：{t.code}")
            self._types[t.code] = t
        self._special = {s.code: s for s in special_codes}
        clash = [s for s in self._special if any(t.startswith(s) for t in self._types)]
        if clash:  # an ambiguous split would make parsing depend on table order
            raise DataFileError("case_types", f"专门审判代字与类型代字前缀冲突：{clash}")

    @classmethod
    def load(cls) -> CaseTypeTable:
        return _load_default()

    @classmethod
    def from_json(cls, text: str) -> CaseTypeTable:
        try:
            raw = json.loads(text)
            return cls([CaseType.model_validate(t) for t in raw["types"]],
                       [SpecialTrialCode.model_validate(s) for s in raw.get("special_trial_codes", [])])
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise DataFileError("case_types", f"案件类型数据无效：{exc}") from exc

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._types

    def __iter__(self) -> Iterator[CaseType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)

    def find(self, code: str) -> CaseType | None:
        return self._types.get(code)

    def get(self, code: str) -> CaseType:
        found = self._types.get(code)
        if found is None:
            raise UnknownCaseType(code)
        return found

    def special(self, code: str) -> SpecialTrialCode | None:
        return self._special.get(code)

    def split(self, text: str) -> tuple[str | None, str] | None:
        """Split ``知民终`` into (special code, type code); ``None`` when no reading is valid."""
        if text in self._types:
            return None, text
        for special in sorted(self._special, key=len, reverse=True):
            rest = text[len(special):]
            if text.startswith(special) and rest in self._types:
                return special, rest
        return None


@cache
def _load_default() -> CaseTypeTable:
    text = resources.files(DATA_PACKAGE).joinpath(CASE_TYPES_FILE).read_text(encoding="utf-8")
    return CaseTypeTable.from_json(text)
