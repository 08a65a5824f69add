"""Events produced by archive (close-to-archive workflow, e-archives, fixity)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from juanzong_shared.events.envelope import EventSpec, Payload

PRODUCER = "archive"


class ArchiveStepChanged(Payload):
    case_number: str
    step: str
    at: datetime
    actor: str | None = None
    reasons: list[str] = Field(default_factory=list)
    state: str | None = Field(None, description="Workflow state after the step (e.g. review_returned).")
    actor_name: str | None = None
    rule: str | None = Field(None, description="Article the step serves, e.g. 吉高法〔2020〕11号 第三条(七).")
    archival_code: str | None = Field(None, description="档号, once assigned (组卷 and later).")
    package_key: str | None = Field(None, description="Object key of the stored e-archive package (转换 and later).")


class Archived(Payload):
    case_number: str
    archival_code: str
    package_key: str
    at: datetime
    automatic: bool = True


class FixityFailed(Payload):
    case_number: str
    archival_code: str
    problems: list[str]
    package_key: str | None = None
    detected_at: datetime | None = None
    scheduled: bool = Field(False, description="Found by the scheduled fixity audit (else an on-demand check).")


_STEPS = {
    "archive.filing.submitted": "结案立卷 submitted by the assistant or clerk.",
    "archive.filing.confirmed": "立卷 confirmed by the presiding judge.",
    "archive.review.passed": "核查 passed.",
    "archive.review.returned": "核查 failed: returned to the judge with reasons.",
    "archive.compiled": "组卷 and 质检 done.",
    "archive.converted": "Converted into a signed e-archive package.",
    "archive.audit.returned": "审核归档 failed: returned with reasons.",
}

SPECS = [
    *[EventSpec(t, 1, ArchiveStepChanged, PRODUCER, d) for t, d in _STEPS.items()],
    EventSpec("archive.archived", 1, Archived, PRODUCER, "审核归档 passed: the e-archive is archived."),
    EventSpec("archive.fixity.failed", 1, FixityFailed, PRODUCER, "A stored e-archive failed its integrity check."),
]
