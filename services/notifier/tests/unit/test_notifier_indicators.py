"""The six monthly indicators of 吉高院通报29期, computed from a scripted month of events."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import UTC, date, datetime

import pytest
from juanzong_notifier.domain.calendar import SHANGHAI, WorkingCalendar
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.indicators import (
    INDICATORS,
    IndicatorKey,
    build_monthly_reports,
    compute_monthly_report,
    period_reported_on,
    report_date,
    reports_to_csv,
    reports_to_dict,
)

pytestmark = pytest.mark.unit

HIGH = "吉林高院"
OTHER = "长春中院"
CAL = WorkingCalendar()
_ids = itertools.count(1)


def at(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


def ev(type_: str, when: datetime, case: str, court: str = HIGH, event_id: str | None = None, **facts):
    return InboundEvent(
        id=event_id or f"e{next(_ids)}",
        type=type_,
        occurred_at=when,
        court=court,
        case_id=case,
        **facts,
    )


def scripted_march_2026() -> list[InboundEvent]:
    smart_h1 = ev("trial.smart_session.held", at(2026, 3, 12), "c1", hearing_id="h1", event_id="smart-h1")
    return [
        # 随案同步生成: windows closing in March are c1, c2, c3 and c4 (c4 counts 28 Feb, a 调休 Saturday)
        ev("case.registered", at(2026, 2, 26), "c4"),
        ev(
            "catalog.dossier.catalogued",
            at(2026, 3, 1),
            "c4",
            stage="filing",
            documents_total=5,
            documents_auto=5,
        ),
        ev("case.registered", at(2026, 3, 2), "c1"),
        ev(
            "catalog.dossier.catalogued",
            at(2026, 3, 3),
            "c1",
            stage="filing",
            documents_total=10,
            documents_auto=9,
        ),
        ev("case.registered", at(2026, 3, 2), "c2"),
        ev(
            "catalog.dossier.catalogued",
            at(2026, 3, 9),
            "c2",
            stage="filing",
            documents_total=20,
            documents_auto=15,
        ),
        ev("case.registered", at(2026, 3, 10), "c3"),
        ev(
            "catalog.dossier.catalogued",
            at(2026, 3, 20),
            "c3",
            stage="post_hearing",
            documents_total=3,
            documents_auto=7,
        ),  # broken counts: ignored
        ev("case.registered", at(2026, 3, 30), "c5"),  # window closes 2 April: April's report
        ev("case.registered", at(2026, 2, 20), "c6"),  # window closes in February
        ev(
            "catalog.dossier.catalogued",
            at(2026, 2, 25),
            "c6",
            stage="filing",
            documents_total=4,
            documents_auto=4,
        ),
        # 智能庭审: held h1, h2, h3; smart h1, h3 and h4 (h4 reported only by the external system)
        ev("case.hearing.held", at(2026, 3, 12), "c1", hearing_id="h1"),
        smart_h1,
        smart_h1,  # redelivered
        ev("case.hearing.held", at(2026, 3, 13), "c2", hearing_id="h2"),
        ev("case.hearing.held", at(2026, 3, 16), "c3", hearing_id="h3"),
        ev("trial.smart_session.held", at(2026, 3, 16), "c3", hearing_id="h3"),
        ev("trial.smart_session.held", at(2026, 3, 17), "c4", hearing_id="h4"),
        ev("trial.smart_session.held", at(2026, 2, 17), "c4", hearing_id="h5"),  # February
        # 网上阅卷 / 文书辅助生成: closed in March c1, c2, c4
        ev("catalog.dossier.read_online", at(2026, 3, 10), "c1"),
        ev("catalog.dossier.read_online", at(2026, 3, 1), "c4"),
        ev("catalog.dossier.read_online", at(2026, 3, 26), "c2"),  # after closing
        ev("document.assisted.generated", at(2026, 3, 24), "c2"),
        ev("document.assisted.generated", at(2026, 3, 27), "c4"),  # after closing
        ev("case.closed", at(2026, 3, 20), "c1"),
        ev("case.closed", at(2026, 3, 25), "c2"),
        ev("case.closed", at(2026, 3, 26), "c4"),
        ev("case.closed", at(2026, 2, 26), "c7"),
        ev("catalog.dossier.read_online", at(2026, 2, 20), "c7"),
        # 自动归档: Shanghai months, not UTC ones
        ev("archive.archived", at(2026, 3, 5), "c8", converted_automatically=True),
        ev("archive.archived", at(2026, 3, 6), "c9", converted_automatically=False),
        ev("archive.archived", at(2026, 3, 9), "c10", converted_automatically=True),
        ev(
            "archive.archived", datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "c11", converted_automatically=True
        ),  # 1 April 00:30 in Shanghai
        ev(
            "archive.archived", datetime(2026, 2, 28, 17, 0, tzinfo=UTC), "c12", converted_automatically=False
        ),  # 1 March 01:00 in Shanghai
        # another court's events never leak into this court's report
        ev("case.closed", at(2026, 3, 3), "x1", court=OTHER),
        ev("archive.archived", at(2026, 3, 4), "x1", court=OTHER, converted_automatically=True),
    ]


@pytest.fixture(scope="module")
def march() -> dict:
    report = compute_monthly_report(scripted_march_2026(), HIGH, 2026, 3, CAL, generated_at=at(2026, 4, 3, 8))
    return {v.key: v for v in report.indicators} | {"report": report}


def test_sync_generation_rate_counts_cases_by_window_month(march):
    """吉高院通报29期 电子卷宗随案同步生成率, window of 长中法〔2018〕129号 第六条 (3 个工作日)."""
    v = march[IndicatorKey.SYNC_GENERATION]
    assert (v.numerator, v.denominator, v.rate) == (2, 4, 0.5)


def test_smart_cataloguing_rate_sums_documents_and_ignores_broken_counts(march):
    """吉高院通报29期 智能编目率."""
    v = march[IndicatorKey.SMART_CATALOGUING]
    assert (v.numerator, v.denominator, v.ignored_events) == (29, 35, 1)
    assert v.rate == round(29 / 35, 6)


def test_smart_trial_rate_accepts_external_sessions(march):
    """吉高院通报29期 智能庭审应用率 (trial.smart_session.held from the 智能庭审 system)."""
    v = march[IndicatorKey.SMART_TRIAL]
    assert (v.numerator, v.denominator, v.rate) == (3, 4, 0.75)


def test_online_reading_rate_counts_reading_before_closing(march):
    """吉高院通报29期 网上阅卷率."""
    v = march[IndicatorKey.ONLINE_READING]
    assert (v.numerator, v.denominator) == (2, 3)


def test_assisted_drafting_rate_accepts_external_documents(march):
    """吉高院通报29期 文书智能辅助生成率 (document.assisted.generated)."""
    v = march[IndicatorKey.ASSISTED_DRAFTING]
    assert (v.numerator, v.denominator) == (1, 3)


def test_auto_archiving_rate_uses_shanghai_months(march):
    """吉高院通报29期 电子卷宗自动归档率; 吉高法〔2020〕11号 第三条(八) one-click conversion."""
    v = march[IndicatorKey.AUTO_ARCHIVING]
    assert (v.numerator, v.denominator, v.rate) == (2, 4, 0.5)  # c8, c10 of c8, c9, c10, c12


def test_report_has_all_six_indicators_in_order(march):
    report = march["report"]
    assert [v.key for v in report.indicators] == [d.key for d in INDICATORS]
    assert [v.name for v in report.indicators] == [
        "电子卷宗随案同步生成率",
        "智能编目率",
        "智能庭审应用率",
        "网上阅卷率",
        "文书智能辅助生成率",
        "电子卷宗自动归档率",
    ]
    assert report.report_date == date(2026, 4, 3)
    assert not report.provisional


def test_report_date_is_the_third_of_the_following_month():
    """吉高院通报29期 (四): 每月3日统计."""
    assert report_date(2026, 3) == date(2026, 4, 3)
    assert report_date(2026, 12) == date(2027, 1, 3)
    assert period_reported_on(date(2027, 1, 3)) == (2026, 12)
    assert period_reported_on(date(2026, 4, 3)) == (2026, 3)
    assert period_reported_on(date(2026, 4, 4)) is None


def test_reports_per_court_as_json_and_csv():
    reports = build_monthly_reports(scripted_march_2026(), 2026, 3, CAL, generated_at=at(2026, 4, 3, 8))
    assert [r.court for r in reports] == sorted([HIGH, OTHER])

    bundle = json.loads(json.dumps(reports_to_dict(reports), ensure_ascii=False))
    assert {d["key"] for d in bundle["definitions"]} == {k.value for k in IndicatorKey}
    other = next(r for r in bundle["reports"] if r["court"] == OTHER)
    archiving = next(i for i in other["indicators"] if i["key"] == "auto_archiving_rate")
    assert (archiving["numerator"], archiving["denominator"]) == (1, 1)

    rows = list(csv.DictReader(io.StringIO(reports_to_csv(reports))))
    assert len(rows) == 12
    row = next(r for r in rows if r["court"] == HIGH and r["indicator"] == "smart_trial_rate")
    assert (row["numerator"], row["denominator"], row["rate"], row["report_date"]) == (
        "3",
        "4",
        "0.7500",
        "2026-04-03",
    )
    empty = next(r for r in rows if r["court"] == OTHER and r["indicator"] == "smart_trial_rate")
    assert empty["rate"] == ""  # no hearings: rate undefined, not 0


def test_report_is_provisional_when_a_window_runs_into_a_year_without_data():
    """长中法〔2018〕129号 第六条 window from 30 Dec 2026 closes in 2027 (weekdays only)."""
    events = [ev("case.registered", at(2026, 12, 24), "d1"), ev("case.registered", at(2026, 12, 30), "d2")]
    december = compute_monthly_report(events, HIGH, 2026, 12, CAL, generated_at=at(2027, 1, 3))
    january = compute_monthly_report(events, HIGH, 2027, 1, CAL, generated_at=at(2027, 2, 3))
    assert december.value(IndicatorKey.SYNC_GENERATION).denominator == 1 and not december.provisional
    assert january.value(IndicatorKey.SYNC_GENERATION).denominator == 1 and january.provisional
