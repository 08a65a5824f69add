"""Intake's use cases: load, let the domain decide, store, emit — one unit of work each (``transact``).

Every function that writes takes the ``Mongo`` and the outbox wake-up; a domain refusal raised inside the
unit of work aborts it, so a refused request stores nothing and emits nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from juanzong_shared.db import Mongo
from juanzong_shared.events import REGISTRY
from juanzong_shared.outbox import UnitOfWork, transact
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from juanzong_intake.adapters.repository import IntakeRepository, case_from_doc, task_from_doc
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import (
    Case,
    DossierWrite,
    Panel,
    advance_stage,
    ensure_e_dossier_writable,
    ensure_not_secret,
    minimal_secret_record,
)
from juanzong_intake.domain.case_number import case_number_key, parse_case_number
from juanzong_intake.domain.courts import CourtRegistry
from juanzong_intake.domain.errors import (
    CaseNumberError,
    IntakeError,
    InvalidInput,
    UnknownCourt,
    WrongStage,
)
from juanzong_intake.domain.original_trial import (
    SYSTEM_ACTOR,
    AutoLinkResult,
    FoundRecord,
    LinkMethod,
    LinkRecord,
    OriginalLink,
    OriginalSubmission,
    OriginalTrialLinks,
    RecordKind,
    SubmissionManifest,
    auto_link,
    decide_return,
    link_manually,
    missing_items,
    original_refusal,
    unlink,
    validate_manifest,
)
from juanzong_intake.domain.scan_task import (
    MaterialCheck,
    ScanTask,
    ScanTaskState,
    ScanTaskTransitioned,
    create_scan_task,
    ensure_can_move,
    record_check,
    resubmit,
    transition,
)
from juanzong_intake.domain.staged_materials import (
    CaseCompleteness,
    MaterialFacts,
    ReceivedMaterial,
    case_completeness,
)
from juanzong_intake.domain.stages import CaseStage
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.access import (
    CLOSE_CASE,
    LINK_ORIGINAL,
    READ_CASE,
    UPDATE_CASE,
    CaseAccess,
    case_not_found,
    task_not_found,
)

OnCommit = Callable[[], None] | None
SCAN_OCR_ACTOR = "scan-ocr"
CATALOG_ACTOR = "catalog"
REGISTERABLE_STAGES = (CaseStage.FILING, CaseStage.PRE_HEARING, CaseStage.POST_HEARING, CaseStage.PRE_CLOSING)


class AlreadyDone(IntakeError):
    """The request conflicts with what was already done (e.g. returning a case that need not go back)."""

    code = "conflict"


@dataclass(frozen=True)
class Actor:
    subject: str
    department: str | None = None


def now_utc() -> datetime:
    """Now, to the millisecond: what the database keeps, so a stored case reads back identical."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


# -- helpers ---------------------------------------------------------------------------------------
def _field(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def invalid_from(error: ValidationError, prefix: str = "") -> InvalidInput:
    """A pydantic error from a domain model as field errors; a bad case number names its part."""
    pairs: list[tuple[str, str]] = []
    for item in error.errors():
        field = _field([*([prefix] if prefix else []), *item.get("loc", ())])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, CaseNumberError):
            pairs.append((f"{field}.{cause.part}" if field != "body" else cause.field, cause.reason_zh))
        else:
            pairs.append((field, str(item.get("msg", "invalid"))))
    return InvalidInput(pairs)


def _emit(uow: UnitOfWork, event_type: str, payload: Mapping[str, Any] | Any, case_number: str, court: str) -> None:
    uow.emit(REGISTRY.create(event_type, payload, court=court, case_id=case_number))


async def _load_case(repo: IntakeRepository, case_number: str) -> tuple[dict[str, Any], Case]:
    key = canonical(case_number)
    doc = await repo.case_doc(key)
    if doc is None:
        raise case_not_found(key)
    return doc, case_from_doc(doc)


