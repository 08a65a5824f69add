"""The six monthly indicators (六项数据指标) per court and month.

吉高院通报29期 (四): on the 3rd of every month the technology office reports, for
every court, 电子卷宗随案同步生成率, 智能编目率, 智能庭审应用率, 网上阅卷率,
文书智能辅助生成率 and 电子卷宗自动归档率. The speech names the indicators but
not their formulas; the definitions below are this project's, chosen so that
each is computable from events alone and every case is counted in exactly one
month. Months are calendar months in Asia/Shanghai. ``data/indicators.md``
explains them for readers outside the code.

==========================  ===================================================  ==========================================
indicator                   numerator                                            denominator
==========================  ===================================================  ==========================================
sync_generation_rate        of the denominator, cases whose filing-stage         cases whose filing e-dossier window
电子卷宗随案同步生成率       e-dossier was catalogued within the window            (立案 + 3 working days, 长中法〔2018〕129号
                                                                                 第六条) closes in the month
smart_cataloguing_rate      documents classified automatically and not           documents catalogued in the month
智能编目率                   corrected by hand (``documents_auto``)               (``documents_total``) — both summed over
                                                                                 catalog.dossier.catalogued events
smart_trial_rate            of the denominator, hearings with a                  hearings held in the month (case.hearing.held
智能庭审应用率               trial.smart_session.held event                        or trial.smart_session.held, by hearing_id)
online_reading_rate         of the denominator, cases with a                     cases closed in the month (case.closed)
网上阅卷率                   catalog.dossier.read_online event up to closing
assisted_drafting_rate      of the denominator, cases with a                     cases closed in the month (case.closed)
文书智能辅助生成率           document.assisted.generated event up to closing
auto_archiving_rate         of the denominator, archives whose e-archive came    cases archived in the month
电子卷宗自动归档率           from the one-click conversion of the e-dossier        (archive.archived)
                            (payload ``converted_automatically`` true)
==========================  ===================================================  ==========================================

A rate is numerator / denominator, or None when the denominator is 0. The
caller passes all events known for the court (the numerators of the
case-based rates look back to events before the month). An event whose payload
lacks what its indicator needs is left out and counted in ``ignored_events``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from juanzong_notifier.domain.calendar import WorkingCalendar, add_months_to_date, to_shanghai
from juanzong_notifier.domain.events import EventType, InboundEvent

REPORT_DAY = 3  # 吉高院通报29期 (四): 每月3日统计
SYNC_WINDOW_WORKING_DAYS = 3  # 长中法〔2018〕129号 第六条


class IndicatorKey(StrEnum):
    SYNC_GENERATION = "sync_generation_rate"
    SMART_CATALOGUING = "smart_cataloguing_rate"
    SMART_TRIAL = "smart_trial_rate"
    ONLINE_READING = "online_reading_rate"
    ASSISTED_DRAFTING = "assisted_drafting_rate"
    AUTO_ARCHIVING = "auto_archiving_rate"


class IndicatorDefinition(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: IndicatorKey
    name: str
    numerator: str
    denominator: str
    source_events: tuple[str, ...]


INDICATORS: tuple[IndicatorDefinition, ...] = (
    IndicatorDefinition(
        key=IndicatorKey.SYNC_GENERATION,
        name="电子卷宗随案同步生成率",
        numerator="立案阶段电子卷宗在立案后3个工作日内完成编目的案件数",
        denominator="立案后3个工作日期限届满于本月的案件数（长中法〔2018〕129号 第六条）",
        source_events=(EventType.CASE_REGISTERED, EventType.CATALOG_DOSSIER_CATALOGUED),
    ),
    IndicatorDefinition(
        key=IndicatorKey.SMART_CATALOGUING,
        name="智能编目率",
        numerator="本月编目中由系统自动归目且未经人工更正的文书数",
        denominator="本月编目的文书总数",
        source_events=(EventType.CATALOG_DOSSIER_CATALOGUED,),
    ),
    IndicatorDefinition(
        key=IndicatorKey.SMART_TRIAL,
        name="智能庭审应用率",
        numerator="本月开庭（询问、听证）中使用智能庭审系统的场次",
        denominator="本月开庭（询问、听证）场次",
        source_events=(EventType.CASE_HEARING_HELD, EventType.TRIAL_SMART_SESSION_HELD),
    ),
    IndicatorDefinition(
        key=IndicatorKey.ONLINE_READING,
        name="网上阅卷率",
        numerator="本月结案案件中结案前有网上阅卷记录的案件数",
        denominator="本月结案案件数",
        source_events=(EventType.CASE_CLOSED, EventType.CATALOG_DOSSIER_READ_ONLINE),
    ),
    IndicatorDefinition(
        key=IndicatorKey.ASSISTED_DRAFTING,
        name="文书智能辅助生成率",
        numerator="本月结案案件中结案前有文书经智能辅助生成的案件数",
        denominator="本月结案案件数",
        source_events=(EventType.CASE_CLOSED, EventType.DOCUMENT_ASSISTED_GENERATED),
    ),
    IndicatorDefinition(
        key=IndicatorKey.AUTO_ARCHIVING,
        name="电子卷宗自动归档率",
        numerator="本月归档案件中电子卷宗一键转为电子档案的案件数",
        denominator="本月审核归档的案件数",
        source_events=(EventType.ARCHIVE_ARCHIVED,),
    ),
)
DEFINITIONS: dict[IndicatorKey, IndicatorDefinition] = {d.key: d for d in INDICATORS}


def report_date(year: int, month: int) -> date:
    """The day the report for ``year-month`` is made: the 3rd of the following month (吉高院通报29期)."""
    return add_months_to_date(date(year, month, REPORT_DAY), 1)


def period_reported_on(day: date) -> tuple[int, int] | None:
    """The (year, month) whose report is due on ``day``, or None if ``day`` is not a report day."""
    if day.day != REPORT_DAY:
        return None
    previous = add_months_to_date(day, -1)
    return previous.year, previous.month


def _month_of(moment: datetime) -> tuple[int, int]:
    local = to_shanghai(moment)
    return local.year, local.month


class IndicatorValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: IndicatorKey
    name: str
    numerator: int = Field(ge=0)
    denominator: int = Field(ge=0)
    rate: float | None
    ignored_events: int = 0


def _value(key: IndicatorKey, numerator: int, denominator: int, ignored: int = 0) -> IndicatorValue:
    rate = None if denominator == 0 else round(numerator / denominator, 6)
    return IndicatorValue(
        key=key,
        name=DEFINITIONS[key].name,
        numerator=numerator,
        denominator=denominator,
        rate=rate,
        ignored_events=ignored,
    )


class MonthlyReport(BaseModel):
    """One court's six indicators for one month."""

    model_config = ConfigDict(frozen=True)

    court: str
    period: str  # "YYYY-MM"
    report_date: date
    generated_at: AwareDatetime
    provisional: bool  # a sync-generation window was counted on a weekdays-only year
    indicators: tuple[IndicatorValue, ...]

    def value(self, key: IndicatorKey) -> IndicatorValue:
        return next(v for v in self.indicators if v.key is key)

    def to_dict(self) -> dict:
        """JSON-able form (dates as ISO strings)."""
        return self.model_dump(mode="json")


