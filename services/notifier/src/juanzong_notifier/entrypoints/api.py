"""REST API of the notifier: inbox, preferences, deadlines, overdue ledger, holiday tables, directory,
indicators and the intake of events from systems outside the suite. Routers parse, call a use case, map the answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from juanzong_shared.auth import CurrentIdentity, Identity
from juanzong_shared.case_numbers import CaseNumberPath
from juanzong_shared.deps import DeciderDep, from_state
from juanzong_shared.events.notifier import ExternalUsage
from juanzong_shared.pagination import Limit, Offset, Page
from juanzong_shared.problems import PROBLEM_RESPONSES, FieldError, Problem, forbidden, invalid
from pydantic import ValidationError

from juanzong_notifier.config import NotifierConfig
from juanzong_notifier.domain.access import INDICATOR_SOURCE, indicator_report_refusal
from juanzong_notifier.domain.calendar import HolidayTable
from juanzong_notifier.domain.indicators import INDICATORS, reports_to_csv, reports_to_dict
from juanzong_notifier.domain.preferences import UserPreferences
from juanzong_notifier.domain.rules import Role
from juanzong_notifier.entrypoints.schemas import (
    CaseDeadlines,
    Deadline,
    DepartmentHead,
    ExternalEventAccepted,
    ExternalEventIn,
    HolidayTableIn,
    HolidayTableLoaded,
    InboxItem,
    InboxPage,
    MarkedRead,
    MarkRead,
    PreferencesIn,
    PreferencesOut,
    RoleHolder,
)
from juanzong_notifier.service_layer.access import auth_switched_off, readable_cases, require_case
from juanzong_notifier.service_layer.clocks import ClockService
from juanzong_notifier.service_layer.directory import DirectoryService
from juanzong_notifier.service_layer.indicators import IndicatorService
from juanzong_notifier.service_layer.preferences import PreferenceService
from juanzong_notifier.service_layer.reminders import ReminderService

router = APIRouter(prefix="/v1", tags=["notifier"])

ADMIN = ("technology_office_staff",)
LEADERS = ("department_head", "supervising_leader", "presiding_judge", "technology_office_staff")
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
Court = Annotated[str, Path(examples=["吉01"])]
Period = Annotated[str, Path(description="YYYY-MM", examples=["2026-10"])]


Config = Annotated[NotifierConfig, Depends(from_state("notifier"))]
Clocks = Annotated[ClockService, Depends(from_state("clocks"))]
Reminders = Annotated[ReminderService, Depends(from_state("reminders"))]
Indicators = Annotated[IndicatorService, Depends(from_state("indicators"))]
Preferences = Annotated[PreferenceService, Depends(from_state("preferences"))]
Directory = Annotated[DirectoryService, Depends(from_state("directory"))]


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: PROBLEM_RESPONSES[c] for c in codes if c in PROBLEM_RESPONSES}


def _require(identity: Identity, roles: tuple[str, ...], what: str) -> None:
    if auth_switched_off(identity):
        return  # auth switched off (JZ_AUTH_REQUIRED=false) in development
    if not identity.has_role(*roles):
        raise forbidden(f"{what}需要以下角色之一：{', '.join(roles)}")


def _same_court(identity: Identity, court: str) -> None:
    if identity.court and identity.court != court and not identity.has_role(*ADMIN):
        raise forbidden(f"只能查看本院（{identity.court}）的数据，请求的是 {court}")


def _problem_from(error: ValidationError) -> Problem:
    errors = [FieldError(field=".".join(str(p) for p in e["loc"]) or "body", reason=e["msg"]) for e in error.errors()]
    return Problem(422, "validation", "请求参数无效", "; ".join(f"{e.field}: {e.reason}" for e in errors)[:2000],
                   errors=errors)


def _page(items: list, limit: int, offset: int) -> Page:
    return Page.of(items[offset:offset + limit], limit=limit, offset=offset, total=len(items))


def _period(value: str) -> tuple[int, int]:
    m = _PERIOD.match(value)
    if not m:
        raise invalid("period", f"“{value}” 不是 YYYY-MM 形式的月份")
    return int(m.group(1)), int(m.group(2))


# -- inbox -----------------------------------------------------------------------------------


@router.get("/inbox", summary="My in-app notifications (站内信), newest first", response_model=InboxPage)
async def inbox(identity: CurrentIdentity, reminders: Reminders,
                status: Annotated[Literal["unread", "all"], Query(description="unread (default) or all")] = "unread",
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> InboxPage:
    items, unread = await reminders.inbox(identity.subject, unread_only=status == "unread", limit=limit)
    return InboxPage(unread=unread, items=[
        InboxItem(**d, case_number=d["case_id"], rule=d["rule_id"]) for d in items])


@router.post("/inbox/read", summary="Mark notifications read", response_model=MarkedRead,
             responses=_responses(422))
async def mark_read(body: MarkRead, identity: CurrentIdentity, reminders: Reminders) -> MarkedRead:
    if not body.ids and not body.all:
        raise invalid("ids", "give ids or all=true")
    return MarkedRead(marked=await reminders.mark_read(identity.subject, None if body.all else body.ids))


# -- preferences -----------------------------------------------------------------------------


def _prefs_out(p: UserPreferences) -> PreferencesOut:
    return PreferencesOut(user_id=p.user_id, channels=sorted(p.channels), email=p.email, webhook_url=p.webhook_url,
                          quiet_hours=p.quiet_hours)


async def _put_prefs(preferences: PreferenceService, user_id: str, body: PreferencesIn, by: str) -> PreferencesOut:
    try:
        prefs = UserPreferences(user_id=user_id, channels=frozenset(body.channels), email=body.email,
                                webhook_url=body.webhook_url, quiet_hours=body.quiet_hours)
    except ValidationError as error:
        raise _problem_from(error) from None
    return _prefs_out(await preferences.set(prefs, by=by))


@router.get("/preferences/me", summary="My delivery preferences", response_model=PreferencesOut)
async def my_preferences(identity: CurrentIdentity, preferences: Preferences) -> PreferencesOut:
    return _prefs_out(await preferences.of(identity.subject))


@router.put("/preferences/me", summary="Set my channels and quiet hours (免打扰时段)", response_model=PreferencesOut,
            responses=_responses(422))
async def set_my_preferences(body: PreferencesIn, identity: CurrentIdentity,
                             preferences: Preferences) -> PreferencesOut:
    return await _put_prefs(preferences, identity.subject, body, identity.subject)


@router.put("/admin/preferences/{user_id}", summary="Set a user's preferences (technology office)",
            response_model=PreferencesOut, responses=_responses(403, 422))
async def set_user_preferences(user_id: str, body: PreferencesIn, identity: CurrentIdentity,
                               preferences: Preferences) -> PreferencesOut:
    """Channels and quiet hours of another user; their addresses only they set (PUT /v1/preferences/me): a
    notice names the case and its deadline, and an address set by someone else would send it to someone else."""
    _require(identity, ADMIN, "设置他人通知偏好")
    return await _put_prefs(preferences, user_id, body, identity.subject)


# -- deadlines and the overdue ledger --------------------------------------------------------


@router.get("/cases/{case_number}/deadlines", summary="Deadlines of a case (due, provisional, basis, status)",
            response_model=CaseDeadlines, responses=_responses(403, 404, 422))
async def deadlines(case_number: CaseNumberPath, identity: CurrentIdentity, clocks: Clocks,
                    decider: DeciderDep) -> CaseDeadlines:
    """A case's deadlines are part of its record: shown to whom access-control allows ``read_case`` (吉高法〔2020〕11号
    第九条); a 涉密 case is 404 to everyone outside it, as an unknown case is (第十条)."""
    known, secret = await clocks.case_standing(case_number)
    await require_case(decider, identity, case_number, known=known, secret=secret)
    items = await clocks.case_deadlines(case_number, datetime.now(UTC))
    return CaseDeadlines(case_number=case_number, deadlines=[Deadline(**i) for i in items])


@router.get("/overdue", summary="Overdue ledger per court, department and person (吉高法〔2020〕11号 第七条)",
            responses=_responses(403))
async def overdue(identity: CurrentIdentity, clocks: Clocks, decider: DeciderDep,
                  court: Annotated[str, Query(examples=["吉01"])],
                  department: Annotated[str | None, Query(examples=["民一庭"])] = None,
                  person: Annotated[str | None, Query(examples=["u-assistant-li"])] = None) -> dict[str, Any]:
    """Only the cases the caller may see (``read_case``) are listed and counted."""
    _require(identity, LEADERS, "查看超期台账")
    _same_court(identity, court)
    return await clocks.overdue_view(court, datetime.now(UTC), department, person,
                                     visible=lambda cases: readable_cases(decider, identity, cases))


@router.get("/rules", summary="The deadline rules with their articles", response_model=Page[dict[str, Any]])
async def rules(cfg: Config, limit: Limit = 50, offset: Offset = 0) -> Page:
    return _page([r.model_dump(mode="json") for r in cfg.rules], limit, offset)


# -- holiday tables --------------------------------------------------------------------------


@router.post("/admin/holiday-tables", status_code=201, response_model=HolidayTableLoaded,
             summary="Load a year's holiday table from the State Council notice; recompute provisional deadlines",
             responses=_responses(403, 422))
async def load_holiday_table(body: HolidayTableIn, identity: CurrentIdentity, clocks: Clocks) -> HolidayTableLoaded:
    _require(identity, ADMIN, "维护节假日安排表")
    try:
        table = HolidayTable(year=body.year, holidays=frozenset(body.holidays),
                             makeup_workdays=frozenset(body.makeup_workdays), source_notice=body.source_notice,
                             loaded_at=datetime.now(UTC))
    except ValidationError as error:
        raise _problem_from(error) from None
    changes = await clocks.load_holiday_table(table)
    return HolidayTableLoaded(table=table.model_dump(mode="json"), recomputed=changes)


@router.get("/holiday-tables", summary="Holiday tables in force (packaged data file and loaded ones)",
            response_model=Page[dict[str, Any]])
async def holiday_tables(clocks: Clocks, limit: Limit = 50, offset: Offset = 0) -> Page:
    return _page([t.model_dump(mode="json") for t in await clocks.holiday_tables()], limit, offset)


# -- directory -------------------------------------------------------------------------------


@router.put("/admin/department-heads", summary="Set a department's head (escalations go to them)",
            response_model=DepartmentHead, responses=_responses(403, 422))
async def set_department_head(body: DepartmentHead, identity: CurrentIdentity,
                              directory: Directory) -> DepartmentHead:
    _require(identity, ADMIN, "维护部门负责人")
    await directory.set_department_head(body.court, body.department, body.user_id)
    return body


@router.get("/admin/department-heads", summary="Department heads (admin API over settings)",
            response_model=Page[DepartmentHead])
async def department_heads(directory: Directory, identity: CurrentIdentity, limit: Limit = 50,
                           offset: Offset = 0) -> Page:
    return _page([DepartmentHead(court=court, department=department, user_id=user)
                  for court, department, user in await directory.department_heads()], limit, offset)


@router.put("/admin/role-holders", summary="Who answers for an office role in a court (立案窗口, 辅助中心, 档案科…)",
            response_model=RoleHolder, responses=_responses(403, 422))
async def set_role_holder(body: RoleHolder, identity: CurrentIdentity, directory: Directory) -> RoleHolder:
    _require(identity, ADMIN, "维护岗位责任人")
    Role(body.role)
    await directory.set_role_holder(body.court, body.role, body.model_dump(include={"user_id", "department", "name"}))
    return body


@router.get("/deliveries", summary="Delivery log of e-mail and webhook pushes (attempts, results)")
async def deliveries(identity: CurrentIdentity, reminders: Reminders, decider: DeciderDep,
                     user_id: Annotated[str | None, Query()] = None,
                     state: Annotated[Literal["pending", "sent", "failed", "skipped"] | None, Query()] = None,
                     limit: Annotated[int, Query(ge=1, le=500, examples=[100])] = 100) -> list[dict[str, Any]]:
    _require(identity, ADMIN, "查看投递日志")
    return await reminders.delivery_log(user_id=user_id, state=state, limit=limit,
                                        visible=lambda cases: readable_cases(decider, identity, cases))


# -- indicators (吉高院通报29期) ----------------------------------------------------------------


@router.get("/indicators/definitions", summary="The six indicators: numerator and denominator of each",
            response_model=Page[dict[str, Any]])
async def indicator_definitions(limit: Limit = 50, offset: Offset = 0) -> Page:
    return _page([d.model_dump(mode="json") for d in INDICATORS], limit, offset)


@router.get("/indicators/{court}/{period}.csv", summary="A court's six indicators for a month, as CSV",
            response_class=Response, responses=_responses(403, 422))
async def indicators_csv(court: Court, period: Period, identity: CurrentIdentity, indicators: Indicators) -> Response:
    _require(identity, LEADERS, "查看数据指标")
    _same_court(identity, court)
    report = await indicators.monthly_report(court, *_period(period), datetime.now(UTC))
    return Response(reports_to_csv([report]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="indicators-{period}.csv"'})


@router.get("/indicators/{court}/{period}", summary="A court's six indicators for a month (JSON, with definitions)",
            responses=_responses(403, 422))
async def indicators_json(court: Court, period: Period, identity: CurrentIdentity,
                          indicators: Indicators) -> dict[str, Any]:
    _require(identity, LEADERS, "查看数据指标")
    _same_court(identity, court)
    return reports_to_dict([await indicators.monthly_report(court, *_period(period), datetime.now(UTC))])


@router.post("/admin/reports/{period}", summary="Make and store the monthly reports now (normally on the 3rd)",
             responses=_responses(403, 422))
async def run_reports(period: Period, identity: CurrentIdentity, indicators: Indicators) -> dict[str, Any]:
    _require(identity, ADMIN, "生成月度数据指标")
    return reports_to_dict(await indicators.run_monthly_reports(*_period(period)))


# -- events from systems outside the suite ---------------------------------------------------


@router.post("/external-events", status_code=202, response_model=ExternalEventAccepted,
             summary="Accept a 智能庭审 / 文书辅助生成 event for the monthly indicators",
             responses=_responses(403, 422))
async def external_event(body: ExternalEventIn, identity: CurrentIdentity, indicators: Indicators,
                         cfg: Config) -> ExternalEventAccepted:
    """Only the reporting system's own account (scope ``indicators:report``, its client listed for this event type,
    its court) or the court's technology office may add to a court's figures (吉高院通报29期 (四))."""
    if not auth_switched_off(identity):
        refusal = indicator_report_refusal(identity, body.type, body.court, cfg.indicator_reporters)
        if refusal is not None:
            raise forbidden(refusal, INDICATOR_SOURCE)
    try:
        usage = ExternalUsage(case_number=body.case_number, system=body.system, at=body.occurred_at,
                              hearing_id=body.hearing_id, document_id=body.document_id,
                              document_kind=body.document_kind)
    except ValidationError as error:
        raise _problem_from(error) from None
    event_id, duplicate = await indicators.accept_external(body.type, usage, court=body.court, source_id=body.id)
    return ExternalEventAccepted(event_id=event_id, duplicate=duplicate)
