"""What a reader whose decision withholds material is shown (法〔2016〕264号 三(六)), the 依法不公开 flag a
cataloguer sets, and the case facts that keep pages out of a dossier (吉高法〔2020〕11号 第十条, 第十四条,
第三条(八))."""

from __future__ import annotations

import datetime as dt

import pytest
from juanzong_catalog.domain.admission import page_refusal
from juanzong_catalog.domain.categories import CaseKind, Category
from juanzong_catalog.domain.disclosure import Visibility, Withholding, visibility
from juanzong_catalog.domain.dossier import (
    CorrectionError,
    CorrectionKind,
    Dossier,
    DossierDocument,
    cataloguing_rate,
    merge_documents,
    set_disclosure,
)
from juanzong_catalog.service_layer import queries
from juanzong_shared.auth import Decision, Obligation

pytestmark = pytest.mark.unit

CASE = "（2026）吉01民终8801号"
AT = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
REPRESENTATIVE = Withholding(sub_volume=True, undisclosable=True)


def doc(doc_id: str, category: Category | None, pages: int = 2, **extra) -> DossierDocument:
    return DossierDocument(document_id=doc_id, category=category, candidate=category or Category.OTHER,
                           title=f"{doc_id}题名", page_ids=tuple(f"{doc_id}-p{i}" for i in range(pages)), **extra)


def dossier() -> Dossier:
    """正卷: appeal (2 pages), a closed-by-law evidence (1), judgment (2); 副卷: deliberation record (2);
    one document awaiting review (1)."""
    return Dossier(dossier_id=CASE, case_number=CASE, case_kind=CaseKind.CIVIL_SECOND_INSTANCE, documents=(
        doc("appeal", Category.APPEAL_PETITION),
        doc("evidence", Category.EVIDENCE, pages=1, disclosable=False),
        doc("judgment", Category.JUDGMENT),
        doc("deliberation", Category.DELIBERATION_RECORD),
        doc("pending", None, pages=1),
    ))


def test_withholding_comes_from_the_decisions_obligations():
    """The obligations access-control attaches to a representative's yes (法〔2016〕264号 三(六))."""
    decision = Decision(allowed=True, reason="代理人", obligations=(
        Obligation(kind="record_access"), Obligation(kind="exclude_sub_volume"),
        Obligation(kind="exclude_undisclosable")))
    assert Withholding.of(decision) == REPRESENTATIVE
    plain = Decision(allowed=True, reason="合议庭", obligations=(Obligation(kind="record_access"),))
    assert not Withholding.of(plain).any


def test_sub_volume_withheld_hides_the_secondary_volume_and_unfiled_documents():
    """法〔2016〕264号 三(六): no 副卷 material; a document not yet filed may be 副卷, so it is withheld too."""
    vis = visibility(dossier(), Withholding(sub_volume=True))
    assert vis.hidden_documents == {"deliberation", "pending"}
    assert vis.page_hidden("deliberation-p0") and vis.page_hidden("pending-p0")
    assert not vis.page_hidden("evidence-p0")  # disclosability not withheld by this decision
    assert vis.page_hidden("stray-page")  # placed in no document: volume unknown
    assert not vis.page_hidden("appeal-p1")


def test_undisclosable_withheld_hides_material_closed_by_law_only():
    vis = visibility(dossier(), Withholding(undisclosable=True))
    assert vis.hidden_documents == {"evidence"}
    assert not vis.page_hidden("deliberation-p0")


def test_nothing_withheld_shows_everything():
    vis = visibility(dossier())
    assert not vis.any and not vis.hidden_documents and not vis.page_hidden("stray-page")


def _raw() -> dict:
    return {"_id": CASE, "court": "吉01", "blank_page_ids": ["deliberation-p1", "appeal-p1"]}


