"""Scan tasks (扫描任务) through the cloud cabinet (云柜): material list, check, scanning, cataloguing.

吉高法〔2020〕11号 第三条(三)2: departments create a scan task in the case-management system and put the
paper materials into the cloud cabinet; the 智能办案辅助中心 takes them out, scans and catalogues them.
第五条(二)(三): the material list (材料清单) goes in within 2 working days; pick-up and the list check
within 24 hours; a mismatch is returned with its reason and re-submitted within 1 working day;
cataloguing within 24 hours of scanning.

States::

    created ─▶ in_cabinet ─▶ picked_up ─▶ check_passed ─▶ scanning ─▶ scanned ─▶ catalogued
                    ▲                 └─▶ check_failed ─┐
                    └───────────── (re-submitted) ──────┘
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Case, DossierWrite, ensure_e_dossier_writable, ensure_not_secret
from juanzong_intake.domain.case_number import CaseNumber
from juanzong_intake.domain.deadlines import DeadlineRule, DeadlineUnit
from juanzong_intake.domain.errors import IllegalTransition, ScanTaskError, WrongStage
from juanzong_intake.domain.stages import MaterialStage

MAX_PAGES_PER_ITEM: Final = 10_000  # house setting: guards against typos in the list


class ScanTaskState(StrEnum):
    CREATED = "created"  # 已创建
    IN_CABINET = "in_cabinet"  # 已入柜
    PICKED_UP = "picked_up"  # 已取件
    CHECK_PASSED = "check_passed"  # 核对一致
    CHECK_FAILED = "check_failed"  # 核对不一致（已退回）
    SCANNING = "scanning"  # 扫描中
    SCANNED = "scanned"  # 已扫描
    CATALOGUED = "catalogued"  # 已编目

    @property
    def zh(self) -> str:
        return STATE_ZH[self]


STATE_ZH: Final[dict[ScanTaskState, str]] = {
    ScanTaskState.CREATED: "已创建",
    ScanTaskState.IN_CABINET: "已入柜",
    ScanTaskState.PICKED_UP: "已取件",
    ScanTaskState.CHECK_PASSED: "核对一致",
    ScanTaskState.CHECK_FAILED: "核对不一致",
    ScanTaskState.SCANNING: "扫描中",
    ScanTaskState.SCANNED: "已扫描",
    ScanTaskState.CATALOGUED: "已编目",
}

S = ScanTaskState
ALLOWED_TRANSITIONS: Final[Mapping[ScanTaskState, frozenset[ScanTaskState]]] = {
    S.CREATED: frozenset({S.IN_CABINET}),
    S.IN_CABINET: frozenset({S.PICKED_UP}),
    S.PICKED_UP: frozenset({S.CHECK_PASSED, S.CHECK_FAILED}),
    S.CHECK_FAILED: frozenset({S.IN_CABINET}),  # 补充完善后再次送交上柜
    S.CHECK_PASSED: frozenset({S.SCANNING}),
    S.SCANNING: frozenset({S.SCANNED}),
    S.SCANNED: frozenset({S.CATALOGUED}),
    S.CATALOGUED: frozenset(),
}
_ORDER = list(ScanTaskState)

# The clock each state starts (第五条(二)(三)); the notifier counts it on the working-day calendar.
DEADLINES: Final[Mapping[ScanTaskState, DeadlineRule]] = {
    S.CREATED: DeadlineRule(
        clock="scan_task.put_in_cabinet", amount=2, unit=DeadlineUnit.WORKING_DAYS, article=articles.ART5_2,
        description_zh="材料清单生成后2个工作日内送至云柜", stops_on=(S.IN_CABINET.value,)),
    S.IN_CABINET: DeadlineRule(
        clock="scan_task.pick_up_and_check", amount=24, unit=DeadlineUnit.HOURS, article=articles.ART5_3,
        description_zh="入柜后24小时内取出并核对材料清单",
        stops_on=(S.CHECK_PASSED.value, S.CHECK_FAILED.value)),
    S.CHECK_FAILED: DeadlineRule(
        clock="scan_task.resubmit", amount=1, unit=DeadlineUnit.WORKING_DAYS, article=articles.ART5_3,
        description_zh="核对不一致退回后，法官1个工作日内补充完善并再次送交上柜", stops_on=(S.IN_CABINET.value,)),
    S.SCANNED: DeadlineRule(
        clock="scan_task.catalogue", amount=24, unit=DeadlineUnit.HOURS, article=articles.ART5_3,
        description_zh="扫描完成后24小时内完成编目归目", stops_on=(S.CATALOGUED.value,)),
}


class MaterialItem(BaseModel):
    """One line of the 材料清单."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str = Field(..., min_length=1)
    name: str = Field(..., min_length=1, max_length=200)
    expected_pages: int = Field(..., gt=0, le=MAX_PAGES_PER_ITEM)
    stage: MaterialStage
    material_id: str | None = None  # the staged-material catalogue id, when known (e.g. "defence_statement")


