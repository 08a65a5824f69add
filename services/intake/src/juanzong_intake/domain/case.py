"""The case (案件) as intake registers it, and the two rules every e-dossier write obeys.

* Scope — 吉高法〔2020〕11号 第十四条: civil/commercial and administrative cases received from
  2019-12-01 run the paperless flow; criminal and state-compensation cases are registered but deferred;
  enforcement follows separate rules.
* Secrecy — 吉高法〔2020〕11号 第十条: a case involving state secrets (涉密) gets no e-dossier.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from juanzong_intake.domain import articles
from juanzong_intake.domain.case_number import CaseNumber, OriginalCaseNumber, case_number_key
from juanzong_intake.domain.case_types import CaseCategory, CaseType, Procedure
from juanzong_intake.domain.errors import OutsidePaperlessFlow, SecretCaseRefused, WrongStage
from juanzong_intake.domain.stages import CaseStage

PAPERLESS_START: Final = date(2019, 12, 1)  # 第十四条: cases newly received from this date

class PartyRole(StrEnum):
    """诉讼地位."""

    PLAINTIFF = "plaintiff"  # 原告
    DEFENDANT = "defendant"  # 被告
    THIRD_PARTY = "third_party"  # 第三人
    APPELLANT = "appellant"  # 上诉人
    APPELLEE = "appellee"  # 被上诉人
    RETRIAL_APPLICANT = "retrial_applicant"  # 再审申请人
    APPLICANT = "applicant"  # 申请人
    RESPONDENT = "respondent"  # 被申请人
    ORIGINAL_PLAINTIFF = "original_plaintiff"  # 原审原告
    ORIGINAL_DEFENDANT = "original_defendant"  # 原审被告
    ORIGINAL_THIRD_PARTY = "original_third_party"  # 原审第三人
    PUBLIC_PROSECUTION = "public_prosecution"  # 公诉机关
    ACCUSED = "accused"  # 被告人
    PRIVATE_PROSECUTOR = "private_prosecutor"  # 自诉人
    VICTIM = "victim"  # 被害人
    ENFORCEMENT_APPLICANT = "enforcement_applicant"  # 申请执行人
    ENFORCEMENT_RESPONDENT = "enforcement_respondent"  # 被执行人
    COMPENSATION_CLAIMANT = "compensation_claimant"  # 赔偿请求人
    COMPENSATION_OBLIGOR = "compensation_obligor"  # 赔偿义务机关
    OTHER = "other"  # 其他诉讼参与人

    @property
    def zh(self) -> str:
        return _ROLE_ZH[self]


_ROLE_ZH = {
    PartyRole.PLAINTIFF: "原告", PartyRole.DEFENDANT: "被告", PartyRole.THIRD_PARTY: "第三人",
    PartyRole.APPELLANT: "上诉人", PartyRole.APPELLEE: "被上诉人", PartyRole.RETRIAL_APPLICANT: "再审申请人",
    PartyRole.APPLICANT: "申请人", PartyRole.RESPONDENT: "被申请人", PartyRole.ORIGINAL_PLAINTIFF: "原审原告",
    PartyRole.ORIGINAL_DEFENDANT: "原审被告", PartyRole.ORIGINAL_THIRD_PARTY: "原审第三人",
    PartyRole.PUBLIC_PROSECUTION: "公诉机关", PartyRole.ACCUSED: "被告人", PartyRole.PRIVATE_PROSECUTOR: "自诉人",
    PartyRole.VICTIM: "被害人", PartyRole.ENFORCEMENT_APPLICANT: "申请执行人",
    PartyRole.ENFORCEMENT_RESPONDENT: "被执行人", PartyRole.COMPENSATION_CLAIMANT: "赔偿请求人",
    PartyRole.COMPENSATION_OBLIGOR: "赔偿义务机关", PartyRole.OTHER: "其他诉讼参与人",
}


_ROLE_OF_ZH = {zh: role for role, zh in _ROLE_ZH.items()}


class PartyKind(StrEnum):
    NATURAL_PERSON = "natural_person"  # 自然人
    LEGAL_PERSON = "legal_person"  # 法人（含机关）
    OTHER_ORGANIZATION = "other_organization"  # 非法人组织


class Party(BaseModel):
    """当事人."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(..., min_length=1, max_length=200)
    role: PartyRole
    kind: PartyKind = PartyKind.NATURAL_PERSON
    id_number: str | None = None  # 身份证号 / 统一社会信用代码, when the case-management system sends it

    @field_validator("role", mode="before")
    @classmethod
    def _role_in_chinese(cls, value: object) -> object:
        """The case-management system may send the 诉讼地位 as court staff write it (上诉人)."""
        return _ROLE_OF_ZH.get(value, value) if isinstance(value, str) else value


