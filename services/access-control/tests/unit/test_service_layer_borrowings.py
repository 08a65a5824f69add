"""Paper borrowing through the service layer (``service_layer.borrowings``) on in-memory repositories: a panel
judge's borrowing of the case's paper, approved by the 部门负责人, lent and taken back by 立案庭 (吉高法〔2020〕11号
第八条(二), 第四条(一)5); the per-case limit; a station refused."""

from __future__ import annotations

from dataclasses import astuple

import pytest
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.borrowing import BorrowingKind, BorrowingStatus, PaperMaterial
from juanzong_access_control.service_layer.approvals import NoAccess
from juanzong_access_control.service_layer.borrowings import OverLimit
from juanzong_shared.app import problem_of

from .conftest import HIGH
from .memory import World
from .test_service_layer_cases import CASE, registered

pytestmark = pytest.mark.unit

PAPER = [PaperMaterial.CURRENT_CASE_MATERIALS]


@pytest.fixture
async def world(people) -> World:
    world = World(list(astuple(people)))
    await world.deliver(world.case_events.on_registered, registered(), court=HIGH)
    return world


async def ask(world, who):
    return await world.borrowings.request(who, case_number=CASE, kind=BorrowingKind.CURRENT_CASE_PAPER,
                                          materials=PAPER, days=5, purpose="庭前核对证据原件")


async def test_a_borrowing_is_approved_lent_and_returned_第八条二(world, people):
    bws = world.borrowings
    b = await ask(world, people.member)
    assert b.status is BorrowingStatus.REQUESTED and b.rule == rules.ART8_2
    [requested] = world.uow.payloads("borrowing.requested")
    assert requested.approver_role == "department_head" and requested.approver_ids == ["u-head"]
    assert requested.presiding_judge == "u-presiding"

    await bws.approve(people.head, b.borrowing_id)
    lent = await bws.lend(people.filing, b.borrowing_id)
    assert lent.status is BorrowingStatus.LENT and lent.due_at is not None
    back = await bws.give_back(people.filing, b.borrowing_id)
    assert back.status is BorrowingStatus.RETURNED
    assert world.uow.published_types() == ["borrowing.requested", "borrowing.approved", "borrowing.lent",
                                           "borrowing.returned"]
    assert (await bws.read_one(people.member, b.borrowing_id)).status is BorrowingStatus.RETURNED
    assert [x.borrowing_id for x in await bws.read_of_case(people.judge, CASE)] == [b.borrowing_id]


async def test_the_third_borrowing_of_a_case_is_refused_第八条二(world, people):
    for _ in range(2):
        await ask(world, people.member)
    with pytest.raises(OverLimit) as third:
        await ask(world, people.judge)
    body = problem_of(third.value).body()
    assert body["status"] == 409 and body["type"].endswith("/borrowing-limit") and body["rule"] == rules.ART8_2
    assert body["errors"][0]["field"] == "case_number"
    assert len(world.uow.payloads("borrowing.requested")) == 2


async def test_a_station_borrows_nothing(world, people):
    with pytest.raises(NoAccess) as refused:
        await ask(world, people.station)
    body = problem_of(refused.value).body()
    assert body["status"] == 403 and body["title"] == "无权访问" and body["rule"] == rules.ART4_1_3


async def test_a_list_is_paged_and_only_the_page_shown_is_traced(world, people):
    """The list answers a page, newest first, with one borrowing more when another page follows; the audit trail
    records the reads of the page's borrowings only (法〔2016〕264号 一(三))."""
    older, newer = await ask(world, people.member), await ask(world, people.judge)
    bws = world.borrowings
    for read in (lambda **page: bws.read_visible(people.filing, **page),
                 lambda **page: bws.read_of_case(people.filing, CASE, **page)):
        world.audit.records.clear()
        first = await read(limit=1)
        assert [b.borrowing_id for b in first] == [newer.borrowing_id, older.borrowing_id]  # the second: more follow
        assert [r["detail"]["borrowings"] for r in world.audit.records if r["action"] == "read.borrowings"] == \
            [[newer.borrowing_id]]
        assert [b.borrowing_id for b in await read(limit=1, offset=1)] == [older.borrowing_id]
