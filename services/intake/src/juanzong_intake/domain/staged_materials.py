"""Staged scanning (分段扫描): the materials each stage must put into the e-dossier, and completeness.

长中法〔2018〕129号 第六条 (立案: the filing division, within 3 working days of filing) and 第七条 (庭前:
5 working days before the hearing; 庭后: within 5 working days after it; 结案前: before the closing
judgment is signed). The lists live in ``data/staged_materials.json``; conditional items (答辩状 only if
one was filed …) depend on :class:`MaterialFacts`, and an unknown fact leaves the item "to confirm".
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from juanzong_intake.domain.case import Case, PartyRole
from juanzong_intake.domain.deadlines import DeadlineAnchor, DeadlineRule, DeadlineUnit
from juanzong_intake.domain.errors import DataFileError
from juanzong_intake.domain.stages import CaseStage, MaterialStage

DATA_PACKAGE = "juanzong_intake.data"
STAGED_MATERIALS_FILE = "staged_materials.json"


class MaterialForm(StrEnum):
    ELECTRONIC = "electronic"  # 电子文件（系统生成）
    PAPER = "paper"  # 纸质诉讼材料电子图像（扫描）


class MaterialSource(StrEnum):
    SCANNED = "scanned"  # 扫描
    ONLINE_FILING = "online_filing"  # 网上立案提交，符合要求不再扫描 (第六条第二款)
    SYSTEM = "system"  # 办案系统生成的电子文件


class MaterialFacts(BaseModel):
    """What is known about the case that decides whether a conditional material is expected.

    ``None`` = not known yet: the item is reported as "to confirm", neither missing nor waived.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fee_payable: bool | None = None  # 需缴纳诉讼费用
    initiator_has_agent: bool | None = None  # 原告方委托诉讼代理人
    initiator_submitted_evidence: bool | None = None  # 原告方提交证据
    appearance_notice_issued: bool | None = None  # 发出出庭通知书
    defence_filed: bool | None = None  # 提交答辩状
    respondent_has_agent: bool | None = None  # 被告方委托诉讼代理人
    has_third_party: bool | None = None  # 有第三人
    evidence_before_hearing: bool | None = None  # 当事人庭前提交证据
    hearing_files_supported: bool = False  # 庭审录音录像、笔录电子文件（待技术实现后执行）
    investigation_conducted: bool | None = None  # 进行了调查
    evidence_cross_examined: bool | None = None  # 证据经质证
    collegial_panel: bool | None = None  # 合议庭审理（非独任）
    discussed_by_judges_meeting: bool | None = None  # 提交专业法官会议讨论
    discussed_by_adjudication_committee: bool | None = None  # 提交审判委员会讨论
    consulted: bool | None = None  # 进行审判咨询
    agent_opinion_submitted: bool | None = None  # 提交代理（辩护）意见
    evidence_before_closing: bool | None = None  # 结案前提交证据材料

    def value(self, condition: str) -> bool | None:
        return getattr(self, condition)


def facts_from_case(case: Case, known: MaterialFacts | None = None) -> MaterialFacts:
    """Facts that follow from the case record (panel, parties), overridden by ``known`` where it says."""
    derived: dict[str, bool] = {}
    if case.panel is not None:
        derived["collegial_panel"] = case.panel.collegial
    if case.parties:
        derived["has_third_party"] = any(
            p.role in (PartyRole.THIRD_PARTY, PartyRole.ORIGINAL_THIRD_PARTY) for p in case.parties)
    explicit = known.model_dump(exclude_unset=True) if known is not None else {}
    return MaterialFacts(**{**derived, **explicit})


