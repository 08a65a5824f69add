"""The dossier: standard order, electronic page numbers, 卷内目录, corrections and the 智能编目率."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from juanzong_catalog.domain.cataloguing import catalogue_batch
from juanzong_catalog.domain.categories import CaseKind, Category, Volume
from juanzong_catalog.domain.classifier import Classifier
from juanzong_catalog.domain.dossier import (
    CorrectionError,
    CorrectionKind,
    Dossier,
    DossierDocument,
    add_documents,
    arrange,
    cataloguing_rate,
    compile_dossier,
    edit_entry,
    merge_documents,
    move_pages,
    new_dossier,
    reclassify,
    rename,
    reorder,
    split_document,
)
from juanzong_training.corpus import generate_bundle

pytestmark = pytest.mark.unit

CASE = "（2025）吉0104民初88号"


@pytest.fixture
def make_doc() -> Callable[..., DossierDocument]:
    def factory(doc_id: str, category: Category | None, pages: int = 1, **overrides: Any) -> DossierDocument:
        data: dict[str, Any] = {"document_id": doc_id, "category": category,
                                "candidate": category or Category.OTHER,
                                "title": (category or Category.OTHER).value, "page_ids": tuple(
                                    f"{doc_id}-p{i}" for i in range(pages)), "confidence": 0.95,
                                "basis": "rule:title_exact+model"}
        data.update(overrides)
        return DossierDocument(**data)

    return factory


def _dossier(*docs: DossierDocument, kind: CaseKind = CaseKind.CIVIL_FIRST_INSTANCE) -> Dossier:
    return Dossier(dossier_id="d1", case_number=CASE, case_kind=kind, documents=docs)


def _ids(dossier: Dossier) -> list[str]:
    return [d.document_id for d in dossier.documents]


def test_arrange_orders_a_scanned_batch_by_article_12(make_doc: Callable[..., DossierDocument]) -> None:
    """立卷归档办法 第十二条 order; 长中法〔2018〕129号 第八条 自动归目 at closing."""
    scanned = _dossier(make_doc("receipt", Category.SERVICE_RECEIPT), make_doc("judgment", Category.JUDGMENT),
                       make_doc("trial", Category.TRIAL_RECORD), make_doc("defence", Category.DEFENCE),
                       make_doc("complaint", Category.COMPLAINT), make_doc("deliberation", Category.DELIBERATION_RECORD),
                       make_doc("summons", Category.SUMMONS), make_doc("receipt2", Category.SERVICE_RECEIPT))
    arranged = arrange(scanned)
    assert _ids(arranged) == ["complaint", "defence", "summons", "trial", "judgment", "receipt", "receipt2",
                              "deliberation"]  # same-category documents keep scan order (第十四条)


def test_original_trial_judgment_follows_the_transfer_letter_in_a_second_instance_volume(
        make_doc: Callable[..., DossierDocument]) -> None:
    """立卷归档办法 第十三条(3)(4): 上诉移送书, then 原审法院判决书, then 上诉书 … and this court's judgment."""
    d = Dossier(dossier_id="d2", case_number="（2025）吉01民终9号", case_kind=CaseKind.CIVIL_SECOND_INSTANCE,
                documents=(make_doc("own", Category.JUDGMENT, case_number="（2025）吉01民终9号"),
                           make_doc("appeal", Category.APPEAL_PETITION),
                           make_doc("original", Category.JUDGMENT, case_number="（2024）吉0104民初7号"),
                           make_doc("letter", Category.APPEAL_TRANSFER_LETTER)))
    assert _ids(arrange(d)) == ["letter", "original", "appeal", "own"]