def test_representatives_dossier_view_has_no_sub_volume_and_keeps_the_courts_page_numbers():
    d = dossier()
    whole = queries.dossier_view(d, _raw())
    shown = queries.dossier_view(d, _raw(), visibility(d, REPRESENTATIVE))
    assert [v["volume"] for v in whole["volumes"]] == ["main", "secondary"]
    assert [v["volume"] for v in shown["volumes"]] == ["main"]
    ids = [x["document_id"] for x in shown["volumes"][0]["documents"]]
    assert ids == ["appeal", "judgment"]
    numbers = {p["page_id"]: p["page_number"] for v in whole["volumes"] for x in v["documents"] for p in x["pages"]}
    shown_numbers = {p["page_id"]: p["page_number"] for x in shown["volumes"][0]["documents"] for p in x["pages"]}
    assert all(numbers[p] == n for p, n in shown_numbers.items())  # the court's numbers, gaps and all
    assert shown["volumes"][0]["numbered_pages"] == 4
    assert shown["review_queue"] == [] and shown["blank_page_ids"] == ["appeal-p1"]
    assert shown["cataloguing_rate"]["total_pages"] == 4
    text = repr(shown)
    assert "deliberation" not in text and "evidence" not in text and "pending" not in text


def test_representatives_catalogue_rows_leave_out_withheld_documents():
    d = dossier()
    rows = queries.catalogue_rows(d, visibility(d, REPRESENTATIVE))
    assert [r["document_id"] for r in rows] == ["appeal", "judgment"]
    assert {r["document_id"] for r in queries.catalogue_rows(d)} == {"appeal", "evidence", "judgment", "deliberation"}


def test_search_hits_on_withheld_pages_are_dropped():
    d = dossier()
    hits = [{"page_id": p, "line_no": 0} for p in ("appeal-p0", "deliberation-p0", "evidence-p0", "judgment-p1")]
    shown = queries._shown_hits(hits, visibility(d, REPRESENTATIVE), 10)
    assert [h["page_id"] for h in shown] == ["appeal-p0", "judgment-p1"]
    assert queries._shown_hits(hits, None, 2) == hits[:2]


def test_a_cataloguer_marks_a_document_closed_by_law_and_it_is_recorded():
    """The 依法不公开 flag is a correction (who, when, before/after); it does not count against the 智能编目率."""
    d = dossier()
    rate = cataloguing_rate(d)
    updated, correction = set_disclosure(d, "judgment", False, actor="u-clerk-liu", at=AT)
    assert not updated.document("judgment").disclosable
    assert correction.kind is CorrectionKind.DISCLOSURE and correction.actor == "u-clerk-liu"
    assert (correction.before, correction.after) == ("可公开", "依法不公开")
    assert not correction.affects_cataloguing and cataloguing_rate(updated) == rate
    assert "judgment" in visibility(updated, Withholding(undisclosable=True)).hidden_documents
    with pytest.raises(CorrectionError):
        set_disclosure(updated, "judgment", False, actor="u-clerk-liu", at=AT)


def test_material_closed_by_law_stays_closed_when_merged():
    merged, _ = merge_documents(dossier(), ["appeal", "evidence"], actor="u-clerk-liu", at=AT)
    assert not merged.document("appeal").disclosable
    assert isinstance(visibility(merged, REPRESENTATIVE), Visibility)
    assert "evidence-p0" in visibility(merged, REPRESENTATIVE).hidden_pages


@pytest.mark.parametrize(("case", "rule"), [
    ({"secret": True, "paperless": True}, "第十条"),
    ({"secret": False, "paperless": False}, "第十四条"),
    ({"paperless": True, "archived": True}, "第三条(八)"),
])
def test_pages_of_a_secret_out_of_scope_or_archived_case_are_refused(case, rule):
    """吉高法〔2020〕11号 第十条 (涉密: no e-dossier, never indexed), 第十四条, 第三条(八) (archived: locked)."""
    refusal = page_refusal(case)
    assert refusal is not None and rule in refusal[0] and refusal[1]


def test_pages_of_an_ordinary_or_unknown_case_are_catalogued():
    assert page_refusal({"secret": False, "paperless": True}) is None
    assert page_refusal(None) is None
