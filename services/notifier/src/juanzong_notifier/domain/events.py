"""The events the notifier reads, as the domain sees them.

The service layer reads the producers' payload models and hands the domain an
:class:`InboundEvent` with the few facts the rules and indicators use; the
domain never touches the bus. Routing is always on the ``type`` string.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventType(StrEnum):
    """Event types that start, pause or stop deadline clocks or feed the indicators."""

    # intake
    CASE_REGISTERED = "case.registered"  # 立案
    CASE_CLOSED = "case.closed"  # 系统点击结案
    CASE_HEARING_SCHEDULED = (
        "case.hearing.scheduled"  # 排期开庭（询问、听证）; payload hearing_id, hearing_at
    )
    CASE_HEARING_HELD = "case.hearing.held"  # 开庭（询问、听证）结束; payload hearing_id
    SCAN_TASK_CREATED = "scan.task.created"  # 创建扫描任务（材料清单）
    SCAN_TASK_IN_CABINET = "scan.task.in_cabinet"  # 送入云柜
    SCAN_TASK_PICKED_UP = "scan.task.picked_up"  # 智能办案辅助中心取件
    SCAN_TASK_CHECK_FAILED = "scan.task.check_failed"  # 核对不一致，退回
    SCAN_TASK_CHECK_PASSED = "scan.task.check_passed"  # 核对一致
    # scan-ocr
    SCAN_BATCH_COMPLETED = "scan.batch.completed"  # 扫描完成
    # catalog
    CATALOG_DOSSIER_CATALOGUED = "catalog.dossier.catalogued"  # 编目归目完成; payload stage, counts
    CATALOG_DOSSIER_READ_ONLINE = "catalog.dossier.read_online"  # 网上阅卷（一次阅卷会话）
    # archive
    ARCHIVE_FILING_SUBMITTED = "archive.filing.submitted"  # 结案立卷提交
    ARCHIVE_REVIEW_PASSED = "archive.review.passed"  # 电子卷宗核查合格
    ARCHIVE_REVIEW_RETURNED = "archive.review.returned"  # 核查不合格，退回承办法官
    ARCHIVE_COMPILED = "archive.compiled"  # 组卷、质检、装订完成，系统点击归档（移送档案科）
    ARCHIVE_ARCHIVED = "archive.archived"  # 档案科审核归档通过
    ARCHIVE_AUDIT_RETURNED = "archive.audit.returned"  # 审核不合格，退回智能办案辅助中心
    # inter-court (法〔2016〕264号 三(五))
    DOSSIER_REQUESTED = "dossier.requested"  # 上级法院向原审法院调取电子卷宗; payload request_id
    DOSSIER_DELIVERED = "dossier.delivered"  # 原审法院报送完成; payload request_id
    # external systems, accepted through the notifier's own intake API
    TRIAL_SMART_SESSION_HELD = "trial.smart_session.held"  # 智能庭审系统: 一次庭审使用了智能庭审
    DOCUMENT_ASSISTED_GENERATED = "document.assisted.generated"  # 文书辅助生成系统: 一份文书经辅助生成


class InboundEvent(BaseModel):
    """One event from another service or an external system.

    ``occurred_at`` must carry a time zone (the bus sends UTC); deadlines are
    computed in Asia/Shanghai. The optional facts name a clock's subject
    (``scan_task_id``, ``hearing_id``, ``request_id``), narrow a stop (``stage``),
    anchor a count (``hearing_at``) or feed an indicator.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    type: str = Field(min_length=1)
    occurred_at: AwareDatetime
    court: str = Field(min_length=1)
    case_id: str = Field(min_length=1)
    scan_task_id: str | None = None
    hearing_id: str | None = None
    hearing_at: AwareDatetime | None = None
    request_id: str | None = None
    stage: str | None = None
    documents_total: int | None = None
    documents_auto: int | None = None
    converted_automatically: bool | None = None

    def fact(self, name: str) -> object:
        """A subject, stop or anchor field a rule names (``case_id`` or one of the optional facts)."""
        return getattr(self, name, None)

    def facts(self) -> dict[str, object]:
        """The optional facts that are set (what is stored beside an indicator event)."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"id", "type", "occurred_at", "court",
                                                                        "case_id"})