class StagedMaterial(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    material_id: str = Field(..., min_length=1)
    name_zh: str
    form: MaterialForm
    condition: str | None = None  # a MaterialFacts field; None = always expected
    aliases: tuple[str, ...] = ()


class StageRequirement(BaseModel):
    """One stage's list, the article that sets it and its deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: MaterialStage
    article: str
    responsible_zh: str
    deadline: DeadlineRule
    note_zh: str | None = None
    materials: tuple[StagedMaterial, ...]

    def find(self, material_id: str) -> StagedMaterial | None:
        return next((m for m in self.materials if m.material_id == material_id), None)


class StagedMaterialCatalog:
    """The packaged per-stage lists (长中法〔2018〕129号 第六条, 第七条); :meth:`load` reads them once."""

    def __init__(self, stages: Iterable[StageRequirement]) -> None:
        self._stages = {s.stage: s for s in stages}
        missing = [s.value for s in MaterialStage if s not in self._stages]
        if missing:
            raise DataFileError("staged_materials", f"缺少阶段：{missing}")
        for requirement in self._stages.values():
            ids = [m.material_id for m in requirement.materials]
            if len(set(ids)) != len(ids):
                raise DataFileError("staged_materials", f"{requirement.stage.value} 阶段材料编号重复")
            for material in requirement.materials:
                if material.condition is not None and material.condition not in MaterialFacts.model_fields:
                    raise DataFileError("staged_materials", f"未知条件：{material.condition}")

    @classmethod
    def load(cls) -> StagedMaterialCatalog:
        return _load_default()

    @classmethod
    def from_json(cls, text: str) -> StagedMaterialCatalog:
        try:
            raw = json.loads(text)
            stages = []
            for entry in raw["stages"]:
                deadline = entry["deadline"]
                stages.append(StageRequirement(
                    stage=entry["stage"], article=entry["article"], responsible_zh=entry["responsible_zh"],
                    note_zh=entry.get("note_zh"),
                    deadline=DeadlineRule(
                        clock=f"staged_materials.{entry['stage']}", amount=deadline["amount"],
                        unit=DeadlineUnit(deadline["unit"]), anchor=DeadlineAnchor(deadline["anchor"]),
                        article=entry["article"], description_zh=deadline["description_zh"]),
                    materials=tuple(StagedMaterial.model_validate(m) for m in entry["materials"])))
            return cls(stages)
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise DataFileError("staged_materials", f"分段扫描材料数据无效：{exc}") from exc

    def stage(self, stage: MaterialStage) -> StageRequirement:
        return self._stages[MaterialStage(stage)]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._stages[s] for s in MaterialStage)

    def resolve(self, name: str, stage: MaterialStage | None = None) -> tuple[tuple[MaterialStage, str], ...]:
        """Which (stage, material_id) a document name means, by exact name, alias or id."""
        wanted = _fold(name)
        found: list[tuple[MaterialStage, str]] = []
        for requirement in self:
            if stage is not None and requirement.stage is not stage:
                continue
            for material in requirement.materials:
                names = {material.material_id, material.name_zh, *material.aliases}
                if wanted in {_fold(n) for n in names}:
                    found.append((requirement.stage, material.material_id))
        return tuple(found)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


class ReceivedMaterial(BaseModel):
    """A material in the e-dossier. ``stage`` None matches the material id in whichever stage is asked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    material_id: str = Field(..., min_length=1)
    stage: MaterialStage | None = None
    pages: int | None = Field(None, ge=0)
    source: MaterialSource = MaterialSource.SCANNED
    ref: str | None = None


class MaterialStatus(StrEnum):
    RECEIVED = "received"  # 已生成
    MISSING = "missing"  # 缺失
    NOT_APPLICABLE = "not_applicable"  # 本案无需
    TO_CONFIRM = "to_confirm"  # 待确认（条件未知）

    @property
    def zh(self) -> str:
        return {"received": "已生成", "missing": "缺失", "not_applicable": "本案无需",
                "to_confirm": "待确认"}[self.value]


class MaterialLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    material_id: str
    name_zh: str
    form: MaterialForm
    status: MaterialStatus
    condition: str | None = None
    received: int = 0  # how many received items matched
    sources: tuple[MaterialSource, ...] = ()


class StageCompleteness(BaseModel):
    """Completeness of one stage's materials for one case (长中法〔2018〕129号 第六条/第七条)."""

    model_config = ConfigDict(frozen=True)

    case_number: str
    stage: MaterialStage
    article: str
    deadline: DeadlineRule
    lines: tuple[MaterialLine, ...]
    unrecognised: tuple[str, ...] = ()  # received ids not on this stage's list

    @computed_field  # type: ignore[prop-decorator]
    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(line.material_id for line in self.lines if line.status is MaterialStatus.MISSING)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def to_confirm(self) -> tuple[str, ...]:
        return tuple(line.material_id for line in self.lines if line.status is MaterialStatus.TO_CONFIRM)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def complete(self) -> bool:
        """Nothing missing and nothing left to confirm."""
        return not self.missing and not self.to_confirm



class CaseCompleteness(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_number: str
    case_stage: CaseStage
    applicable: bool  # False for 涉密 cases and cases outside the paperless flow
    reason_zh: str | None = None
    stages: tuple[StageCompleteness, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def complete(self) -> bool:
        return self.applicable and all(s.complete for s in self.stages)


def stage_completeness(case_number: str, stage: MaterialStage, received: Iterable[ReceivedMaterial],
                       facts: MaterialFacts | None = None,
                       catalog: StagedMaterialCatalog | None = None) -> StageCompleteness:
    """Which of the stage's expected materials are in the e-dossier (长中法〔2018〕129号 第六条, 第七条).

    Online-filed electronic materials count as received (第六条第二款: not scanned again).
    """
    catalog = catalog or StagedMaterialCatalog.load()
    facts = facts or MaterialFacts()
    requirement = catalog.stage(stage)
    mine = [r for r in received if r.stage is None or r.stage is stage]
    known = {m.material_id for m in requirement.materials}
    lines: list[MaterialLine] = []
    for material in requirement.materials:
        matches = [r for r in mine if r.material_id == material.material_id]
        condition = facts.value(material.condition) if material.condition else True
        if matches:
            status = MaterialStatus.RECEIVED
        elif condition is None:
            status = MaterialStatus.TO_CONFIRM
        elif condition:
            status = MaterialStatus.MISSING
        else:
            status = MaterialStatus.NOT_APPLICABLE
        lines.append(MaterialLine(material_id=material.material_id, name_zh=material.name_zh, form=material.form,
                                  status=status, condition=material.condition, received=len(matches),
                                  sources=tuple(dict.fromkeys(r.source for r in matches))))
    unrecognised = tuple(dict.fromkeys(r.material_id for r in mine
                                       if r.stage is stage and r.material_id not in known))
    return StageCompleteness(case_number=case_number, stage=stage, article=requirement.article,
                             deadline=requirement.deadline, lines=tuple(lines), unrecognised=unrecognised)


def case_completeness(case: Case, received: Iterable[ReceivedMaterial], facts: MaterialFacts | None = None,
                      catalog: StagedMaterialCatalog | None = None) -> CaseCompleteness:
    """The stages the case has reached, each with its completeness; facts also come from the case record."""
    if case.secret:
        return CaseCompleteness(case_number=case.key, case_stage=case.stage, applicable=False,
                                reason_zh="涉密案件暂不开展电子卷宗随案同步生成（吉高法〔2020〕11号 第十条）")
    if not case.scope.in_flow:
        return CaseCompleteness(case_number=case.key, case_stage=case.stage, applicable=False,
                                reason_zh=case.scope.reason_zh)
    items = tuple(received)
    merged = facts_from_case(case, facts)
    stages = tuple(stage_completeness(case.key, s, items, merged, catalog) for s in case.stage.material_stages_due())
    return CaseCompleteness(case_number=case.key, case_stage=case.stage, applicable=True, stages=stages)


@cache
def _load_default() -> StagedMaterialCatalog:
    text = resources.files(DATA_PACKAGE).joinpath(STAGED_MATERIALS_FILE).read_text(encoding="utf-8")
    return StagedMaterialCatalog.from_json(text)
