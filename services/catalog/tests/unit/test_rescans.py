import pytest
from juanzong_catalog.domain.case_kind import CaseKind
from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.dossier import DossierDocument, compile_dossier, new_dossier
from juanzong_catalog.domain.rescans import replace_page

pytestmark = pytest.mark.unit


def _dossier():
    kind = next(iter(CaseKind))
    d = new_dossier("x", "（2026）吉01民终1001号", kind)
    docs = (
        DossierDocument(document_id="d1", category=Category.JUDGMENT, candidate=Category.JUDGMENT,
                        title="民事判决书", page_ids=("p1", "p2", "p3")),
    )
    return d.model_copy(update={"documents": docs})


def test_rescan_takes_the_flagged_pages_place_and_number():
    """法〔2016〕264号 二(五): the re-scanned page replaces the unclear one where it stood."""
    before = _dossier()
    after = replace_page(before, "p2", "p2-rescan")
    assert after is not None
    assert after.document("d1").page_ids == ("p1", "p2-rescan", "p3")
    assert "p2" not in after.page_ids
    numbers = {s.page_id: s.page_number for v in compile_dossier(after).volumes for s in v.pages if s.page_id}
    old_numbers = {s.page_id: s.page_number for v in compile_dossier(before).volumes for s in v.pages if s.page_id}
    assert numbers["p2-rescan"] == old_numbers["p2"]


def test_rescan_of_an_unfiled_page_is_catalogued_normally_and_twice_is_a_no_op():
    dossier = _dossier()
    assert replace_page(dossier, "nope", "p9") is None
    once = replace_page(dossier, "p2", "p2-rescan")
    assert replace_page(once, "p2", "p2-rescan") == once
