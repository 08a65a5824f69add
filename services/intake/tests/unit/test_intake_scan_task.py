"""Scan tasks: 吉高法〔2020〕11号 第三条(三)2 (cloud cabinet) and 第五条(二)(三) (list, check, time limits)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Case
from juanzong_intake.domain.deadlines import DeadlineUnit
from juanzong_intake.domain.errors import (
    IllegalTransition,
    OutsidePaperlessFlow,
    ScanTaskError,
    SecretCaseRefused,
    WrongStage,
)
from juanzong_intake.domain.scan_task import (
    ALLOWED_TRANSITIONS,
    MaterialItem,
    MismatchKind,
    ScanTask,
    ScanTaskState,
    check_materials,
    create_scan_task,
    record_check,
    resubmit,
    transition,
)
from juanzong_intake.domain.stages import CaseStage, MaterialStage
from pydantic import ValidationError

pytestmark = pytest.mark.unit

MakeCase = Callable[..., Case]
S = ScanTaskState
HAPPY_PATH = (S.IN_CABINET, S.PICKED_UP, S.CHECK_PASSED, S.SCANNING, S.SCANNED, S.CATALOGUED)


def items() -> list[MaterialItem]:
    return [
        MaterialItem(item_id="1", name="答辩状", expected_pages=3, stage=MaterialStage.PRE_HEARING,
                     material_id="defence_statement"),
        MaterialItem(item_id="2", name="被告证据材料", expected_pages=10, stage=MaterialStage.PRE_HEARING),
        MaterialItem(item_id="3", name="送达回证", expected_pages=2, stage=MaterialStage.FILING),
    ]


@pytest.fixture
def case(make_case: MakeCase) -> Case:
    return make_case(stage=CaseStage.PRE_HEARING)


@pytest.fixture
def new_task(case: Case, t0: datetime) -> ScanTask:
    task, _ = create_scan_task(case, "T1", "民一庭", items(), at=t0, actor="judge1")
    return task


def walk(task: ScanTask, t0: datetime, until: ScanTaskState) -> ScanTask:
    """Move a new task along the happy path until it reaches ``until`` (check_failed via a bad check)."""
    if until is S.CHECK_FAILED:
        task = walk(task, t0, S.PICKED_UP)
        task, _, _ = record_check(task, {"1": 3, "2": 9, "3": 2}, task.updated_at + timedelta(hours=1), "centre1")
        return task
    for state in HAPPY_PATH:
        if task.state is until:
            break
        if state in task.allowed_next:
            task, _ = transition(task, state, max(t0, task.updated_at) + timedelta(hours=1), "centre1")
    assert task.state is until
    return task


def test_created_task_has_its_material_list_第三条三(case: Case, t0: datetime) -> None:
    task, event = create_scan_task(case, "T1", "民一庭", items(), at=t0, actor="judge1")
    assert task.state is S.CREATED and task.expected_pages == 15
    assert task.stages == {MaterialStage.PRE_HEARING, MaterialStage.FILING}
    assert event.event_type == "scan.task.created" and event.sequence == 1 and event.from_state is None
    assert event.case_number == case.key and event.court_code == "吉01" and event.department == "民一庭"
    assert task.history == (event,)


def test_full_path_emits_one_event_per_transition_第五条三(new_task: ScanTask, t0: datetime) -> None:
    task = new_task
    seen = []
    for i, state in enumerate(HAPPY_PATH, start=1):
        task, event = transition(task, state, t0 + timedelta(hours=i), "centre1")
        seen.append((event.event_type, event.sequence, event.from_state, event.to_state))
        assert task.updated_at == event.at
    assert [s[0] for s in seen] == [f"scan.task.{s.value}" for s in HAPPY_PATH]
    assert [s[1] for s in seen] == [2, 3, 4, 5, 6, 7]
    assert seen[0][2] is S.CREATED and seen[-1][3] is S.CATALOGUED
    assert task.submissions == 1 and len(task.history) == 7


def test_each_clock_names_its_article_第五条二三(new_task: ScanTask, t0: datetime) -> None:
    created = new_task.history[0]
    assert created.deadline is not None
    assert (created.deadline.amount, created.deadline.unit, created.deadline.article) == (
        2, DeadlineUnit.WORKING_DAYS, articles.ART5_2)
    task, in_cabinet = transition(new_task, S.IN_CABINET, t0 + timedelta(hours=1), "judge1")
    assert in_cabinet.deadline is not None
    assert (in_cabinet.deadline.amount, in_cabinet.deadline.unit) == (24, DeadlineUnit.HOURS)
    assert set(in_cabinet.deadline.stops_on) == {"check_passed", "check_failed"}
    task = walk(task, t0, S.SCANNING)
    task, scanned = transition(task, S.SCANNED, t0 + timedelta(days=1), "station1")
    assert scanned.deadline is not None and scanned.deadline.amount == 24
    assert scanned.deadline.stops_on == ("catalogued",)
    _, catalogued = transition(task, S.CATALOGUED, t0 + timedelta(days=1, hours=2), "centre1")
    assert catalogued.deadline is None


ILLEGAL = [(frm, to) for frm in ScanTaskState for to in ScanTaskState if to not in ALLOWED_TRANSITIONS[frm]]


@pytest.mark.parametrize(("frm", "to"), ILLEGAL, ids=[f"{a.value}->{b.value}" for a, b in ILLEGAL])
def test_illegal_transition_names_the_allowed_ones(new_task: ScanTask, t0: datetime, frm: ScanTaskState,
                                                   to: ScanTaskState) -> None:
    task = walk(new_task, t0, frm)
    with pytest.raises(IllegalTransition) as caught:
        transition(task, to, t0 + timedelta(days=2), "centre1", reason="x")
    assert caught.value.current == frm.value and caught.value.requested == to.value
    assert set(caught.value.allowed) == {s.value for s in ALLOWED_TRANSITIONS[frm]}
    assert frm.zh in caught.value.reason_zh
    assert all(s.zh in caught.value.reason_zh for s in ALLOWED_TRANSITIONS[frm])


def test_catalogued_is_final() -> None:
    assert ALLOWED_TRANSITIONS[S.CATALOGUED] == frozenset()
    reachable = {S.CREATED}
    frontier = [S.CREATED]
    while frontier:
        for nxt in ALLOWED_TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(ScanTaskState)


def test_check_failed_needs_a_reason_第五条三(new_task: ScanTask, t0: datetime) -> None:
    task = walk(new_task, t0, S.PICKED_UP)
    with pytest.raises(ScanTaskError) as caught:
        transition(task, S.CHECK_FAILED, t0 + timedelta(days=1), "centre1", reason="  ")
    assert caught.value.field == "reason" and caught.value.article == articles.ART5_3
    returned, event = transition(task, S.CHECK_FAILED, t0 + timedelta(days=1), "centre1", reason="缺少第3页")
    assert returned.return_reason == "缺少第3页" and event.reason == "缺少第3页"
    assert event.deadline is not None and event.deadline.amount == 1
    assert event.deadline.unit is DeadlineUnit.WORKING_DAYS


def test_material_check_reports_each_mismatch_第五条三() -> None:
    check = check_materials(items(), {"1": 3, "2": 9, "x": 4})
    assert not check.consistent
    by_kind = {m.kind: m for m in check.mismatches}
    assert set(by_kind) == {MismatchKind.PAGE_COUNT, MismatchKind.MISSING, MismatchKind.UNLISTED}
    assert (by_kind[MismatchKind.PAGE_COUNT].expected_pages, by_kind[MismatchKind.PAGE_COUNT].actual_pages) == (10, 9)
    assert by_kind[MismatchKind.MISSING].item_id == "3"
    assert by_kind[MismatchKind.UNLISTED].item_id == "x"
    assert "被告证据材料" in check.reason_zh and "送达回证" in check.reason_zh and "x" in check.reason_zh
    assert (check.expected_pages, check.actual_pages) == (15, 16)


@pytest.mark.parametrize("pages", [2, 4])
def test_more_or_fewer_pages_are_both_mismatches_第五条三(pages: int) -> None:
    check = check_materials(items(), {"1": pages, "2": 10, "3": 2})
    assert [(m.kind, m.item_id, m.actual_pages) for m in check.mismatches] == [
        (MismatchKind.PAGE_COUNT, "1", pages)]


def test_material_check_passes_when_counts_match_第五条三() -> None:
    check = check_materials(items(), {"1": 3, "2": 10, "3": 2, "unused": 0})
    assert check.consistent and check.mismatches == ()
    with pytest.raises(ScanTaskError):
        check_materials(items(), {"1": -1})


def test_mismatch_returns_the_task_with_the_reason_第五条三(new_task: ScanTask, t0: datetime) -> None:
    task = walk(new_task, t0, S.PICKED_UP)
    returned, event, check = record_check(task, {"1": 3, "2": 9, "3": 2}, t0 + timedelta(hours=5), "centre1")
    assert returned.state is S.CHECK_FAILED and event.event_type == "scan.task.check_failed"
    assert returned.return_reason == check.reason_zh == event.reason
    assert "页数不符" in event.reason and returned.last_check == check
    assert [m.kind for m in event.mismatches] == [MismatchKind.PAGE_COUNT]


def test_matching_check_passes_the_task_第五条三(new_task: ScanTask, t0: datetime) -> None:
    task = walk(new_task, t0, S.PICKED_UP)
    passed, event, _ = record_check(task, {"1": 3, "2": 10, "3": 2}, t0 + timedelta(hours=5), "centre1")
    assert passed.state is S.CHECK_PASSED and event.reason is None and event.deadline is None


def test_returned_task_is_resubmitted_into_the_cabinet_第五条三(new_task: ScanTask, t0: datetime,
                                                              case: Case) -> None:
    returned = walk(new_task, t0, S.CHECK_FAILED)
    corrected = [*items()[:1], items()[1].model_copy(update={"expected_pages": 9}), items()[2]]
    again, event = resubmit(returned, returned.updated_at + timedelta(hours=2), "judge1", corrected, case=case)
    assert again.state is S.IN_CABINET and again.submissions == 2
    assert again.materials[1].expected_pages == 9
    assert event.event_type == "scan.task.in_cabinet" and event.from_state is S.CHECK_FAILED
    picked, _ = transition(again, S.PICKED_UP, again.updated_at + timedelta(hours=1), "centre1")
    passed, _, _ = record_check(picked, {"1": 3, "2": 9, "3": 2}, picked.updated_at + timedelta(hours=1), "c")
    assert passed.state is S.CHECK_PASSED
    with pytest.raises(ScanTaskError):
        resubmit(passed, passed.updated_at + timedelta(hours=1), "judge1")


def test_secret_case_gets_no_scan_task_第十条(make_case: MakeCase, t0: datetime, new_task: ScanTask) -> None:
    secret = make_case(stage=CaseStage.PRE_HEARING, secret=True)
    with pytest.raises(SecretCaseRefused):
        create_scan_task(secret, "T2", "民一庭", items(), at=t0, actor="judge1")
    with pytest.raises(SecretCaseRefused):
        transition(new_task, S.IN_CABINET, t0 + timedelta(hours=1), "judge1", case=secret)


def test_criminal_case_gets_no_scan_task_第十四条(make_case: MakeCase, t0: datetime) -> None:
    criminal = make_case(case_number="（2020）吉01刑终5号", stage=CaseStage.PRE_HEARING)
    with pytest.raises(OutsidePaperlessFlow):
        create_scan_task(criminal, "T3", "刑一庭", items(), at=t0, actor="judge1")


def test_material_of_a_later_stage_is_refused(make_case: MakeCase, t0: datetime) -> None:
    at_filing = make_case(stage=CaseStage.FILING)
    with pytest.raises(WrongStage) as caught:
        create_scan_task(at_filing, "T4", "立案庭", items(), at=t0, actor="clerk1")
    assert caught.value.field == "materials[0].stage"
    task, _ = create_scan_task(at_filing, "T4", "立案庭", items()[2:], at=t0, actor="clerk1")
    assert task.stages == {MaterialStage.FILING}


def test_bad_task_input_is_refused(case: Case, t0: datetime, new_task: ScanTask) -> None:
    with pytest.raises(ScanTaskError) as empty:
        create_scan_task(case, "T5", "民一庭", [], at=t0, actor="judge1")
    assert empty.value.field == "materials"
    with pytest.raises(ValidationError):
        create_scan_task(case, "T5", "民一庭", [items()[0], items()[0]], at=t0, actor="judge1")
    with pytest.raises(ValidationError):
        MaterialItem(item_id="9", name="x", expected_pages=0, stage=MaterialStage.FILING)
    with pytest.raises(ScanTaskError) as naive:
        create_scan_task(case, "T5", "民一庭", items(), at=t0.replace(tzinfo=None), actor="judge1")
    assert naive.value.field == "at"
    with pytest.raises(ScanTaskError) as earlier:
        transition(new_task, S.IN_CABINET, t0 - timedelta(seconds=1), "judge1")
    assert earlier.value.field == "at"
    with pytest.raises(ScanTaskError) as nobody:
        transition(new_task, S.IN_CABINET, t0 + timedelta(hours=1), " ")
    assert nobody.value.field == "actor"


def test_task_round_trips_through_json(new_task: ScanTask, t0: datetime) -> None:
    task = walk(new_task, t0, S.CHECK_FAILED)
    assert ScanTask.model_validate_json(task.model_dump_json()) == task