def _dedupe(events: Iterable[InboundEvent], court: str) -> list[InboundEvent]:
    seen: set[str] = set()
    out = []
    for e in events:
        if e.court == court and e.id not in seen:
            seen.add(e.id)
            out.append(e)
    return sorted(out, key=lambda e: e.occurred_at)


def _first_by_case(events: Iterable[InboundEvent], event_type: str) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for e in events:
        if e.type == event_type and e.case_id not in first:
            first[e.case_id] = e.occurred_at
    return first


def _sync_generation(
    events: list[InboundEvent], period: tuple[int, int], calendar: WorkingCalendar
) -> tuple[IndicatorValue, bool]:
    registered = _first_by_case(events, EventType.CASE_REGISTERED)
    generated: dict[str, datetime] = {}
    for e in events:
        if e.type == EventType.CATALOG_DOSSIER_CATALOGUED and e.stage in (None, "filing"):
            generated.setdefault(e.case_id, e.occurred_at)
    numerator = denominator = 0
    provisional = False
    for case_id, registered_at in registered.items():
        window = calendar.add_working_days(registered_at, SYNC_WINDOW_WORKING_DAYS)
        if _month_of(window.due) != period:
            continue
        provisional |= window.provisional
        denominator += 1
        made = generated.get(case_id)
        numerator += made is not None and made <= window.due
    return _value(IndicatorKey.SYNC_GENERATION, numerator, denominator), provisional


def _smart_cataloguing(events: list[InboundEvent], period: tuple[int, int]) -> IndicatorValue:
    auto = total = ignored = 0
    for e in events:
        if e.type != EventType.CATALOG_DOSSIER_CATALOGUED or _month_of(e.occurred_at) != period:
            continue
        a, t = e.documents_auto, e.documents_total
        if not (isinstance(a, int) and isinstance(t, int)) or isinstance(a, bool) or not 0 <= a <= t:
            ignored += 1
            continue
        auto, total = auto + a, total + t
    return _value(IndicatorKey.SMART_CATALOGUING, auto, total, ignored)


