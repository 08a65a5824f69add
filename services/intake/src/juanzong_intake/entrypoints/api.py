"""REST API of intake (prefix /v1): thin handlers — check the caller's role, call the service layer, shape.

The role check is only the first door; every read or change of a case is then decided by access-control on
that case (``read_case``, ``update_case``, ``close_case``, ``link_original``: see ``service_layer.access``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from juanzong_shared.auth import CurrentIdentity, Identity
from juanzong_shared.deps import from_state
from juanzong_shared.pagination import Limit, Offset, Page
from juanzong_shared.problems import PROBLEM_RESPONSES, Problem

from juanzong_intake.domain.permissions import Operation, ensure_permitted
from juanzong_intake.domain.scan_task import ScanTaskState
from juanzong_intake.domain.staged_materials import CaseCompleteness
from juanzong_intake.domain.stages import CaseStage
from juanzong_intake.entrypoints.schemas import (
    CaseOut,
    LinkRecordOut,
    ManifestResult,
    OriginalTrialReport,
    ReturnOut,
    ScanTaskOut,
)
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.access import AllowAll, CaseAccess
from juanzong_intake.service_layer.cases import Cases
from juanzong_intake.service_layer.common import Actor
from juanzong_intake.service_layer.originals import OriginalTrial
from juanzong_intake.service_layer.scan_tasks import ScanTasks

router = APIRouter(prefix="/v1", tags=["intake"])

CaseNumberPath = Annotated[str, Path(description="案号, percent-encoded", examples=["（2025）吉01民终123号"])]


def _responses(*codes: int) -> dict:
    return {c: PROBLEM_RESPONSES[c] for c in codes}


def _actor(identity: Identity, operation: Operation) -> Actor:
    ensure_permitted(identity.roles, identity.kind, operation, identity.scopes)
    return Actor(subject=identity.subject, department=identity.department)


def get_access(request: Request, identity: CurrentIdentity) -> CaseAccess:
    """The caller and access-control's decider (made in the lifespan) for per-case questions."""
    decider = getattr(request.app.state, "decider", None)
    if decider is None:
        if request.app.state.settings.auth_required:
            raise Problem(503, "access-control-unconfigured", "权限服务未配置", "set JZ_ACCESS_CONTROL_URL")
        decider = AllowAll()
    return CaseAccess(decider, identity)


AccessDep = Annotated[CaseAccess, Depends(get_access)]


CasesDep = Annotated[Cases, Depends(from_state("cases"))]
OriginalsDep = Annotated[OriginalTrial, Depends(from_state("originals"))]
ScanTasksDep = Annotated[ScanTasks, Depends(from_state("scan_tasks"))]


def _task_out(doc: dict, access: CaseAccess) -> ScanTaskOut:
    return ScanTaskOut.for_station(doc) if access.is_station else ScanTaskOut.from_doc(doc)


# -- cases -----------------------------------------------------------------------------------------
@router.post("/cases", response_model=CaseOut, status_code=201, summary="Register a case (立案登记)",
             responses={200: {"description": "Already registered: the stored case", "model": CaseOut},
                        **_responses(403, 409, 422)})
async def register_case(body: cmds.RegisterCase, response: Response, cases: CasesDep, identity: CurrentIdentity,
                        access: AccessDep) -> CaseOut:
    """Parses the case number (errors name the bad part, e.g. ``case_number.type_code``); a 涉密 case keeps only
    its minimal record (吉高法〔2020〕11号 第十条); scope per 第十四条; every 原审案号 must be an earlier instance of a
    lower court (第三条(二)). The same case number again → 200 with the stored case for a caller who may read it,
    409 for anyone else."""
    doc, created = await cases.register(body, _actor(identity, Operation.REGISTER))
    if not created:
        await cases.ensure_repeat_may_see(doc, access)
    response.status_code = 201 if created else 200
    return CaseOut.from_doc(doc)


@router.get("/cases", response_model=Page[CaseOut], summary="List cases (filter by court, stage, state, overdue)")
async def list_cases(cases: CasesDep, access: AccessDep, court: str | None = None, stage: CaseStage | None = None,
                     state: Annotated[str | None, Query(description="open | returned_to_lower_court | closed | archived")] = None,
                     overdue: bool | None = None, limit: Limit = 50, offset: Offset = 0) -> Page[CaseOut]:
    """Only cases the caller may read (``read_case`` per case, 吉高法〔2020〕11号 第九条); ``total`` counts those."""
    docs, total = await cases.find(access, court=court, stage=stage, state=state, overdue=overdue, limit=limit,
                                   offset=offset)
    return Page.of([CaseOut.from_doc(d) for d in docs], limit=limit, offset=offset, total=total)


@router.get("/cases/{case_number}", response_model=CaseOut, summary="One case",
            responses=_responses(403, 404))
async def get_case(case_number: CaseNumberPath, cases: CasesDep, access: AccessDep) -> CaseOut:
    """``read_case`` on the case; a 涉密 case the caller may not read answers 404 like an unknown one (第十条)."""
    return CaseOut.from_doc(await cases.get(case_number, access))


