"""Deadline rules as data: each time limit of the issue, with its article."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from juanzong_notifier.domain.calendar import SHANGHAI, WorkingCalendar
from juanzong_notifier.domain.events import EventType, InboundEvent
from juanzong_notifier.domain.rules import (
    ClockAction,
    DeadlineRule,
    Direction,
    InvalidEventPayload,
    Role,
    Unit,
    load_rules,
    parse_rules,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

RULES = load_rules()


def rule_row(**overrides) -> dict:
    row = {
        "id": "sample",
        "name": "样例",
        "citation": {"key": "吉高法〔2020〕11号", "article": "第五条(四)"},
        "summary": "样例规则",
        "trigger": "case.closed",
        "stops": ["archive.filing.submitted"],
        "unit": "working_days",
        "amount": 2,
        "responsible_role": "judge_assistant",
        "escalation_role": "department_head",
    }
    row.update(overrides)
    return row


# (rule id, article, trigger, stops, unit, amount, responsible) — the issue's list, read off the regulations.
EXPECTED = [
    (
        "filing_materials_handover",
        "吉高法〔2020〕11号 第五条(一)",
        "case.registered",
        None,
        "working_days",
        1,
        "filing_clerk",
    ),
    (
        "materials_to_cabinet",
        "吉高法〔2020〕11号 第五条(二)",
        "scan.task.created",
        {"scan.task.in_cabinet"},
        "working_days",
        2,
        "judge_assistant",
    ),
    (
        "pickup_and_check",
        "吉高法〔2020〕11号 第五条(三)",
        "scan.task.in_cabinet",
        {"scan.task.check_passed", "scan.task.check_failed"},
        "hours",
        24,
        "assistance_centre",
    ),
    (
        "complete_returned_materials",
        "吉高法〔2020〕11号 第五条(三)",
        "scan.task.check_failed",
        {"scan.task.in_cabinet"},
        "working_days",
        1,
        "judge",
    ),
    (
        "catalogue_after_scan",
        "吉高法〔2020〕11号 第五条(三)",
        "scan.batch.completed",
        {"catalog.dossier.catalogued"},
        "hours",
        24,
        "assistance_centre",
    ),
    (
        "closing_filing",
        "吉高法〔2020〕11号 第五条(四)",
        "case.closed",
        {"archive.filing.submitted"},
        "working_days",
        2,
        "judge_assistant",
    ),
    (
        "filing_review",
        "吉高法〔2020〕11号 第五条(五)",
        "archive.filing.submitted",
        {"archive.review.passed", "archive.review.returned"},
        "working_days",
        2,
        "assistance_centre",
    ),
    (
        "review_correction",
        "吉高法〔2020〕11号 第五条(五)",
        "archive.review.returned",
        {"archive.filing.submitted"},
        "working_days",
        2,
        "judge",
    ),
    (
        "compile_and_convert",
        "吉高法〔2020〕11号 第五条(六)",
        "archive.review.passed",
        {"archive.compiled"},
        "working_days",
        13,
        "assistance_centre",
    ),
    (
        "archive_audit",
        "吉高法〔2020〕11号 第五条(七)",
        "archive.compiled",
        {"archive.archived", "archive.audit.returned"},
        "working_days",
        2,
        "archive_office",
    ),
    (
        "audit_correction",
        "吉高法〔2020〕11号 第五条(七)",
        "archive.audit.returned",
        {"archive.compiled"},
        "working_days",
        2,
        "assistance_centre",
    ),
    (
        "close_to_archive",
        "吉高法〔2020〕11号 第七条",
        "case.closed",
        {"archive.archived"},
        "natural_months",
        1,
        "judge",
    ),
    (
        "filing_edossier",
        "长中法〔2018〕129号 第六条",
        "case.registered",
        {"catalog.dossier.catalogued"},
        "working_days",
        3,
        "filing_clerk",
    ),
    (
        "pre_hearing_edossier",
        "长中法〔2018〕129号 第七条",
        "case.hearing.scheduled",
        {"catalog.dossier.catalogued"},
        "working_days",
        5,
        "judge_assistant",
    ),
    (
        "post_hearing_edossier",
        "长中法〔2018〕129号 第七条",
        "case.hearing.held",
        {"catalog.dossier.catalogued"},
        "working_days",
        5,
        "judge_assistant",
    ),
    (
        "original_court_delivery",
        "法〔2016〕264号 三(五)",
        "dossier.requested",
        {"dossier.delivered"},
        "working_days",
        3,
        "original_court",
    ),
]


@pytest.mark.parametrize(("rule_id", "article", "trigger", "stops", "unit", "amount", "role"), EXPECTED)
def test_each_issue_time_limit_is_a_cited_rule(rule_id, article, trigger, stops, unit, amount, role):
    """吉高法〔2020〕11号 第五条(一)–(七), 第七条; 长中法〔2018〕129号 第六条, 第七条; 法〔2016〕264号 三(五)."""
    rule = RULES[rule_id]
    assert str(rule.citation) == article
    assert rule.trigger == trigger
    if stops is not None:
        assert set(rule.stops) == stops
    assert (rule.unit.value, rule.amount, rule.responsible_role.value) == (unit, amount, role)
    assert rule.escalation_role is Role.DEPARTMENT_HEAD


def test_rule_file_has_exactly_the_issue_rules():
    assert {r.id for r in RULES} == {row[0] for row in EXPECTED}


def test_every_rule_reacts_only_to_known_event_types():
    known = {t.value for t in EventType}
    assert RULES.event_types <= known
    assert "trial.smart_session.held" not in RULES.event_types  # indicator-only event


def test_pre_hearing_rule_counts_back_from_the_hearing_time():
    """长中法〔2018〕129号 第七条: 开庭5个工作日前 — anchored on the hearing time (hearing_at)."""
    rule = RULES["pre_hearing_edossier"]
    assert rule.direction is Direction.BEFORE
    event = InboundEvent(
        id="e1",
        type="case.hearing.scheduled",
        occurred_at=datetime(2026, 9, 1, 9, tzinfo=SHANGHAI),
        court="吉林高院",
        case_id="c1",
        hearing_id="h1",
        hearing_at="2026-10-12T09:00:00+08:00",
    )
    due = rule.deadline(WorkingCalendar(), rule.anchor_of(event))
    assert due.due.date() == date(2026, 9, 29)
    without_time = event.model_copy(update={"hearing_at": None})
    with pytest.raises(InvalidEventPayload, match="hearing_at"):
        rule.anchor_of(without_time)


def test_stage_match_selects_which_catalogued_event_stops():
    """长中法〔2018〕129号 第六条: only the filing-stage e-dossier ends the 3-working-day clock."""
    rule = RULES["filing_edossier"]
    base = {
        "id": "e",
        "type": "catalog.dossier.catalogued",
        "occurred_at": datetime(2026, 3, 2, tzinfo=SHANGHAI),
        "court": "吉林高院",
        "case_id": "c1",
    }
    assert rule.stop_applies(InboundEvent(**base, stage="filing"))
    assert not rule.stop_applies(InboundEvent(**base, stage="pre_hearing"))
    assert not rule.stop_applies(InboundEvent(**base))


def test_reacting_to_lists_start_and_stop_roles_of_one_event():
    actions = {(r.id, a) for r, a in RULES.reacting_to("scan.task.in_cabinet")}
    assert ("pickup_and_check", ClockAction.START) in actions
    assert ("materials_to_cabinet", ClockAction.STOP) in actions
    assert ("complete_returned_materials", ClockAction.STOP) in actions


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trigger": "case.unknown"}, "trigger"),
        ({"stops": ["case.closed"]}, "cannot also stop"),
        ({"stops": []}, "stops"),
        ({"amount": 0}, "amount"),
        ({"direction": "before"}, "anchor_field"),
        ({"pauses": ["case.hearing.scheduled"]}, "pause and resume"),
        ({"citation": {"key": "某法〔2099〕1号", "article": "第一条"}}, "unknown regulation"),
    ],
)
def test_invalid_rule_rows_are_refused(overrides, message):
    with pytest.raises(ValidationError, match=message):
        DeadlineRule.model_validate(rule_row(**overrides))


def test_duplicate_rule_ids_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        parse_rules({"rules": [rule_row(), rule_row()]})


def test_rules_load_from_text_in_the_file_shape():
    book = load_rules(json.dumps({"version": 1, "rules": [rule_row(unit="hours", amount=24)]}))
    assert book["sample"].unit is Unit.HOURS
