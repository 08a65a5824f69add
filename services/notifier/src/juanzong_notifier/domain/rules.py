"""Deadline rules (办理时限规则) as data.

Each rule is one row of ``data/deadline_rules.json``: which event starts the
clock, which events stop (or pause/resume) it, how long it runs, who is
responsible and who is told when it runs over. The rows cite their articles:

* 吉高法〔2020〕11号 第五条(一)–(七): the step deadlines from 立案 to 归档;
  第六条: a step that finds a problem returns the material to the previous step
  with a reason — hence the "returned → N working days to correct" rows, which
  start on the return event and stop when the material comes back; quality
  problems never pause a clock;
  第七条: one natural month from 结案 to 归档, overruns count against the
  responsible department and person;
* 长中法〔2018〕129号 第六条 (立案 e-dossier within 3 working days) and 第七条
  (5 working days before a hearing, 5 working days after it);
* 法〔2016〕264号 三(五): an original court sends a requested e-dossier within
  3 working days.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from juanzong_notifier.domain.calendar import DeadlineResult, WorkingCalendar
from juanzong_notifier.domain.events import EventType, InboundEvent

REGULATION_KEYS: frozenset[str] = frozenset(
    {"吉高法〔2020〕11号", "长中法〔2018〕129号", "法〔2016〕264号", "吉高院通报29期", "青法〔2021〕116号"}
)


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    HOURS = "hours"
    NATURAL_MONTHS = "natural_months"


class Direction(StrEnum):
    AFTER = "after"  # within N after the anchor (most rules)
    BEFORE = "before"  # at least N before the anchor (开庭5个工作日前)


class Role(StrEnum):
    """Who a rule makes responsible, or escalates to."""

    FILING_CLERK = "filing_clerk"  # 立案窗口（立案庭）
    JUDGE = "judge"  # 承办法官
    JUDGE_ASSISTANT = "judge_assistant"  # 法官助理（书记员）
    ASSISTANCE_CENTRE = "assistance_centre"  # 立案庭智能办案辅助中心
    ARCHIVE_OFFICE = "archive_office"  # 办公室档案科
    ORIGINAL_COURT = "original_court"  # 原审法院
    DEPARTMENT_HEAD = "department_head"  # 部门负责人


ROLE_NAMES_ZH: dict[Role, str] = {
    Role.FILING_CLERK: "立案窗口",
    Role.JUDGE: "承办法官",
    Role.JUDGE_ASSISTANT: "法官助理（书记员）",
    Role.ASSISTANCE_CENTRE: "智能办案辅助中心",
    Role.ARCHIVE_OFFICE: "办公室档案科",
    Role.ORIGINAL_COURT: "原审法院",
    Role.DEPARTMENT_HEAD: "部门负责人",
}


class ClockAction(StrEnum):
    """What an event does to a rule's clock."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