class Panel(BaseModel):
    """The case team: 承办法官, 审判长, 合议庭成员, 法官助理, 书记员 (user ids).

    Field names match access control's Panel so the two services speak of the same people.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    undertaking_judge: str = Field(..., min_length=1)  # 承办法官
    presiding_judge: str | None = None  # 审判长
    members: frozenset[str] = frozenset()  # 合议庭成员; empty for a sole judge (独任)
    judge_assistants: frozenset[str] = frozenset()  # 法官助理
    clerks: frozenset[str] = frozenset()  # 书记员

    @model_validator(mode="after")
    def _judges_sit_on_the_panel(self) -> Panel:
        if self.members:
            if self.undertaking_judge not in self.members:
                raise ValueError("承办法官应为合议庭成员 (undertaking_judge must be one of members)")
            if self.presiding_judge and self.presiding_judge not in self.members:
                raise ValueError("审判长应为合议庭成员 (presiding_judge must be one of members)")
        return self

    @property
    def collegial(self) -> bool:
        """合议庭审理 (more than one judge) rather than 独任."""
        return len(self.members) > 1



class SecrecyDesignation(BaseModel):
    """Who determined that the case involves state secrets (吉高法〔2020〕11号 第十条第二款).

    The 承办部门负责人 determines it, the 分管领导 approves, and it is filed with 审判管理办公室.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    determined_by: str = Field(..., min_length=1)  # 承办部门负责人
    approved_by: str | None = None  # 分管领导
    filed_with_trial_management: bool = False  # 已送审判管理办公室备案
    basis: str | None = None  # 依据《人民法院工作国家秘密范围的规定》的条目


class PaperlessScope(StrEnum):
    """Where 吉高法〔2020〕11号 第十四条 puts a case."""

    IN_FLOW = "in_flow"  # 全流程无纸化办案
    DEFERRED = "deferred"  # 暂缓执行：登记，不进入无纸化流程（刑事、赔偿）
    SEPARATE = "separate"  # 另行规定（执行）
    NOT_COVERED = "not_covered"  # 不在本规定适用范围

    @property
    def zh(self) -> str:
        return {"in_flow": "全流程无纸化办案", "deferred": "暂缓执行", "separate": "另行规定",
                "not_covered": "不适用"}[self.value]


class ScopeDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    scope: PaperlessScope
    reason_zh: str
    article: str = articles.ART14

    @property
    def in_flow(self) -> bool:
        return self.scope is PaperlessScope.IN_FLOW


