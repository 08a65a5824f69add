"""Working-day calendar for court deadlines (工作日历).

Where a day's status comes from, in order:

1. a holiday table the court maintains (:class:`HolidayTable`), copied by an
   administrator from the State Council General Office's annual notice
   (国务院办公厅关于某年部分节假日安排的通知). A table also overrides the
   package for a year the package knows: the State Council has changed a year's
   arrangement after publishing it (the 2020 Spring Festival extension), and the
   court must be able to follow such a change before a new package release;
2. the official calendar shipped in the ``chinese_calendar`` package (1.11.0
   knows 2004–2026), which includes 调休 make-up working Saturdays and Sundays;
3. otherwise weekdays only (Monday–Friday). Every result that looked at such a
   day is marked ``provisional`` and names the years, so it can be recomputed
   when a table for that year is loaded.

Counting conventions (the regulations name amounts, not counting rules, so the
general rules on periods in 《中华人民共和国民法典》 第二百零一条 to 第二百零三条
are followed):

* the day of the triggering event is not counted; counting starts the next day
  (第二百零一条). A period counted in hours starts at the event's instant and runs
  in natural hours, holidays included;
* a period of months ends on the corresponding day of the closing month; when that
  month has no such day, on its last day (第二百零二条: 31 January + 1 month →
  28/29 February);
* a period whose last day is not a working day ends on the next working day
  (第二百零三条, reading 法定休假日 as any non-working day of this calendar);
* a day ends at 24:00 (第二百零三条); it is represented as 23:59:59 Asia/Shanghai,
  and a step is overdue once the present moment is later than that.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_END = time(23, 59, 59)
# No real arrangement keeps people away from work this long; a longer search means broken data.
_MAX_SEARCH_DAYS = 366 * 3


class CalendarError(ValueError):
    """A calendar question that cannot be answered (naive datetime, runaway search)."""


def to_shanghai(moment: datetime) -> datetime:
    """The same instant in Asia/Shanghai; naive datetimes are refused (their zone is a guess)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"naive datetime {moment.isoformat()}: deadlines need an aware datetime")
    return moment.astimezone(SHANGHAI)


def end_of_day(day: date) -> datetime:
    """24:00 of ``day`` in Asia/Shanghai, as 23:59:59 (《民法典》第二百零三条)."""
    return datetime.combine(day, DAY_END, tzinfo=SHANGHAI)


class DaySource(StrEnum):
    """Where a day's working/non-working status came from."""

    COURT_TABLE = "court_table"
    OFFICIAL = "official"
    WEEKDAYS_ONLY = "weekdays_only"


_SOURCE_ZH = {
    DaySource.COURT_TABLE: "依本院维护的节假日安排表",
    DaySource.OFFICIAL: "依国务院办公厅节假日安排",
    DaySource.WEEKDAYS_ONLY: "暂按周一至周五",
}


def zh_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class NoticeRef(BaseModel):
    """The State Council General Office notice a holiday table was copied from."""

    model_config = ConfigDict(frozen=True)

    number: str = Field(min_length=1, description="文号, e.g. 国办发明电〔…〕…号")
    title: str = Field(min_length=1, description="通知标题")


