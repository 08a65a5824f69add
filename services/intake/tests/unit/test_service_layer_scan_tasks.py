"""Scan tasks' use cases and the handlers that move them, on an in-memory unit of work (第五条(二)(三), 第十条, 第十四条)."""

from __future__ import annotations

from datetime import date

import pytest
from juanzong_intake.domain.errors import (
    IllegalTransition,
    InvalidInput,
    OutsidePaperlessFlow,
    SecretCaseRefused,
)
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.handlers import mark_catalogued, mark_scanned, record_overdue
from juanzong_shared.bus import Delivery
from juanzong_shared.events import REGISTRY
from juanzong_shared.events.catalog import DossierCatalogued
from juanzong_shared.events.notifier import DeadlineChanged
from juanzong_shared.events.scan_ocr import BatchCompleted

from .memory import World
from .test_service_layer_cases import APPEAL, CLERK, access, register

pytestmark = pytest.mark.unit

MATERIALS = [{"item_id": "1", "name": "答辩状", "expected_pages": 3, "stage": "pre_hearing"},
             {"item_id": "2", "name": "证据材料", "expected_pages": 12, "stage": "pre_hearing"}]


def create(**overrides) -> cmds.CreateScanTask:
    return cmds.CreateScanTask.model_validate({"task_id": "ST-1", "materials": MATERIALS} | overrides)


def move(to: str, **fields) -> cmds.TransitionScanTask:
    return cmds.TransitionScanTask.model_validate({"to": to, **fields})


async def world_with_task() -> World:
    world = World()
    await world.cases.register(register(stage="pre_hearing"), CLERK)
    await world.tasks.create(APPEAL, create(), CLERK, access=access())
    return world


def delivered(world: World, payload, event_type: str | None = None) -> Delivery:
    event = REGISTRY.event(payload, case_number=payload.case_number, event_type=event_type)
    return Delivery(event=event, uow=world.uow)


async def test_a_task_moves_through_the_cabinet_and_the_check_第五条三():
    world = await world_with_task()
    assert world.repos.tasks.docs["ST-1"]["department"] == "民一庭"
    for to in ("in_cabinet", "picked_up"):
        await world.tasks.move("ST-1", move(to), CLERK, access=access())
    with pytest.raises(InvalidInput):  # 核对一致 needs the counted pages
        await world.tasks.move("ST-1", move("check_passed"), CLERK, access=access())
    failed = await world.tasks.move("ST-1", move("check_passed", reported={"1": 3, "2": 11}), CLERK, access=access())
    assert failed["state"] == "check_failed"
    assert world.uow.published_types() == ["case.registered", "scan.task.created", "scan.task.in_cabinet",
                                           "scan.task.picked_up", "scan.task.check_failed"]
    [returned] = world.uow.payloads("scan.task.check_failed")
    assert returned.scan_task_id == "ST-1" and returned.counted_pages == 14 and returned.mismatches


async def test_an_illegal_move_names_the_allowed_states_and_changes_nothing():
    world = await world_with_task()
    with pytest.raises(IllegalTransition) as refused:
        await world.tasks.move("ST-1", move("scanned"), CLERK, access=access())
    assert refused.value.extra["allowed"] == ["in_cabinet"]
    assert world.repos.tasks.docs["ST-1"]["state"] == "created" and world.uow.published_types()[-1] == "scan.task.created"


async def test_no_scan_task_for_a_secret_or_an_out_of_scope_case_第十条_第十四条():
    world = World()
    await world.cases.register(register(secret=True, stage="pre_hearing"), CLERK)
    with pytest.raises(SecretCaseRefused):
        await world.tasks.create(APPEAL, create(), CLERK, access=access())
    criminal = "（2025）吉01刑初5号"
    await world.cases.register(register(case_number=criminal, department="刑一庭", stage="pre_hearing"), CLERK)
    with pytest.raises(OutsidePaperlessFlow):
        await world.tasks.create(criminal, create(), CLERK, access=access())
    assert world.repos.tasks.docs == {} and "scan.task.created" not in world.uow.published_types()


async def test_scanned_and_catalogued_from_the_other_services_reports():
    world = await world_with_task()
    await world.tasks.move("ST-1", move("in_cabinet"), CLERK, access=access())
    await world.tasks.move("ST-1", move("picked_up"), CLERK, access=access())
    await world.tasks.move("ST-1", move("check_passed", reported={"1": 3, "2": 12}), CLERK, access=access())
    batch = BatchCompleted(batch_id="B-1", scan_task_id="ST-1", case_number=APPEAL, pages_total=15, pages_done=15,
                           pages_failed=0)
    async with world.uow:
        await mark_scanned(batch, delivered(world, batch))
    async with world.uow:  # a redelivered batch is counted once
        await mark_scanned(batch, delivered(world, batch))
    doc = world.repos.tasks.docs["ST-1"]
    assert doc["state"] == "scanned" and doc["scanned_pages"] == 15 and doc["post_scan_check"]["consistent"]
    catalogued = DossierCatalogued(case_number=APPEAL, batch_id="B-1", documents=2, pages=15, scan_task_id="ST-1")
    async with world.uow:
        await mark_catalogued(catalogued, delivered(world, catalogued))
    assert world.repos.tasks.docs["ST-1"]["state"] == "catalogued"
    assert world.uow.published_types()[-3:] == ["scan.task.scanning", "scan.task.scanned", "scan.task.catalogued"]


async def test_an_overdue_clock_lists_the_case_until_the_task_moves():
    world = await world_with_task()
    overdue = DeadlineChanged(clock_id="scan_task.pick_up_and_check:ST-1", case_number=APPEAL, rule="第五条(三)",
                              due=date(2025, 3, 5))
    async with world.uow:
        await record_overdue(overdue, delivered(world, overdue, "notify.deadline.overdue"))
    assert world.repos.cases.docs[APPEAL]["overdue"]
    await world.tasks.move("ST-1", move("in_cabinet"), CLERK, access=access())
    assert not world.repos.cases.docs[APPEAL]["overdue"]