@router.post("/cases/{case_number}/stage", response_model=CaseOut, summary="Move the case to a later stage",
             responses=_responses(403, 404, 422))
async def change_stage(case_number: CaseNumberPath, body: cmds.ChangeStage, cases: CasesDep,
                       identity: CurrentIdentity, access: AccessDep) -> CaseOut:
    actor = _actor(identity, Operation.UPDATE_CASE)
    return CaseOut.from_doc(await cases.change_stage(case_number, body, actor, access=access))


@router.post("/cases/{case_number}/close", response_model=CaseOut, summary="Close the case (结案)",
             responses=_responses(403, 404, 409))
async def close_case(case_number: CaseNumberPath, body: cmds.CloseCase, cases: CasesDep, identity: CurrentIdentity,
                     access: AccessDep) -> CaseOut:
    """``close_case``: the case's 承办法官 or 审判长, or 立案庭 of its court."""
    actor = _actor(identity, Operation.UPDATE_CASE)
    return CaseOut.from_doc(await cases.close(case_number, body, actor, access=access))


@router.post("/cases/{case_number}/hearings", response_model=CaseOut, summary="Record a hearing (scheduled / held)",
             responses=_responses(403, 404, 422))
async def record_hearing(case_number: CaseNumberPath, body: cmds.RecordHearing, cases: CasesDep,
                         identity: CurrentIdentity, access: AccessDep) -> CaseOut:
    actor = _actor(identity, Operation.UPDATE_CASE)
    return CaseOut.from_doc(await cases.record_hearing(case_number, body, actor, access=access))


@router.post("/cases/{case_number}/deliberations", response_model=CaseOut, status_code=201,
             summary="Record a submission to the 法官会议 / 审判委员会 (吉高法〔2020〕11号 第九条第2项)",
             responses=_responses(403, 404, 409, 422))
async def submit_for_deliberation(case_number: CaseNumberPath, body: cmds.SubmitForDeliberation, cases: CasesDep,
                                  identity: CurrentIdentity, access: AccessDep) -> CaseOut:
    actor = _actor(identity, Operation.UPDATE_CASE)
    return CaseOut.from_doc(await cases.submit_for_deliberation(case_number, body, actor, access=access))


# -- original-trial records ------------------------------------------------------------------------
@router.post("/cases/{case_number}/submissions", response_model=ManifestResult, status_code=201,
             summary="Lower-court submission manifest (报送清单); auto-link; return when the e-dossier is missing",
             responses=_responses(403, 404, 409, 422))
async def submit_manifest(case_number: CaseNumberPath, body: cmds.SubmitManifest, originals: OriginalsDep,
                          identity: CurrentIdentity, access: AccessDep) -> ManifestResult:
    """吉高法〔2020〕11号 第三条(一)(二). When the original e-dossier is not attached the case is returned to the
    lower court at once and ``case.returned_to_lower_court`` is emitted. Every original must be an earlier
    instance of a lower court (the same rule as at registration)."""
    actor = _actor(identity, Operation.ORIGINALS)
    return ManifestResult.model_validate(await originals.submit_manifest(case_number, body, actor, access=access))


@router.get("/cases/{case_number}/original-trial", response_model=OriginalTrialReport,
            summary="Original-trial links and what is missing (第三条(一)(二))", responses=_responses(403, 404))
async def original_trial(case_number: CaseNumberPath, originals: OriginalsDep,
                         access: AccessDep) -> OriginalTrialReport:
    return OriginalTrialReport.model_validate(await originals.report(case_number, access))


@router.post("/cases/{case_number}/original-links", response_model=LinkRecordOut, status_code=201,
             summary="Link an original e-dossier / e-archive by hand (手动关联)", responses=_responses(403, 404, 422))
async def link_original(case_number: CaseNumberPath, body: cmds.LinkOriginal, originals: OriginalsDep,
                        identity: CurrentIdentity, access: AccessDep) -> LinkRecordOut:
    """``link_original`` (the case's judges, 立案庭 of its court). ``ref`` must be a record this system knows of
    that original — catalogued or archived here, or listed in a 报送清单 — not a free text (第三条(二))."""
    actor = _actor(identity, Operation.LINK_ORIGINAL)
    return LinkRecordOut.model_validate(await originals.link(case_number, body, actor, access=access))


@router.post("/cases/{case_number}/original-links/unlink", response_model=LinkRecordOut,
             summary="Remove a wrong original-trial link (who and why are kept)", responses=_responses(403, 404, 422))
async def unlink_original(case_number: CaseNumberPath, body: cmds.LinkOriginal, originals: OriginalsDep,
                          identity: CurrentIdentity, access: AccessDep) -> LinkRecordOut:
    actor = _actor(identity, Operation.LINK_ORIGINAL)
    return LinkRecordOut.model_validate(await originals.unlink(case_number, body, actor, access=access))


@router.post("/cases/{case_number}/return-to-lower-court", response_model=ReturnOut,
             summary="Return the case to the lower court (退回原审法院, 第三条(二))",
             responses=_responses(403, 404, 409, 422))