def test_page_numbers_run_per_volume_from_one_and_skip_unnumbered_parts(
        make_doc: Callable[..., DossierDocument]) -> None:
    """立卷归档办法 卷内页号 (封面、卷内目录、备考表、卷底不编号); 法〔2016〕264号 三(九) 电子页码."""
    d = arrange(_dossier(make_doc("cover", Category.COVER), make_doc("complaint", Category.COMPLAINT, pages=3),
                         make_doc("judgment", Category.JUDGMENT, pages=2),
                         make_doc("deliberation", Category.DELIBERATION_RECORD, pages=2)))
    compiled = compile_dossier(d)
    main = compiled.volume(Volume.MAIN)
    secondary = compiled.volume(Volume.SECONDARY)
    assert main is not None and secondary is not None
    assert [(s.role, s.page_number, s.generated) for s in main.pages] == [
        (Category.COVER, None, False),  # scanned cover: kept, unnumbered
        (Category.CATALOGUE, None, True),  # generated 卷内目录
        (None, 1, False), (None, 2, False), (None, 3, False), (None, 4, False), (None, 5, False),
        (Category.REMARKS_SHEET, None, True), (Category.BACK_COVER, None, True)]
    assert [s.page_number for s in secondary.pages if s.page_number] == [1, 2]
    assert main.numbered_pages == 5


def test_catalogue_lists_sequence_title_issuer_date_and_page_range(
        make_doc: Callable[..., DossierDocument]) -> None:
    d = arrange(_dossier(
        make_doc("judgment", Category.JUDGMENT, pages=4, title="民事判决书", issuing_party="长春市朝阳区人民法院",
                 date=dt.date(2025, 3, 12)),
        make_doc("complaint", Category.COMPLAINT, pages=2, title="民事起诉状", issuing_party="张三",
                 date=dt.date(2025, 1, 5))))
    entries = compile_dossier(d).volumes[0].catalogue
    assert [(e.seq, e.title, e.issuing_party, e.date, e.page_range) for e in entries] == [
        (1, "民事起诉状", "张三", dt.date(2025, 1, 5), "1-2"),
        (2, "民事判决书", "长春市朝阳区人民法院", dt.date(2025, 3, 12), "3-6")]


def test_review_queue_documents_are_not_filed_or_numbered(make_doc: Callable[..., DossierDocument]) -> None:
    d = add_documents(_dossier(make_doc("complaint", Category.COMPLAINT, pages=2)),
                      [make_doc("unsure", None, pages=3, candidate=Category.OTHER, confidence=0.4)])
    compiled = compile_dossier(d)
    assert [r.document_id for r in compiled.review_queue] == ["unsure"]
    assert compiled.volumes[0].numbered_pages == 2
    assert compiled.volume(Volume.SECONDARY) is None  # no 副卷 content, no 副卷


def test_new_batches_are_inserted_by_standard_without_undoing_a_manual_reorder(
        make_doc: Callable[..., DossierDocument], t0: dt.datetime) -> None:
    d = arrange(_dossier(make_doc("complaint", Category.COMPLAINT), make_doc("summons", Category.SUMMONS),
                         make_doc("judgment", Category.JUDGMENT)))
    d, _ = reorder(d, "summons", 0, actor="书记员甲", at=t0)
    d = add_documents(d, [make_doc("defence", Category.DEFENCE), make_doc("receipt", Category.SERVICE_RECEIPT)])
    assert _ids(d) == ["summons", "complaint", "defence", "judgment", "receipt"]
    with pytest.raises(CorrectionError):
        add_documents(d, [make_doc("receipt", Category.SERVICE_RECEIPT)])


def test_each_correction_returns_a_new_dossier_and_records_who_and_when(
        make_doc: Callable[..., DossierDocument], t0: dt.datetime) -> None:
    original = arrange(_dossier(make_doc("complaint", Category.COMPLAINT, pages=4),
                                make_doc("judgment", Category.JUDGMENT, pages=2)))
    d, c = split_document(original, "complaint", "complaint-p2", actor="书记员甲", at=t0,
                          category=Category.EVIDENCE)
    assert original.documents[0].page_ids == ("complaint-p0", "complaint-p1", "complaint-p2", "complaint-p3")
    assert (c.kind, c.actor, c.at) == (CorrectionKind.SPLIT, "书记员甲", t0)
    assert c.page_ids == ("complaint-p2", "complaint-p3")
    new_id = c.document_ids[1]
    assert d.document(new_id).category is Category.EVIDENCE

    d, c = merge_documents(d, ["complaint", new_id], actor="书记员乙", at=t0)
    assert d.document("complaint").page_ids == original.documents[0].page_ids
    assert c.kind is CorrectionKind.MERGE and c.page_ids == ("complaint-p2", "complaint-p3")

    d, c = move_pages(d, ["complaint-p3"], "judgment", actor="书记员乙", at=t0, position=0)
    assert d.document("judgment").page_ids == ("complaint-p3", "judgment-p0", "judgment-p1")

    d, c = rename(d, "judgment", "民事判决书（正本）", actor="书记员乙", at=t0)
    assert d.document("judgment").title == "民事判决书（正本）"
    assert c.page_ids == d.document("judgment").page_ids and not c.affects_cataloguing

    d, c = reclassify(d, "judgment", Category.MEDIATION_AGREEMENT, actor="法官助理丙", at=t0)
    assert (c.before, c.after) == ("裁判文书", "调解书")
    assert [x.correction_id for x in d.corrections] == ["d1-c1", "d1-c2", "d1-c3", "d1-c4", "d1-c5"]
    with pytest.raises(CorrectionError):
        rename(d, "judgment", "x", actor="", at=t0)


