"""Cases (立案): registration, stages, hearings, 结案 and the staged materials of the e-dossier."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from juanzong_shared.events.intake import (
    CaseClosed,
    CaseRegistered,
    CaseStageChanged,
    CaseSubmittedForDeliberation,
    HearingEvent,
)
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from juanzong_intake.adapters.repository import Repositories
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import (
    Case,
    DossierWrite,
    Panel,
    advance_stage,
    ensure_e_dossier_writable,
    minimal_secret_record,
)
from juanzong_intake.domain.case_number import parse_case_number
from juanzong_intake.domain.courts import CourtRegistry
from juanzong_intake.domain.errors import AlreadyDone, InvalidInput, UnknownCourt, WrongStage
from juanzong_intake.domain.original_trial import original_refusal
from juanzong_intake.domain.scan_task import ScanTaskState
from juanzong_intake.domain.staged_materials import (
    CaseCompleteness,
    MaterialFacts,
    ReceivedMaterial,
    case_completeness,
)
from juanzong_intake.domain.stages import CaseStage
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.access import CLOSE_CASE, READ_CASE, UPDATE_CASE, CaseAccess
from juanzong_intake.service_layer.common import (
    Actor,
    UseCases,
    invalid_from,
    load_case,
    now_utc,
    readable_page,
)
from juanzong_intake.service_layer.originals import apply_auto_link

REGISTERABLE_STAGES = (CaseStage.FILING, CaseStage.PRE_HEARING, CaseStage.POST_HEARING, CaseStage.PRE_CLOSING)


def build_case(cmd: cmds.RegisterCase, courts: CourtRegistry | None = None) -> Case:
    """Validate a registration; raises a domain error naming the bad field. Stores nothing."""
    courts = courts or CourtRegistry.load()
    number = parse_case_number(cmd.case_number, courts=courts)
    if cmd.court is not None:
        if cmd.court not in courts:
            raise UnknownCourt(cmd.court, field="court")
        if cmd.court != number.court_code:
            raise InvalidInput([("court", f"法院代字“{cmd.court}”与案号中的法院代字“{number.court_code}”不符")])
    if cmd.case_type is not None and cmd.case_type != number.type_code:
        raise InvalidInput([("case_type", f"类型代字“{cmd.case_type}”与案号中的类型代字“{number.type_code}”不符")])
    if cmd.filed_on.year != number.year:
        raise InvalidInput([("filed_on", f"立案日期{cmd.filed_on.isoformat()}与收案年度{number.year}不符")])
    if cmd.stage not in REGISTERABLE_STAGES:
        raise WrongStage("stage", f"不能以“{cmd.stage.zh}”阶段立案登记；应为立案、庭前、庭后或结案前 "
                                  "(a case cannot be registered as closed or archived)")
    cause = cmd.cause
    if not cmd.secret and not (cause and cause.strip()):
        raise InvalidInput([("cause", "缺少案由 (cause is required)")])
    data = {"case_number": number, "filed_on": cmd.filed_on, "cause": cause or "（涉密案件，不登记案由）",
            "cause_code": cmd.cause_code, "department": cmd.department, "parties": tuple(cmd.parties),
            "panel": cmd.panel, "secret": cmd.secret, "secrecy": cmd.secrecy, "stage": cmd.stage,
            "original_case_numbers": tuple(cmd.original_case_numbers)}
    try:
        case = Case.model_validate(data)
    except ValidationError as error:
        raise invalid_from(error) from None
    if not case.secret:  # a 涉密 case keeps no originals (第十条): nothing to check
        refused = [(f"original_case_numbers[{i}]", reason) for i, number in enumerate(case.original_case_numbers)
                   if (reason := original_refusal(case, number, courts)) is not None]
        if refused:
            raise InvalidInput(refused, article=articles.ART3_2)
    return case


def panel_members(panel: Panel | None) -> list[dict[str, str]]:
    """The panel as event members with the shared role strings."""
    if panel is None:
        return []
    out = [{"user_id": panel.undertaking_judge, "role": "undertaking_judge"}]
    if panel.presiding_judge:
        out.append({"user_id": panel.presiding_judge, "role": "presiding_judge"})
    for user in sorted(panel.members - {panel.undertaking_judge, panel.presiding_judge}):
        out.append({"user_id": user, "role": "panel_member"})
    out += [{"user_id": u, "role": "judge_assistant"} for u in sorted(panel.judge_assistants)]
    out += [{"user_id": u, "role": "clerk"} for u in sorted(panel.clerks)]
    return out


def _registered(case: Case, at: datetime) -> CaseRegistered:
    court = CourtRegistry.load().find(case.court_code)
    return CaseRegistered(
        case_number=case.key, court=case.court_code, court_name=court.name if court else None,
        case_type=case.case_number.type_code, category=case.category.value, paperless=case.e_dossier_allowed,
        secret=case.secret, cause=None if case.secret else case.cause, department=case.department,
        panel=panel_members(case.panel), registered_at=at,
        parties=[] if case.secret else [{"name": p.name, "role": p.role.zh} for p in case.parties])


def _received(case_doc: Mapping[str, Any], tasks: Iterable[Mapping[str, Any]]) -> list[ReceivedMaterial]:
    out = [ReceivedMaterial.model_validate(m) for m in case_doc.get("received_materials") or []]
    for doc in tasks:
        if doc["state"] not in (ScanTaskState.SCANNED.value, ScanTaskState.CATALOGUED.value):
            continue
        for item in doc["task"]["materials"]:
            if item.get("material_id"):
                out.append(ReceivedMaterial(material_id=item["material_id"], stage=item["stage"],
                                            pages=item["expected_pages"], ref=doc["task_id"]))
    return out


class Cases(UseCases):
    async def register(self, cmd: cmds.RegisterCase, actor: Actor) -> tuple[dict[str, Any], bool]:
        """立案登记. Returns (stored document, created). The same case number again returns the stored case.

        A 涉密 case keeps only its minimal record (吉高法〔2020〕11号 第十条); scope follows 第十四条. Every 原审案号
        must be able to be an original of the case (第三条(二), :func:`original_refusal`), or nothing is
        registered: the 立案庭 clerk corrects the number, as for any other field that does not fit the case.
        """
        case = build_case(cmd)

        async def work(uow) -> tuple[dict[str, Any], bool]:
            repos: Repositories = uow.repos
            existing = await repos.cases.case_doc(case.key)
            if existing is not None:
                return existing, False
            now = now_utc()
            stored = minimal_secret_record(case) if case.secret else case
            withheld = [f for f in ("cause", "cause_code", "parties", "panel", "original_case_numbers")
                        if case.secret and getattr(cmd, f)]
            doc = await repos.cases.add_case(stored, registered_at=now, registered_by=actor.subject,
                                             extra={"withheld_fields": withheld, "received_materials": [],
                                                    "material_facts": {}})
            uow.emit(_registered(stored, now), court=stored.court_code, case_number=stored.key)
            if stored.e_dossier_allowed and stored.original_case_numbers:
                found = await repos.originals.known_records(sorted(stored.original_keys()))
                await apply_auto_link(uow, stored, await repos.originals.links(stored), found, now)
            return doc, True

        try:
            return await self.transact(work)
        except DuplicateKeyError:  # registered concurrently by another request: same answer as a repeat
            doc = await self.read().cases.case_doc(case.key)
            if doc is None:
                raise
            return doc, False

    @staticmethod
    async def ensure_repeat_may_see(doc: dict[str, Any], access: CaseAccess) -> None:
        """A registration of a number already registered answers with the stored case only to a caller who may
        read it; anyone else learns only that the number is taken (409), not its record (第九条, 第十条)."""
        if not await access.may_read(doc, settle=True):
            raise AlreadyDone("case_number", f"案号{doc['_id']}已登记，不能重复立案 (case number already registered)")

    async def get(self, case_number: str, access: CaseAccess) -> dict[str, Any]:
        """The case record for a caller who may read it (``read_case``); a 涉密 one they may not → 404."""
        return await self.allowed_case(case_number, access, READ_CASE)

    async def find(self, access: CaseAccess, *, court: str | None, stage: CaseStage | None, state: str | None,
                   overdue: bool | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Cases matching the filters that the caller may read (``read_case`` per case), newest first."""
        docs = self.read().cases.iter_cases(court=court, stage=stage.value if stage else None, status=state,
                                            overdue=overdue)
        return await readable_page(docs, access.readable, limit=limit, offset=offset)

    async def _move(self, case_number: str, action: str, access: CaseAccess,
                    change: Any) -> dict[str, Any]:
        """``change(uow, doc, case)`` in a unit of work, once access-control allowed ``action``; the case after."""
        await self.allowed_case(case_number, access, action)

        async def work(uow) -> dict[str, Any]:
            doc, case = await load_case(uow.repos, case_number)
            await change(uow, doc, case)
            return await uow.repos.cases.case_doc(case.key)

        return await self.transact(work)

    async def change_stage(self, case_number: str, cmd: cmds.ChangeStage, actor: Actor, *,
                           access: CaseAccess) -> dict[str, Any]:
        """Move the case to a later stage: ``update_case`` on the case (its team, 立案庭 of its court)."""
        async def change(uow, doc, case: Case) -> None:
            await _change_stage(uow, case, cmd.stage, cmd.at or now_utc())
        return await self._move(case_number, UPDATE_CASE, access, change)

    async def close(self, case_number: str, cmd: cmds.CloseCase, actor: Actor, *, access: CaseAccess) -> dict[str, Any]:
        """结案: the case moves to closed and ``case.closed`` starts the archive clocks. ``close_case`` on the case:
        its 承办法官 or 审判长, 立案庭 of its court — closing changes who may read it (第九条)."""
        async def change(uow, doc, case: Case) -> None:
            if case.stage in (CaseStage.CLOSED, CaseStage.ARCHIVED):
                raise AlreadyDone("stage", f"案件{case.key}已结案（{case.stage.zh}），不能重复结案")
            await _change_stage(uow, case, CaseStage.CLOSED, cmd.closed_at or now_utc(), result=cmd.result)
        return await self._move(case_number, CLOSE_CASE, access, change)

    async def record_hearing(self, case_number: str, cmd: cmds.RecordHearing, actor: Actor, *,
                             access: CaseAccess) -> dict[str, Any]:
        """开庭排期 / 开庭: the 庭前 and 庭后 clocks (长中法〔2018〕129号 第七条) run from these events.
        ``update_case`` on the case."""
        async def change(uow, doc, case: Case) -> None:
            if case.stage in (CaseStage.CLOSED, CaseStage.ARCHIVED):
                raise WrongStage("stage", f"案件已{case.stage.zh}，不能再登记开庭")
            entry = {"status": cmd.status, "at": cmd.at, "recorded_at": now_utc(), "by": actor.subject}
            await uow.repos.cases.update_case(case.key, {}, push={"hearings": entry})
            uow.emit(HearingEvent(case_number=case.key, at=cmd.at, paperless=case.e_dossier_allowed),
                     event_type=f"case.hearing.{cmd.status}", court=case.court_code, case_number=case.key)
        return await self._move(case_number, UPDATE_CASE, access, change)

    async def submit_for_deliberation(self, case_number: str, cmd: cmds.SubmitForDeliberation, actor: Actor, *,
                                      access: CaseAccess) -> dict[str, Any]:
        """提交法官会议/审判委员会讨论, with the date: recorded on the case, and its members may read the case from
        then on (吉高法〔2020〕11号 第九条第2项). ``update_case`` on the case (its 承办法官, the division head)."""
        async def change(uow, doc, case: Case) -> None:
            if case.stage in (CaseStage.CLOSED, CaseStage.ARCHIVED):
                raise WrongStage("stage", f"案件已{case.stage.zh}，不能再提交讨论")
            members = sorted(set(cmd.members)) if cmd.members is not None else None
            entry = {"body": cmd.body, "submitted_at": cmd.submitted_at.isoformat(), "members": members,
                     "recorded_at": now_utc(), "by": actor.subject}
            await uow.repos.cases.update_case(case.key, {}, push={"deliberations": entry})
            uow.emit(CaseSubmittedForDeliberation(case_number=case.key, body=cmd.body, submitted_on=cmd.submitted_at,
                                                  member_ids=members, at=now_utc()),
                     court=case.court_code, case_number=case.key)
        return await self._move(case_number, UPDATE_CASE, access, change)

    # -- staged materials (长中法〔2018〕129号 第六条, 第七条) ------------------------------------------
    async def completeness(self, case_number: str, access: CaseAccess) -> CaseCompleteness:
        """Per stage, which expected materials are in the e-dossier."""
        await self.allowed_case(case_number, access, READ_CASE)
        return await self._completeness(case_number)

    async def _completeness(self, case_number: str) -> CaseCompleteness:
        repos = self.read()
        doc, case = await load_case(repos, case_number)
        facts = MaterialFacts.model_validate(doc.get("material_facts") or {})
        return case_completeness(case, _received(doc, await repos.tasks.tasks_of_case(case.key)), facts)

    async def declare_material(self, case_number: str, cmd: cmds.DeclareMaterial, actor: Actor, *,
                               access: CaseAccess) -> CaseCompleteness:
        async def change(uow, doc, case: Case) -> None:
            ensure_e_dossier_writable(case, DossierWrite.CREATE_DOSSIER)
            item = ReceivedMaterial(material_id=cmd.material_id, stage=cmd.stage, pages=cmd.pages,
                                    source=cmd.source, ref=cmd.ref)
            await uow.repos.cases.update_case(case.key, {}, push={"received_materials": item.model_dump(mode="json")})
        await self._move(case_number, UPDATE_CASE, access, change)
        return await self._completeness(case_number)

    async def set_material_facts(self, case_number: str, facts: MaterialFacts, actor: Actor, *,
                                 access: CaseAccess) -> CaseCompleteness:
        async def change(uow, doc, case: Case) -> None:
            ensure_e_dossier_writable(case, DossierWrite.CREATE_DOSSIER)
            merged = {**(doc.get("material_facts") or {}), **facts.model_dump(exclude_unset=True)}
            await uow.repos.cases.update_case(case.key, {"material_facts": merged})
        await self._move(case_number, UPDATE_CASE, access, change)
        return await self._completeness(case_number)


async def _change_stage(uow, case: Case, to: CaseStage, at: datetime, *, result: str | None = None) -> Case:
    moved = advance_stage(case, to)
    values: dict[str, Any] = {}
    if to is CaseStage.CLOSED:
        values |= {"status": "closed", "closed_at": at, "result": result}
    await uow.repos.cases.save_case(moved, **values)
    where = {"court": case.court_code, "case_number": case.key}
    uow.emit(CaseStageChanged(case_number=case.key, stage=to.value, from_stage=case.stage.value, at=at,
                              paperless=case.e_dossier_allowed), **where)
    if to is CaseStage.CLOSED:
        uow.emit(CaseClosed(case_number=case.key, closed_at=at, result=result, secret=case.secret,
                            paperless=case.scope.in_flow), **where)
    return moved