def decide_scope(category: CaseCategory, filed_on: date) -> ScopeDecision:
    """吉高法〔2020〕11号 第十四条: which cases run the paperless flow, with the reason."""
    if category in (CaseCategory.CIVIL, CaseCategory.ADMINISTRATIVE):
        if filed_on < PAPERLESS_START:
            return ScopeDecision(scope=PaperlessScope.NOT_COVERED,
                                 reason_zh=f"{category.zh}案件于{filed_on.isoformat()}收案，早于2019年12月1日，"
                                           "不适用全流程无纸化办案 (received before 2019-12-01)")
        return ScopeDecision(scope=PaperlessScope.IN_FLOW,
                             reason_zh=f"{category.zh}案件，适用全流程无纸化办案 (paperless flow)")
    if category in (CaseCategory.CRIMINAL, CaseCategory.STATE_COMPENSATION):
        return ScopeDecision(scope=PaperlessScope.DEFERRED,
                             reason_zh=f"{category.zh}案件全流程无纸化办案暂缓执行：予以登记，不进入无纸化流程 "
                                       "(registered; outside the paperless flow for now)")
    if category is CaseCategory.ENFORCEMENT:
        return ScopeDecision(scope=PaperlessScope.SEPARATE,
                             reason_zh="执行案件的全流程无纸化办案另行规定，不进入本流程 "
                                       "(enforcement cases follow separate rules)")
    return ScopeDecision(scope=PaperlessScope.NOT_COVERED,
                         reason_zh=f"{category.zh}案件不在全流程无纸化办案适用范围（仅民商事、行政案件） "
                                   "(only civil/commercial and administrative cases)")


class DossierWrite(StrEnum):
    """The e-dossier write paths; each one calls :func:`ensure_not_secret` first."""

    CREATE_DOSSIER = "create_dossier"
    CREATE_SCAN_TASK = "create_scan_task"
    CHANGE_SCAN_TASK = "change_scan_task"
    STORE_PAGES = "store_pages"
    CATALOGUE = "catalogue"
    RECEIVE_MANIFEST = "receive_manifest"
    LINK_ORIGINAL = "link_original"
    UNLINK_ORIGINAL = "unlink_original"

    @property
    def zh(self) -> str:
        return _WRITE_ZH[self]


_WRITE_ZH = {
    DossierWrite.CREATE_DOSSIER: "创建电子卷宗", DossierWrite.CREATE_SCAN_TASK: "创建扫描任务",
    DossierWrite.CHANGE_SCAN_TASK: "办理扫描任务", DossierWrite.STORE_PAGES: "存储扫描页面",
    DossierWrite.CATALOGUE: "编目归目", DossierWrite.RECEIVE_MANIFEST: "接收原审报送清单",
    DossierWrite.LINK_ORIGINAL: "关联原审电子档案、电子卷宗", DossierWrite.UNLINK_ORIGINAL: "解除原审关联",
}


