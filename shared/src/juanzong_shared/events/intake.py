"""Integration events produced by intake (cases, original-trial links, scan tasks)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from juanzong_shared.events.envelope import EventSpec, Payload

PRODUCER = "intake"


class PanelMember(Payload):
    user_id: str
    name: str | None = None
    role: str = Field(..., description="undertaking_judge (承办法官) | presiding_judge (审判长) | panel_member | judge_assistant | clerk")


class CaseParty(Payload):
    name: str = Field(..., examples=["赵立军"])
    role: str = Field(..., examples=["上诉人"], description="诉讼地位, in Chinese as the archive metadata records it")


class CaseRegistered(Payload):
    case_number: str = Field(..., examples=["（2025）吉01民终123号"])
    court: str
    court_name: str | None = Field(None, examples=["吉林省长春市中级人民法院"],
                                   description="本院's full name (the 责任者 of its own records)")
    case_type: str = Field(..., examples=["民终"])
    category: str = Field(..., description="civil | administrative | criminal | state_compensation | enforcement | ...")
    cause: str | None = None
    paperless: bool = Field(..., description="吉高法〔2020〕11号 第十四条: inside the paperless flow")
    secret: bool = False
    department: str | None = None
    panel: list[PanelMember] = Field(default_factory=list)
    parties: list[CaseParty] = Field(default_factory=list, description="当事人; empty for a 涉密 case")
    registered_at: datetime


class CaseClosed(Payload):
    case_number: str
    closed_at: datetime
    result: str | None = None
    secret: bool = Field(False, description="涉密 (吉高法〔2020〕11号 第十条): no e-dossier exists, nothing to archive")
    paperless: bool = Field(True, description="吉高法〔2020〕11号 第十四条: inside the paperless flow")


class CaseStageChanged(Payload):
    case_number: str
    stage: str
    at: datetime
    from_stage: str | None = None
    paperless: bool = Field(True, description="False for 涉密 (第十条) or out-of-scope (第十四条) cases: no staged scanning")


class CaseSubmittedForDeliberation(Payload):
    """The case was submitted to a 法官会议 or the 审判委员会 for discussion (吉高法〔2020〕11号 第九条第2项)."""

    case_number: str
    body: Literal["judges_meeting", "adjudication_committee"]
    submitted_on: date
    member_ids: list[str] | None = Field(
        None, description="who sits on the body for this case; null: every holder of the body's role in the court")
    at: datetime


class CaseReturnedToLowerCourt(Payload):
    case_number: str
    lower_court: str
    reason: str
    missing: list[str] = Field(default_factory=list)
    at: datetime


class OriginalLinked(Payload):
    case_number: str
    original_case_number: str
    e_dossier_ref: str | None = None
    e_archive_ref: str | None = None
    manual: bool = False
    by: str | None = None
    reason: str | None = None


class OriginalUnlinked(Payload):
    """A person removed a wrong original-trial link (who and why are kept)."""

    case_number: str
    original_case_number: str
    e_dossier_ref: str | None = None
    e_archive_ref: str | None = None
    by: str
    reason: str


class HearingEvent(Payload):
    case_number: str
    at: datetime
    paperless: bool = Field(True, description="False for 涉密 (第十条) or out-of-scope (第十四条) cases: no staged scanning")


class _ScanTaskMove(Payload):
    case_number: str
    state: str
    at: datetime
    actor: str | None = None
    reason: str | None = None
    department: str | None = None
    court: str | None = Field(None, description="法院代字 of the case")
    from_state: str | None = None
    sequence: int | None = Field(None, description="1 for creation; with the task's id an idempotency key")
    deadline_clock: str | None = Field(None, examples=["scan_task.pick_up_and_check"],
                                       description="The clock this state starts (第五条(二)(三)), if any")
    deadline_amount: int | None = None
    deadline_unit: str | None = Field(None, description="hours | working_days")
    deadline_article: str | None = None
    deadline_stops_on: list[str] = Field(default_factory=list)
    expected_pages: int | None = Field(None, description="Pages on the material list (材料清单)")
    counted_pages: int | None = Field(None, description="Pages counted at the check or scanned by scan-ocr")
    mismatches: list[str] = Field(default_factory=list, description="Each mismatch's reason (第五条(三))")


class ScanTaskChanged(_ScanTaskMove):
    """A scan task (扫描任务) entered a state. v2 names the task ``scan_task_id``, as every other event does."""

    scan_task_id: str


class ScanTaskChangedV1(_ScanTaskMove):
    """Superseded by v2, which renames ``task_id`` to ``scan_task_id``; a consumer reads a v1 event as v2."""

    task_id: str


def _scan_task_v2(v1: dict) -> dict:
    data = dict(v1)
    data["scan_task_id"] = data.pop("task_id")
    return data


class DossierRequested(Payload):
    case_number: str
    original_case_number: str
    requesting_court: str
    holding_court: str
    at: datetime


SPECS = [
    EventSpec("case.registered", 1, CaseRegistered, PRODUCER, "A case was registered (立案)."),
    EventSpec("case.closed", 1, CaseClosed, PRODUCER, "The case was closed (结案); the archive clocks start."),
    EventSpec("case.stage.changed", 1, CaseStageChanged, PRODUCER, "The case moved to another stage."),
    EventSpec("case.submitted_for_deliberation", 1, CaseSubmittedForDeliberation, PRODUCER,
              "Submitted to the 法官会议 or 审判委员会: its members may read the case (吉高法〔2020〕11号 第九条第2项)."),
    EventSpec("case.returned_to_lower_court", 1, CaseReturnedToLowerCourt, PRODUCER,
              "Returned to the lower court: original e-dossier missing (吉高法〔2020〕11号 第三条(二))."),
    EventSpec("case.original.linked", 1, OriginalLinked, PRODUCER, "An original-trial e-dossier/e-archive was linked."),
    EventSpec("case.original.unlinked", 1, OriginalUnlinked, PRODUCER,
              "An original-trial link was removed by a person, with the reason."),
    EventSpec("case.hearing.scheduled", 1, HearingEvent, PRODUCER, "A hearing was scheduled."),
    EventSpec("case.hearing.held", 1, HearingEvent, PRODUCER, "A hearing was held."),
    EventSpec("dossier.requested", 1, DossierRequested, PRODUCER, "An original court was asked for an e-dossier."),
    *[EventSpec(f"scan.task.{state}", version, model, PRODUCER, f"Scan task (扫描任务) entered state {state}.",
                upgrade=_scan_task_v2 if version == 1 else None)
      for state in ("created", "in_cabinet", "picked_up", "check_passed", "check_failed", "scanning",
                    "scanned", "catalogued")
      for version, model in ((1, ScanTaskChangedV1), (2, ScanTaskChanged))],
]