async def allowed_case(mongo: Mongo, case_number: str, access: CaseAccess, action: str) -> dict[str, Any]:
    """The case's document once access-control has said yes to ``action`` on it (吉高法〔2020〕11号 第九条);
    asked before the unit of work, so a refusal stores nothing. Unknown case → 404; see :class:`CaseAccess`."""
    doc, _ = await _load_case(IntakeRepository(mongo.db), case_number)
    await access.require(action, doc)
    return doc


async def _readable_page(docs: AsyncIterator[dict[str, Any]],
                         judge: Callable[[Sequence[dict[str, Any]]], Awaitable[list[bool]]], *, page: int, size: int,
                         chunk: int = 64) -> tuple[list[dict[str, Any]], int]:
    """One page of the documents the caller may read, and how many they may read in all (need to know: a list
    shows nothing of a case the caller could not open). Documents are judged ``chunk`` at a time."""
    start, items, total, batch = (page - 1) * size, [], 0, []

    async def judge_batch() -> None:
        nonlocal total
        for doc, ok in zip(batch, await judge(batch), strict=True):
            if ok:
                if start <= total < start + size:
                    items.append(doc)
                total += 1
        batch.clear()

    async for doc in docs:
        batch.append(doc)
        if len(batch) >= chunk:
            await judge_batch()
    if batch:
        await judge_batch()
    return items, total


def canonical(case_number: str) -> str:
    """The stored key of a case number given in any accepted spelling (full-width digits, ASCII brackets)."""
    try:
        return parse_case_number(case_number).canonical
    except CaseNumberError:
        return case_number.strip()


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


def _paperless(case: Case) -> bool:
    return case.e_dossier_allowed


# -- cases -----------------------------------------------------------------------------------------
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


async def register_case(mongo: Mongo, cmd: cmds.RegisterCase, actor: Actor, *,
                        on_commit: OnCommit = None) -> tuple[dict[str, Any], bool]:
    """立案登记. Returns (stored document, created). The same case number again returns the stored case.

    A 涉密 case keeps only its minimal record (吉高法〔2020〕11号 第十条); scope follows 第十四条. Every 原审案号
    must be able to be an original of the case (第三条(二), :func:`original_refusal`), or nothing is registered:
    the 立案庭 clerk corrects the number, as for any other field that does not fit the case.
    """
    case = build_case(cmd)

    async def work(uow: UnitOfWork) -> tuple[dict[str, Any], bool]:
        repo = IntakeRepository(uow.db, uow.session)
        existing = await repo.case_doc(case.key)
        if existing is not None:
            return existing, False
        now = now_utc()
        stored = minimal_secret_record(case) if case.secret else case
        withheld = [f for f in ("cause", "cause_code", "parties", "panel", "original_case_numbers")
                    if case.secret and getattr(cmd, f)]
        doc = await repo.add_case(stored, registered_at=now, registered_by=actor.subject,
                                  extra={"withheld_fields": withheld, "received_materials": [],
                                         "material_facts": {}})
        court = CourtRegistry.load().find(stored.court_code)
        payload = {"case_number": stored.key, "court": stored.court_code,
                   "court_name": court.name if court else None, "case_type": stored.case_number.type_code,
                   "category": stored.category.value, "paperless": _paperless(stored), "secret": stored.secret,
                   "cause": None if stored.secret else stored.cause, "department": stored.department,
                   "panel": panel_members(stored.panel), "registered_at": now,
                   "parties": [] if stored.secret else [{"name": p.name, "role": p.role.zh} for p in stored.parties]}
        _emit(uow, "case.registered", payload, stored.key, stored.court_code)
        if stored.e_dossier_allowed and stored.original_case_numbers:
            links = await repo.links(stored)
            found = await repo.known_records(sorted(stored.original_keys()))
            await _apply_auto_link(uow, repo, stored, links, found, now)
        return doc, True

    try:
        return await transact(mongo, work, on_commit=on_commit)
    except DuplicateKeyError:  # registered concurrently by another request: same answer as a repeat
        doc = await IntakeRepository(mongo.db).case_doc(case.key)
        if doc is None:
            raise
        return doc, False