def test_a_correction_lowers_the_cataloguing_rate_but_a_rename_does_not(
        make_doc: Callable[..., DossierDocument], t0: dt.datetime) -> None:
    """吉高院通报29期 智能编目率 = pages never corrected in placement or category / all pages."""
    d = arrange(_dossier(make_doc("complaint", Category.COMPLAINT, pages=3),
                         make_doc("judgment", Category.JUDGMENT, pages=5)))
    assert cataloguing_rate(d).rate == 1.0
    d, _ = rename(d, "judgment", "民事判决书", actor="甲", at=t0)
    assert cataloguing_rate(d).rate == 1.0
    d, _ = move_pages(d, ["complaint-p2"], "judgment", actor="甲", at=t0)
    rate = cataloguing_rate(d)
    assert (rate.automatic_pages, rate.total_pages) == (7, 8)
    d, _ = reclassify(d, "complaint", Category.APPEAL_PETITION, actor="甲", at=t0)
    assert cataloguing_rate(d).automatic_pages == 5


def test_resolving_a_review_item_files_it_at_its_standard_place_and_counts_as_manual(
        make_doc: Callable[..., DossierDocument], t0: dt.datetime) -> None:
    d = add_documents(arrange(_dossier(make_doc("complaint", Category.COMPLAINT),
                                       make_doc("judgment", Category.JUDGMENT))),
                      [make_doc("unsure", None, pages=2, candidate=Category.DEFENCE, confidence=0.3,
                                title="未识别材料")])
    assert cataloguing_rate(d).automatic_pages == 2  # review pages are not catalogued by the machine
    assert _ids(d)[-1] == "unsure"
    d, _ = reclassify(d, "unsure", Category.DEFENCE, actor="甲", at=t0)
    assert _ids(d) == ["complaint", "unsure", "judgment"]
    assert d.document("unsure").title == "答辩状"
    assert cataloguing_rate(d).automatic_pages == 2
    assert compile_dossier(d).review_queue == ()


def test_reorder_moves_within_the_volume_only(make_doc: Callable[..., DossierDocument], t0: dt.datetime) -> None:
    d = arrange(_dossier(make_doc("a", Category.COMPLAINT), make_doc("b", Category.DEFENCE),
                         make_doc("x", Category.DELIBERATION_RECORD), make_doc("c", Category.JUDGMENT)))
    d2, c = reorder(d, "c", 0, actor="甲", at=t0)
    assert [e.document_id for e in compile_dossier(d2).volumes[0].catalogue] == ["c", "a", "b"]
    assert (c.before, c.after) == ("2", "0")
    with pytest.raises(CorrectionError):
        reorder(d, "c", 7, actor="甲", at=t0)
    with pytest.raises(CorrectionError):
        split_document(d, "a", "a-p0", actor="甲", at=t0)


def test_catalogued_batch_becomes_an_ordered_numbered_dossier(trained_classifier: Classifier) -> None:
    """From a generated batch to a dossier whose 卷内目录 follows 立卷归档办法 第十二条."""
    bundle = generate_bundle(606, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=40)
    batch = catalogue_batch(bundle.pages, trained_classifier, court_name=bundle.court)
    docs = [DossierDocument.from_catalogued(doc, f"doc{i}") for i, doc in enumerate(batch.documents)]
    dossier = add_documents(new_dossier("d9", bundle.case_number, bundle.case_kind), docs)
    compiled = compile_dossier(dossier)
    main = compiled.volumes[0]
    numbers = [s.page_number for s in main.pages if s.page_number is not None]
    assert numbers == list(range(1, len(numbers) + 1))
    from juanzong_catalog.domain.categories import order_index

    positions = [order_index(bundle.case_kind, e.category) for e in main.catalogue]
    assert positions == sorted(positions)
    assert cataloguing_rate(dossier).rate > 0.9


