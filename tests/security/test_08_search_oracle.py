"""Issue 20 item 8: search is no oracle (吉高法〔2020〕11号 第九条, 第十条).

Before the change the cross-dossier search answered every caller with ``withheld_dossiers``: how many dossiers it
may not read hold the word — so a scanning station (or a judge outside the panel) learned which terms a case it
may not read contains. Now the answer says nothing about such dossiers: a word only they hold gets exactly the
answer of a word nobody holds.

The dossier is made through the real pipeline: 立案 of a case on the demo panel, a page uploaded by 立案庭 to
scan-ocr, OCR, cataloguing.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WORD = "紫檀屏风"  # only in the test's dossier
ABSENT = "青铜编钟"  # in no dossier at all








@pytest.fixture(scope="module")
def dossier(api, sec, tmp_path_factory) -> str:
    """A catalogued dossier whose text holds WORD, readable by its panel only."""
    case_number = sec.register_case(api)["case_number"]
    files = sec.render_pages(tmp_path_factory.mktemp("pages08"), [
        ("01.png", "上诉状", ["民事上诉状", "上诉人：长春恒达商贸有限公司", f"上诉人主张{WORD}一套系其所有",
                            f"请求返还{WORD}并赔偿损失", "此致", "吉林省长春市中级人民法院"])])
    sec.upload_pages(api, case_number, files)
    sec.catalogued(api, case_number, 1)
    hits = api.get("catalog", "/v1/search", sec.JUDGE, params={"q": WORD})["hits"]
    assert any(h["case_number"] == case_number for h in hits), "the panel finds the word (it was indexed)"
    return case_number


def _without_query(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "query"}


@pytest.mark.parametrize("who", ["OUTSIDER", "station"])
def test_cross_search_says_nothing_about_dossiers_the_caller_may_not_read(dossier, api, sec, who):
    """第九条 (and 第四条(一)3 for the station): a word only an unreadable dossier holds gets exactly the answer of a
    word no dossier holds — no hit, no count, no field that differs."""
    caller = getattr(sec, who, who)
    status, present = api.status_of("catalog", "GET", "/v1/search", caller, params={"q": WORD})
    assert status == 200, present
    status, absent = api.status_of("catalog", "GET", "/v1/search", caller, params={"q": ABSENT})
    assert status == 200, absent
    assert _without_query(present) == _without_query(absent) == {"hits": [], "total": 0}
    assert dossier not in str(present)


def test_the_panel_still_finds_the_word_and_nothing_counts_what_it_may_not_read(dossier, api, sec):
    """The panel's answer lists its hits and carries no count of dossiers withheld from it."""
    body = api.get("catalog", "/v1/search", sec.JUDGE, params={"q": WORD})
    assert body["hits"] and all(WORD in h["text"] for h in body["hits"])
    assert set(body) == {"query", "hits", "total"}