async def ensure_repeat_may_see(doc: dict[str, Any], access: CaseAccess) -> None:
    """A registration of a number already registered answers with the stored case only to a caller who may read
    it; anyone else learns only that the number is taken (409), not its record (第九条, 第十条)."""
    if not await access.may_read(doc, settle=True):
        raise AlreadyDone("case_number", f"案号{doc['_id']}已登记，不能重复立案 (case number already registered)")


async def get_case(mongo: Mongo, case_number: str, access: CaseAccess) -> dict[str, Any]:
    """The case record for a caller who may read it (``read_case``); a 涉密 one they may not → 404."""
    return await allowed_case(mongo, case_number, access, READ_CASE)


async def list_cases(mongo: Mongo, access: CaseAccess, *, court: str | None, stage: CaseStage | None,
                     state: str | None, overdue: bool | None, page: int,
                     size: int) -> tuple[list[dict[str, Any]], int]:
    """Cases matching the filters that the caller may read (``read_case`` per case), newest first."""
    query: dict[str, Any] = {}
    if court:
        query["court"] = court
    if stage:
        query["stage"] = stage.value
    if state:
        query["status"] = state
    if overdue is not None:
        query["overdue"] = overdue
    return await _readable_page(IntakeRepository(mongo.db).iter_cases(query), access.readable, page=page, size=size)


async def _change_stage(uow: UnitOfWork, repo: IntakeRepository, doc: dict[str, Any], case: Case, to: CaseStage,
                        at: datetime, *, result: str | None = None) -> Case:
    moved = advance_stage(case, to)
    values: dict[str, Any] = {}
    if to is CaseStage.CLOSED:
        values |= {"status": "closed", "closed_at": at, "result": result}
    await repo.save_case(moved, **values)
    _emit(uow, "case.stage.changed", {"case_number": case.key, "stage": to.value, "from_stage": case.stage.value,
                                      "at": at, "paperless": _paperless(case)}, case.key, case.court_code)
    if to is CaseStage.CLOSED:
        _emit(uow, "case.closed", {"case_number": case.key, "closed_at": at, "result": result,
                                   "secret": case.secret, "paperless": case.scope.in_flow},
              case.key, case.court_code)
    return moved