class MismatchKind(StrEnum):
    MISSING = "missing"  # 清单有、材料无
    PAGE_COUNT = "page_count"  # 页数不符
    UNLISTED = "unlisted"  # 材料有、清单无


class MaterialMismatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MismatchKind
    item_id: str
    name: str | None = None
    expected_pages: int | None = None
    actual_pages: int | None = None
    reason_zh: str


class MaterialCheck(BaseModel):
    """The result of comparing the 材料清单 with what was counted (吉高法〔2020〕11号 第五条(三))."""

    model_config = ConfigDict(frozen=True)

    mismatches: tuple[MaterialMismatch, ...] = ()
    expected_pages: int
    actual_pages: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def consistent(self) -> bool:
        return not self.mismatches

    @property
    def reason_zh(self) -> str:
        """The return reason staff read: every mismatch, separated by semicolons."""
        if self.consistent:
            return "材料清单与材料内容一致"
        return "材料清单与材料内容不一致：" + "；".join(m.reason_zh for m in self.mismatches)


def check_materials(materials: Sequence[MaterialItem], reported: Mapping[str, int]) -> MaterialCheck:
    """Compare the list with per-item page counts (from the cabinet check or from scan-ocr).

    吉高法〔2020〕11号 第五条(三): 核对材料清单与材料内容是否一致，不一致的应注明原因. Each missing item,
    page-count difference and unlisted item becomes a mismatch with its own reason.
    """
    mismatches: list[MaterialMismatch] = []
    listed = {item.item_id for item in materials}
    for item_id, pages in reported.items():
        if pages < 0:
            raise ScanTaskError("reported", f"材料“{item_id}”的页数不能为负数")
    for item in materials:
        actual = reported.get(item.item_id, 0)
        if actual == 0:
            mismatches.append(MaterialMismatch(
                kind=MismatchKind.MISSING, item_id=item.item_id, name=item.name,
                expected_pages=item.expected_pages, actual_pages=0,
                reason_zh=f"缺少材料“{item.name}”（清单{item.expected_pages}页，实收0页）"))
        elif actual != item.expected_pages:
            mismatches.append(MaterialMismatch(
                kind=MismatchKind.PAGE_COUNT, item_id=item.item_id, name=item.name,
                expected_pages=item.expected_pages, actual_pages=actual,
                reason_zh=f"“{item.name}”页数不符（清单{item.expected_pages}页，实收{actual}页）"))
    for item_id, pages in reported.items():
        if item_id not in listed and pages > 0:
            mismatches.append(MaterialMismatch(
                kind=MismatchKind.UNLISTED, item_id=item_id, actual_pages=pages,
                reason_zh=f"清单外材料“{item_id}”（{pages}页）未列入材料清单"))
    return MaterialCheck(mismatches=tuple(mismatches), expected_pages=sum(i.expected_pages for i in materials),
                         actual_pages=sum(reported.values()))


def check_scanned_pages(task: ScanTask, scanned_pages: int) -> MaterialCheck:
    """Post-scan check: the pages scan-ocr counted against the 材料清单 total (吉高法〔2020〕11号 第五条(三)).

    scan-ocr reports pages per batch, not per list item, so only the total can be compared; a difference is
    recorded on the task with its reason for the 智能办案辅助中心 to resolve.
    """
    if scanned_pages < 0:
        raise ScanTaskError("pages_total", "扫描页数不能为负数")
    expected = task.expected_pages
    mismatches: tuple[MaterialMismatch, ...] = ()
    if scanned_pages != expected:
        mismatches = (MaterialMismatch(
            kind=MismatchKind.PAGE_COUNT, item_id="*", name="全部材料", expected_pages=expected,
            actual_pages=scanned_pages,
            reason_zh=f"扫描页数与材料清单不符（清单共{expected}页，实际扫描{scanned_pages}页）"),)
    return MaterialCheck(mismatches=mismatches, expected_pages=expected, actual_pages=scanned_pages)


