"""Staged materials: 长中法〔2018〕129号 第六条 (立案) and 第七条 (庭前, 庭后, 结案前)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from juanzong_intake.domain import articles
from juanzong_intake.domain.case import Case, Panel, Party, PartyRole
from juanzong_intake.domain.deadlines import DeadlineAnchor, DeadlineUnit
from juanzong_intake.domain.errors import DataFileError
from juanzong_intake.domain.staged_materials import (
    MaterialFacts,
    MaterialSource,
    MaterialStatus,
    ReceivedMaterial,
    StagedMaterialCatalog,
    case_completeness,
    facts_from_case,
    stage_completeness,
)
from juanzong_intake.domain.stages import CaseStage, MaterialStage

pytestmark = pytest.mark.unit

MakeCase = Callable[..., Case]
FILING_REQUIRED = ("process_info_sheet", "acceptance_notice", "case_origin_document", "initiator_identity",
                   "initiator_service_address", "service_receipt")
ALL_NO = MaterialFacts(**{name: False for name in MaterialFacts.model_fields})


def got(*ids: str, stage: MaterialStage | None = MaterialStage.FILING,
        source: MaterialSource = MaterialSource.SCANNED) -> list[ReceivedMaterial]:
    return [ReceivedMaterial(material_id=i, stage=stage, source=source) for i in ids]


def status(report, material_id: str) -> MaterialStatus:  # type: ignore[no-untyped-def]
    return next(line.status for line in report.lines if line.material_id == material_id)


def test_four_stages_each_with_article_and_deadline_第六条_第七条() -> None:
    catalog = StagedMaterialCatalog.load()
    expected = {
        MaterialStage.FILING: (articles.CC_ART6, DeadlineAnchor.FILING_DATE, 3),
        MaterialStage.PRE_HEARING: (articles.CC_ART7_1, DeadlineAnchor.HEARING_DATE, -5),
        MaterialStage.POST_HEARING: (articles.CC_ART7_2, DeadlineAnchor.HEARING_DATE, 5),
        MaterialStage.PRE_CLOSING: (articles.CC_ART7_4, DeadlineAnchor.JUDGMENT_SIGNING, 0),
    }
    for stage, (article, anchor, amount) in expected.items():
        requirement = catalog.stage(stage)
        assert requirement.article == article
        assert (requirement.deadline.anchor, requirement.deadline.amount) == (anchor, amount)
        assert requirement.deadline.unit is DeadlineUnit.WORKING_DAYS
        assert requirement.find("service_receipt") is not None  # 送达回证 at every stage
    assert catalog.stage(MaterialStage.FILING).responsible_zh == "立案部门"


def test_filing_stage_complete_when_all_expected_are_in_第六条() -> None:
    report = stage_completeness("C1", MaterialStage.FILING, got(*FILING_REQUIRED), ALL_NO)
    assert report.complete and report.missing == () and report.to_confirm == ()
    assert status(report, "fee_payment_notice") is MaterialStatus.NOT_APPLICABLE


def test_filing_stage_reports_what_is_missing_第六条() -> None:
    report = stage_completeness("C1", MaterialStage.FILING, got(*FILING_REQUIRED[:-1]), ALL_NO)
    assert not report.complete and report.missing == ("service_receipt",)


def test_online_filed_materials_count_without_scanning_第六条() -> None:
    online = got("case_origin_document", "initiator_identity", source=MaterialSource.ONLINE_FILING)
    rest = got("process_info_sheet", "acceptance_notice", "initiator_service_address", "service_receipt")
    report = stage_completeness("C1", MaterialStage.FILING, online + rest, ALL_NO)
    assert report.complete
    line = next(line for line in report.lines if line.material_id == "case_origin_document")
    assert line.sources == (MaterialSource.ONLINE_FILING,)


@pytest.mark.parametrize(("defence_filed", "expected"), [
    (True, MaterialStatus.MISSING), (False, MaterialStatus.NOT_APPLICABLE), (None, MaterialStatus.TO_CONFIRM)])
def test_conditional_material_depends_on_the_facts_第七条(defence_filed: bool | None,
                                                        expected: MaterialStatus) -> None:
    facts = ALL_NO.model_copy(update={"defence_filed": defence_filed})
    report = stage_completeness("C1", MaterialStage.PRE_HEARING, [], facts)
    assert status(report, "defence_statement") is expected
    assert status(report, "summons") is MaterialStatus.MISSING
    assert report.complete is False


def test_hearing_files_wait_for_the_technology_第七条() -> None:
    report = stage_completeness("C1", MaterialStage.POST_HEARING, got("service_receipt",
                                stage=MaterialStage.POST_HEARING), MaterialFacts(investigation_conducted=False,
                                                                                 evidence_cross_examined=False))
    assert status(report, "hearing_transcript") is MaterialStatus.NOT_APPLICABLE
    assert report.complete
    ready = stage_completeness("C1", MaterialStage.POST_HEARING, [],
                               MaterialFacts(hearing_files_supported=True))
    assert status(ready, "hearing_transcript") is MaterialStatus.MISSING


def test_received_for_another_stage_does_not_count_第七条() -> None:
    filing_receipt = got("service_receipt", stage=MaterialStage.FILING)
    report = stage_completeness("C1", MaterialStage.PRE_CLOSING, filing_receipt, ALL_NO)
    assert "service_receipt" in report.missing
    any_stage = got("closing_judgment", "service_receipt", stage=None)
    assert stage_completeness("C1", MaterialStage.PRE_CLOSING, any_stage, ALL_NO).complete


def test_unrecognised_material_is_reported() -> None:
    report = stage_completeness("C1", MaterialStage.FILING, got(*FILING_REQUIRED, "mystery"), ALL_NO)
    assert report.unrecognised == ("mystery",) and report.complete


def test_facts_follow_from_the_case(make_case: MakeCase) -> None:
    case = make_case(parties=(Party(name="甲", role=PartyRole.APPELLANT),
                              Party(name="乙", role=PartyRole.THIRD_PARTY)))
    facts = facts_from_case(case)
    assert facts.collegial_panel is True and facts.has_third_party is True
    overridden = facts_from_case(case, MaterialFacts(has_third_party=False))
    assert overridden.has_third_party is False and overridden.collegial_panel is True
    sole = make_case(panel=Panel(undertaking_judge="j1"), parties=())
    assert facts_from_case(sole).collegial_panel is False and facts_from_case(sole).has_third_party is None


def test_case_report_covers_the_stages_reached_第六条_第七条(make_case: MakeCase) -> None:
    case = make_case(stage=CaseStage.PRE_HEARING)
    report = case_completeness(case, got(*FILING_REQUIRED), ALL_NO)
    assert report.applicable and [s.stage for s in report.stages] == [MaterialStage.FILING,
                                                                      MaterialStage.PRE_HEARING]
    assert report.stages[0].complete and not report.stages[1].complete and not report.complete
    assert report.stages[0].case_number == case.key


def test_case_report_uses_case_facts_第七条(make_case: MakeCase) -> None:
    case = make_case(stage=CaseStage.CLOSED, panel=Panel(undertaking_judge="j1"))
    report = case_completeness(case, [], MaterialFacts())
    closing = next(s for s in report.stages if s.stage is MaterialStage.PRE_CLOSING)
    assert status(closing, "panel_deliberation_record") is MaterialStatus.NOT_APPLICABLE  # sole judge


def test_no_report_for_secret_or_out_of_scope_cases_第十条_第十四条(make_case: MakeCase) -> None:
    secret = case_completeness(make_case(secret=True), [])
    assert not secret.applicable and not secret.complete and "第十条" in (secret.reason_zh or "")
    criminal = case_completeness(make_case(case_number="（2020）吉01刑终5号"), [])
    assert not criminal.applicable and criminal.stages == ()


def test_names_and_aliases_resolve_to_materials() -> None:
    catalog = StagedMaterialCatalog.load()
    assert catalog.resolve("上诉状") == ((MaterialStage.FILING, "case_origin_document"),)
    assert catalog.resolve(" 答辩状 ") == ((MaterialStage.PRE_HEARING, "defence_statement"),)
    assert len(catalog.resolve("送达回证")) == 4
    assert catalog.resolve("送达回证", MaterialStage.POST_HEARING) == ((MaterialStage.POST_HEARING,
                                                                      "service_receipt"),)
    assert catalog.resolve("不存在的材料") == ()


def test_bad_data_is_refused() -> None:
    stage = {"stage": "filing", "article": "x", "responsible_zh": "立案部门",
             "deadline": {"anchor": "filing_date", "amount": 3, "unit": "working_days", "description_zh": "d"},
             "materials": [{"material_id": "a", "name_zh": "甲", "form": "paper", "condition": "no_such_fact"}]}
    others = [{**stage, "stage": s.value, "materials": []} for s in MaterialStage if s is not MaterialStage.FILING]
    with pytest.raises(DataFileError):
        StagedMaterialCatalog.from_json(json.dumps({"stages": [stage, *others]}))
    with pytest.raises(DataFileError):
        StagedMaterialCatalog.from_json(json.dumps({"stages": others}))
