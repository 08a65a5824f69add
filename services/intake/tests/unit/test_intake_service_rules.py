"""Rules added with the service: post-scan check, roles, the secret minimal record, registration checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Case, Panel, minimal_secret_record
from juanzong_intake.domain.errors import (
    CaseNumberError,
    IllegalTransition,
    InvalidInput,
    UnknownCourt,
    WrongStage,
)
from juanzong_intake.domain.permissions import NotPermitted, Operation, ensure_permitted
from juanzong_intake.domain.scan_task import (
    MaterialItem,
    ScanTaskState,
    check_scanned_pages,
    create_scan_task,
    ensure_can_move,
)
from juanzong_intake.service_layer.cases import build_case, panel_members
from juanzong_intake.service_layer.commands import RegisterCase
from juanzong_shared.app import problem_of as to_problem

pytestmark = pytest.mark.unit


def _task(case: Case, t0: datetime):
    items = [MaterialItem(item_id="1", name="送达回证", expected_pages=2, stage="filing"),
             MaterialItem(item_id="2", name="证据", expected_pages=5, stage="filing")]
    return create_scan_task(case, "T1", "民一庭", items, at=t0, actor="j1")[0]


def test_post_scan_check_compares_scanned_pages_with_the_list(make_case: Callable[..., Case], t0: datetime):
    """吉高法〔2020〕11号 第五条(三): the scanned total against the 材料清单 total, with the reason."""
    task = _task(make_case(), t0)
    assert check_scanned_pages(task, 7).consistent
    check = check_scanned_pages(task, 6)
    assert not check.consistent and "清单共7页，实际扫描6页" in check.reason_zh


def test_illegal_move_names_the_allowed_states(make_case: Callable[..., Case], t0: datetime):
    task = _task(make_case(), t0)
    with pytest.raises(IllegalTransition) as error:
        ensure_can_move(task, ScanTaskState.SCANNED)
    assert error.value.allowed == ("in_cabinet",)
    problem = to_problem(error.value)
    assert problem.status == 409 and problem.extra["allowed"] == ["in_cabinet"] and problem.errors[0].field == "to"


def test_secret_record_keeps_only_the_minimum(make_case: Callable[..., Case]):
    """吉高法〔2020〕11号 第十条: parties, panel, cause and originals are not kept for a 涉密 case."""
    minimal = minimal_secret_record(make_case(secret=True))
    assert minimal.secret and minimal.parties == () and minimal.panel is None
    assert minimal.original_case_numbers == () and minimal.cause != "买卖合同纠纷"


@pytest.mark.parametrize(("roles", "kind", "operation", "ok"), [
    (("filing_division_staff",), "user", Operation.REGISTER, True),
    (("judge",), "user", Operation.REGISTER, False),
    ((), "service", Operation.REGISTER, False),  # without case:register
    ((), "service", Operation.UPDATE_CASE, True),  # then decided per case by access-control
    (("scanning_station",), "station", Operation.MOVE_SCAN_TASK, True),
    (("litigant_representative",), "user", Operation.UPDATE_CASE, False),
    (("judge",), "user", Operation.LINK_ORIGINAL, True),
    (("clerk",), "user", Operation.LINK_ORIGINAL, False),
])
def test_roles(roles, kind, operation, ok):
    if ok:
        ensure_permitted(roles, kind, operation)
    else:
        with pytest.raises(NotPermitted):
            ensure_permitted(roles, kind, operation)


def test_a_service_registers_cases_only_with_its_scope():
    """No decision can be asked about a case before it exists: 立案登记 by a service account needs case:register."""
    ensure_permitted((), "service", Operation.REGISTER, ("case:register",))
    with pytest.raises(NotPermitted) as refused:
        ensure_permitted(("service_account",), "service", Operation.REGISTER, ("dossier:add_pages",))
    assert refused.value.field == "scope"


def _register(**overrides) -> RegisterCase:
    data = {"case_number": "（2025）吉01民终1号", "filed_on": date(2025, 2, 1), "cause": "借款合同纠纷"}
    data.update(overrides)
    return RegisterCase.model_validate(data)


@pytest.mark.parametrize(("overrides", "error", "field"), [
    ({"case_number": "（2025）吉01民Q1号"}, CaseNumberError, "case_number.type_code"),
    ({"court": "吉99"}, UnknownCourt, "court"),
    ({"court": "吉02"}, InvalidInput, "court"),
    ({"stage": "closed"}, WrongStage, "stage"),
    ({"cause": None}, InvalidInput, "cause"),
    ({"original_case_numbers": ["（2024）吉0102民初0号"]}, InvalidInput, "original_case_numbers[0].serial"),
    ({"filed_on": date(2024, 12, 31)}, InvalidInput, "filed_on"),
])
def test_registration_refusals_name_the_field(overrides, error, field):
    with pytest.raises(error) as raised:
        build_case(_register(**overrides))
    problem = to_problem(raised.value)
    assert problem.status == 422 and field in [e.field for e in problem.errors]


@pytest.mark.parametrize("original", ["（2025）吉01民终7号", "（2024）吉0202民初5号", "（2024）吉0102执5号"])
def test_registration_refuses_an_original_that_cannot_be_one_第三条二(original):
    """吉高法〔2020〕11号 第三条(二): an appeal's 原审 is a first-instance case of a court directly below; anything
    else is refused with the field and the article — it would otherwise open that case to this panel."""
    with pytest.raises(InvalidInput) as raised:
        build_case(_register(original_case_numbers=["（2024）吉0102民初88号", original]))
    problem = to_problem(raised.value)
    assert problem.status == 422 and [e.field for e in problem.errors] == ["original_case_numbers[1]"]
    assert problem.extra["rule"] == articles.ART3_2


def test_a_secret_registration_keeps_no_originals_to_check():
    case = build_case(_register(secret=True, cause=None, original_case_numbers=["（2025）吉01民终7号"]))
    assert case.secret


def test_panel_members_use_the_shared_role_strings():
    panel = Panel(undertaking_judge="j1", presiding_judge="j2", members=frozenset({"j1", "j2", "j3"}),
                  judge_assistants=frozenset({"a1"}), clerks=frozenset({"c1"}))
    assert panel_members(panel) == [
        {"user_id": "j1", "role": "undertaking_judge"}, {"user_id": "j2", "role": "presiding_judge"},
        {"user_id": "j3", "role": "panel_member"}, {"user_id": "a1", "role": "judge_assistant"},
        {"user_id": "c1", "role": "clerk"}]
    assert articles.ART10.endswith("第十条")