class ScanTaskTransitioned(BaseModel):
    """Domain event: the task entered ``to_state``. ``event_type`` matches the integration event."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    case_number: str
    court_code: str
    department: str | None = None
    sequence: int = Field(..., ge=1)  # 1 for creation; with task_id, an idempotency key
    from_state: ScanTaskState | None = None
    to_state: ScanTaskState
    at: datetime
    actor: str
    reason: str | None = None
    deadline: DeadlineRule | None = None  # the clock this state starts, if any
    mismatches: tuple[MaterialMismatch, ...] = ()

    @computed_field  # type: ignore[prop-decorator]
    @property
    def event_type(self) -> str:
        return f"scan.task.{self.to_state.value}"


class ScanTask(BaseModel):
    """扫描任务. Change it only through :func:`transition`, :func:`record_check` and :func:`resubmit`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str = Field(..., min_length=1)
    case_number: CaseNumber
    department: str = Field(..., min_length=1)  # 审判业务部门
    materials: tuple[MaterialItem, ...] = Field(..., min_length=1)
    state: ScanTaskState = ScanTaskState.CREATED
    created_at: datetime
    created_by: str = Field(..., min_length=1)
    updated_at: datetime
    submissions: int = Field(0, ge=0)  # times put into the cabinet
    return_reason: str | None = None  # the last 核对不一致 reason
    last_check: MaterialCheck | None = None
    history: tuple[ScanTaskTransitioned, ...] = ()

    @field_validator("materials")
    @classmethod
    def _distinct_items(cls, value: tuple[MaterialItem, ...]) -> tuple[MaterialItem, ...]:
        ids = [item.item_id for item in value]
        if len(set(ids)) != len(ids):
            raise ValueError("材料清单中的条目编号重复 (duplicate item_id)")
        return value

    @property
    def allowed_next(self) -> frozenset[ScanTaskState]:
        return ALLOWED_TRANSITIONS[self.state]

    @property
    def expected_pages(self) -> int:
        return sum(item.expected_pages for item in self.materials)

    @property
    def stages(self) -> frozenset[MaterialStage]:
        return frozenset(item.stage for item in self.materials)


def create_scan_task(case: Case, task_id: str, department: str, materials: Sequence[MaterialItem], *,
                     at: datetime, actor: str) -> tuple[ScanTask, ScanTaskTransitioned]:
    """Create a task with its 材料清单 (吉高法〔2020〕11号 第三条(三)2, 第五条(二)).

    Refused for 涉密 cases (第十条) and cases outside the paperless flow (第十四条); refused when an item
    belongs to a stage the case has not reached yet.
    """
    ensure_e_dossier_writable(case, DossierWrite.CREATE_SCAN_TASK)
    _check_time(at, None)
    _check_actor(actor)
    if not materials:
        raise ScanTaskError("materials", "材料清单不能为空", article=articles.ART5_2)
    for i, item in enumerate(materials):
        if not case.stage.admits(item.stage):
            raise WrongStage(f"materials[{i}].stage",
                             f"材料“{item.name}”属于{item.stage.zh}阶段，案件尚处于{case.stage.zh}阶段")
    task = ScanTask(task_id=task_id, case_number=case.case_number, department=department,
                    materials=tuple(materials), created_at=at, created_by=actor, updated_at=at)
    event = _event(task, None, ScanTaskState.CREATED, at, actor, None)
    return task.model_copy(update={"history": (event,)}), event


def transition(task: ScanTask, to: ScanTaskState, at: datetime, actor: str, reason: str | None = None, *,
               case: Case | None = None) -> tuple[ScanTask, ScanTaskTransitioned]:
    """Move the task to ``to``; returns the new task and the event. Illegal moves raise IllegalTransition.

    吉高法〔2020〕11号 第五条(三): a 核对不一致 result must state its reason. Pass ``case`` so the secrecy
    guard (第十条) runs here too; the service layer always does.
    """
    if case is not None:
        ensure_not_secret(case, DossierWrite.CHANGE_SCAN_TASK)
    return _apply(task, to, at, actor, reason)


