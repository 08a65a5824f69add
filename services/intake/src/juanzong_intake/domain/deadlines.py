"""Deadline rules as data: which clock an event starts, how long it runs, and which article sets it.

The intake domain only names the rule; the notifier counts working days on the official calendar
(调休 included), so no calendar arithmetic happens here.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class DeadlineUnit(StrEnum):
    HOURS = "hours"  # 自然小时
    WORKING_DAYS = "working_days"  # 工作日


class DeadlineAnchor(StrEnum):
    """What the clock counts from."""

    EVENT = "event"  # the event that carries the rule
    FILING_DATE = "filing_date"  # 立案之日
    HEARING_DATE = "hearing_date"  # 开庭（询问、听证）之日
    JUDGMENT_SIGNING = "judgment_signing"  # 结案裁判文书签发


class DeadlineRule(BaseModel):
    """One time limit. ``amount`` < 0 means "before" the anchor (e.g. 5 working days before the hearing)."""

    model_config = ConfigDict(frozen=True)

    clock: str = Field(..., min_length=1, examples=["scan_task.pick_up"])
    amount: int
    unit: DeadlineUnit
    anchor: DeadlineAnchor = DeadlineAnchor.EVENT
    article: str
    description_zh: str
    stops_on: tuple[str, ...] = Field(
        default=(), description="event/state names that satisfy the rule and stop the clock")