def test_edit_corrects_date_and_issuer_in_the_catalogue_and_is_recorded(
        make_doc: Callable[..., DossierDocument], t0: dt.datetime) -> None:
    """卷内目录 日期/责任者 that OCR missed are set by a person; who and when kept (全程留痕); the
    智能编目率 does not move (wording, not placement)."""
    d = arrange(_dossier(make_doc("summons", Category.SUMMONS, pages=1, title="传票"),
                         make_doc("id", Category.IDENTITY_PROOF, pages=1, title="身份证明",
                                  issuing_party="长春市公安局南关分局")))
    d, c = edit_entry(d, "summons", date=dt.date(2026, 1, 8), issuing_party=" 吉林省长春市中级人民法院 ",
                      actor="u-clerk-liu", at=t0)
    assert (c.kind, c.actor, c.at, c.document_ids) == (CorrectionKind.EDIT, "u-clerk-liu", t0, ("summons",))
    assert c.before == "日期：；责任者：" and c.after == "日期：2026-01-08；责任者：吉林省长春市中级人民法院"
    assert not c.affects_cataloguing and cataloguing_rate(d).rate == 1.0
    row = next(e for e in compile_dossier(d).volumes[0].catalogue if e.document_id == "summons")
    assert (row.date, row.issuing_party, row.title) == (dt.date(2026, 1, 8), "吉林省长春市中级人民法院", "传票")

    d, c = edit_entry(d, "id", issuing_party="赵立军", title="居民身份证复印件", actor="u-clerk-liu", at=t0)
    doc = d.document("id")
    assert (doc.issuing_party, doc.title, doc.date) == ("赵立军", "居民身份证复印件", None)
    assert c.before == "题名：身份证明；责任者：长春市公安局南关分局"
    assert [x.kind for x in d.corrections] == [CorrectionKind.EDIT, CorrectionKind.EDIT]


@pytest.mark.parametrize("fields", [{}, {"title": "  "}, {"issuing_party": ""}])
def test_edit_needs_something_to_change(make_doc: Callable[..., DossierDocument], t0: dt.datetime,
                                        fields: dict[str, Any]) -> None:
    d = _dossier(make_doc("summons", Category.SUMMONS))
    with pytest.raises(CorrectionError):
        edit_entry(d, "summons", actor="甲", at=t0, **fields)
    with pytest.raises(CorrectionError):
        edit_entry(d, "nope", date=dt.date(2026, 1, 8), actor="甲", at=t0)
    with pytest.raises(CorrectionError):
        edit_entry(d, "summons", date=dt.date(2026, 1, 8), actor="", at=t0)


@pytest.mark.parametrize(("value", "ok"), [
    ("2026-01-08", dt.date(2026, 1, 8)),
    (" 2025-11-03 ", dt.date(2025, 11, 3)),
    ("2026-02-30", None),  # no such day
    ("2026/01/08", None),
    ("20260108", None),
    ("二〇二六年一月八日", None),
    ("1948-12-31", None),
    ("2026-03-13", None),  # tomorrow in 长春
    ("", None),
    (20260108, None),
])
def test_edit_dates_are_iso_real_and_not_in_the_future(value: Any, ok: dt.date | None) -> None:
    from juanzong_catalog.service_layer.corrections import parse_document_date
    from juanzong_shared.errors import Invalid

    now = dt.datetime(2026, 3, 12, 17, 0, tzinfo=dt.UTC)  # 2026-03-13 01:00 in 长春
    if ok is not None:
        assert parse_document_date(value, now) == ok
        assert parse_document_date("2026-03-13", now) == dt.date(2026, 3, 13)  # already today in 长春
        return
    with pytest.raises(Invalid) as refused:
        parse_document_date(value, dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC))
    assert refused.value.kind == "invalid" and refused.value.errors[0][0] == "date"