class HolidayTable(BaseModel):
    """One year's holiday arrangement as the court loaded it (节假日安排表).

    ``holidays`` are the days off of the notice (weekend days inside a holiday
    block may be listed); ``makeup_workdays`` are the 调休 working days, which are
    always Saturdays or Sundays — a weekday is a working day already, so listing
    one there is a data-entry error.
    """

    model_config = ConfigDict(frozen=True)

    year: int = Field(ge=2000, le=2100)
    holidays: frozenset[date]
    makeup_workdays: frozenset[date] = frozenset()
    source_notice: NoticeRef
    loaded_at: AwareDatetime

    @model_validator(mode="after")
    def _check_dates(self) -> HolidayTable:
        if not self.holidays:
            raise ValueError(f"{self.year}: a holiday table lists at least one holiday")
        outside = sorted(d for d in self.holidays | self.makeup_workdays if d.year != self.year)
        if outside:
            raise ValueError(f"{self.year}: dates outside the year: {', '.join(map(str, outside))}")
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            raise ValueError(f"{self.year}: dates both holiday and workday: {', '.join(map(str, both))}")
        weekdays = sorted(d for d in self.makeup_workdays if d.weekday() < 5)
        if weekdays:
            raise ValueError(
                f"{self.year}: make-up workdays (调休) must be Saturdays or Sundays: "
                + ", ".join(map(str, weekdays))
            )
        return self

    def is_working_day(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def parse_holiday_tables(data: Mapping[str, Any]) -> list[HolidayTable]:
    """Tables from the data-file shape ``{"tables": [...]}``; one table per year."""
    tables = [HolidayTable.model_validate(item) for item in data.get("tables", [])]
    years = [t.year for t in tables]
    duplicates = sorted({y for y in years if years.count(y) > 1})
    if duplicates:
        raise ValueError(f"more than one holiday table for {duplicates}")
    return tables


def load_holiday_tables(text: str | None = None) -> list[HolidayTable]:
    """The packaged ``data/holiday_tables.json`` (or ``text`` in the same shape)."""
    if text is None:
        text = resources.files("juanzong_notifier").joinpath("data", "holiday_tables.json").read_text("utf-8")
    return parse_holiday_tables(json.loads(text))


class OfficialCalendar(Protocol):
    """The packaged official calendar; swappable so tests can pretend a year is unknown."""

    name: str

    def covers(self, year: int) -> bool: ...

    def is_working_day(self, day: date) -> bool: ...


class ChineseCalendarSource:
    """The ``chinese_calendar`` package: official holidays and 调休 days for the years it ships."""

    def __init__(self) -> None:
        import chinese_calendar

        self._cc = chinese_calendar
        self.name = f"chinese_calendar {getattr(chinese_calendar, '__version__', '?')}"

    @lru_cache(maxsize=256)  # noqa: B019 - one instance per process, bounded
    def covers(self, year: int) -> bool:
        try:
            self._cc.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def is_working_day(self, day: date) -> bool:
        return bool(self._cc.is_workday(day))


class DayInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    working: bool
    source: DaySource


class DeadlineResult(BaseModel):
    """A computed due moment; ``provisional`` when a year without official data was consulted."""

    model_config = ConfigDict(frozen=True)

    due: AwareDatetime
    provisional: bool
    basis: str
    provisional_years: tuple[int, ...] = ()


class WorkingCalendar:
    """Working days on the official PRC calendar with court tables and a weekday fallback.

    Immutable: :meth:`with_table` returns a new calendar, so a clock can be
    recomputed against the old and the new calendar side by side.
    """

    def __init__(
        self,
        tables: Iterable[HolidayTable] = (),
        official: OfficialCalendar | None = None,
    ) -> None:
        by_year: dict[int, HolidayTable] = {}
        for table in tables:
            if table.year in by_year:
                raise ValueError(f"more than one holiday table for {table.year}")
            by_year[table.year] = table
        self._tables = by_year
        self._official = official if official is not None else _default_official()

    @property
    def tables(self) -> Mapping[int, HolidayTable]:
        return dict(self._tables)

    def with_table(self, table: HolidayTable) -> WorkingCalendar:
        """A calendar where ``table`` replaces any table for its year."""
        tables = {**self._tables, table.year: table}
        return WorkingCalendar(tables.values(), self._official)

    def source_for_year(self, year: int) -> DaySource:
        if year in self._tables:
            return DaySource.COURT_TABLE
        if self._official.covers(year):
            return DaySource.OFFICIAL
        return DaySource.WEEKDAYS_ONLY

    def day_info(self, day: date) -> DayInfo:
        source = self.source_for_year(day.year)
        if source is DaySource.COURT_TABLE:
            working = self._tables[day.year].is_working_day(day)
        elif source is DaySource.OFFICIAL:
            working = self._official.is_working_day(day)
        else:
            working = day.weekday() < 5
        return DayInfo(day=day, working=working, source=source)

    def is_working_day(self, day: date) -> bool:
        return self.day_info(day).working

    # -- stepping over days -------------------------------------------------------------

    def _step_working_days(self, day: date, n: int, forward: bool) -> tuple[date, set[int]]:
        """The n-th working day after (or before) ``day``, ``day`` itself not counted."""
        step = timedelta(days=1 if forward else -1)
        provisional: set[int] = set()
        counted = 0
        for _ in range(_MAX_SEARCH_DAYS):
            if counted >= n:
                return day, provisional
            day += step
            info = self.day_info(day)
            if info.source is DaySource.WEEKDAYS_ONLY:
                provisional.add(day.year)
            if info.working:
                counted += 1
        raise CalendarError(f"no {n} working days within {_MAX_SEARCH_DAYS} days of {day}")

    def _roll_forward(self, day: date) -> tuple[date, set[int]]:
        """``day`` if it is a working day, else the next working day (《民法典》第二百零三条)."""
        provisional: set[int] = set()
        for _ in range(_MAX_SEARCH_DAYS):
            info = self.day_info(day)
            if info.source is DaySource.WEEKDAYS_ONLY:
                provisional.add(day.year)
            if info.working:
                return day, provisional
            day += timedelta(days=1)
        raise CalendarError(f"no working day within {_MAX_SEARCH_DAYS} days of {day}")

    def working_days_between(self, after: date, through: date) -> tuple[int, set[int]]:
        """Working days in (after, through]; with the years answered by the weekday fallback."""
        count, provisional, day = 0, set(), after
        while day < through:
            day += timedelta(days=1)
            info = self.day_info(day)
            if info.source is DaySource.WEEKDAYS_ONLY:
                provisional.add(day.year)
            count += info.working
        return count, provisional

    def working_day_on_or_after(self, day: date) -> DeadlineResult:
        """End of ``day``, or of the next working day when ``day`` is not one (《民法典》第二百零三条)."""
        due_day, provisional = self._roll_forward(day)
        moved = "" if due_day == day else f"{zh_day(day)}非工作日，顺延至"
        basis = f"{moved}{zh_day(due_day)}24时（{self._sources_zh(day, due_day)}）"
        return self._result(due_day, provisional, basis)

    def previous_working_day(self, day: date) -> date:
        """``day`` if working, else the closest working day before it."""
        for _ in range(_MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                return day
            day -= timedelta(days=1)
        raise CalendarError(f"no working day within {_MAX_SEARCH_DAYS} days before {day}")

    # -- deadlines ----------------------------------------------------------------------

    def _result(self, due_day: date, provisional: set[int], basis: str) -> DeadlineResult:
        return self._result_at(end_of_day(due_day), provisional, basis)

    def _result_at(self, due: datetime, provisional: set[int], basis: str) -> DeadlineResult:
        years = tuple(sorted(provisional))
        if years:
            basis += "；" + "、".join(f"{y}年" for y in years) + "节假日安排尚未载入，期限暂定"
        return DeadlineResult(due=due, provisional=bool(years), basis=basis, provisional_years=years)

    def _sources_zh(self, first: date, last: date) -> str:
        years = range(min(first.year, last.year), max(first.year, last.year) + 1)
        return "；".join(f"{y}年{_SOURCE_ZH[self.source_for_year(y)]}" for y in years)

    def add_working_days(self, start: datetime, n: int) -> DeadlineResult:
        """End of the n-th working day after ``start``'s day (start day not counted; 调休 days count)."""
        if n < 0:
            raise ValueError("n must not be negative; use subtract_working_days")
        begin = to_shanghai(start)
        due_day, provisional = self._step_working_days(begin.date(), n, forward=True)
        basis = (
            f"自{zh_day(begin.date())}次日起算{n}个工作日，至{zh_day(due_day)}24时"
            f"（{self._sources_zh(begin.date(), due_day)}，含调休上班日）"
        )
        return self._result(due_day, provisional, basis)

    def subtract_working_days(self, anchor: datetime, n: int) -> DeadlineResult:
        """End of the n-th working day before ``anchor``'s day (e.g. 开庭5个工作日前)."""
        if n < 0:
            raise ValueError("n must not be negative")
        at = to_shanghai(anchor)
        due_day, provisional = self._step_working_days(at.date(), n, forward=False)
        basis = (
            f"{zh_day(at.date())}前第{n}个工作日，即{zh_day(due_day)}24时前"
            f"（{self._sources_zh(due_day, at.date())}，含调休上班日）"
        )
        return self._result(due_day, provisional, basis)

    def add_hours(self, start: datetime, hours: float) -> DeadlineResult:
        """``start`` plus natural hours, holidays included (《民法典》第二百零一条: hours run from the event)."""
        begin = to_shanghai(start)
        due = (begin + timedelta(hours=hours)).astimezone(SHANGHAI)
        basis = f"自{begin:%Y-%m-%d %H:%M}起{hours:g}小时，至{due:%Y-%m-%d %H:%M}（自然小时连续计算）"
        return self._result_at(due, set(), basis)

    def add_natural_months(self, start: datetime, months: int = 1) -> DeadlineResult:
        """Corresponding day ``months`` later, month end if none, rolled to a working day.

        《民法典》第二百零二条 (对应日; 月末日 when the month has none) and
        第二百零三条 (a last day that is a 休假日 moves to the next working day).
        """
        if months < 0:
            raise ValueError("months must not be negative")
        begin = to_shanghai(start)
        corresponding = add_months_to_date(begin.date(), months)
        due_day, provisional = self._roll_forward(corresponding)
        moved = "" if due_day == corresponding else f"非工作日，顺延至{zh_day(due_day)}"
        basis = (
            f"自{zh_day(begin.date())}起{months}个自然月，对应日{zh_day(corresponding)}{moved}，至该日24时"
            f"（{self._sources_zh(corresponding, due_day)}）"
        )
        return self._result(due_day, provisional, basis)


def add_months_to_date(day: date, months: int) -> date:
    """The corresponding day ``months`` later, or that month's last day (《民法典》第二百零二条)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


@lru_cache(maxsize=1)
def _default_official() -> ChineseCalendarSource:
    return ChineseCalendarSource()
