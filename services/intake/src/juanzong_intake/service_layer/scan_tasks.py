"""扫描任务 through the cloud cabinet (吉高法〔2020〕11号 第三条(三)2, 第五条(二)(三))."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from juanzong_shared.events.intake import ScanTaskChanged

from juanzong_intake.adapters.repository import Repositories, task_from_doc
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import DossierWrite, ensure_e_dossier_writable, ensure_not_secret
from juanzong_intake.domain.errors import AlreadyDone, InvalidInput
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
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.access import UPDATE_CASE, CaseAccess, task_not_found
from juanzong_intake.service_layer.common import Actor, UseCases, canonical, load_case, now_utc, readable_page


def _changed(task: ScanTask, event: ScanTaskTransitioned, check: MaterialCheck | None = None) -> ScanTaskChanged:
    deadline = event.deadline
    return ScanTaskChanged(
        scan_task_id=task.task_id, case_number=event.case_number, state=event.to_state.value, at=event.at,
        actor=event.actor, reason=event.reason, department=event.department, court=event.court_code,
        from_state=event.from_state.value if event.from_state else None, sequence=event.sequence,
        deadline_clock=deadline.clock if deadline else None, deadline_amount=deadline.amount if deadline else None,
        deadline_unit=deadline.unit.value if deadline else None,
        deadline_article=deadline.article if deadline else None,
        deadline_stops_on=list(deadline.stops_on) if deadline else [], expected_pages=task.expected_pages,
        counted_pages=check.actual_pages if check is not None else None,
        mismatches=[m.reason_zh for m in (check.mismatches if check is not None else event.mismatches)])


async def moved(uow, task: ScanTask, event: ScanTaskTransitioned, check: MaterialCheck | None = None) -> None:
    """Announce a scan task's move (``scan.task.<state>``); the overdue clocks of its last step stop."""
    uow.emit(_changed(task, event, check), event_type=event.event_type, court=event.court_code,
             case_number=event.case_number)
    await uow.repos.cases.clear_overdue_clocks(event.case_number, task.task_id)


async def _load_task(repos: Repositories, task_id: str) -> tuple[dict[str, Any], ScanTask]:
    doc = await repos.tasks.task_doc(task_id)
    if doc is None:
        raise task_not_found(task_id)
    return doc, task_from_doc(doc)


class ScanTasks(UseCases):
    async def create(self, case_number: str, cmd: cmds.CreateScanTask, actor: Actor, *,
                     access: CaseAccess) -> dict[str, Any]:
        """扫描任务 with its 材料清单; refused for 涉密 (第十条) and out-of-scope (第十四条) cases.
        ``update_case`` on the case."""
        await self.allowed_case(case_number, access, UPDATE_CASE)

        async def work(uow) -> dict[str, Any]:
            _, case = await load_case(uow.repos, case_number)
            ensure_e_dossier_writable(case, DossierWrite.CREATE_SCAN_TASK)
            department = cmd.department or case.department or actor.department
            if not department:
                raise InvalidInput([("department", "缺少承办部门 (department)")])
            task_id = cmd.task_id or f"ST-{uuid.uuid4().hex[:12]}"
            if await uow.repos.tasks.task_doc(task_id) is not None:
                raise AlreadyDone("task_id", f"扫描任务{task_id}已存在")
            task, event = create_scan_task(case, task_id, department, cmd.materials, at=now_utc(),
                                           actor=actor.subject)
            doc = await uow.repos.tasks.add_task(task, case.court_code)
            await moved(uow, task, event)
            return doc

        return await self.transact(work)

    async def _task_and_case(self, task_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        repos = self.read()
        doc, task = await _load_task(repos, task_id)
        case_doc = await repos.cases.case_doc(task.case_number.canonical)
        if case_doc is None:  # a task always belongs to a registered case
            raise task_not_found(task_id)
        return doc, case_doc

    async def move(self, task_id: str, cmd: cmds.TransitionScanTask, actor: Actor, *,
                   access: CaseAccess) -> dict[str, Any]:
        """One step of 已创建 → 已入柜 → 已取件 → 核对 → 扫描中 → 已扫描 → 已编目 (第五条(二)(三)).

        With ``reported`` counts the check decides between 核对一致 and 核对不一致 (returned with the reason).
        A station of the case's court moves its tasks; anyone else needs ``update_case`` on the case.
        """
        _, case_doc = await self._task_and_case(task_id)
        await access.require_task_move(case_doc)

        async def work(uow) -> dict[str, Any]:
            _, task = await _load_task(uow.repos, task_id)
            _, case = await load_case(uow.repos, task.case_number.canonical)
            ensure_not_secret(case, DossierWrite.CHANGE_SCAN_TASK)
            ensure_can_move(task, cmd.to)
            at = max(cmd.at or now_utc(), task.updated_at)
            check = None
            if cmd.to in (ScanTaskState.CHECK_PASSED, ScanTaskState.CHECK_FAILED) and cmd.reported is not None:
                after, event, check = record_check(task, cmd.reported, at, actor.subject, case=case)
                if cmd.to is ScanTaskState.CHECK_FAILED and check.consistent:
                    after, event = transition(task, cmd.to, at, actor.subject, cmd.reason, case=case)
                    check = None
            elif cmd.to is ScanTaskState.CHECK_PASSED:
                raise InvalidInput([("reported", "核对一致须报告各项材料实收页数 (reported pages per item)")],
                                   article=articles.ART5_3)
            elif cmd.to is ScanTaskState.IN_CABINET and task.state is ScanTaskState.CHECK_FAILED:
                after, event = resubmit(task, at, actor.subject, cmd.materials, reason=cmd.reason, case=case)
            else:
                after, event = transition(task, cmd.to, at, actor.subject, cmd.reason, case=case)
            await uow.repos.tasks.save_task(after)
            await moved(uow, after, event, check)
            return await uow.repos.tasks.task_doc(task_id)

        return await self.transact(work)

    async def get(self, task_id: str, access: CaseAccess) -> dict[str, Any]:
        """A scan task is a record of its case: a station of the case's court (which scans it), or whoever may
        read the case record. A task of a 涉密 case the caller may not know of → 404 as an unknown task."""
        doc, case_doc = await self._task_and_case(task_id)
        await access.require_tasks(case_doc, task_id=task_id)
        return doc

    async def of_case(self, case_number: str, access: CaseAccess) -> list[dict[str, Any]]:
        repos = self.read()
        doc, case = await load_case(repos, case_number)
        await access.require_tasks(doc)
        ensure_not_secret(case, "查询扫描任务")
        return await repos.tasks.tasks_of_case(case.key)

    async def find(self, access: CaseAccess, *, court: str | None, state: ScanTaskState | None,
                   case_number: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Scan tasks matching the filters that the caller may see: a station those of its own court, anyone
        else those of cases they may read."""
        repos = self.read()

        async def judge(tasks: Sequence[dict[str, Any]]) -> list[bool]:
            cases = {d["_id"]: d for d in await repos.cases.case_docs(sorted({t["case_number"] for t in tasks}))}
            if access.is_station:
                return [t["case_number"] in cases and access.station_may_see_tasks(cases[t["case_number"]])
                        for t in tasks]
            readable = dict(zip(cases, await access.readable(list(cases.values())), strict=True))
            return [readable.get(t["case_number"], False) for t in tasks]

        docs = repos.tasks.iter_tasks(court=court, state=state.value if state else None,
                                      case_number=canonical(case_number) if case_number else None)
        return await readable_page(docs, judge, limit=limit, offset=offset)
