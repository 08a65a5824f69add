"""Corrections on an in-memory unit of work: one correction → the stored dossier, its record (who, when) and one
catalog.document.corrected event; a refused one changes nothing."""

from __future__ import annotations

import pytest
from juanzong_catalog.domain.categories import CaseKind, Category
from juanzong_catalog.domain.dossier import DossierDocument, add_documents, new_dossier
from juanzong_catalog.service_layer.corrections import CorrectionRefused, Corrections, InvalidCorrection
from juanzong_shared.errors import NotFound

from .memory import memory_uow

pytestmark = [pytest.mark.unit, pytest.mark.asyncio]

CN = "（2025）吉0104民初88号"


async def _world():
    uow = memory_uow()
    docs = [DossierDocument(document_id="d1", category=Category.COMPLAINT, candidate=Category.COMPLAINT,
                            title="民事起诉状", page_ids=("p1", "p2"), basis="model"),
            DossierDocument(document_id="d2", category=Category.EVIDENCE, candidate=Category.EVIDENCE,
                            title="证据", page_ids=("p3",), basis="model")]
    await uow.repos.save_dossier(add_documents(new_dossier(CN, CN, CaseKind.CIVIL_FIRST_INSTANCE), docs),
                                 extra={"document_meta": {"d1": {"batch_id": "b1"}}})
    return uow, Corrections(uow.transact)


async def test_a_correction_is_stored_recorded_and_announced():
    uow, corrections = await _world()
    body = await corrections.correct(CN, {"operation": "reclassify", "document_id": "d2", "category": "答辩状"},
                                     actor="u-clerk-li", actor_name="李书记员", court="吉01")
    assert body["kind"] == "reclassify" and body["actor"] == "u-clerk-li" and body["actor_name"] == "李书记员"
    assert body["cataloguing_rate"] == {"total_pages": 3, "automatic_pages": 2, "rate": round(2 / 3, 4)}
    dossier, _ = await uow.repos.load_dossier(CN)
    assert dossier.document("d2").category is Category.DEFENCE and len(dossier.corrections) == 1
    (record,) = await uow.repos.corrections_of(CN)
    assert record["actor_name"] == "李书记员" and record["request"]["category"] == "答辩状"
    assert uow.published_types() == ["catalog.document.corrected"]
    (event,) = uow.payloads("catalog.document.corrected")
    assert (event.document_id, event.operation, event.by, event.automatic_pages) == ("d2", "reclassify",
                                                                                      "u-clerk-li", 2)


async def test_an_edit_names_the_fields_a_person_set():
    uow, corrections = await _world()
    await corrections.correct(CN, {"operation": "edit", "document_id": "d1", "date": "2025-03-12",
                                   "issuing_party": "张三"}, actor="u-clerk-li")
    _, raw = await uow.repos.load_dossier(CN)
    assert raw["document_meta"]["d1"] == {"batch_id": "b1", "manual_fields": ["date", "issuing_party"]}


@pytest.mark.parametrize(("request_body", "refusal", "field"), [
    ({"operation": "reclassify", "document_id": "d2", "category": "不存在的类别"}, InvalidCorrection, "category"),
    ({"operation": "edit", "document_id": "d1"}, InvalidCorrection, "title"),
    ({"operation": "rename", "document_id": "d1"}, InvalidCorrection, "title"),
    ({"operation": "merge", "document_ids": ["d1", "nope"]}, CorrectionRefused, "merge"),
])
async def test_a_refused_correction_changes_nothing(request_body, refusal, field):
    uow, corrections = await _world()
    with pytest.raises(refusal) as refused:
        await corrections.correct(CN, request_body, actor="u-clerk-li")
    assert refused.value.errors[0][0] == field
    dossier, _ = await uow.repos.load_dossier(CN)
    assert dossier.corrections == () and uow.repos.corrections == [] and uow.committed == []


async def test_no_dossier_no_correction():
    _, corrections = await _world()
    with pytest.raises(NotFound):
        await corrections.correct("（2025）吉0104民初1号", {"operation": "rename", "document_id": "d1",
                                                          "title": "x"}, actor="u")