class Citation(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    article: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known_key(self) -> Citation:
        if self.key not in REGULATION_KEYS:
            raise ValueError(f"unknown regulation key {self.key!r}")
        return self

    def __str__(self) -> str:
        return f"{self.key} {self.article}"


class InvalidEventPayload(ValueError):
    """An event lacks what a rule needs (e.g. the hearing time); the consumer dead-letters it."""


class DeadlineRule(BaseModel):
    """One time limit: trigger → amount in unit → stop, with its article.

    ``subject_field`` names the payload field that tells clocks of the same case
    apart (``case_id`` for case-level steps, ``scan_task_id``, ``hearing_id``,
    ``request_id``). A stop/pause/resume event without that field applies to every
    clock of the rule in the case. ``stop_match`` narrows stop events by payload
    values (e.g. the ``stage`` of a catalogued e-dossier). ``anchor_field`` names a
    payload datetime to count from instead of the event's own time (the hearing
    time); a later start event for a running clock of an anchored rule moves the
    anchor (a rescheduled hearing), for other rules it is ignored.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    citation: Citation
    summary: str = Field(min_length=1)
    trigger: EventType
    stops: tuple[EventType, ...] = Field(min_length=1)
    stop_match: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    pauses: tuple[EventType, ...] = ()
    resumes: tuple[EventType, ...] = ()
    unit: Unit
    amount: int = Field(gt=0)
    direction: Direction = Direction.AFTER
    anchor_field: str | None = None
    subject_field: str = "case_id"
    responsible_role: Role
    escalation_role: Role

    @model_validator(mode="after")
    def _consistent(self) -> DeadlineRule:
        if self.trigger in self.stops:
            raise ValueError(f"{self.id}: the trigger cannot also stop the clock")
        if bool(self.pauses) != bool(self.resumes):
            raise ValueError(f"{self.id}: pause and resume events come together")
        if self.direction is Direction.BEFORE:
            if self.anchor_field is None:
                raise ValueError(f"{self.id}: a 'before' rule counts back from a payload time (anchor_field)")
            if self.unit is Unit.NATURAL_MONTHS:
                raise ValueError(f"{self.id}: natural months are counted forward only")
        return self

    def action_for(self, event_type: str) -> ClockAction | None:
        if event_type == self.trigger:
            return ClockAction.START
        if event_type in self.stops:
            return ClockAction.STOP
        if event_type in self.pauses:
            return ClockAction.PAUSE
        if event_type in self.resumes:
            return ClockAction.RESUME
        return None

    def subject_of(self, event: InboundEvent) -> str | None:
        """The clock subject an event names, or None when it does not name one."""
        if self.subject_field == "case_id":
            return event.case_id
        value = event.fact(self.subject_field)
        return None if value is None else str(value)

    def stop_applies(self, event: InboundEvent) -> bool:
        return all(str(event.fact(k)) in allowed for k, allowed in self.stop_match.items())

    def anchor_of(self, event: InboundEvent) -> datetime:
        """The moment the count starts from: the payload time for anchored rules, else the event time."""
        if self.anchor_field is None:
            return event.occurred_at
        value = event.fact(self.anchor_field)
        if not isinstance(value, datetime):
            raise InvalidEventPayload(
                f"{event.type} {event.id}: rule {self.id} needs a datetime in payload.{self.anchor_field}"
            )
        return value

    def deadline(self, calendar: WorkingCalendar, anchor: datetime) -> DeadlineResult:
        """Due moment counted from ``anchor`` on ``calendar``."""
        if self.unit is Unit.WORKING_DAYS:
            if self.direction is Direction.BEFORE:
                return calendar.subtract_working_days(anchor, self.amount)
            return calendar.add_working_days(anchor, self.amount)
        if self.unit is Unit.HOURS:
            hours = -self.amount if self.direction is Direction.BEFORE else self.amount
            return calendar.add_hours(anchor, hours)
        return calendar.add_natural_months(anchor, self.amount)

    @property
    def amount_zh(self) -> str:
        unit = {Unit.WORKING_DAYS: "个工作日", Unit.HOURS: "小时", Unit.NATURAL_MONTHS: "个自然月"}[self.unit]
        return f"{self.amount}{unit}"


class RuleBook:
    """All deadline rules, looked up by id or by the event types they react to."""

    def __init__(self, rules: Iterable[DeadlineRule]) -> None:
        self._rules: dict[str, DeadlineRule] = {}
        for rule in rules:
            if rule.id in self._rules:
                raise ValueError(f"duplicate rule id {rule.id}")
            self._rules[rule.id] = rule

    def __iter__(self) -> Iterator[DeadlineRule]:
        return iter(self._rules.values())

    def __getitem__(self, rule_id: str) -> DeadlineRule:
        return self._rules[rule_id]

    def reacting_to(self, event_type: str) -> list[tuple[DeadlineRule, ClockAction]]:
        found = []
        for rule in self._rules.values():
            action = rule.action_for(event_type)
            if action is not None:
                found.append((rule, action))
        return found

    @property
    def event_types(self) -> frozenset[str]:
        """Every event type some rule reacts to (the bus bindings the consumer needs)."""
        types: set[str] = set()
        for rule in self._rules.values():
            types |= {rule.trigger, *rule.stops, *rule.pauses, *rule.resumes}
        return frozenset(str(t) for t in types)


def parse_rules(data: Mapping[str, Any]) -> RuleBook:
    """Rules from the data-file shape ``{"version": 1, "rules": [...]}``."""
    return RuleBook(DeadlineRule.model_validate(item) for item in data["rules"])


def load_rules(text: str | None = None) -> RuleBook:
    """The packaged ``data/deadline_rules.json`` (or ``text`` in the same shape)."""
    if text is None:
        text = resources.files("juanzong_notifier").joinpath("data", "deadline_rules.json").read_text("utf-8")
    return parse_rules(json.loads(text))
