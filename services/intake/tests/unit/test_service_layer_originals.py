"""Original-trial use cases on an in-memory unit of work: 报送清单, automatic and manual links, unlinks and the
return to the lower court (吉高法〔2020〕11号 第三条)."""

from __future__ import annotations

import pytest
from juanzong_intake.domain.errors import AlreadyDone, LinkError
from juanzong_intake.service_layer import commands as cmds

from .memory import World
from .test_service_layer_cases import APPEAL, CLERK, access, register

pytestmark = pytest.mark.unit

ORIGINAL = "（2024）吉0102民初88号"
REF = "ED-吉0102-2024-88"


def manifest(*refs: str) -> cmds.SubmitManifest:
    return cmds.SubmitManifest.model_validate({"submitting_court": "吉0102", "originals": [
        {"original_case_number": ORIGINAL, "e_dossier_refs": list(refs), "paper_volumes": 2}]})


def link(**overrides) -> cmds.LinkOriginal:
    return cmds.LinkOriginal.model_validate({"original_case_number": ORIGINAL, "kind": "e_dossier", "ref": REF,
                                             "reason": "关联错误"} | overrides)


async def registered() -> World:
    world = World()
    await world.cases.register(register(original_case_numbers=[ORIGINAL]), CLERK)
    return world


async def test_a_manifest_without_the_e_dossier_returns_the_case_第三条二():
    world = await registered()
    result = await world.originals.submit_manifest(APPEAL, manifest(), CLERK, access=access())
    assert result["returned"]["lower_court"] == "吉0102"
    assert world.repos.cases.docs[APPEAL]["status"] == "returned_to_lower_court"
    [returned] = world.uow.payloads("case.returned_to_lower_court")
    assert returned.lower_court == "吉0102" and returned.missing
    with pytest.raises(AlreadyDone):
        await world.originals.return_to_lower_court(APPEAL, cmds.ReturnToLowerCourt(), CLERK, access=access())


async def test_the_manifest_links_its_e_dossier_and_a_person_unlinks_and_links_it_again():
    world = await registered()
    result = await world.originals.submit_manifest(APPEAL, manifest(REF), CLERK, access=access())
    assert result["returned"] is None and [a["ref"] for a in result["auto_link"]["added"]] == [REF]
    [auto] = world.uow.payloads("case.original.linked")
    assert (auto.original_case_number, auto.e_dossier_ref, auto.manual) == (ORIGINAL, REF, False)
    undone = await world.originals.unlink(APPEAL, link(), CLERK, access=access())
    assert undone["action"] == "unlinked"
    [unlinked] = world.uow.payloads("case.original.unlinked")
    assert (unlinked.by, unlinked.reason) == (CLERK.subject, "关联错误")
    await world.originals.link(APPEAL, link(reason="核实后重新关联"), CLERK, access=access())
    manual = world.uow.payloads("case.original.linked")[-1]
    assert manual.manual and manual.reason == "核实后重新关联"
    report = await world.originals.report(APPEAL, access())
    assert [x["ref"] for x in report["links"]] == [REF] and not report["decision"]["return_to_lower_court"]


async def test_a_manual_link_to_a_record_nobody_knows_is_refused():
    world = await registered()
    with pytest.raises(LinkError):
        await world.originals.link(APPEAL, link(ref="ED-不存在"), CLERK, access=access())
    assert world.uow.payloads("case.original.linked") == []
