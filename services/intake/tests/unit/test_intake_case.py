"""Cases: scope (吉高法〔2020〕11号 第十四条), secrecy (第十条), panel, stage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import (
    Case,
    DossierWrite,
    Panel,
    PaperlessScope,
    Party,
    PartyRole,
    SecrecyDesignation,
    advance_stage,
    decide_scope,
    ensure_e_dossier_writable,
    ensure_in_paperless_flow,
    ensure_not_secret,
)
from juanzong_intake.domain.case_types import CaseCategory
from juanzong_intake.domain.errors import OutsidePaperlessFlow, SecretCaseRefused, WrongStage
from juanzong_intake.domain.stages import CaseStage, MaterialStage
from pydantic import ValidationError

pytestmark = pytest.mark.unit

MakeCase = Callable[..., Case]


@pytest.mark.parametrize(("number", "scope"), [
    ("（2020）吉0102民初1号", PaperlessScope.IN_FLOW),
    ("（2020）吉01民终1号", PaperlessScope.IN_FLOW),
    ("（2020）吉民申1号", PaperlessScope.IN_FLOW),
    ("（2020）吉01行初1号", PaperlessScope.IN_FLOW),
    ("（2020）吉行终1号", PaperlessScope.IN_FLOW),
    ("（2020）吉0102刑初1号", PaperlessScope.DEFERRED),
    ("（2020）吉01刑终1号", PaperlessScope.DEFERRED),
    ("（2020）吉01行赔初1号", PaperlessScope.DEFERRED),
    ("（2020）吉委赔1号", PaperlessScope.DEFERRED),
    ("（2020）吉01法赔1号", PaperlessScope.DEFERRED),
    ("（2020）吉0102执1号", PaperlessScope.SEPARATE),
    ("（2020）吉01执异1号", PaperlessScope.SEPARATE),
    ("（2020）吉01司救民1号", PaperlessScope.NOT_COVERED),
    ("（2020）吉0102财保1号", PaperlessScope.NOT_COVERED),
])
def test_scope_by_case_type_第十四条(make_case: MakeCase, number: str, scope: PaperlessScope) -> None:
    case = make_case(case_number=number, original_case_numbers=())
    assert case.scope.scope is scope
    assert case.scope.article == articles.ART14
    assert case.scope.reason_zh
    assert case.e_dossier_allowed is (scope is PaperlessScope.IN_FLOW)


def test_scope_reason_names_the_category_第十四条() -> None:
    assert "刑事" in decide_scope(CaseCategory.CRIMINAL, date(2020, 1, 1)).reason_zh
    assert "暂缓" in decide_scope(CaseCategory.STATE_COMPENSATION, date(2020, 1, 1)).reason_zh
    assert "执行" in decide_scope(CaseCategory.ENFORCEMENT, date(2020, 1, 1)).reason_zh


def test_only_cases_received_from_2019_12_01_第十四条() -> None:
    before = decide_scope(CaseCategory.CIVIL, date(2019, 11, 30))
    first_day = decide_scope(CaseCategory.CIVIL, date(2019, 12, 1))
    assert before.scope is PaperlessScope.NOT_COVERED and "2019年12月1日" in before.reason_zh
    assert first_day.scope is PaperlessScope.IN_FLOW


def test_secret_case_refused_第十条(make_case: MakeCase) -> None:
    case = make_case(secret=True, secrecy=SecrecyDesignation(determined_by="head1", approved_by="vp1",
                                                             filed_with_trial_management=True))
    assert not case.e_dossier_allowed
    for action in DossierWrite:
        with pytest.raises(SecretCaseRefused) as caught:
            ensure_not_secret(case, action)
        assert caught.value.article == articles.ART10
        assert caught.value.field == "secret"
        assert action.zh in caught.value.reason_zh
        assert "第十条" in caught.value.reason_zh


def test_non_secret_case_passes_the_secrecy_guard_第十条(make_case: MakeCase) -> None:
    ensure_not_secret(make_case(), DossierWrite.STORE_PAGES)
    ensure_e_dossier_writable(make_case(), DossierWrite.STORE_PAGES)


def test_secrecy_outranks_scope_第十条(make_case: MakeCase) -> None:
    criminal_secret = make_case(case_number="（2020）吉01刑终1号", secret=True)
    with pytest.raises(SecretCaseRefused):
        ensure_e_dossier_writable(criminal_secret, DossierWrite.CREATE_SCAN_TASK)


def test_outside_the_flow_is_refused_with_the_reason_第十四条(make_case: MakeCase) -> None:
    criminal = make_case(case_number="（2020）吉01刑终1号")
    with pytest.raises(OutsidePaperlessFlow) as caught:
        ensure_in_paperless_flow(criminal, DossierWrite.CREATE_SCAN_TASK)
    assert caught.value.scope == PaperlessScope.DEFERRED.value
    assert caught.value.article == articles.ART14
    assert "刑事" in caught.value.reason_zh and "创建扫描任务" in caught.value.reason_zh


def test_secrecy_designation_needs_the_secret_flag_第十条(make_case: MakeCase) -> None:
    with pytest.raises(ValidationError):
        make_case(secret=False, secrecy=SecrecyDesignation(determined_by="head1"))


def test_case_fields_are_checked(make_case: MakeCase) -> None:
    with pytest.raises(ValidationError):
        make_case(filed_on=date(2021, 1, 5))  # not in the case number's year
    with pytest.raises(ValidationError):
        make_case(original_case_numbers=("（2020）吉01民终123号",))  # its own number
    with pytest.raises(ValidationError):
        make_case(original_case_numbers=("（2019）吉0102民初88号", "(2019)吉0102民初88号"))
    with pytest.raises(ValidationError):
        make_case(case_number="（2020）吉99民终1号")
    with pytest.raises(ValidationError):
        make_case(cause="")


def test_derived_properties(make_case: MakeCase) -> None:
    appeal = make_case()
    assert appeal.key == "（2020）吉01民终123号"
    assert appeal.court_code == "吉01"
    assert appeal.category is CaseCategory.CIVIL
    assert appeal.requires_original_trial
    assert appeal.original_keys() == {"（2019）吉0102民初88号"}
    first = make_case(case_number="（2020）吉0102民初9号", original_case_numbers=())
    assert not first.requires_original_trial


def test_json_round_trip_keeps_the_case(make_case: MakeCase) -> None:
    case = make_case(secret=True, secrecy=SecrecyDesignation(determined_by="head1"))
    dumped = case.model_dump(mode="json")
    assert dumped["case_number"]["canonical"] == "（2020）吉01民终123号"
    assert dumped["court_code"] == "吉01" and dumped["category"] == "civil"
    assert dumped["scope"]["scope"] == "in_flow"
    assert Case.model_validate_json(case.model_dump_json()) == case


def test_panel_judges_sit_on_the_panel() -> None:
    with pytest.raises(ValidationError):
        Panel(undertaking_judge="j9", members=frozenset({"j1", "j2", "j3"}))
    with pytest.raises(ValidationError):
        Panel(undertaking_judge="j1", presiding_judge="j9", members=frozenset({"j1", "j2", "j3"}))
    sole = Panel(undertaking_judge="j1", clerks=frozenset({"c1"}))
    assert not sole.collegial
    panel = Panel(undertaking_judge="j1", presiding_judge="j2", members=frozenset({"j1", "j2", "j3"}),
                  judge_assistants=frozenset({"a1"}))
    assert panel.collegial


def test_party_roles_have_chinese_labels() -> None:
    assert {r.zh for r in PartyRole} >= {"上诉人", "被上诉人", "原审原告", "被告人", "申请执行人"}
    assert len({r.zh for r in PartyRole}) == len(PartyRole)
    with pytest.raises(ValidationError):
        Party(name="", role=PartyRole.PLAINTIFF)


def test_stage_moves_forward_only(make_case: MakeCase) -> None:
    case = make_case()
    later = advance_stage(case, CaseStage.POST_HEARING)  # no separate pre-hearing step recorded
    assert later.stage is CaseStage.POST_HEARING and case.stage is CaseStage.FILING
    with pytest.raises(WrongStage) as caught:
        advance_stage(later, CaseStage.PRE_HEARING)
    assert caught.value.field == "stage"
    with pytest.raises(WrongStage):
        advance_stage(later, CaseStage.POST_HEARING)


def test_case_stage_admits_materials_of_reached_stages() -> None:
    assert CaseStage.FILING.admits(MaterialStage.FILING)
    assert not CaseStage.FILING.admits(MaterialStage.PRE_HEARING)
    assert CaseStage.CLOSED.admits(MaterialStage.PRE_CLOSING)
    assert CaseStage.PRE_HEARING.material_stages_due() == (MaterialStage.FILING, MaterialStage.PRE_HEARING)
    assert CaseStage.ARCHIVED.material_stages_due() == tuple(MaterialStage)


def test_a_party_role_may_be_given_as_court_staff_write_it():
    """诉讼地位 in Chinese (上诉人) is the same role as its English name; it is kept by the English name."""
    assert Party(name="赵立军", role="上诉人").role is PartyRole.APPELLANT
    assert Party(name="钱某", role="被上诉人").role is Party(name="钱某", role="appellee").role
    with pytest.raises(ValidationError):
        Party(name="钱某", role="上訴人")
