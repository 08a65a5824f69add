"""Cases' use cases on an in-memory unit of work: 立案登记, 涉密 and out-of-scope cases, stages, 结案, hearings."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from juanzong_intake.domain.errors import AccessRefused, AlreadyDone, UnknownCourt, WrongStage
from juanzong_intake.domain.stages import CaseStage
from juanzong_intake.service_layer import commands as cmds
from juanzong_intake.service_layer.access import CaseAccess
from juanzong_intake.service_layer.common import Actor
from juanzong_shared.auth import Identity
from juanzong_shared.testing import FakeDecider

from .memory import World

pytestmark = pytest.mark.unit

CLERK = Actor("u-filing-sun", "立案庭")
APPEAL = "（2025）吉01民终123号"
JUDGE = Identity(subject="u-judge-li", court="吉01", roles=("judge",))


def access(allow: bool = True) -> CaseAccess:
    return CaseAccess(FakeDecider(lambda identity, action, case_number: allow), JUDGE, settle_wait=0)


def register(**overrides) -> cmds.RegisterCase:
    data = {"case_number": APPEAL, "filed_on": date(2025, 3, 3), "cause": "买卖合同纠纷", "department": "民一庭",
            "parties": [{"name": "张三", "role": "appellant"}],
            "panel": {"undertaking_judge": "u-judge-li", "members": ["u-judge-li", "u-judge-wang"],
                      "clerks": ["u-clerk-liu"]}}
    return cmds.RegisterCase.model_validate(data | overrides)


async def test_registering_a_case_stores_it_and_announces_it_once():
    world = World()
    doc, created = await world.cases.register(register(), CLERK)
    assert created and doc["case_number"] == APPEAL and doc["status"] == "open"
    [registered] = world.uow.payloads("case.registered")
    assert registered.paperless and [p.role for p in registered.parties] == ["上诉人"]
    assert {(m.user_id, m.role) for m in registered.panel} == {("u-judge-li", "undertaking_judge"),
                                                              ("u-judge-wang", "panel_member"),
                                                              ("u-clerk-liu", "clerk")}
    again, created = await world.cases.register(register(case_number="(2025)吉01民终１２３号"), CLERK)
    assert not created and again["_id"] == APPEAL and world.uow.published_types() == ["case.registered"]


async def test_a_refused_registration_stores_and_emits_nothing():
    world = World()
    with pytest.raises(UnknownCourt):
        await world.cases.register(register(court="吉99"), CLERK)
    assert world.repos.cases.docs == {} and world.uow.committed == []


async def test_a_secret_case_keeps_its_minimal_record_第十条():
    world = World()
    doc, _ = await world.cases.register(register(secret=True, original_case_numbers=["（2024）吉0102民初88号"]), CLERK)
    assert doc["withheld_fields"] == ["cause", "parties", "panel", "original_case_numbers"]
    [registered] = world.uow.payloads("case.registered")
    assert registered.secret and not registered.paperless and registered.parties == [] and registered.cause is None
    assert await world.cases.get(APPEAL, access()) == doc


async def test_access_control_refusing_stores_nothing_第九条():
    world = World()
    await world.cases.register(register(), CLERK)
    with pytest.raises(AccessRefused):
        await world.cases.change_stage(APPEAL, cmds.ChangeStage(stage=CaseStage.PRE_HEARING), CLERK,
                                       access=access(allow=False))
    assert world.repos.cases.docs[APPEAL]["stage"] == "filing" and world.uow.published_types() == ["case.registered"]


async def test_stages_move_forward_and_closing_starts_the_archive_clocks():
    world = World()
    await world.cases.register(register(), CLERK)
    moved = await world.cases.change_stage(APPEAL, cmds.ChangeStage(stage=CaseStage.PRE_HEARING), CLERK,
                                           access=access())
    assert moved["stage"] == "pre_hearing"
    [changed] = world.uow.payloads("case.stage.changed")
    assert (changed.from_stage, changed.stage) == ("filing", "pre_hearing")
    with pytest.raises(WrongStage):
        await world.cases.change_stage(APPEAL, cmds.ChangeStage(stage=CaseStage.FILING), CLERK, access=access())
    closed = await world.cases.close(APPEAL, cmds.CloseCase(result="驳回上诉，维持原判"), CLERK, access=access())
    assert closed["status"] == "closed" and closed["result"] == "驳回上诉，维持原判"
    assert world.uow.published_types()[-2:] == ["case.stage.changed", "case.closed"]
    with pytest.raises(AlreadyDone):
        await world.cases.close(APPEAL, cmds.CloseCase(), CLERK, access=access())


async def test_hearings_are_recorded_and_announced_by_their_status():
    world = World()
    await world.cases.register(register(), CLERK)
    at = datetime(2025, 4, 10, 1, 30, tzinfo=UTC)
    doc = await world.cases.record_hearing(APPEAL, cmds.RecordHearing(status="scheduled", at=at), CLERK,
                                           access=access())
    assert [(h["status"], h["at"], h["by"]) for h in doc["hearings"]] == [("scheduled", at, CLERK.subject)]
    [scheduled] = world.uow.payloads("case.hearing.scheduled")
    assert scheduled.at == at and scheduled.paperless
    await world.cases.close(APPEAL, cmds.CloseCase(), CLERK, access=access())
    with pytest.raises(WrongStage):
        await world.cases.record_hearing(APPEAL, cmds.RecordHearing(status="held", at=at), CLERK, access=access())
    assert world.uow.payloads("case.hearing.held") == []


async def test_lists_show_only_what_the_caller_may_read():
    world = World()
    await world.cases.register(register(), CLERK)
    await world.cases.register(register(case_number="（2025）吉01民终124号"), CLERK)
    items, total = await world.cases.find(access(), court="吉01", stage=None, state=None, overdue=None, limit=1,
                                          offset=0)
    assert total == 2 and len(items) == 1
    assert await world.cases.find(access(allow=False), court=None, stage=None, state=None, overdue=None, limit=5,
                                  offset=0) == ([], 0)
