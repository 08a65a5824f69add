"""Working-day calendar: official 调休 days, court tables, weekday fallback, counting conventions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from juanzong_notifier.domain.calendar import (
    SHANGHAI,
    CalendarError,
    DaySource,
    HolidayTable,
    NoticeRef,
    WorkingCalendar,
    add_months_to_date,
    load_holiday_tables,
    parse_holiday_tables,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

NOTICE = NoticeRef(number="测试〔2026〕1号", title="测试用2027年部分节假日安排（非官方数据）")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def table_2027(**overrides) -> HolidayTable:
    """A made-up 2027 table for tests only: New Year 1–3 January, Saturday 9 January worked."""
    data = {
        "year": 2027,
        "holidays": {date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)},
        "makeup_workdays": {date(2027, 1, 9)},
        "source_notice": NOTICE,
        "loaded_at": at(2026, 11, 25),
    }
    data.update(overrides)
    return HolidayTable(**data)


def package_working_days_after(day: date, n: int) -> list[date]:
    """The first n working days after ``day`` according to chinese_calendar itself."""
    return chinese_calendar.get_workdays(day + timedelta(days=1), day + timedelta(days=40))[:n]


def test_closing_friday_before_spring_festival_2026_counts_makeup_saturday():
    """吉高法〔2020〕11号 第五条(四): 结案后2个工作日立卷 — closed Fri 13 Feb 2026, Sat 14 Feb is 调休."""
    closed = at(2026, 2, 13, 16, 30)
    result = WorkingCalendar().add_working_days(closed, 2)

    assert result.due == datetime(2026, 2, 24, 23, 59, 59, tzinfo=SHANGHAI)
    assert not result.provisional
    expected = package_working_days_after(date(2026, 2, 13), 2)
    assert expected[0] == date(2026, 2, 14) and expected[0].weekday() == 5  # the 调休 Saturday counted
    assert result.due.date() == expected[-1]


def test_closing_friday_before_national_day_2025_counts_makeup_sunday():
    """吉高法〔2020〕11号 第五条(四): closed Fri 26 Sep 2025; Sun 28 Sep is 调休, so day 2 is Mon 29 Sep."""
    result = WorkingCalendar().add_working_days(at(2025, 9, 26, 17), 2)
    assert result.due.date() == date(2025, 9, 29)
    assert result.due.date() == package_working_days_after(date(2025, 9, 26), 2)[-1]


def test_thirteen_working_days_span_national_day_like_the_package():
    """吉高法〔2020〕11号 第五条(六): 13 个工作日 across the 2026 National Day holiday."""
    start = at(2026, 9, 22, 11)
    result = WorkingCalendar().add_working_days(start, 13)
    assert result.due.date() == package_working_days_after(date(2026, 9, 22), 13)[-1]
    assert result.due.date() == date(2026, 10, 16)  # 25 Sep is 中秋, 10 Oct (Sat) is 调休


def test_is_working_day_follows_official_calendar():
    cal = WorkingCalendar()
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday, 调休
    assert not cal.is_working_day(date(2026, 2, 16))  # Monday, 春节
    assert not cal.is_working_day(date(2026, 3, 1))  # ordinary Sunday
    assert cal.day_info(date(2026, 2, 16)).source is DaySource.OFFICIAL


def test_year_without_official_data_falls_back_to_weekdays_and_is_provisional():
    cal = WorkingCalendar()
    assert cal.source_for_year(2027) is DaySource.WEEKDAYS_ONLY
    assert cal.is_working_day(date(2027, 1, 1))  # a Friday: unknown holiday, so weekday rule
    result = cal.add_working_days(at(2026, 12, 30, 15), 2)
    assert result.due.date() == date(2027, 1, 1)
    assert result.provisional and result.provisional_years == (2027,)
    assert "暂定" in result.basis


def test_loaded_court_table_moves_a_provisional_deadline():
    """吉高法〔2020〕11号 第五条(四) across New Year 2027: the table makes 1 Jan a holiday."""
    before = WorkingCalendar().add_working_days(at(2026, 12, 30, 15), 2)
    after = WorkingCalendar().with_table(table_2027()).add_working_days(at(2026, 12, 30, 15), 2)
    assert before.due.date() == date(2027, 1, 1)  # weekdays only: Fri 1 Jan counted
    assert after.due.date() == date(2027, 1, 4)  # day 1 = Thu 31 Dec, 1–3 Jan off, day 2 = Mon 4 Jan
    assert before.due != after.due
    assert not after.provisional


def test_court_table_makeup_saturday_is_a_working_day():
    cal = WorkingCalendar([table_2027()])
    assert cal.is_working_day(date(2027, 1, 9))
    assert not cal.is_working_day(date(2027, 1, 10))
    assert cal.day_info(date(2027, 1, 9)).source is DaySource.COURT_TABLE


def test_court_table_overrides_the_package_for_its_year():
    """A late State Council change must be followable before a package release."""
    extended = HolidayTable(
        year=2026,
        holidays={date(2026, 2, d) for d in range(15, 25)} | {date(2026, 2, 24)},
        makeup_workdays={date(2026, 2, 28)},
        source_notice=NoticeRef(number="测试〔2026〕2号", title="测试：假设春节假期延长一天"),
        loaded_at=at(2026, 2, 10),
    )
    official = WorkingCalendar()
    court = WorkingCalendar([extended])
    assert official.is_working_day(date(2026, 2, 24))
    assert not court.is_working_day(date(2026, 2, 24))
    assert not court.is_working_day(date(2026, 2, 14))  # the table does not list 14 Feb as 调休


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"holidays": {date(2027, 1, 1), date(2026, 12, 31)}}, "outside the year"),
        ({"makeup_workdays": {date(2027, 1, 2)}}, "both holiday and workday"),
        ({"makeup_workdays": {date(2027, 1, 6)}}, "Saturdays or Sundays"),
        ({"holidays": set()}, "at least one holiday"),
        ({"loaded_at": datetime(2026, 11, 25, 10)}, "timezone"),
    ],
)
def test_holiday_table_validation_rejects_bad_tables(overrides, message):
    with pytest.raises(ValidationError, match=message):
        table_2027(**overrides)


def test_holiday_tables_parse_from_data_file_shape_and_refuse_duplicates():
    item = table_2027().model_dump(mode="json")
    tables = parse_holiday_tables({"tables": [item]})
    assert tables[0].holidays == table_2027().holidays
    assert tables[0].source_notice.title.startswith("测试")
    with pytest.raises(ValueError, match="more than one"):
        parse_holiday_tables({"tables": [item, item]})


def test_natural_month_uses_corresponding_day_and_month_end():
    """吉高法〔2020〕11号 第七条: one natural month; 对应日 / 月末日 per 《民法典》第二百零二条."""
    cal = WorkingCalendar()
    assert add_months_to_date(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months_to_date(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months_to_date(date(2026, 12, 15), 1) == date(2027, 1, 15)
    # 28 Feb 2026 is a 调休 Saturday, so a month-end due day stays there.
    assert cal.add_natural_months(at(2026, 1, 31)).due.date() == date(2026, 2, 28)


def test_natural_month_landing_on_holiday_moves_to_next_working_day():
    """吉高法〔2020〕11号 第七条 with 《民法典》第二百零三条: 15 Feb 2026 is in 春节, due moves to 24 Feb."""
    result = WorkingCalendar().add_natural_months(at(2026, 1, 15))
    assert result.due.date() == date(2026, 2, 24)
    assert "顺延" in result.basis


def test_one_month_into_2027_is_provisional_until_table_loaded():
    """吉高法〔2020〕11号 第七条: closed 1 Dec 2026 → 1 Jan 2027, a weekday without official data."""
    closed = at(2026, 12, 1, 9)
    provisional = WorkingCalendar().add_natural_months(closed)
    assert provisional.due.date() == date(2027, 1, 1)
    assert provisional.provisional
    loaded = WorkingCalendar([table_2027()]).add_natural_months(closed)
    assert loaded.due.date() == date(2027, 1, 4)
    assert not loaded.provisional


def test_hours_run_through_holidays():
    """吉高法〔2020〕11号 第五条(三): 24 小时 are natural hours, even over 国庆."""
    start = at(2026, 9, 30, 18)
    result = WorkingCalendar().add_hours(start, 24)
    assert result.due == at(2026, 10, 1, 18)
    assert not result.provisional


def test_subtract_working_days_before_hearing_counts_makeup_saturday():
    """长中法〔2018〕129号 第七条: 开庭5个工作日前; hearing Mon 12 Oct 2026, Sat 10 Oct is 调休."""
    result = WorkingCalendar().subtract_working_days(at(2026, 10, 12, 9), 5)
    assert result.due.date() == date(2026, 9, 29)


def test_deadlines_are_in_shanghai_time_and_naive_input_is_refused():
    utc_evening = datetime(2026, 2, 12, 17, 0, tzinfo=UTC)  # already Fri 13 Feb 01:00 in Shanghai
    result = WorkingCalendar().add_working_days(utc_evening, 2)
    assert result.due.tzinfo == SHANGHAI
    assert result.due.date() == date(2026, 2, 24)
    with pytest.raises(CalendarError):
        WorkingCalendar().add_working_days(datetime(2026, 2, 13, 9), 2)


def test_packaged_holiday_table_file_loads_and_text_in_its_shape_is_validated():
    assert all(t.source_notice.number for t in load_holiday_tables())
    bad = table_2027().model_dump(mode="json") | {"makeup_workdays": ["2027-01-06"]}
    with pytest.raises(ValidationError, match="Saturdays or Sundays"):
        load_holiday_tables(json.dumps({"tables": [bad]}))
