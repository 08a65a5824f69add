"""The catalogue categories and the standard order of each volume."""

from __future__ import annotations

import pytest
from juanzong_catalog.domain.categories import (
    CATEGORIES,
    STANDARD_ORDER,
    UNNUMBERED,
    CaseKind,
    Category,
    Volume,
    category_by_name,
    order_index,
)

pytestmark = pytest.mark.unit


def _before(kind: CaseKind, *cats: Category) -> bool:
    idx = [order_index(kind, c) for c in cats]
    return idx == sorted(idx) and len(set(idx)) == len(idx)


def test_civil_first_instance_main_volume_follows_article_12() -> None:
    """立卷归档办法 第十二条: 诉状 → 立案通知/缴费 → 应诉通知 → 答辩 → 询问/调查 → 调解笔录 → 委托书/身份证明
    → 传票 → 庭审笔录 → 调解书/撤诉 → 判决书 → 宣判笔录 → 送达回证 → 上诉书 → 备考表 → 卷底."""
    kind = CaseKind.CIVIL_FIRST_INSTANCE
    assert _before(kind, Category.COVER, Category.CATALOGUE, Category.COMPLAINT, Category.ACCEPTANCE_NOTICE,
                   Category.RESPONSE_NOTICE, Category.DEFENCE, Category.INQUIRY_RECORD, Category.MEDIATION_RECORD,
                   Category.POWER_OF_ATTORNEY, Category.SUMMONS, Category.TRIAL_RECORD,
                   Category.MEDIATION_AGREEMENT, Category.JUDGMENT, Category.PRONOUNCEMENT_RECORD,
                   Category.SERVICE_RECEIPT, Category.APPEAL_PETITION, Category.REMARKS_SHEET, Category.BACK_COVER)


def test_civil_second_instance_main_volume_follows_article_13() -> None:
    """立卷归档办法 第十三条: 上诉移送书 → 上诉书 → 答辩状 → 询问笔录 → 调解笔录 → 撤诉书 → 传票 → 庭审笔录 →
    判决书 → 宣判笔录 → 送达回证."""
    kind = CaseKind.CIVIL_SECOND_INSTANCE
    assert _before(kind, Category.APPEAL_TRANSFER_LETTER, Category.APPEAL_PETITION, Category.DEFENCE,
                   Category.INQUIRY_RECORD, Category.MEDIATION_RECORD, Category.WITHDRAWAL, Category.SUMMONS,
                   Category.TRIAL_RECORD, Category.JUDGMENT, Category.PRONOUNCEMENT_RECORD,
                   Category.SERVICE_RECEIPT, Category.REMARKS_SHEET)
    # The appeal opens a 二审 volume; in a 一审 volume it comes after the judgment.
    assert order_index(kind, Category.APPEAL_PETITION) < order_index(kind, Category.JUDGMENT)
    first = CaseKind.CIVIL_FIRST_INSTANCE
    assert order_index(first, Category.APPEAL_PETITION) > order_index(first, Category.JUDGMENT)


@pytest.mark.parametrize("category", [Category.DELIBERATION_RECORD, Category.COMMITTEE_RECORD,
                                      Category.JUDGES_MEETING_RECORD, Category.TRIAL_REPORT])
def test_deliberations_go_to_the_secondary_volume(category: Category) -> None:
    """评议笔录、审委会记录、案情报告 are kept in the 副卷 (issue 5's summary of 立卷归档办法)."""
    assert CATEGORIES[category].volume is Volume.SECONDARY
    for kind in CaseKind:
        assert category in STANDARD_ORDER[kind][Volume.SECONDARY]
        assert category not in STANDARD_ORDER[kind][Volume.MAIN]


def test_cover_catalogue_remarks_and_back_cover_are_the_unnumbered_parts() -> None:
    """立卷归档办法 卷内页号: 卷宗封面、卷内目录、备考表、卷底不编页号."""
    assert UNNUMBERED == {Category.COVER, Category.CATALOGUE, Category.REMARKS_SHEET, Category.BACK_COVER}
    for kind in CaseKind:
        for volume in Volume:
            order = STANDARD_ORDER[kind][volume]
            assert order[:2] == (Category.COVER, Category.CATALOGUE)
            assert order[-2:] == (Category.REMARKS_SHEET, Category.BACK_COVER)


def test_every_category_has_a_place_in_its_volume_for_every_case_kind() -> None:
    """立卷归档办法 第十四条: materials the lists do not name still get a place (by formation order)."""
    for kind in CaseKind:
        for cat, spec in CATEGORIES.items():
            if cat in UNNUMBERED:
                continue
            assert cat in STANDARD_ORDER[kind][spec.volume], (kind, cat)


def test_an_unlisted_category_goes_before_the_remarks_sheet() -> None:
    """立卷归档办法 第十四条: an unlisted material is placed after the listed ones, before the 备考表."""
    kind = CaseKind.CIVIL_FIRST_INSTANCE
    idx = order_index(kind, Category.DELIBERATION_RECORD, Volume.MAIN)  # not in the main order
    assert order_index(kind, Category.OTHER) < idx < order_index(kind, Category.REMARKS_SHEET)


def test_category_by_chinese_name_or_title() -> None:
    assert category_by_name("传票") is Category.SUMMONS
    assert category_by_name("民事判决书") is Category.JUDGMENT
    assert category_by_name("合议庭评议笔录") is Category.DELIBERATION_RECORD
    assert category_by_name("不存在的材料") is None
