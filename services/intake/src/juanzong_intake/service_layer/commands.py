"""Commands intake accepts (imperative names). The REST layer takes them as request bodies, so each
carries an OpenAPI example; the acting person comes from the bearer token, never from the body.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from juanzong_intake.domain.case import Panel, Party, SecrecyDesignation
from juanzong_intake.domain.original_trial import RecordKind
from juanzong_intake.domain.scan_task import MaterialItem, ScanTaskState
from juanzong_intake.domain.staged_materials import MaterialFacts, MaterialSource
from juanzong_intake.domain.stages import CaseStage, MaterialStage


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterCase(Command):
    """立案登记 from the case-management system (审判业务管理系统)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "case_number": "（2025）吉01民终123号", "filed_on": "2025-03-03", "court": "吉01", "case_type": "民终",
        "cause": "买卖合同纠纷", "department": "民一庭",
        "parties": [{"name": "张三", "role": "appellant"},
                    {"name": "长春某贸易有限公司", "role": "appellee", "kind": "legal_person"}],
        "panel": {"undertaking_judge": "u-judge-li", "presiding_judge": "u-judge-wang",
                  "members": ["u-judge-li", "u-judge-wang", "u-judge-zhao"],
                  "judge_assistants": ["u-assistant-chen"], "clerks": ["u-clerk-liu"]},
        "secret": False, "stage": "filing", "original_case_numbers": ["（2024）吉0102民初88号"]}]})

    case_number: str = Field(..., min_length=1, max_length=64, description="案号")
    filed_on: date = Field(..., description="立案日期")
    court: str | None = Field(None, description="法院代字; when given it must match the case number")
    case_type: str | None = Field(None, description="类型代字; when given it must match the case number")
    cause: str | None = Field(None, max_length=200, description="案由 (required unless 涉密)")
    cause_code: str | None = None
    department: str | None = Field(None, max_length=100, description="承办部门")
    parties: list[Party] = Field(default_factory=list, max_length=500)
    panel: Panel | None = None
    secret: bool = Field(False, description="涉密 (吉高法〔2020〕11号 第十条)")
    secrecy: SecrecyDesignation | None = None
    stage: CaseStage = CaseStage.FILING
    original_case_numbers: list[str] = Field(default_factory=list, max_length=50, description="原审案号")


class ChangeStage(Command):
    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"examples": [{"stage": "pre_hearing"}]})

    stage: CaseStage
    at: datetime | None = None


class CloseCase(Command):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"closed_at": "2025-06-30T08:00:00Z", "result": "驳回上诉，维持原判"}]})

    closed_at: datetime | None = None
    result: str | None = Field(None, max_length=500)


class RecordHearing(Command):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"status": "scheduled", "at": "2025-04-10T01:30:00Z"}]})

    status: Literal["scheduled", "held"]
    at: datetime


class OriginalSubmissionIn(Command):
    original_case_number: str = Field(..., min_length=1, max_length=64)
    e_dossier_refs: list[str] = Field(default_factory=list, max_length=50)
    e_archive_refs: list[str] = Field(default_factory=list, max_length=50)
    paper_volumes: int = Field(0, ge=0, le=1000)


class SubmitManifest(Command):
    """报送清单 from the lower court (吉高法〔2020〕11号 第三条(一))."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "manifest_id": "M-2025-0001", "submitting_court": "吉0102", "submitted_by": "u-lower-clerk",
        "originals": [{"original_case_number": "（2024）吉0102民初88号", "e_dossier_refs": ["ED-吉0102-2024-88"],
                       "e_archive_refs": [], "paper_volumes": 2}]}]})

    manifest_id: str | None = Field(None, min_length=1, max_length=100)
    submitting_court: str = Field(..., min_length=1, max_length=16)
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    originals: list[OriginalSubmissionIn] = Field(..., min_length=1, max_length=50)


class LinkOriginal(Command):
    """手动关联 or 解除关联 (吉高法〔2020〕11号 第三条(二)); the reason is kept with who did it."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "original_case_number": "（2024）吉0102民初88号", "kind": "e_dossier", "ref": "ED-吉0102-2024-88",
        "reason": "自动关联未命中，按报送函手动关联"}]})

    original_case_number: str = Field(..., min_length=1, max_length=64)
    kind: RecordKind
    ref: str = Field(..., min_length=1, max_length=200)
    reason: str = Field(..., min_length=1, max_length=500)


class ReturnToLowerCourt(Command):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"reason": "原审电子卷宗未随案报送", "lower_court": "吉0102"}]})

    reason: str | None = Field(None, max_length=500)
    lower_court: str | None = Field(None, max_length=16)


class CreateScanTask(Command):
    """A department's 材料清单 for the cloud cabinet (吉高法〔2020〕11号 第三条(三)2, 第五条(二))."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "department": "民一庭",
        "materials": [{"item_id": "1", "name": "答辩状", "expected_pages": 3, "stage": "pre_hearing",
                       "material_id": "defence_statement"},
                      {"item_id": "2", "name": "被上诉人证据材料", "expected_pages": 12, "stage": "pre_hearing"}]}]})

    task_id: str | None = Field(None, min_length=1, max_length=64)
    department: str | None = Field(None, max_length=100)
    materials: list[MaterialItem] = Field(..., min_length=1, max_length=500)


class TransitionScanTask(Command):
    """Move a scan task. ``reported`` (item_id → pages counted) drives the 核对 (第五条(三))."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"to": "in_cabinet"},
        {"to": "check_passed", "reported": {"1": 3, "2": 12}},
        {"to": "check_failed", "reason": "缺少证据材料第5-6页"}]})

    to: ScanTaskState
    reason: str | None = Field(None, max_length=1000)
    reported: dict[str, int] | None = Field(None, description="Pages counted per material item (核对)")
    materials: list[MaterialItem] | None = Field(None, description="Corrected list when re-submitting")
    at: datetime | None = None


class DeclareMaterial(Command):
    """A material already in the e-dossier without scanning (网上立案, system-generated; 长中法〔2018〕129号 第六条)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"material_id": "acceptance_notice", "stage": "filing", "source": "system"}]})

    material_id: str = Field(..., min_length=1, max_length=100)
    stage: MaterialStage
    source: MaterialSource = MaterialSource.SYSTEM
    pages: int | None = Field(None, ge=0)
    ref: str | None = Field(None, max_length=200)


class SetMaterialFacts(MaterialFacts):
    """Facts that decide whether conditional materials are expected (答辩状 only if one was filed …)."""


class SubmitForDeliberation(Command):
    """The case was submitted to a 法官会议 or the 审判委员会 (吉高法〔2020〕11号 第九条第2项)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [
        {"body": "adjudication_committee", "submitted_at": "2026-12-07", "members": ["judge.wang"]}]})

    body: Literal["judges_meeting", "adjudication_committee"]
    submitted_at: date
    members: list[str] | None = Field(None, min_length=1, max_length=100,
                                      description="who sits on the body for this case; omitted: every holder of "
                                                  "the body's role in the court")
