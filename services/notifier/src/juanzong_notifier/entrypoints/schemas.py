"""Request and answer models of the notifier's REST API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, Field

from juanzong_notifier.domain.calendar import NoticeRef
from juanzong_notifier.domain.preferences import Channel, QuietHours


class InboxItem(BaseModel):
    id: str = Field(..., description="Inbox item id (notification id | user)")
    notification_id: str
    kind: Literal["reminder", "overdue", "escalation", "due_changed"]
    title: str = Field(..., examples=["【超期督办】电子卷宗结案立卷"])
    body: str
    court: str
    case_number: str = Field(..., examples=["（2025）吉01民终123号"])
    rule: str = Field(..., examples=["closing_filing"])
    citation: str = Field(..., examples=["吉高法〔2020〕11号 第五条(四)"])
    due: datetime
    provisional: bool
    created_at: datetime
    read_at: datetime | None = None


class InboxPage(BaseModel):
    unread: int = Field(..., examples=[2])
    items: list[InboxItem]


class MarkRead(BaseModel):
    ids: list[str] = Field(default_factory=list, description="Inbox item ids or notification ids",
                           examples=[["吉01/（2025）吉01民终123号/closing_filing/（2025）吉01民终123号/e1/overdue/0"]])
    all: bool = Field(False, description="Mark every unread item read")


class MarkedRead(BaseModel):
    marked: int


class PreferencesIn(BaseModel):
    channels: list[Channel] = Field(default=[Channel.INBOX], examples=[["inbox", "email"]])
    email: str | None = Field(None, examples=["zhang@court.example"])
    webhook_url: AnyHttpUrl | None = Field(None, examples=["https://oa.court.example/hooks/juanzong"])
    quiet_hours: QuietHours | None = Field(
        None, examples=[{"start": "22:00", "end": "07:30", "escalations_bypass": True}],
        description="Asia/Shanghai wall-clock window; e-mail/webhook inside it wait until it ends (inbox never waits)")


class PreferencesOut(PreferencesIn):
    user_id: str


class Deadline(BaseModel):
    clock_id: str
    court: str
    case_number: str
    rule: str = Field(..., examples=["closing_filing"])
    name: str = Field(..., examples=["电子卷宗结案立卷"])
    citation: str = Field(..., examples=["吉高法〔2020〕11号 第五条(四)"])
    amount: str = Field(..., examples=["2个工作日"])
    subject: str
    status: Literal["not_started", "running", "paused", "overdue", "done", "done_late"]
    started_at: datetime | None
    stopped_at: datetime | None
    due: datetime | None
    provisional: bool = Field(..., description="Counted on a year without official or court data (weekdays only)")
    provisional_years: list[int]
    basis: str | None = Field(None, examples=["自2026年2月13日次日起算2个工作日，至2026年2月24日24时（…含调休上班日）"])
    responsible_role: str
    responsible: str | None
    runs: int


class CaseDeadlines(BaseModel):
    case_number: str
    deadlines: list[Deadline]


class HolidayTableIn(BaseModel):
    year: int = Field(..., examples=[2027])
    holidays: list[date] = Field(..., examples=[["2027-01-01", "2027-01-02", "2027-01-03"]])
    makeup_workdays: list[date] = Field(default_factory=list, examples=[["2027-02-06"]],
                                        description="调休上班日 (Saturdays or Sundays only)")
    source_notice: NoticeRef = Field(..., examples=[{"number": "国办发明电〔2026〕7号",
                                                     "title": "国务院办公厅关于2027年部分节假日安排的通知"}])


class HolidayTableLoaded(BaseModel):
    table: dict[str, Any]
    recomputed: list[dict[str, Any]] = Field(..., description="Running deadlines that moved (each notified)")


class DepartmentHead(BaseModel):
    court: str = Field(..., examples=["吉01"])
    department: str = Field(..., examples=["民一庭"])
    user_id: str = Field(..., examples=["u-head-wang"])


class RoleHolder(BaseModel):
    court: str = Field(..., examples=["吉01"])
    role: Literal["filing_clerk", "assistance_centre", "archive_office", "original_court", "judge",
                  "judge_assistant"] = Field(..., examples=["assistance_centre"])
    user_id: str = Field(..., examples=["u-centre-zhao"])
    department: str | None = Field(None, examples=["立案庭"])
    name: str | None = None


class ExternalEventIn(BaseModel):
    """One usage fact from 智能庭审 or 文书辅助生成 (the other four indicators come from the suite's own events)."""

    id: str = Field(..., min_length=1, max_length=200, description="The sending system's event id; repeats are ignored",
                    examples=["ts-2026-10-0001"])
    type: Literal["trial.smart_session.held", "document.assisted.generated"]
    occurred_at: AwareDatetime = Field(..., examples=["2026-10-12T09:30:00+08:00"])
    court: str = Field(..., min_length=1, max_length=100, examples=["吉01"])
    case_number: str = Field(..., min_length=1, max_length=200, examples=["（2026）吉01民终88号"])
    system: str = Field(..., min_length=1, max_length=200, examples=["智能庭审系统"])
    hearing_id: str | None = Field(None, min_length=1, max_length=200,
                                   description="智能庭审: the hearing (default: its date, YYYY-MM-DD)")
    document_id: str | None = Field(None, min_length=1, max_length=200, description="文书辅助生成: the document")
    document_kind: str | None = Field(None, max_length=100, examples=["judgment"])


class ExternalEventAccepted(BaseModel):
    event_id: str
    duplicate: bool
