"""The generated corpus: deterministic, realistic enough, and with truths that match the pages."""

from __future__ import annotations

import random
import re

import pytest
from juanzong_catalog.domain.categories import CaseKind, Category
from juanzong_catalog.domain.text import parse_footer
from juanzong_training.corpus import (
    OcrNoise,
    generate_bundle,
    generate_corpus,
    make_case,
    render_document,
)

pytestmark = pytest.mark.unit

CASE_NO = re.compile(r"^（20\d{2}）吉\d{2,4}(民初|民终|行初|行终)\d+号$")


def test_same_seed_same_pages_and_another_seed_other_pages() -> None:
    a = generate_bundle(7, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=30)
    b = generate_bundle(7, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=30)
    c = generate_bundle(8, CaseKind.CIVIL_FIRST_INSTANCE, min_pages=30)
    assert a == b
    assert [p.text for p in a.pages] != [p.text for p in c.pages]


@pytest.mark.parametrize("kind", list(CaseKind))
def test_bundle_truth_covers_every_non_blank_page_once_in_scan_order(kind: CaseKind) -> None:
    bundle = generate_bundle(11, kind, min_pages=60, blank_rate=0.3)
    covered = [pid for _, ids in bundle.documents for pid in ids]
    content = [p.page_id for p in bundle.pages if not p.blank]
    assert covered == content
    assert bundle.blank_page_ids, "a high blank rate yields separator pages"
    assert CASE_NO.match(bundle.case_number)
    assert len(bundle.pages) >= 60
    assert [p.seq for p in bundle.pages] == list(range(len(bundle.pages)))


def test_every_category_renders_with_its_title_and_case_details() -> None:
    docs = generate_corpus(5, per_category=2, noise_range=(0.0, 0.0))
    assert {d.truth.category for d in docs} == set(Category)
    for d in docs:
        text = "\n".join(p.text for p in d.pages)
        assert "{" not in text and "}" not in text, (d.truth.category, text[:200])
        if d.truth.case_number:
            assert CASE_NO.match(d.truth.case_number)
            assert d.truth.case_number in text.replace("\n", "")  # lines wrap mid-number


def test_multi_page_documents_carry_consistent_footers_when_born_digital() -> None:
    rng = random.Random(3)
    ctx = make_case(rng, CaseKind.CIVIL_FIRST_INSTANCE)
    doc = render_document(Category.TRIAL_RECORD, ctx, rng, page_prefix="t", born_digital=True)
    assert len(doc.pages) >= 2
    footers = [parse_footer(list(p.line_texts)) for p in doc.pages]
    assert [f.number for f in footers] == list(range(1, len(doc.pages) + 1))  # type: ignore[union-attr]
    assert {f.total for f in footers} == {len(doc.pages)}  # type: ignore[union-attr]
    assert all(p.born_digital for p in doc.pages)


def test_ocr_noise_degrades_text_but_zero_noise_leaves_it_intact() -> None:
    line = "原告邹贵欣与被告伍珍琴民间借贷纠纷一案，本院于2023年1月20日立案。"
    assert OcrNoise(level=0.0).line(line, random.Random(1)) == [line]
    noisy = [OcrNoise(level=1.0).line(line, random.Random(s)) for s in range(200)]
    changed = sum(1 for out in noisy if out != [line])
    broken = sum(1 for out in noisy if len(out) == 2)
    assert changed > 100
    assert broken > 0
    assert all(len("".join(out)) <= len(line) * 1.1 for out in noisy)


def test_line_boxes_lie_on_an_a4_page_at_300_dpi() -> None:
    docs = generate_corpus(9, per_category=1, categories=[Category.JUDGMENT, Category.SUMMONS])
    for d in docs:
        for p in d.pages:
            for ln in p.lines:
                for x, y in ln.polygon:
                    assert 0 <= x <= 2480 and 0 <= y <= 3508
