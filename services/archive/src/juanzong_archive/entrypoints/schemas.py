"""Request and answer models of the archive's REST API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from juanzong_archive.domain.review import PaperItem
from juanzong_archive.domain.workflow import ArchiveState, HistoryEntry, allowed_steps, timeline
from juanzong_archive.service_layer.workflow import now

CN_EXAMPLE = "（2025）吉01民终123号"


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000, examples=["已核对电子卷宗完整、准确"])


class Return(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        ..., min_length=1, max_length=200, examples=[["缺少开庭笔录第3页", "送达回证未扫描"]])
    paper_list: list[PaperItem] = Field(default_factory=list, max_length=5000)


class ReviewPass(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paper_list: list[PaperItem] = Field(
        default_factory=list, max_length=5000,
        description="纸质卷宗材料清单 in paper order: the e-dossier must match it in content, count and order "
                    "(长中法〔2018〕129号 第九条)", examples=[[{"title": "民事起诉状", "pages": 3}]])
    note: str = Field("", max_length=2000)


class CaseOverrides(BaseModel):
    """Case-level metadata entered or corrected at 组卷 (青法〔2021〕116号 一)."""

    model_config = ConfigDict(extra="forbid")
    cause: str | None = Field(None, examples=["建设工程施工合同纠纷"])
    parties: list[dict[str, str]] | None = Field(None, examples=[[{"role": "上诉人（原审原告）", "name": "张三"}]])
    procedure: str | None = Field(None, examples=["二审"])
    outcome: str | None = Field(None, examples=["驳回上诉，维持原判"])
    panel: list[dict[str, str]] | None = Field(None, examples=[[{"role": "审判长", "name": "李明"}]])
    judge: str | None = None
    clerk: str | None = None
    filing_date: dt.date | None = None
    closing_date: dt.date | None = None


class Compile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retention_period: Literal["永久", "长期", "短期"] = Field(..., examples=["长期"])
    secrecy_level: Literal["非密", "内部", "秘密", "机密", "绝密"] = Field("非密", examples=["非密"])
    archive_serial: int | None = Field(None, ge=1, le=999999, description="案卷号; assigned in sequence when omitted")
    case: CaseOverrides = Field(default_factory=CaseOverrides)
    notes: str = Field("", max_length=2000, examples=["纸质卷宗已组卷装订，质检合格"])


class Backup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["tar.gz", "folder"] = Field("tar.gz", examples=["tar.gz"])


class ArchiveStatus(BaseModel):
    model_config = ConfigDict(extra="allow")
    case_number: str = Field(..., examples=[CN_EXAMPLE])
    state: ArchiveState
    state_label: str = Field(..., examples=["已归档"])
    allowed_steps: list[str] = Field(..., examples=[["audit-pass", "audit-return"]])
    archival_code: str | None = Field(None, examples=["J011-2025-C-0001"])
    closed_at: dt.datetime | None = None
    due_at: dt.datetime | None = Field(None, description="结案 + one natural month (吉高法〔2020〕11号 第七条)")
    archived_at: dt.datetime | None = None
    overdue: bool = False
    returns: int = 0
    package: dict[str, Any] | None = None
    fixity: dict[str, Any] | None = None
    review: dict[str, Any] | None = None
    last_conversion_error: dict[str, Any] | None = None
    history: list[HistoryEntry] = Field(default_factory=list)


class VerifyResult(BaseModel):
    case_number: str
    archival_code: str
    passed: bool = Field(..., description="False whenever any check failed or any stored byte changed")
    conclusion: str = Field(..., examples=["通过（1 项未执行，见说明）"])
    problems: list[str] = Field(default_factory=list)
    report_id: str


def status_of(doc: dict) -> ArchiveStatus:
    """The answer for a case's archive record (its workflow state, clock, package and history)."""
    state = ArchiveState(doc["state"])
    history = [HistoryEntry.model_validate(h) for h in doc.get("history") or []]
    closed = (doc.get("intake") or {}).get("closed_at")
    if isinstance(closed, str):
        closed = dt.datetime.fromisoformat(closed)
    tl = timeline(closed, history, now())
    return ArchiveStatus(case_number=doc["_id"], state=state, state_label=state.label,
                         allowed_steps=[s.value for s in allowed_steps(state)], archival_code=doc.get("archival_code"),
                         closed_at=tl.closed_at, due_at=tl.due_at, archived_at=tl.archived_at, overdue=tl.overdue,
                         returns=tl.returns, package=doc.get("package"), fixity=doc.get("fixity"), review=doc.get("review"),
                         last_conversion_error=doc.get("last_conversion_error"), history=history)
