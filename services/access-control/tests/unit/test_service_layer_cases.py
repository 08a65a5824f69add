"""Case facts from intake's and archive's events (``service_layer.cases``), on in-memory repositories: the
registered team, closing, a submission to the 审委会, a 原审 link and its end, a scan task's case."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, datetime

import pytest
from juanzong_access_control.domain.cases import Action, DeliberativeBody
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.intake import (
    CaseClosed,
    CaseRegistered,
    CaseReturnedToLowerCourt,
    CaseStageChanged,
    CaseSubmittedForDeliberation,
    OriginalLinked,
    OriginalUnlinked,
    PanelMember,
    ScanTaskChanged,
)

from .conftest import CIVIL1, HIGH
from .memory import World

pytestmark = pytest.mark.unit

CASE = "（2026）吉01民终12号"
ORIGINAL = "（2025）吉0102民初5号"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PANEL = [PanelMember(user_id="u-judge", name="承办", role="undertaking_judge"),
         PanelMember(user_id="u-presiding", name="审判长", role="presiding_judge"),
         PanelMember(user_id="u-member", name="合议", role="panel_member"),
         PanelMember(user_id="u-clerk", name="书记员", role="clerk")]


def registered(case_number: str = CASE, **overrides) -> CaseRegistered:
    return CaseRegistered(**{"case_number": case_number, "court": HIGH, "case_type": "民终", "category": "civil",
                             "paperless": True, "department": CIVIL1, "panel": PANEL, "registered_at": NOW}
                          | overrides)


@pytest.fixture
def world(people) -> World:
    return World(list(astuple(people)))


async def test_registration_gives_the_case_its_team_and_closing_finishes_it(world, people):
    ev = world.case_events
    await world.deliver(ev.on_registered, registered(), court=HIGH)
    facts = await world.repos.cases.facts(CASE)
    assert facts.registered and facts.paperless and not facts.finished and facts.court == HIGH
    assert facts.panel.undertaking_judge == "u-judge" and facts.panel.presiding_judge == "u-presiding"
    assert facts.panel.everyone == {"u-judge", "u-presiding", "u-member", "u-clerk"}
    assert world.uow.commits == 1 and world.uow.published_types() == []  # case facts emit nothing
    assert (await world.decisions.decide(people.member, Action.READ_PAGES, CASE))[0].allowed

    await world.deliver(ev.on_stage_changed, CaseStageChanged(case_number=CASE, stage="hearing", at=NOW))
    assert (await world.repos.cases.facts(CASE)).submitted_to == ()
    await world.deliver(ev.on_submitted_for_deliberation, CaseSubmittedForDeliberation(
        case_number=CASE, body="adjudication_committee", submitted_on=NOW.date(), member_ids=["u-wu"], at=NOW))
    submitted = (await world.repos.cases.facts(CASE)).submitted_to
    assert submitted[0].body is DeliberativeBody.ADJUDICATION_COMMITTEE and submitted[0].member_ids == {"u-wu"}
    await world.deliver(ev.on_closed, CaseClosed(case_number=CASE, closed_at=NOW), court=HIGH)
    assert (await world.repos.cases.facts(CASE)).finished
    await world.deliver(ev.on_archived, Archived(case_number=CASE, archival_code="A-1", at=NOW,
                                                 **_archived_extra()))
    assert (await world.repos.cases.facts(CASE)).archived


def _archived_extra() -> dict:
    required = {name for name, f in Archived.model_fields.items() if f.is_required()}
    return {name: "x" for name in required - {"case_number", "archival_code", "at"}}


async def test_a_registration_without_a_judge_leaves_the_case_unassigned(world):
    await world.deliver(world.case_events.on_registered, registered(panel=[]))
    assert (await world.repos.cases.facts(CASE)).panel.everyone == {"(未分配)"}


async def test_the_later_teams_way_into_the_original_opens_with_the_link_and_closes_with_the_return(world, people):
    """吉高法〔2020〕11号 第三条(二): the 原审 is known here only through the link (finished, its court read from the
    案号); a return of the later case to the lower court ends every link it made."""
    ev = world.case_events
    await world.deliver(ev.on_registered, registered())
    assert await world.repos.cases.facts(ORIGINAL) is None
    await world.deliver(ev.on_original_linked, OriginalLinked(case_number=CASE, original_case_number=ORIGINAL,
                                                              e_dossier_ref="ED-1"))
    original = await world.repos.cases.facts(ORIGINAL)
    assert original.finished and original.court == "吉0102" and original.linked_by[0].case_id == CASE
    assert (await world.decisions.decide(people.member, Action.READ_PAGES, ORIGINAL))[0].allowed

    await world.deliver(ev.on_returned_to_lower_court, CaseReturnedToLowerCourt(
        case_number=CASE, lower_court="吉0102", reason="发回重审", at=NOW))
    assert await world.repos.cases.facts(ORIGINAL) is None
    assert not (await world.decisions.decide(people.member, Action.READ_PAGES, ORIGINAL))[0].allowed


async def test_unlinking_one_record_keeps_the_original_open_through_the_other(world):
    ev = world.case_events
    await world.deliver(ev.on_registered, registered())
    for ref in ("e_dossier_ref", "e_archive_ref"):
        await world.deliver(ev.on_original_linked, OriginalLinked(case_number=CASE, original_case_number=ORIGINAL,
                                                                  **{ref: "R-1"}))
    await world.deliver(ev.on_original_unlinked, OriginalUnlinked(case_number=CASE, original_case_number=ORIGINAL,
                                                                  e_dossier_ref="R-1", by="u-filing",
                                                                  reason="关联错误"))
    assert (await world.repos.cases.facts(ORIGINAL)).linked_by


async def test_a_scan_task_belongs_to_its_first_case(world):
    ev = world.case_events
    task = {"scan_task_id": "st-1", "court": HIGH, "at": NOW}
    for case_number in (CASE, ORIGINAL):
        await world.deliver(ev.on_scan_task_created, ScanTaskChanged(case_number=case_number, **_task(task)),
                            event_type="scan.task.created")
    assert await world.repos.cases.scan_task_case("st-1") == CASE


def _task(values: dict) -> dict:
    required = {name for name, f in ScanTaskChanged.model_fields.items() if f.is_required()}
    return values | {name: "x" for name in required - set(values) - {"case_number"}}
