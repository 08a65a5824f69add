"""An access request through the service layer (``service_layer.approvals``) on in-memory repositories: opened by a
judge outside the panel, refused to an approver out of turn, approved 承办法官 → 部门负责人 → 分管院领导
(吉高法〔2020〕11号 第九条), each step stored with its typed event, the grant opening the case."""

from __future__ import annotations

from dataclasses import astuple

import pytest
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.approvals import RequestStatus
from juanzong_access_control.domain.cases import Action
from juanzong_access_control.service_layer.approvals import ApprovalRefused
from juanzong_shared.app import problem_of
from juanzong_shared.errors import NotFound

from .conftest import HIGH
from .memory import World
from .test_service_layer_cases import CASE, registered

pytestmark = pytest.mark.unit


@pytest.fixture
async def world(people) -> World:
    world = World(list(astuple(people)))
    await world.deliver(world.case_events.on_registered, registered(), court=HIGH)
    return world


async def test_a_request_approved_by_the_right_approvers_in_turn_opens_the_case_第九条(world, people):
    ap = world.approvals
    assert not (await world.decisions.decide(people.outsider, Action.READ_PAGES, CASE))[0].allowed
    request = await ap.open(people.outsider, CASE, [Action.READ_PAGES], "审查关联案件", None)
    assert request.status is RequestStatus.PENDING and request.route.rule == rules.ART9_2
    [created] = world.uow.payloads("access.request.created")
    assert created.next_approver_ids == ["u-judge"] and created.case_number == CASE and created.rule == rules.ART9_2

    commits = world.uow.commits
    with pytest.raises(ApprovalRefused) as out_of_turn:
        await ap.approve(people.head, request.request_id)
    assert world.uow.commits == commits  # nothing stored, nothing emitted
    body = problem_of(out_of_turn.value).body()
    assert body["status"] == 403 and body["type"].endswith("/approval-refused") and body["title"] == "不符合审批规定"
    assert body["rule"] == rules.ART9_2 and body["next_step"] == "undertaking_judge" and body["next_actor"]

    await ap.approve(people.judge, request.request_id)
    await ap.approve(people.head, request.request_id)
    steps = world.uow.payloads("access.request.step_approved")
    assert [s.next_approver_ids for s in steps] == [["u-head"], ["u-leader"]]
    approved = await ap.approve(people.leader, request.request_id)
    assert approved.status is RequestStatus.APPROVED and approved.grant_id is not None
    assert world.uow.published_types()[-1] == "access.request.approved"
    assert [g.grant_id for g in await world.repos.requests.grants(CASE, people.outsider.id)] == [approved.grant_id]
    assert (await world.decisions.decide(people.outsider, Action.READ_PAGES, CASE))[0].allowed
    assert [r["action"] for r in world.audit.records if r["action"] != "decision"] == [
        "access.requested", "access.step_approved", "access.step_approved", "access.granted"]


async def test_an_unknown_case_or_request_is_not_found(world, people):
    with pytest.raises(NotFound) as unknown:
        await world.approvals.open(people.outsider, "（2026）吉01民终99号", [Action.READ_PAGES], "参考", None)
    assert problem_of(unknown.value).body()["detail"] == "案件 （2026）吉01民终99号 不存在 (not found)"
    with pytest.raises(NotFound):
        await world.approvals.approve(people.judge, "ar-nope")


async def test_a_request_nobody_decided_in_time_lapses(world, people):
    from datetime import timedelta

    request = await world.approvals.open(people.outsider, CASE, [Action.READ_PAGES], "审查关联案件", None)
    assert await world.approvals.expire_due(request.decide_by + timedelta(seconds=1)) == 1
    assert (await world.approvals.get(request.request_id)).status is RequestStatus.EXPIRED
    assert world.uow.published_types()[-1] == "access.request.expired"