def record_check(task: ScanTask, reported: Mapping[str, int], at: datetime, actor: str, *,
                 case: Case | None = None) -> tuple[ScanTask, ScanTaskTransitioned, MaterialCheck]:
    """核对: compare the list with the counted pages and move to check_passed or check_failed (returned)."""
    if case is not None:
        ensure_not_secret(case, DossierWrite.CHANGE_SCAN_TASK)
    check = check_materials(task.materials, reported)
    to = ScanTaskState.CHECK_PASSED if check.consistent else ScanTaskState.CHECK_FAILED
    reason = None if check.consistent else check.reason_zh
    new_task, event = _apply(task, to, at, actor, reason, check=check)
    return new_task, event, check


def resubmit(task: ScanTask, at: datetime, actor: str, materials: Sequence[MaterialItem] | None = None, *,
             reason: str | None = None, case: Case | None = None) -> tuple[ScanTask, ScanTaskTransitioned]:
    """Put a returned task back into the cabinet, optionally with a corrected material list (第五条(三))."""
    if case is not None:
        ensure_not_secret(case, DossierWrite.CHANGE_SCAN_TASK)
    if task.state is not ScanTaskState.CHECK_FAILED:
        raise ScanTaskError("state", f"只有核对不一致（已退回）的扫描任务可以再次送交；当前为{task.state.zh}")
    if materials is not None:
        if not materials:
            raise ScanTaskError("materials", "材料清单不能为空", article=articles.ART5_2)
        if case is not None:
            for i, item in enumerate(materials):
                if not case.stage.admits(item.stage):
                    raise WrongStage(f"materials[{i}].stage",
                                     f"材料“{item.name}”属于{item.stage.zh}阶段，案件尚处于{case.stage.zh}阶段")
        task = ScanTask.model_validate({**task.model_dump(exclude={"materials"}), "materials": tuple(materials)})
    return _apply(task, ScanTaskState.IN_CABINET, at, actor, reason)


def ensure_can_move(task: ScanTask, to: ScanTaskState) -> None:
    """Raise :class:`IllegalTransition` naming the allowed states unless ``to`` may follow the current one."""
    to = ScanTaskState(to)
    if to not in task.allowed_next:
        raise _illegal(task.state, to)


def _apply(task: ScanTask, to: ScanTaskState, at: datetime, actor: str, reason: str | None, *,
           check: MaterialCheck | None = None) -> tuple[ScanTask, ScanTaskTransitioned]:
    to = ScanTaskState(to)
    if to not in task.allowed_next:
        raise _illegal(task.state, to)
    _check_time(at, task.updated_at)
    _check_actor(actor)
    reason = reason.strip() if reason else None
    if to is ScanTaskState.CHECK_FAILED and not reason:
        raise ScanTaskError("reason", "核对不一致退回时应注明原因", article=articles.ART5_3)
    update: dict[str, object] = {"state": to, "updated_at": at}
    if to is ScanTaskState.IN_CABINET:
        update["submissions"] = task.submissions + 1
    if to is ScanTaskState.CHECK_FAILED:
        update["return_reason"] = reason
    if to in (ScanTaskState.CHECK_PASSED, ScanTaskState.CHECK_FAILED):
        update["last_check"] = check
    moved = task.model_copy(update=update)
    event = _event(moved, task.state, to, at, actor, reason, check)
    return moved.model_copy(update={"history": (*task.history, event)}), event


def _event(task: ScanTask, from_state: ScanTaskState | None, to: ScanTaskState, at: datetime, actor: str,
           reason: str | None, check: MaterialCheck | None = None) -> ScanTaskTransitioned:
    return ScanTaskTransitioned(
        task_id=task.task_id, case_number=task.case_number.canonical, court_code=task.case_number.court_code,
        department=task.department, sequence=len(task.history) + 1, from_state=from_state, to_state=to, at=at,
        actor=actor, reason=reason, deadline=DEADLINES.get(to),
        mismatches=check.mismatches if check is not None else ())


def _illegal(current: ScanTaskState, requested: ScanTaskState) -> IllegalTransition:
    options = sorted(ALLOWED_TRANSITIONS[current], key=_ORDER.index)
    return IllegalTransition(current.value, requested.value, [s.value for s in options],
                             labels_zh={s.value: z for s, z in STATE_ZH.items()})


def _check_time(at: datetime, previous: datetime | None) -> None:
    if at.tzinfo is None:
        raise ScanTaskError("at", "时间必须带时区 (timestamp must be timezone-aware)")
    if previous is not None and at < previous:
        raise ScanTaskError("at", f"时间{at.isoformat()}早于上一次状态变更{previous.isoformat()}")


def _check_actor(actor: str) -> None:
    if not actor or not actor.strip():
        raise ScanTaskError("actor", "须记录操作人")
