"""Response models of the REST API, built from the stored documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from juanzong_intake.adapters.repository import case_from_doc, task_from_doc
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Panel, Party, SecrecyDesignation
from juanzong_intake.domain.scan_task import MaterialCheck, MaterialItem, ScanTaskTransitioned


class ScopeOut(BaseModel):
    scope: str = Field(..., examples=["in_flow"])
    in_flow: bool
    reason: str
    article: str = Field(..., examples=[articles.ART14])


class EDossierOut(BaseModel):
    allowed: bool
    reason: str
    article: str | None = None


class CaseOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "case_number": "（2025）吉01民终123号", "court": "吉01", "court_name": "吉林省长春市中级人民法院",
        "case_type": "民终", "case_type_name": "民事二审", "category": "civil", "procedure": "appeal",
        "filed_on": "2025-03-03", "cause": "买卖合同纠纷", "department": "民一庭", "secret": False,
        "stage": "filing", "status": "open", "original_case_numbers": ["（2024）吉0102民初88号"],
        "scope": {"scope": "in_flow", "in_flow": True, "reason": "民商事案件，适用全流程无纸化办案",
                  "article": articles.ART14},
        "e_dossier": {"allowed": True, "reason": "建立电子卷宗"}, "registered_at": "2025-03-03T01:00:00Z",
        "registered_by": "u-filing-sun", "overdue": False}]})

    case_number: str
    court: str
    court_name: str
    case_type: str
    case_type_name: str
    category: str
    procedure: str
    filed_on: date
    cause: str | None = None
    cause_code: str | None = None
    department: str | None = None
    parties: list[Party] = Field(default_factory=list)
    panel: Panel | None = None
    secret: bool
    secrecy: SecrecyDesignation | None = None
    withheld_fields: list[str] = Field(default_factory=list,
                                       description="Given at registration but not stored (涉密, 第十条)")
    stage: str
    status: str = Field(..., description="open | returned_to_lower_court | closed | archived")
    original_case_numbers: list[str] = Field(default_factory=list)
    scope: ScopeOut
    e_dossier: EDossierOut
    registered_at: datetime
    registered_by: str
    hearings: list[dict[str, Any]] = Field(default_factory=list)
    deliberations: list[dict[str, Any]] = Field(
        default_factory=list, description="submissions to the 法官会议 / 审判委员会 (吉高法〔2020〕11号 第九条第2项)")
    overdue: bool = False
    overdue_clocks: list[dict[str, Any]] = Field(default_factory=list)
    returned: dict[str, Any] | None = None
    closed_at: datetime | None = None
    result: str | None = None

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> CaseOut:
        case = case_from_doc(doc)
        scope = case.scope
        if case.secret:
            e_dossier = EDossierOut(allowed=False, article=articles.ART10,
                                    reason="涉国家秘密案件暂不开展电子卷宗随案同步生成：不扫描、不存储任何材料")
        elif not scope.in_flow:
            e_dossier = EDossierOut(allowed=False, article=scope.article, reason=scope.reason_zh)
        else:
            e_dossier = EDossierOut(allowed=True, reason="建立电子卷宗，随案同步生成")
        return cls(
            case_number=case.key, court=case.court_code, court_name=case.case_number.court.name,
            case_type=case.case_number.type_code, case_type_name=case.case_type.name_zh,
            category=case.category.value, procedure=case.procedure.value, filed_on=case.filed_on,
            cause=None if case.secret else case.cause, cause_code=case.cause_code, department=case.department,
            parties=list(case.parties), panel=case.panel, secret=case.secret, secrecy=case.secrecy,
            withheld_fields=doc.get("withheld_fields") or [], stage=case.stage.value, status=doc.get("status", "open"),
            original_case_numbers=[n.canonical for n in case.original_case_numbers],
            scope=ScopeOut(scope=scope.scope.value, in_flow=scope.in_flow, reason=scope.reason_zh,
                           article=scope.article),
            e_dossier=e_dossier, registered_at=doc["registered_at"], registered_by=doc["registered_by"],
            hearings=doc.get("hearings") or [], deliberations=doc.get("deliberations") or [],
            overdue=bool(doc.get("overdue")),
            overdue_clocks=doc.get("overdue_clocks") or [], returned=doc.get("returned"),
            closed_at=doc.get("closed_at"), result=doc.get("result"))


class ScanTaskOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "task_id": "ST-3f2a9c1d0b7e", "case_number": "（2025）吉01民终123号", "court": "吉01", "department": "民一庭",
        "state": "check_failed", "state_zh": "核对不一致", "allowed_next": ["in_cabinet"],
        "materials": [{"item_id": "1", "name": "答辩状", "expected_pages": 3, "stage": "pre_hearing"}],
        "expected_pages": 3, "submissions": 1,
        "return_reason": "材料清单与材料内容不一致：“答辩状”页数不符（清单3页，实收2页）"}]})

    task_id: str
    case_number: str
    court: str
    department: str
    state: str
    state_zh: str
    allowed_next: list[str]
    materials: list[MaterialItem]
    expected_pages: int
    submissions: int
    return_reason: str | None = None
    last_check: MaterialCheck | None = None
    scanned_pages: int = 0
    post_scan_check: MaterialCheck | None = None
    batches: list[dict[str, Any]] = Field(default_factory=list)
    created_at: datetime
    created_by: str | None = None
    updated_at: datetime
    history: list[ScanTaskTransitioned] = Field(default_factory=list)
    withheld_fields: list[str] = Field(default_factory=list, description=(
        "Not shown to this caller: a scanning station sees the task it scans, not who of the case team handled it "
        "(吉高法〔2020〕11号 第四条(一)3)"))

    @classmethod
    def for_station(cls, doc: dict[str, Any]) -> ScanTaskOut:
        """The task as a scanning station sees it: materials, counts and states, no person of the case team."""
        full = cls.from_doc(doc)
        return full.model_copy(update={"created_by": None, "history": [], "withheld_fields": ["created_by", "history"]})

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ScanTaskOut:
        task = task_from_doc(doc)
        order = list(type(task.state))
        return cls(
            task_id=task.task_id, case_number=task.case_number.canonical, court=doc["court"],
            department=task.department, state=task.state.value, state_zh=task.state.zh,
            allowed_next=[s.value for s in sorted(task.allowed_next, key=order.index)],
            materials=list(task.materials), expected_pages=task.expected_pages, submissions=task.submissions,
            return_reason=task.return_reason, last_check=task.last_check,
            scanned_pages=doc.get("scanned_pages", 0),
            post_scan_check=MaterialCheck.model_validate(doc["post_scan_check"]) if doc.get("post_scan_check") else None,
            batches=doc.get("batches") or [], created_at=task.created_at, created_by=task.created_by,
            updated_at=task.updated_at, history=list(task.history))


class ManifestResult(BaseModel):
    """The manifest as received, what was linked automatically, what is missing, and the return decision."""

    manifest_id: str
    case_number: str
    auto_link: dict[str, list[dict[str, Any]]]
    missing: dict[str, Any]
    decision: dict[str, Any]
    returned: dict[str, Any] | None = None


class OriginalTrialReport(BaseModel):
    case_number: str
    required: bool
    complete: bool
    originals: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    links: list[dict[str, Any]]
    history: list[dict[str, Any]]
    manifest: dict[str, Any] | None = None
    decision: dict[str, Any]
    status: str | None = None
    returned: dict[str, Any] | None = None


class LinkRecordOut(BaseModel):
    case_number: str
    action: str
    original_case_number: dict[str, Any]
    kind: str
    ref: str
    method: str
    at: datetime
    by: str
    reason: str | None = None


class ReturnOut(BaseModel):
    lower_court: str
    reason: str
    missing: list[str]
    at: datetime
    by: str
