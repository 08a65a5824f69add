"""REST API of the notifier: inbox, preferences, deadlines, overdue ledger, holiday tables, directory,
indicators and the intake of events from systems outside the suite. Handlers stay thin."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from juanzong_shared.auth import CurrentIdentity, Identity
from juanzong_shared.bus import PermanentError
from juanzong_shared.case_numbers import CaseNumberPath
from juanzong_shared.deps import DeciderDep, MongoDep
from juanzong_shared.events import REGISTRY
from juanzong_shared.outbox import AlreadyProcessed, transact
from juanzong_shared.problems import PROBLEM_RESPONSES, FieldError, Problem, forbidden, invalid
from pydantic import AnyHttpUrl, AwareDatetime, BaseModel, Field, ValidationError

from juanzong_notifier.adapters import mongo as repo
from juanzong_notifier.domain.access import INDICATOR_SOURCE, indicator_report_refusal
from juanzong_notifier.domain.calendar import HolidayTable, NoticeRef
from juanzong_notifier.domain.indicators import INDICATORS, reports_to_csv, reports_to_dict
from juanzong_notifier.domain.preferences import Channel, QuietHours, UserPreferences
from juanzong_notifier.domain.rules import Role
from juanzong_notifier.service_layer import services
from juanzong_notifier.service_layer.access import auth_switched_off, readable_cases, require_case
from juanzong_notifier.service_layer.services import NotifierConfig

router = APIRouter(prefix="/v1", tags=["notifier"])

ADMIN = ("technology_office_staff",)
LEADERS = ("department_head", "supervising_leader", "presiding_judge", "technology_office_staff")
EXTERNAL_NAMESPACE = uuid.UUID("6f1c2f8e-3d0b-4a57-9a55-4f0f5b0e2a10")
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: PROBLEM_RESPONSES[c] for c in codes if c in PROBLEM_RESPONSES}


def _cfg(request: Request) -> NotifierConfig:
    return request.app.state.notifier


def _require(identity: Identity, roles: tuple[str, ...], what: str) -> None:
    if auth_switched_off(identity):
        return  # auth switched off (JZ_AUTH_REQUIRED=false) in development
    if not identity.has_role(*roles):
        raise forbidden(f"{what}需要以下角色之一：{', '.join(roles)}")


def _same_court(identity: Identity, court: str) -> None:
    if identity.court and identity.court != court and not identity.has_role(*ADMIN):
        raise forbidden(f"只能查看本院（{identity.court}）的数据，请求的是 {court}")


def _problem_from(error: ValidationError, prefix: str = "") -> Problem:
    errors = [FieldError(field=prefix + (".".join(str(p) for p in e["loc"]) or "body"), reason=e["msg"])
              for e in error.errors()]
    return Problem(422, "validation", "请求参数无效", "; ".join(f"{e.field}: {e.reason}" for e in errors)[:2000],
                   errors=errors)


def _period(value: str) -> tuple[int, int]:
    m = _PERIOD.match(value)
    if not m:
        raise invalid("period", f"“{value}” 不是 YYYY-MM 形式的月份")
    return int(m.group(1)), int(m.group(2))


# -- inbox -----------------------------------------------------------------------------------


class InboxItem(BaseModel):
    id: str = Field(..., description="Inbox item id (notification id | user)")
    notification_id: str
    kind: Literal["reminder", "overdue", "escalation", "due_changed"]
    title: str = Field(..., examples=["【超期督办】电子卷宗结案立卷"])
    body: str
    court: str
    case_number: str = Field(..., examples=["（2025）吉01民终123号"])
    rule: str = Field(..., examples=["closing_filing"])
    citation: str = Field(..., examples=["吉高法〔2020〕11号 第五条(四)"])
    due: datetime
    provisional: bool
    created_at: datetime
    read_at: datetime | None = None


class InboxPage(BaseModel):
    unread: int = Field(..., examples=[2])
    items: list[InboxItem]


def _inbox_item(doc: dict[str, Any]) -> InboxItem:
    return InboxItem(id=doc["_id"], notification_id=doc["notification_id"], kind=doc["kind"], title=doc["title"],
                     body=doc["body"], court=doc["court"], case_number=doc["case_id"], rule=doc["rule_id"],
                     citation=doc["citation"], due=doc["due"], provisional=doc["provisional"],
                     created_at=doc["created_at"], read_at=doc.get("read_at"))


@router.get("/inbox", summary="My in-app notifications (站内信), newest first", response_model=InboxPage)
async def inbox(identity: CurrentIdentity, mongo: MongoDep,
                status: Annotated[Literal["unread", "all"], Query(description="unread (default) or all")] = "unread",
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> InboxPage:
    query: dict[str, Any] = {"user_id": identity.subject}
    if status == "unread":
        query["read_at"] = None
    docs = [d async for d in mongo.db[repo.INBOX].find(query).sort("created_at", -1).limit(limit)]
    unread = await mongo.db[repo.INBOX].count_documents({"user_id": identity.subject, "read_at": None})
    return InboxPage(unread=unread, items=[_inbox_item(d) for d in docs])


class MarkRead(BaseModel):
    ids: list[str] = Field(default_factory=list, description="Inbox item ids or notification ids",
                           examples=[["吉01/（2025）吉01民终123号/closing_filing/（2025）吉01民终123号/e1/overdue/0"]])
    all: bool = Field(False, description="Mark every unread item read")


class MarkedRead(BaseModel):
    marked: int


@router.post("/inbox/read", summary="Mark notifications read", response_model=MarkedRead,
             responses=_responses(422))
async def mark_read(body: MarkRead, identity: CurrentIdentity, mongo: MongoDep) -> MarkedRead:
    if not body.ids and not body.all:
        raise invalid("ids", "give ids or all=true")
    query: dict[str, Any] = {"user_id": identity.subject, "read_at": None}
    if not body.all:
        query["$or"] = [{"_id": {"$in": body.ids}}, {"notification_id": {"$in": body.ids}}]
    result = await mongo.db[repo.INBOX].update_many(query, {"$set": {"read_at": datetime.now(UTC)}})
    return MarkedRead(marked=result.modified_count)


# -- preferences -----------------------------------------------------------------------------


class PreferencesIn(BaseModel):
    channels: list[Channel] = Field(default=[Channel.INBOX], examples=[["inbox", "email"]])
    email: str | None = Field(None, examples=["zhang@court.example"])
    webhook_url: AnyHttpUrl | None = Field(None, examples=["https://oa.court.example/hooks/juanzong"])
    quiet_hours: QuietHours | None = Field(
        None, examples=[{"start": "22:00", "end": "07:30", "escalations_bypass": True}],
        description="Asia/Shanghai wall-clock window; e-mail/webhook inside it wait until it ends (inbox never waits)")


class PreferencesOut(PreferencesIn):
    user_id: str


def _prefs_out(p: UserPreferences) -> PreferencesOut:
    return PreferencesOut(user_id=p.user_id, channels=sorted(p.channels), email=p.email, webhook_url=p.webhook_url,
                          quiet_hours=p.quiet_hours)


async def _get_prefs(mongo, user_id: str) -> UserPreferences:
    doc = await mongo.db[repo.PREFERENCES].find_one({"_id": user_id})
    if doc is None:
        return UserPreferences.default(user_id)
    return UserPreferences.model_validate({k: v for k, v in doc.items() if k != "_id"})


async def _put_prefs(mongo, user_id: str, body: PreferencesIn) -> PreferencesOut:
    try:
        prefs = UserPreferences(user_id=user_id, channels=frozenset(body.channels), email=body.email,
                                webhook_url=body.webhook_url, quiet_hours=body.quiet_hours)
    except ValidationError as error:
        raise _problem_from(error) from None
    doc = prefs.model_dump(mode="json")
    await mongo.db[repo.PREFERENCES].replace_one({"_id": user_id}, doc, upsert=True)
    return _prefs_out(prefs)


@router.get("/preferences/me", summary="My delivery preferences", response_model=PreferencesOut)
async def my_preferences(identity: CurrentIdentity, mongo: MongoDep) -> PreferencesOut:
    return _prefs_out(await _get_prefs(mongo, identity.subject))


@router.put("/preferences/me", summary="Set my channels and quiet hours (免打扰时段)", response_model=PreferencesOut,
            responses=_responses(422))
async def set_my_preferences(body: PreferencesIn, identity: CurrentIdentity, mongo: MongoDep) -> PreferencesOut:
    return await _put_prefs(mongo, identity.subject, body)


@router.put("/admin/preferences/{user_id}", summary="Set a user's preferences (technology office)",
            response_model=PreferencesOut, responses=_responses(403, 422))
async def set_user_preferences(user_id: str, body: PreferencesIn, identity: CurrentIdentity,
                               mongo: MongoDep) -> PreferencesOut:
    """Channels and quiet hours of another user; their addresses only they set (PUT /v1/preferences/me): a
    notice names the case and its deadline, and an address set by someone else would send it to someone else."""
    _require(identity, ADMIN, "设置他人通知偏好")
    if user_id != identity.subject:
        current = await _get_prefs(mongo, user_id)
        if body.email != current.email or body.webhook_url != current.webhook_url:
            raise forbidden("通知的邮箱和推送地址只能由本人设置（通知载有案件信息，只送达本人）")
    return await _put_prefs(mongo, user_id, body)


# -- deadlines and the overdue ledger --------------------------------------------------------


class Deadline(BaseModel):
    clock_id: str
    court: str
    case_number: str
    rule: str = Field(..., examples=["closing_filing"])
    name: str = Field(..., examples=["电子卷宗结案立卷"])
    citation: str = Field(..., examples=["吉高法〔2020〕11号 第五条(四)"])
    amount: str = Field(..., examples=["2个工作日"])
    subject: str
    status: Literal["not_started", "running", "paused", "overdue", "done", "done_late"]
    started_at: datetime | None
    stopped_at: datetime | None
    due: datetime | None
    provisional: bool = Field(..., description="Counted on a year without official or court data (weekdays only)")
    provisional_years: list[int]
    basis: str | None = Field(None, examples=["自2026年2月13日次日起算2个工作日，至2026年2月24日24时（…含调休上班日）"])
    responsible_role: str
    responsible: str | None
    runs: int


class CaseDeadlines(BaseModel):
    case_number: str
    deadlines: list[Deadline]


@router.get("/cases/{case_number}/deadlines", summary="Deadlines of a case (due, provisional, basis, status)",
            response_model=CaseDeadlines, responses=_responses(403, 404, 422))
async def deadlines(case_number: CaseNumberPath, identity: CurrentIdentity, mongo: MongoDep, decider: DeciderDep,
                    request: Request) -> CaseDeadlines:
    """A case's deadlines are part of its record: shown to whom access-control allows ``read_case`` (吉高法〔2020〕11号
    第九条); a 涉密 case is 404 to everyone outside it, as an unknown case is (第十条)."""
    known, secret = await repo.case_standing(mongo.db, case_number)
    await require_case(decider, identity, case_number, known=known, secret=secret)
    items = await services.case_deadlines(mongo.db, _cfg(request), case_number, datetime.now(UTC))
    return CaseDeadlines(case_number=case_number, deadlines=[Deadline(**i) for i in items])


@router.get("/overdue", summary="Overdue ledger per court, department and person (吉高法〔2020〕11号 第七条)",
            responses=_responses(403))
async def overdue(identity: CurrentIdentity, mongo: MongoDep, decider: DeciderDep, request: Request,
                  court: Annotated[str, Query(examples=["吉01"])],
                  department: Annotated[str | None, Query(examples=["民一庭"])] = None,
                  person: Annotated[str | None, Query(examples=["u-assistant-li"])] = None) -> dict[str, Any]:
    """Only the cases the caller may see (``read_case``) are listed and counted."""
    _require(identity, LEADERS, "查看超期台账")
    _same_court(identity, court)
    return await services.overdue_view(mongo.db, _cfg(request), court, datetime.now(UTC), department, person,
                                       visible=lambda cases: readable_cases(decider, identity, cases))


@router.get("/rules", summary="The deadline rules with their articles")
async def rules(request: Request) -> list[dict[str, Any]]:
    return [r.model_dump(mode="json") for r in _cfg(request).rules]


# -- holiday tables --------------------------------------------------------------------------


class HolidayTableIn(BaseModel):
    year: int = Field(..., examples=[2027])
    holidays: list[date] = Field(..., examples=[["2027-01-01", "2027-01-02", "2027-01-03"]])
    makeup_workdays: list[date] = Field(default_factory=list, examples=[["2027-02-06"]],
                                        description="调休上班日 (Saturdays or Sundays only)")
    source_notice: NoticeRef = Field(..., examples=[{"number": "国办发明电〔2026〕7号",
                                                     "title": "国务院办公厅关于2027年部分节假日安排的通知"}])


class HolidayTableLoaded(BaseModel):
    table: dict[str, Any]
    recomputed: list[dict[str, Any]] = Field(..., description="Running deadlines that moved (each notified)")


@router.post("/admin/holiday-tables", status_code=201, response_model=HolidayTableLoaded,
             summary="Load a year's holiday table from the State Council notice; recompute provisional deadlines",
             responses=_responses(403, 422))
async def load_holiday_table(body: HolidayTableIn, identity: CurrentIdentity, mongo: MongoDep,
                             request: Request) -> HolidayTableLoaded:
    _require(identity, ADMIN, "维护节假日安排表")
    try:
        table = HolidayTable(year=body.year, holidays=frozenset(body.holidays),
                             makeup_workdays=frozenset(body.makeup_workdays), source_notice=body.source_notice,
                             loaded_at=datetime.now(UTC))
    except ValidationError as error:
        raise _problem_from(error) from None
    changes = await transact(mongo, lambda uow: services.load_holiday_table(uow, _cfg(request), table),
                             on_commit=request.app.state.outbox.notify)
    return HolidayTableLoaded(table=table.model_dump(mode="json"), recomputed=changes)


@router.get("/holiday-tables", summary="Holiday tables in force (packaged data file and loaded ones)")
async def holiday_tables(mongo: MongoDep, request: Request) -> list[dict[str, Any]]:
    calendar = await services.calendar_of(mongo.db, _cfg(request))
    return [t.model_dump(mode="json") for _, t in sorted(calendar.tables.items())]


# -- directory -------------------------------------------------------------------------------


class DepartmentHead(BaseModel):
    court: str = Field(..., examples=["吉01"])
    department: str = Field(..., examples=["民一庭"])
    user_id: str = Field(..., examples=["u-head-wang"])


class RoleHolder(BaseModel):
    court: str = Field(..., examples=["吉01"])
    role: Literal["filing_clerk", "assistance_centre", "archive_office", "original_court", "judge",
                  "judge_assistant"] = Field(..., examples=["assistance_centre"])
    user_id: str = Field(..., examples=["u-centre-zhao"])
    department: str | None = Field(None, examples=["立案庭"])
    name: str | None = None


@router.put("/admin/department-heads", summary="Set a department's head (escalations go to them)",
            response_model=DepartmentHead, responses=_responses(403, 422))
async def set_department_head(body: DepartmentHead, identity: CurrentIdentity, mongo: MongoDep) -> DepartmentHead:
    _require(identity, ADMIN, "维护部门负责人")
    await mongo.db[repo.DEPARTMENT_HEADS].replace_one(
        {"_id": f"{body.court}/{body.department}"}, body.model_dump(), upsert=True)
    return body


@router.get("/admin/department-heads", summary="Department heads (admin API over settings)")
async def department_heads(mongo: MongoDep, request: Request, identity: CurrentIdentity) -> list[DepartmentHead]:
    heads = dict(_cfg(request).department_heads)
    async for d in mongo.db[repo.DEPARTMENT_HEADS].find({}):
        heads[d["_id"]] = d["user_id"]
    return [DepartmentHead(court=k.split("/", 1)[0], department=k.split("/", 1)[1], user_id=v)
            for k, v in sorted(heads.items())]


@router.put("/admin/role-holders", summary="Who answers for an office role in a court (立案窗口, 辅助中心, 档案科…)",
            response_model=RoleHolder, responses=_responses(403, 422))
async def set_role_holder(body: RoleHolder, identity: CurrentIdentity, mongo: MongoDep) -> RoleHolder:
    _require(identity, ADMIN, "维护岗位责任人")
    Role(body.role)
    await mongo.db[repo.ROLE_HOLDERS].replace_one({"_id": f"{body.court}/{body.role}"}, body.model_dump(),
                                                  upsert=True)
    return body


@router.get("/deliveries", summary="Delivery log of e-mail and webhook pushes (attempts, results)")
async def deliveries(identity: CurrentIdentity, mongo: MongoDep, decider: DeciderDep,
                     user_id: Annotated[str | None, Query()] = None,
                     state: Annotated[Literal["pending", "sent", "failed", "skipped"] | None, Query()] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    _require(identity, ADMIN, "查看投递日志")
    query: dict[str, Any] = {}
    if user_id:
        query["user_id"] = user_id
    if state:
        query["state"] = state
    docs = [d async for d in mongo.db[repo.DELIVERIES].find(query).sort("created_at", -1).limit(limit)]
    shown = await readable_cases(decider, identity, {d["case_id"] for d in docs})
    return [_delivery_out(d, d["case_id"] in shown) for d in docs]


# what the log keeps of a delivery whose case the caller may not see: how the push went, nothing of the notice
_DELIVERY_OPERATIONS = ("user_id", "channel", "address", "state", "attempts", "deferred", "send_at",
                        "next_attempt_at", "sent_at", "created_at", "log")


def _delivery_out(doc: dict[str, Any], case_visible: bool) -> dict[str, Any]:
    if case_visible:
        return {**{k: v for k, v in doc.items() if k != "_id"}, "id": doc["_id"]}
    # the id names the notification, and so the case: an opaque stand-in (stable, so rows can be told apart)
    opaque = "withheld-" + hashlib.sha256(doc["_id"].encode()).hexdigest()[:24]
    return {**{k: doc[k] for k in _DELIVERY_OPERATIONS if k in doc}, "id": opaque, "withheld": True}


# -- indicators (吉高院通报29期) ----------------------------------------------------------------


@router.get("/indicators/definitions", summary="The six indicators: numerator and denominator of each")
async def indicator_definitions() -> list[dict[str, Any]]:
    return [d.model_dump(mode="json") for d in INDICATORS]


@router.get("/indicators/{court}/{period}.csv", summary="A court's six indicators for a month, as CSV",
            response_class=Response, responses=_responses(403, 422))
async def indicators_csv(court: str, period: str, identity: CurrentIdentity, mongo: MongoDep,
                         request: Request) -> Response:
    _require(identity, LEADERS, "查看数据指标")
    _same_court(identity, court)
    year, month = _period(period)
    report = await services.monthly_report(mongo.db, _cfg(request), court, year, month, datetime.now(UTC))
    return Response(reports_to_csv([report]), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="indicators-{period}.csv"'})


@router.get("/indicators/{court}/{period}", summary="A court's six indicators for a month (JSON, with definitions)",
            responses=_responses(403, 422))
async def indicators_json(court: str, period: str, identity: CurrentIdentity, mongo: MongoDep,
                          request: Request) -> dict[str, Any]:
    _require(identity, LEADERS, "查看数据指标")
    _same_court(identity, court)
    year, month = _period(period)
    report = await services.monthly_report(mongo.db, _cfg(request), court, year, month, datetime.now(UTC))
    return reports_to_dict([report])


@router.post("/admin/reports/{period}", summary="Make and store the monthly reports now (normally on the 3rd)",
             responses=_responses(403, 422))
async def run_reports(period: str, identity: CurrentIdentity, mongo: MongoDep, request: Request) -> dict[str, Any]:
    _require(identity, ADMIN, "生成月度数据指标")
    year, month = _period(period)
    reports = await services.run_monthly_reports(mongo, _cfg(request), year, month)
    return reports_to_dict(reports)


# -- events from systems outside the suite ---------------------------------------------------


class ExternalEventIn(BaseModel):
    """One usage fact from 智能庭审 or 文书辅助生成 (the other four indicators come from the suite's own events)."""

    id: str = Field(..., min_length=1, max_length=200, description="The sending system's event id; repeats are ignored",
                    examples=["ts-2026-10-0001"])
    type: Literal["trial.smart_session.held", "document.assisted.generated"]
    occurred_at: AwareDatetime = Field(..., examples=["2026-10-12T09:30:00+08:00"])
    court: str = Field(..., min_length=1, max_length=100, examples=["吉01"])
    case_number: str = Field(..., min_length=1, max_length=200, examples=["（2026）吉01民终88号"])
    system: str = Field(..., min_length=1, max_length=200, examples=["智能庭审系统"])
    hearing_id: str | None = Field(None, min_length=1, max_length=200,
                                   description="智能庭审: the hearing (default: its date, YYYY-MM-DD)")
    document_id: str | None = Field(None, min_length=1, max_length=200, description="文书辅助生成: the document")
    document_kind: str | None = Field(None, max_length=100, examples=["judgment"])


class ExternalEventAccepted(BaseModel):
    event_id: str
    duplicate: bool


@router.post("/external-events", status_code=202, response_model=ExternalEventAccepted,
             summary="Accept a 智能庭审 / 文书辅助生成 event for the monthly indicators",
             responses=_responses(403, 422))
async def external_event(body: ExternalEventIn, identity: CurrentIdentity, mongo: MongoDep,
                         request: Request) -> ExternalEventAccepted:
    """Only the reporting system's own account (scope ``indicators:report``, its client listed for this event type,
    its court) or the court's technology office may add to a court's figures (吉高院通报29期 (四))."""
    if not auth_switched_off(identity):
        refusal = indicator_report_refusal(identity, body.type, body.court, _cfg(request).indicator_reporters)
        if refusal is not None:
            raise forbidden(refusal, INDICATOR_SOURCE)
    event_id = uuid.uuid5(EXTERNAL_NAMESPACE, f"{body.type}|{body.system}|{body.id}")
    payload = {"case_number": body.case_number, "system": body.system, "at": body.occurred_at,
               "hearing_id": body.hearing_id, "document_id": body.document_id, "document_kind": body.document_kind}
    try:
        event = REGISTRY.create(body.type, payload, court=body.court, case_id=body.case_number, event_id=event_id)
    except ValidationError as error:
        raise _problem_from(error) from None

    async def work(uow):
        await services.handle_event(_cfg(request), event, uow)
        uow.mark_processed(f"external:{event_id}")

    try:
        await transact(mongo, work, on_commit=request.app.state.outbox.notify)
    except PermanentError as error:
        raise invalid("body", str(error)) from None
    except AlreadyProcessed:
        return ExternalEventAccepted(event_id=str(event_id), duplicate=True)
    return ExternalEventAccepted(event_id=str(event_id), duplicate=False)