class Case(BaseModel):
    """A registered case (立案). Its identity is the canonical case number."""

    model_config = ConfigDict(frozen=True)

    case_number: CaseNumber
    filed_on: date  # 立案日期
    cause: str = Field(..., min_length=1, max_length=200)  # 案由
    cause_code: str | None = None  # 案由代码
    department: str | None = None  # 承办部门
    parties: tuple[Party, ...] = ()
    panel: Panel | None = None  # set at 分案; None while the case is at 立案
    secret: bool = False  # 涉密 (涉国家秘密)
    secrecy: SecrecyDesignation | None = None
    stage: CaseStage = CaseStage.FILING
    original_case_numbers: tuple[OriginalCaseNumber, ...] = ()  # 原审案号

    @field_validator("original_case_numbers")
    @classmethod
    def _distinct_originals(cls, value: tuple[CaseNumber, ...]) -> tuple[CaseNumber, ...]:
        keys = [n.canonical for n in value]
        if len(set(keys)) != len(keys):
            raise ValueError("原审案号重复 (duplicate original case number)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if self.filed_on.year != self.case_number.year:
            raise ValueError(f"立案日期{self.filed_on.isoformat()}与收案年度{self.case_number.year}不符 "
                             "(filed_on must fall in the case number's year)")
        if self.secrecy is not None and not self.secret:
            raise ValueError("有涉密认定记录的案件应标记为涉密 (secrecy designation given but secret is false)")
        if self.case_number.canonical in {n.canonical for n in self.original_case_numbers}:
            raise ValueError("原审案号不能是本案案号 (a case cannot be its own original)")
        return self

    @property
    def key(self) -> str:
        return self.case_number.canonical

    @computed_field  # type: ignore[prop-decorator]
    @property
    def court_code(self) -> str:
        return self.case_number.court_code

    @property
    def case_type(self) -> CaseType:
        return self.case_number.case_type

    @computed_field  # type: ignore[prop-decorator]
    @property
    def category(self) -> CaseCategory:
        return self.case_type.category

    @property
    def procedure(self) -> Procedure:
        return self.case_type.procedure

    @property
    def requires_original_trial(self) -> bool:
        """吉高法〔2020〕11号 第三条(一)(二): appeals, retrials and the like come with 原审 records."""
        return self.procedure.requires_original_trial

    @computed_field  # type: ignore[prop-decorator]
    @property
    def scope(self) -> ScopeDecision:
        return decide_scope(self.category, self.filed_on)

    @property
    def e_dossier_allowed(self) -> bool:
        """An e-dossier is built for this case: in the paperless flow and not 涉密."""
        return self.scope.in_flow and not self.secret

    def original_keys(self) -> frozenset[str]:
        return frozenset(case_number_key(n) for n in self.original_case_numbers)


def ensure_not_secret(case: Case, action: DossierWrite | str) -> None:
    """Refuse any e-dossier work on a 涉密 case (吉高法〔2020〕11号 第十条).

    Every write path (dossier, scan task, pages, catalogue, original links) calls this before it
    stores anything, so nothing of a secret case is scanned or stored.
    """
    if not case.secret:
        return
    action_zh = action.zh if isinstance(action, DossierWrite) else str(action)
    raise SecretCaseRefused(
        case.key, action_zh,
        f"{case.key}为涉国家秘密案件，依{articles.ART10}暂不开展电子卷宗随案同步生成，不予{action_zh} "
        "(classified case: no e-dossier is created, scanned or stored)",
        articles.ART10,
    )


def ensure_in_paperless_flow(case: Case, action: DossierWrite | str) -> None:
    """Refuse paperless-flow work for a case outside 吉高法〔2020〕11号 第十四条's scope, with its reason."""
    decision = case.scope
    if decision.in_flow:
        return
    action_zh = action.zh if isinstance(action, DossierWrite) else str(action)
    raise OutsidePaperlessFlow(case.key, decision.scope.value,
                               f"{case.key}不予{action_zh}：{decision.reason_zh}", decision.article)


def ensure_e_dossier_writable(case: Case, action: DossierWrite | str) -> None:
    """Both guards, secrecy first (第十条 outranks scope: a secret civil case is refused as secret)."""
    ensure_not_secret(case, action)
    ensure_in_paperless_flow(case, action)


def advance_stage(case: Case, to: CaseStage) -> Case:
    """Move the case forward (stages may be skipped, e.g. no hearing); going back is refused."""
    if to.order <= case.stage.order:
        raise WrongStage("stage", f"案件阶段不能从“{case.stage.zh}”回到或停留在“{to.zh}”；只能向后推进 "
                                  f"(stage can only move forward from {case.stage.value})")
    return case.model_copy(update={"stage": to})


SECRET_CAUSE: Final = "（涉密案件，不登记案由）"


def minimal_secret_record(case: Case) -> Case:
    """What intake keeps of a 涉密 case (吉高法〔2020〕11号 第十条): number, date, department, stage, secrecy.

    Parties, panel, cause and original cases are not stored: no e-dossier is built for the case, and
    nothing of it should sit in the paperless system beyond the fact that it was registered.
    """
    return Case(case_number=case.case_number, filed_on=case.filed_on, cause=SECRET_CAUSE,
                department=case.department, secret=True, secrecy=case.secrecy, stage=case.stage)