def _smart_trial(events: list[InboundEvent], period: tuple[int, int]) -> IndicatorValue:
    held: set[tuple[str, str]] = set()
    smart: set[tuple[str, str]] = set()
    ignored = 0
    for e in events:
        if e.type not in (EventType.CASE_HEARING_HELD, EventType.TRIAL_SMART_SESSION_HELD):
            continue
        if _month_of(e.occurred_at) != period:
            continue
        hearing = e.hearing_id
        if hearing is None:
            ignored += 1
            continue
        key = (e.case_id, str(hearing))
        held.add(key)
        if e.type == EventType.TRIAL_SMART_SESSION_HELD:
            smart.add(key)
    return _value(IndicatorKey.SMART_TRIAL, len(smart), len(held), ignored)


def _closed_in(events: list[InboundEvent], period: tuple[int, int]) -> dict[str, datetime]:
    closed: dict[str, datetime] = {}
    for e in events:
        if e.type == EventType.CASE_CLOSED and _month_of(e.occurred_at) == period:
            closed.setdefault(e.case_id, e.occurred_at)
    return closed


def _used_before_closing(
    events: list[InboundEvent], closed: dict[str, datetime], usage_type: str, key: IndicatorKey
) -> IndicatorValue:
    used = {
        e.case_id
        for e in events
        if e.type == usage_type and e.case_id in closed and e.occurred_at <= closed[e.case_id]
    }
    return _value(key, len(used), len(closed))


def _auto_archiving(events: list[InboundEvent], period: tuple[int, int]) -> IndicatorValue:
    archived: dict[str, bool] = {}
    for e in events:
        if e.type == EventType.ARCHIVE_ARCHIVED and _month_of(e.occurred_at) == period:
            archived.setdefault(e.case_id, e.converted_automatically is True)
    return _value(IndicatorKey.AUTO_ARCHIVING, sum(archived.values()), len(archived))


def compute_monthly_report(
    events: Iterable[InboundEvent],
    court: str,
    year: int,
    month: int,
    calendar: WorkingCalendar,
    generated_at: datetime,
) -> MonthlyReport:
    """The six indicators of ``court`` for ``year-month`` (definitions in the module docstring)."""
    mine = _dedupe(events, court)
    period = (year, month)
    sync, provisional = _sync_generation(mine, period, calendar)
    closed = _closed_in(mine, period)
    values = (
        sync,
        _smart_cataloguing(mine, period),
        _smart_trial(mine, period),
        _used_before_closing(
            mine, closed, EventType.CATALOG_DOSSIER_READ_ONLINE, IndicatorKey.ONLINE_READING
        ),
        _used_before_closing(
            mine, closed, EventType.DOCUMENT_ASSISTED_GENERATED, IndicatorKey.ASSISTED_DRAFTING
        ),
        _auto_archiving(mine, period),
    )
    return MonthlyReport(
        court=court,
        period=f"{year:04d}-{month:02d}",
        report_date=report_date(year, month),
        generated_at=to_shanghai(generated_at),
        provisional=provisional,
        indicators=values,
    )


def build_monthly_reports(
    events: Iterable[InboundEvent],
    year: int,
    month: int,
    calendar: WorkingCalendar,
    generated_at: datetime,
    courts: Iterable[str] | None = None,
) -> list[MonthlyReport]:
    """One report per court (the given courts, else every court named by an event), sorted by court."""
    events = list(events)
    names = sorted(set(courts) if courts is not None else {e.court for e in events})
    return [compute_monthly_report(events, c, year, month, calendar, generated_at) for c in names]


CSV_COLUMNS = (
    "court",
    "period",
    "report_date",
    "indicator",
    "name",
    "numerator",
    "denominator",
    "rate",
    "provisional",
)


def reports_to_csv(reports: Iterable[MonthlyReport]) -> str:
    """CSV text, one row per court and indicator; an undefined rate is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports:
        for v in report.indicators:
            writer.writerow(
                (
                    report.court,
                    report.period,
                    report.report_date.isoformat(),
                    v.key.value,
                    v.name,
                    v.numerator,
                    v.denominator,
                    "" if v.rate is None else f"{v.rate:.4f}",
                    "true" if report.provisional else "false",
                )
            )
    return buffer.getvalue()


def reports_to_dict(reports: Iterable[MonthlyReport]) -> dict:
    """JSON-able bundle with the definitions, so a reader of the file knows what each number means."""
    return {
        "definitions": [d.model_dump(mode="json") for d in INDICATORS],
        "reports": [r.to_dict() for r in reports],
    }

