"""Events produced by the notifier and events from systems outside the suite it accepts."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from juanzong_shared.events.envelope import EventSpec, Payload

PRODUCER = "notifier"


class DeadlineChanged(Payload):
    clock_id: str
    case_number: str
    rule: str
    due: datetime
    responsible: str | None = None
    provisional: bool = False
    citation: str | None = Field(None, description="The article the deadline comes from, e.g. 吉高法〔2020〕11号 第五条(四).")
    recipient: str | None = Field(None, description="Who was told (escalations: the department head).")


class ExternalUsage(Payload):
    """An event from a system outside the suite (智能庭审, 文书智能辅助生成) for the monthly indicators."""

    case_number: str
    system: str
    at: datetime
    hearing_id: str | None = Field(
        None, description="智能庭审: the hearing; default the hearing's date (Asia/Shanghai) as YYYY-MM-DD.")
    document_id: str | None = Field(None, description="文书辅助生成: the document drafted.")
    document_kind: str | None = Field(None, description="e.g. judgment | ruling")


class DossierDelivered(Payload):
    """An original court delivered a requested e-dossier (法〔2016〕264号 三(五)); stops the 3-working-day clock."""

    case_number: str = Field(..., description="The requesting court's case.")
    original_case_number: str
    requesting_court: str
    holding_court: str
    request_id: str | None = Field(None, description="Default: '<requesting_court>:<case_number>'.")
    at: datetime


SPECS = [
    EventSpec("notify.deadline.overdue", 1, DeadlineChanged, PRODUCER, "A deadline passed without its step."),
    EventSpec("notify.deadline.escalated", 1, DeadlineChanged, PRODUCER, "An overdue step was escalated."),
    EventSpec("notify.deadline.changed", 1, DeadlineChanged, PRODUCER,
              "A running deadline moved because a holiday table was loaded (吉高法〔2020〕11号 第七条)."),
    EventSpec("trial.smart_session.held", 1, ExternalUsage, "external", "A hearing used the smart courtroom (智能庭审)."),
    EventSpec("document.assisted.generated", 1, ExternalUsage, "external",
              "A document was drafted with assisted generation (文书智能辅助生成)."),
    EventSpec("dossier.delivered", 1, DossierDelivered, "intake",
              "The original court delivered the requested e-dossier (法〔2016〕264号 三(五))."),
]
