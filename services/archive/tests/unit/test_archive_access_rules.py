"""Which question the archive asks for each read (issue 20 items 6, 10, 11) and the HTML report's CSP (item 13)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

import pytest
from juanzong_archive.domain import access
from juanzong_archive.domain.report import REPORT_CSP, FourPropertyReport, render_html
from juanzong_archive.domain.workflow import ArchiveState

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("state", [s for s in ArchiveState if s is not ArchiveState.ARCHIVED] + [None])
def test_check_reports_are_workflow_views_until_archived(state):
    """吉高法〔2020〕11号 第三条(九): the archives office audits with the conversion report before archiving."""
    assert access.report_action(state) == access.READ_CASE


def test_check_reports_of_an_archived_case_are_part_of_the_e_archive():
    """第三条(八)、第四条(二): once archived, reading them is reading the e-archive."""
    assert access.report_action(ArchiveState.ARCHIVED) == access.READ_ARCHIVE


def test_a_refusal_under_article_10_hides_the_case():
    """第十条: a 涉密 case is not shown to exist to those outside it."""
    assert access.hides_case("吉高法〔2020〕11号 第十条; 法〔2016〕264号 二(三)")
    assert not access.hides_case("吉高法〔2020〕11号 第九条第2项")
    assert not access.hides_case(None)


def test_a_yes_that_withholds_material_cannot_be_served_from_a_whole_record():
    """法〔2016〕264号 三(六): an archive record or package holds the 副卷; it cannot be cut."""
    assert access.must_withhold(True, False) and access.must_withhold(False, True)
    assert not access.must_withhold(False, False)


def test_the_html_reports_csp_allows_its_own_style_and_nothing_else():
    report = FourPropertyReport.unreadable("J011-2021-C-0001", "x.tar.gz", "测试", dt.datetime.now(dt.UTC))
    style = re.search(r"<style>(.*?)</style>", render_html(report), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in REPORT_CSP
    assert REPORT_CSP.startswith("default-src 'none'") and "sandbox" in REPORT_CSP and "script-src" not in REPORT_CSP


def _archived_record(at: dt.datetime) -> dict:
    return {"state": "archived", "history": [{"to_state": "converted", "at": (at - dt.timedelta(minutes=5)).isoformat()},
                                             {"to_state": "archived", "at": at.isoformat()}]}


def test_a_not_yet_archived_refusal_moments_after_archiving_is_asked_again():
    """access-control hears of 审核归档 by event: for a short while its "not archived" (第三条(八)) may be stale."""
    now = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    assert access.archived_at(_archived_record(now)) == now
    assert access.may_be_settling(_archived_record(now - dt.timedelta(seconds=2)), access.ART3_8, now)
    assert not access.may_be_settling(_archived_record(now - dt.timedelta(minutes=5)), access.ART3_8, now)
    assert not access.may_be_settling(_archived_record(now), "吉高法〔2020〕11号 第九条第2项", now)
    assert not access.may_be_settling({"state": "converted", "history": []}, access.ART3_8, now)
    assert not access.may_be_settling(None, access.ART3_8, now)