async def return_to_lower_court(case_number: CaseNumberPath, body: cmds.ReturnToLowerCourt, originals: OriginalsDep,
                                identity: CurrentIdentity, access: AccessDep) -> ReturnOut:
    actor = _actor(identity, Operation.ORIGINALS)
    return ReturnOut.model_validate(await originals.return_to_lower_court(case_number, body, actor, access=access))


# -- scan tasks ------------------------------------------------------------------------------------
@router.post("/cases/{case_number}/scan-tasks", response_model=ScanTaskOut, status_code=201,
             summary="Create a scan task with its material list (材料清单)", responses=_responses(403, 404, 409, 422))
async def create_scan_task(case_number: CaseNumberPath, body: cmds.CreateScanTask, tasks: ScanTasksDep,
                           identity: CurrentIdentity, access: AccessDep) -> ScanTaskOut:
    """吉高法〔2020〕11号 第三条(三)2, 第五条(二). Refused for 涉密 cases (403, 第十条) and cases outside the
    paperless flow (409, 第十四条); ``update_case`` on the case."""
    actor = _actor(identity, Operation.CREATE_SCAN_TASK)
    return ScanTaskOut.from_doc(await tasks.create(case_number, body, actor, access=access))


@router.get("/cases/{case_number}/scan-tasks", response_model=list[ScanTaskOut], summary="The case's scan tasks",
            responses=_responses(403, 404))
async def case_scan_tasks(case_number: CaseNumberPath, tasks: ScanTasksDep, access: AccessDep) -> list[ScanTaskOut]:
    return [_task_out(d, access) for d in await tasks.of_case(case_number, access)]


@router.get("/scan-tasks", response_model=Page[ScanTaskOut], summary="List scan tasks (filter by court, state, case)")
async def list_scan_tasks(tasks: ScanTasksDep, access: AccessDep, court: str | None = None,
                          state: ScanTaskState | None = None, case_number: str | None = None,
                          limit: Limit = 50, offset: Offset = 0) -> Page[ScanTaskOut]:
    """A station sees its own court's tasks; anyone else the tasks of cases they may read."""
    docs, total = await tasks.find(access, court=court, state=state, case_number=case_number, limit=limit,
                                   offset=offset)
    return Page.of([_task_out(d, access) for d in docs], limit=limit, offset=offset, total=total)


@router.get("/scan-tasks/{task_id}", response_model=ScanTaskOut, summary="One scan task",
            responses=_responses(403, 404))
async def get_scan_task(task_id: str, tasks: ScanTasksDep, access: AccessDep) -> ScanTaskOut:
    """A station of the case's court (it scans the task), or whoever may read the case record."""
    return _task_out(await tasks.get(task_id, access), access)


@router.post("/scan-tasks/{task_id}/transitions", response_model=ScanTaskOut,
             summary="Move a scan task (入柜, 取件, 核对, 扫描 …)", responses=_responses(403, 404, 409, 422))
async def move_scan_task(task_id: str, body: cmds.TransitionScanTask, tasks: ScanTasksDep,
                         identity: CurrentIdentity, access: AccessDep) -> ScanTaskOut:
    """An illegal transition → 409 problem with ``allowed``. With ``reported`` page counts the check decides:
    a mismatch returns the task (核对不一致) with the reason (吉高法〔2020〕11号 第五条(三)). A station of the
    case's court, or ``update_case`` on the case."""
    actor = _actor(identity, Operation.MOVE_SCAN_TASK)
    return _task_out(await tasks.move(task_id, body, actor, access=access), access)


# -- staged materials ------------------------------------------------------------------------------
@router.get("/cases/{case_number}/completeness", response_model=CaseCompleteness,
            summary="Staged-material completeness per stage (长中法〔2018〕129号 第六条, 第七条)",
            responses=_responses(403, 404))
async def completeness(case_number: CaseNumberPath, cases: CasesDep, access: AccessDep) -> CaseCompleteness:
    return await cases.completeness(case_number, access)


@router.post("/cases/{case_number}/materials", response_model=CaseCompleteness,
             summary="Declare a material already in the e-dossier (online filing, system-generated)",
             responses=_responses(403, 404, 409, 422))
async def declare_material(case_number: CaseNumberPath, body: cmds.DeclareMaterial, cases: CasesDep,
                           identity: CurrentIdentity, access: AccessDep) -> CaseCompleteness:
    actor = _actor(identity, Operation.UPDATE_CASE)
    return await cases.declare_material(case_number, body, actor, access=access)


@router.patch("/cases/{case_number}/material-facts", response_model=CaseCompleteness,
              summary="Facts deciding conditional materials (答辩状 filed, third party …)",
              responses=_responses(403, 404, 409, 422))
async def set_material_facts(case_number: CaseNumberPath, body: cmds.SetMaterialFacts, cases: CasesDep,
                             identity: CurrentIdentity, access: AccessDep) -> CaseCompleteness:
    actor = _actor(identity, Operation.UPDATE_CASE)
    return await cases.set_material_facts(case_number, body, actor, access=access)