async def change_stage(mongo: Mongo, case_number: str, cmd: cmds.ChangeStage, actor: Actor, *,
                       access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """Move the case to a later stage: ``update_case`` on the case (its team, 立案庭 of its court)."""
    await allowed_case(mongo, case_number, access, UPDATE_CASE)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        doc, case = await _load_case(repo, case_number)
        await _change_stage(uow, repo, doc, case, cmd.stage, cmd.at or now_utc())
        return await repo.case_doc(case.key)

    return await transact(mongo, work, on_commit=on_commit)


async def close_case(mongo: Mongo, case_number: str, cmd: cmds.CloseCase, actor: Actor, *,
                     access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """结案: the case moves to closed and ``case.closed`` starts the archive clocks. ``close_case`` on the case:
    its 承办法官 or 审判长, 立案庭 of its court — closing changes who may read it (第九条)."""
    await allowed_case(mongo, case_number, access, CLOSE_CASE)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        doc, case = await _load_case(repo, case_number)
        if case.stage in (CaseStage.CLOSED, CaseStage.ARCHIVED):
            raise AlreadyDone("stage", f"案件{case.key}已结案（{case.stage.zh}），不能重复结案")
        await _change_stage(uow, repo, doc, case, CaseStage.CLOSED, cmd.closed_at or now_utc(), result=cmd.result)
        return await repo.case_doc(case.key)

    return await transact(mongo, work, on_commit=on_commit)


async def record_hearing(mongo: Mongo, case_number: str, cmd: cmds.RecordHearing, actor: Actor, *,
                         access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """开庭排期 / 开庭: the 庭前 and 庭后 clocks (长中法〔2018〕129号 第七条) run from these events.
    ``update_case`` on the case."""
    await allowed_case(mongo, case_number, access, UPDATE_CASE)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        _doc, case = await _load_case(repo, case_number)
        if case.stage in (CaseStage.CLOSED, CaseStage.ARCHIVED):
            raise WrongStage("stage", f"案件已{case.stage.zh}，不能再登记开庭")
        entry = {"status": cmd.status, "at": cmd.at, "recorded_at": now_utc(), "by": actor.subject}
        await repo.update_case(case.key, {}, push={"hearings": entry})
        _emit(uow, f"case.hearing.{cmd.status}", {"case_number": case.key, "at": cmd.at,
                                                  "paperless": _paperless(case)}, case.key, case.court_code)
        return await repo.case_doc(case.key)

    return await transact(mongo, work, on_commit=on_commit)


# -- original-trial records ------------------------------------------------------------------------
def _link_payload(record: LinkRecord | OriginalLink, case_number: str | None = None) -> dict[str, Any]:
    return {"case_number": case_number or record.case_number,
            "original_case_number": record.original_case_number.canonical,
            "e_dossier_ref": record.ref if record.kind is RecordKind.E_DOSSIER else None,
            "e_archive_ref": record.ref if record.kind is RecordKind.E_ARCHIVE else None}


REOPENED_REASON = "下级法院重新报送，退回后原审关联恢复 (links in force again after the return)"


def _links_in_force_again(uow: UnitOfWork, case: Case, links: OriginalTrialLinks,
                          already: Iterable[LinkRecord]) -> None:
    """The return to the lower court ended what the case's links opened (access-control, 第三条(二)); when the
    lower court's new 报送清单 reopens the case, its links still in the record are announced again."""
    announced = {record.identity for record in already}
    for link in links.links:
        if link.identity not in announced:
            payload = {**_link_payload(link, case.key), "manual": link.method is LinkMethod.MANUAL,
                       "by": SYSTEM_ACTOR, "reason": REOPENED_REASON}
            _emit(uow, "case.original.linked", payload, case.key, case.court_code)


async def _apply_auto_link(uow: UnitOfWork, repo: IntakeRepository, case: Case, links: OriginalTrialLinks,
                           found: list[FoundRecord], at: datetime,
                           manifest: SubmissionManifest | None = None) -> AutoLinkResult:
    result = auto_link(case, links, found, at, manifest)
    if result.added:
        await repo.save_links(result.links)
        for record in result.added:
            _emit(uow, "case.original.linked", {**_link_payload(record), "manual": False, "by": record.by,
                                                "reason": record.reason}, case.key, case.court_code)
    return result


def _manifest_records(manifest: SubmissionManifest) -> list[FoundRecord]:
    source = f"manifest:{manifest.manifest_id}"
    return [FoundRecord(original_case_number=o.original_case_number, kind=kind, ref=ref, source=source)
            for o in manifest.originals for kind in (RecordKind.E_DOSSIER, RecordKind.E_ARCHIVE)
            for ref in o.refs(kind)]


async def _return_case(uow: UnitOfWork, repo: IntakeRepository, case: Case, lower_court: str, reason: str,
                       missing: list[str], at: datetime, by: str) -> dict[str, Any]:
    record = {"lower_court": lower_court, "reason": reason, "missing": missing, "at": at, "by": by}
    await repo.update_case(case.key, {"status": "returned_to_lower_court", "returned": record},
                           push={"return_history": record})
    _emit(uow, "case.returned_to_lower_court", {"case_number": case.key, "lower_court": lower_court,
                                                "reason": reason, "missing": missing, "at": at},
          case.key, case.court_code)
    return record


async def submit_manifest(mongo: Mongo, case_number: str, cmd: cmds.SubmitManifest, actor: Actor, *,
                          access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """报送清单 (第三条(一)), automatic linking by case number and, when the original e-dossier is not
    attached, the return to the lower court (第三条(二)). ``link_original`` on the case."""
    await allowed_case(mongo, case_number, access, LINK_ORIGINAL)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        doc, case = await _load_case(repo, case_number)
        ensure_e_dossier_writable(case, DossierWrite.RECEIVE_MANIFEST)
        now = now_utc()
        manifest_id = cmd.manifest_id or f"M-{uuid.uuid4().hex[:12]}"
        if await repo.submission_doc(manifest_id) is not None:
            raise AlreadyDone("manifest_id", f"报送清单{manifest_id}已接收，不能重复提交")
        try:
            originals = tuple(OriginalSubmission.model_validate(o.model_dump()) for o in cmd.originals)
        except ValidationError as error:
            raise invalid_from(error, "originals") from None
        try:
            manifest = SubmissionManifest(manifest_id=manifest_id, case_number=case.case_number,
                                          submitting_court=cmd.submitting_court, submitted_at=cmd.submitted_at or now,
                                          submitted_by=cmd.submitted_by or actor.subject, originals=originals)
        except ValidationError as error:
            raise invalid_from(error) from None
        validate_manifest(manifest, case)
        await repo.add_submission(manifest, received_at=now, received_by=actor.subject)
        for record in _manifest_records(manifest):
            await repo.remember_record(record.key, record.kind, record.ref, record.source or "manifest", now)
        links = await repo.links(case)
        found = await repo.known_records(list(dict.fromkeys([*case.original_keys(),
                                                              *(o.key for o in manifest.originals)])))
        result = await _apply_auto_link(uow, repo, case, links, found, now, manifest)
        decision = decide_return(case, result.links, manifest)
        returned = None
        if decision.return_to_lower_court:
            returned = await _return_case(uow, repo, case, decision.lower_court or manifest.submitting_court,
                                          decision.reason_zh, decision.missing_zh(), now, actor.subject)
        elif doc.get("status") == "returned_to_lower_court":
            await repo.update_case(case.key, {"status": "open", "returned": None})
            _links_in_force_again(uow, case, result.links, result.added)
        report = missing_items(case, result.links, manifest)
        return {"manifest_id": manifest_id, "case_number": case.key,
                "auto_link": {"added": [r.model_dump(mode="json") for r in result.added],
                              "unmatched": [r.model_dump(mode="json") for r in result.unmatched],
                              "kept_unlinked": [r.model_dump(mode="json") for r in result.kept_unlinked],
                              "refused": [r.model_dump(mode="json") for r in result.refused]},
                "missing": report.model_dump(mode="json"), "decision": decision.model_dump(mode="json"),
                "returned": returned}

    return await transact(mongo, work, on_commit=on_commit)


async def original_trial_report(mongo: Mongo, case_number: str, access: CaseAccess) -> dict[str, Any]:
    """What of the originals is linked and what is missing (第三条(一)(二)), with the return decision."""
    repo = IntakeRepository(mongo.db)
    doc = await allowed_case(mongo, case_number, access, READ_CASE)
    case = case_from_doc(doc)
    ensure_not_secret(case, "查询原审电子卷宗关联")
    links = await repo.links(case)
    manifest = await repo.latest_manifest(case.key)
    report = missing_items(case, links, manifest)
    decision = decide_return(case, links, manifest)
    return {"case_number": case.key, "required": report.required, "complete": report.complete,
            "originals": report.model_dump(mode="json")["originals"],
            "missing": [m.model_dump(mode="json") for m in report.missing],
            "links": [link.model_dump(mode="json") for link in links.links],
            "history": [h.model_dump(mode="json") for h in links.history],
            "manifest": manifest.model_dump(mode="json") if manifest else None,
            "decision": decision.model_dump(mode="json"), "status": doc.get("status"),
            "returned": doc.get("returned")}


async def link_original(mongo: Mongo, case_number: str, cmd: cmds.LinkOriginal, actor: Actor, *,
                        access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """手动关联 (第三条(二)): ``link_original`` on the case; the original must be one this case can have and the
    reference a record this system knows of it (catalogued, archived, or listed in a 报送清单). Who and why are
    kept in the link history, and ``case.original.linked`` carries them to access-control's audit."""
    await allowed_case(mongo, case_number, access, LINK_ORIGINAL)
    original_key = case_number_key(cmd.original_case_number)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        _, case = await _load_case(repo, case_number)
        ensure_e_dossier_writable(case, DossierWrite.LINK_ORIGINAL)
        manifest = await repo.latest_manifest(case.key)
        links, record = link_manually(case, await repo.links(case), cmd.original_case_number, cmd.kind, cmd.ref,
                                      by=actor.subject, reason=cmd.reason, at=now_utc(), manifest=manifest,
                                      known=await repo.known_records([original_key]))
        await repo.save_links(links)
        _emit(uow, "case.original.linked", {**_link_payload(record), "manual": True, "by": record.by,
                                            "reason": record.reason}, case.key, case.court_code)
        return record.model_dump(mode="json")

    return await transact(mongo, work, on_commit=on_commit)


async def unlink_original(mongo: Mongo, case_number: str, cmd: cmds.LinkOriginal, actor: Actor, *,
                          access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """解除关联: ``link_original`` on the case; ``case.original.unlinked`` closes the team's access to it."""
    await allowed_case(mongo, case_number, access, LINK_ORIGINAL)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        _, case = await _load_case(repo, case_number)
        ensure_not_secret(case, DossierWrite.UNLINK_ORIGINAL)
        links, record = unlink(case, await repo.links(case), cmd.original_case_number, cmd.kind, cmd.ref,
                               by=actor.subject, reason=cmd.reason, at=now_utc())
        await repo.save_links(links)
        _emit(uow, "case.original.unlinked", {**_link_payload(record), "by": record.by, "reason": record.reason},
              case.key, case.court_code)
        return record.model_dump(mode="json")

    return await transact(mongo, work, on_commit=on_commit)


async def return_to_lower_court(mongo: Mongo, case_number: str, cmd: cmds.ReturnToLowerCourt, actor: Actor, *,
                                access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """退回原审法院 (第三条(二)): only when the original e-dossier (or a retrial's e-archive) is missing.
    ``link_original`` on the case; ``case.returned_to_lower_court`` closes what its links opened."""
    await allowed_case(mongo, case_number, access, LINK_ORIGINAL)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        doc, case = await _load_case(repo, case_number)
        ensure_not_secret(case, "退回原审法院")
        if doc.get("status") == "returned_to_lower_court":
            raise AlreadyDone("status", f"案件{case.key}已退回原审法院，待下级法院补充报送")
        links = await repo.links(case)
        decision = decide_return(case, links, await repo.latest_manifest(case.key))
        if not decision.return_to_lower_court:
            raise AlreadyDone("case_number", f"不予退回：{decision.reason_zh}", article=decision.article)
        lower = cmd.lower_court or decision.lower_court
        if not lower:
            raise InvalidInput([("lower_court", "无法从报送清单或原审案号确定原审法院，请填写 lower_court")])
        reason = decision.reason_zh + (f"；{cmd.reason.strip()}" if cmd.reason and cmd.reason.strip() else "")
        return await _return_case(uow, repo, case, lower, reason, decision.missing_zh(), now_utc(), actor.subject)

    return await transact(mongo, work, on_commit=on_commit)


# -- scan tasks ------------------------------------------------------------------------------------
def _task_payload(task: ScanTask, event: ScanTaskTransitioned, check: MaterialCheck | None = None) -> dict[str, Any]:
    deadline = event.deadline
    return {"task_id": task.task_id, "case_number": event.case_number, "state": event.to_state.value,
            "at": event.at, "actor": event.actor, "reason": event.reason, "department": event.department,
            "court": event.court_code, "from_state": event.from_state.value if event.from_state else None,
            "sequence": event.sequence,
            "deadline_clock": deadline.clock if deadline else None,
            "deadline_amount": deadline.amount if deadline else None,
            "deadline_unit": deadline.unit.value if deadline else None,
            "deadline_article": deadline.article if deadline else None,
            "deadline_stops_on": list(deadline.stops_on) if deadline else [],
            "expected_pages": task.expected_pages,
            "counted_pages": check.actual_pages if check is not None else None,
            "mismatches": [m.reason_zh for m in (check.mismatches if check is not None else event.mismatches)]}


async def _moved(uow: UnitOfWork, repo: IntakeRepository, task: ScanTask, event: ScanTaskTransitioned,
                 check: MaterialCheck | None = None) -> None:
    _emit(uow, event.event_type, _task_payload(task, event, check), event.case_number, event.court_code)
    await repo.clear_overdue_clocks(event.case_number, task.task_id)


async def create_task(mongo: Mongo, case_number: str, cmd: cmds.CreateScanTask, actor: Actor, *,
                      access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """扫描任务 with its 材料清单 (第三条(三)2, 第五条(二)); refused for 涉密 (第十条) and out-of-scope (第十四条).
    ``update_case`` on the case."""
    await allowed_case(mongo, case_number, access, UPDATE_CASE)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        _, case = await _load_case(repo, case_number)
        ensure_e_dossier_writable(case, DossierWrite.CREATE_SCAN_TASK)
        department = cmd.department or case.department or actor.department
        if not department:
            raise InvalidInput([("department", "缺少承办部门 (department)")])
        task_id = cmd.task_id or f"ST-{uuid.uuid4().hex[:12]}"
        if await repo.task_doc(task_id) is not None:
            raise AlreadyDone("task_id", f"扫描任务{task_id}已存在")
        task, event = create_scan_task(case, task_id, department, cmd.materials, at=now_utc(), actor=actor.subject)
        doc = await repo.add_task(task, case.court_code)
        await _moved(uow, repo, task, event)
        return doc

    return await transact(mongo, work, on_commit=on_commit)


async def _load_task(repo: IntakeRepository, task_id: str) -> tuple[dict[str, Any], ScanTask]:
    doc = await repo.task_doc(task_id)
    if doc is None:
        raise task_not_found(task_id)
    return doc, task_from_doc(doc)


async def _task_and_case(mongo: Mongo, task_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    repo = IntakeRepository(mongo.db)
    doc, task = await _load_task(repo, task_id)
    case_doc = await repo.case_doc(task.case_number.canonical)
    if case_doc is None:  # a task always belongs to a registered case
        raise task_not_found(task_id)
    return doc, case_doc


async def move_task(mongo: Mongo, task_id: str, cmd: cmds.TransitionScanTask, actor: Actor, *,
                    access: CaseAccess, on_commit: OnCommit = None) -> dict[str, Any]:
    """One step of 已创建 → 已入柜 → 已取件 → 核对 → 扫描中 → 已扫描 → 已编目 (第五条(二)(三)).

    With ``reported`` counts the check decides between 核对一致 and 核对不一致 (returned with the reason).
    A station of the case's court moves its tasks; anyone else needs ``update_case`` on the case.
    """
    _, case_doc = await _task_and_case(mongo, task_id)
    await access.require_task_move(case_doc)

    async def work(uow: UnitOfWork) -> dict[str, Any]:
        repo = IntakeRepository(uow.db, uow.session)
        _, task = await _load_task(repo, task_id)
        _, case = await _load_case(repo, task.case_number.canonical)
        ensure_not_secret(case, DossierWrite.CHANGE_SCAN_TASK)
        ensure_can_move(task, cmd.to)
        at = max(cmd.at or now_utc(), task.updated_at)
        check = None
        if cmd.to in (ScanTaskState.CHECK_PASSED, ScanTaskState.CHECK_FAILED) and cmd.reported is not None:
            moved, event, check = record_check(task, cmd.reported, at, actor.subject, case=case)
            if cmd.to is ScanTaskState.CHECK_FAILED and check.consistent:
                moved, event = transition(task, cmd.to, at, actor.subject, cmd.reason, case=case)
                check = None
        elif cmd.to is ScanTaskState.CHECK_PASSED:
            raise InvalidInput([("reported", "核对一致须报告各项材料实收页数 (reported pages per item)")],
                               article=articles.ART5_3)
        elif cmd.to is ScanTaskState.IN_CABINET and task.state is ScanTaskState.CHECK_FAILED:
            moved, event = resubmit(task, at, actor.subject, cmd.materials, reason=cmd.reason, case=case)
        else:
            moved, event = transition(task, cmd.to, at, actor.subject, cmd.reason, case=case)
        await repo.save_task(moved)
        await _moved(uow, repo, moved, event, check)
        return await repo.task_doc(task_id)

    return await transact(mongo, work, on_commit=on_commit)


async def get_task(mongo: Mongo, task_id: str, access: CaseAccess) -> dict[str, Any]:
    """A scan task is a record of its case: a station of the case's court (which scans it), or whoever may read
    the case record. A task of a 涉密 case the caller may not know of → 404 as an unknown task."""
    doc, case_doc = await _task_and_case(mongo, task_id)
    await access.require_tasks(case_doc, task_id=task_id)
    return doc


async def tasks_of_case(mongo: Mongo, case_number: str, access: CaseAccess) -> list[dict[str, Any]]:
    repo = IntakeRepository(mongo.db)
    doc, case = await _load_case(repo, case_number)
    await access.require_tasks(doc)
    ensure_not_secret(case, "查询扫描任务")
    return await repo.tasks_of_case(case.key)


async def list_tasks(mongo: Mongo, access: CaseAccess, *, court: str | None, state: ScanTaskState | None,
                     case_number: str | None, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    """Scan tasks matching the filters that the caller may see: a station those of its own court, anyone else
    those of cases they may read."""
    query: dict[str, Any] = {}
    if court:
        query["court"] = court
    if state:
        query["state"] = state.value
    if case_number:
        query["case_number"] = canonical(case_number)
    repo = IntakeRepository(mongo.db)

    async def judge(tasks: Sequence[dict[str, Any]]) -> list[bool]:
        cases = {d["_id"]: d for d in await repo.case_docs(sorted({t["case_number"] for t in tasks}))}
        if access.is_station:
            return [t["case_number"] in cases and access.station_may_see_tasks(cases[t["case_number"]])
                    for t in tasks]
        readable = dict(zip(cases, await access.readable(list(cases.values())), strict=True))
        return [readable.get(t["case_number"], False) for t in tasks]

    return await _readable_page(repo.iter_tasks(query), judge, page=page, size=size)


# -- staged materials ------------------------------------------------------------------------------
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


async def completeness(mongo: Mongo, case_number: str, access: CaseAccess) -> CaseCompleteness:
    """Per stage, which expected materials are in the e-dossier (长中法〔2018〕129号 第六条, 第七条)."""
    await allowed_case(mongo, case_number, access, READ_CASE)
    return await _completeness(mongo, case_number)


async def _completeness(mongo: Mongo, case_number: str) -> CaseCompleteness:
    repo = IntakeRepository(mongo.db)
    doc, case = await _load_case(repo, case_number)
    facts = MaterialFacts.model_validate(doc.get("material_facts") or {})
    return case_completeness(case, _received(doc, await repo.tasks_of_case(case.key)), facts)


async def declare_material(mongo: Mongo, case_number: str, cmd: cmds.DeclareMaterial, actor: Actor, *,
                           access: CaseAccess, on_commit: OnCommit = None) -> CaseCompleteness:
    await allowed_case(mongo, case_number, access, UPDATE_CASE)

    async def work(uow: UnitOfWork) -> None:
        repo = IntakeRepository(uow.db, uow.session)
        _, case = await _load_case(repo, case_number)
        ensure_e_dossier_writable(case, DossierWrite.CREATE_DOSSIER)
        item = ReceivedMaterial(material_id=cmd.material_id, stage=cmd.stage, pages=cmd.pages, source=cmd.source,
                                ref=cmd.ref)
        await repo.update_case(case.key, {}, push={"received_materials": item.model_dump(mode="json")})

    await transact(mongo, work, on_commit=on_commit)
    return await _completeness(mongo, case_number)


async def set_material_facts(mongo: Mongo, case_number: str, facts: MaterialFacts, actor: Actor, *,
                             access: CaseAccess, on_commit: OnCommit = None) -> CaseCompleteness:
    await allowed_case(mongo, case_number, access, UPDATE_CASE)

    async def work(uow: UnitOfWork) -> None:
        repo = IntakeRepository(uow.db, uow.session)
        doc, case = await _load_case(repo, case_number)
        ensure_e_dossier_writable(case, DossierWrite.CREATE_DOSSIER)
        merged = {**(doc.get("material_facts") or {}), **facts.model_dump(exclude_unset=True)}
        await repo.update_case(case.key, {"material_facts": merged})

    await transact(mongo, work, on_commit=on_commit)
    return await _completeness(mongo, case_number)
