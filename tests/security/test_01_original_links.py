"""Issue 20 item 1 — a 原审 link is a fact, not a key (吉高法〔2020〕11号 第三条(二)).

The review registered a new 民终 naming a same-court 民终 as its "original"; the link opened that case's dossier,
search and e-archive to the new panel without the 第九条 approval, a manual link took any free-text ``ref``, and an
unlink left the access open. Now: registration applies the 报送清单's lower-court / earlier-instance rule and refuses
(422, the field and 第三条(二)) a number that cannot be an original — the 立案庭 clerk corrects it as any other field —,
a manual link needs a record the system knows of that original, a proper lower-court original linked through the
manifest is opened for reading only, and an unlink or a return to the lower court closes it within 2 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ART3_2 = "第三条(二)"
LOWER_COURT = "吉0102"
# the panels of the originals: nobody of the new case's panel (王 承办/审判长, 李, 郑, 赵助理, 刘书记) sits on them
SAME_COURT_PANEL = {"undertaking_judge": "u-judge-chen", "members": ["u-judge-chen"]}
LOWER_PANEL = {"undertaking_judge": "u-lower-judge-1", "members": ["u-lower-judge-1"]}
READS = ("read_pages", "read_text", "search")
NOT_READS = ("write", "manage", "update_case", "close_case", "link_original")


def registration(sec, *, case_type: str = "民终", court: str = "吉01", original: list[str] | None = None,
                 panel: dict | None = None) -> dict[str, Any]:
    return {"case_number": sec.next_case_number(case_type, court), "filed_on": date(2026, 1, 8).isoformat(),
            "court": court, "case_type": case_type, "cause": "民间借贷纠纷", "department": "民一庭",
            "original_case_numbers": original or [], "panel": panel or sec.sample.PANEL,
            "parties": [{"name": "赵立军", "role": "上诉人"}, {"name": "钱某", "role": "被上诉人"}],
            "secret": False, "stage": "filing"}


def lower_court_first_instance(api, sec) -> str:
    """A 民初 of 南关区法院 (directly below 长春中院), registered so that access-control knows it."""
    return api.post("intake", "/v1/cases", sec.FILING,
                    registration(sec, case_type="民初", court=LOWER_COURT, panel=LOWER_PANEL))["case_number"]


def decide(api, who: str, action: str, case_number: str) -> dict:
    return api.post("access-control", "/v1/decisions", who, {"action": action, "case_number": case_number},
                    expect=(200,))


class Open(dict):
    """What is still open to the panel (empty: nothing — the check holds)."""

    def __bool__(self) -> bool:
        return not dict.__len__(self)


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {value!r})")
        time.sleep(0.1)


def manifest(sec, original: str, refs: list[str]) -> dict:
    return {"manifest_id": f"M-{LOWER_COURT}-{time.time_ns()}", "submitting_court": LOWER_COURT,
            "submitted_by": "u-lower-clerk-01",
            "originals": [{"original_case_number": original, "e_dossier_refs": refs, "paper_volumes": 1}]}


def panel_reads(api, sec, original: str) -> bool:
    return all(decide(api, sec.JUDGE, action, original)["allowed"] for action in READS)


def panel_refused(api, sec, original: str) -> Open:
    """Nothing of the original is open to the panel: no decision, and catalog (dossier, search) and archive say 403.
    True when so; otherwise what is still open."""
    still = Open({action: "allowed" for action in (*READS, "read_archive")
                  if decide(api, sec.JUDGE, action, original)["allowed"]})
    path = sec.cn_path(original)
    for service, url in (("catalog", f"/v1/dossiers/{path}"), ("catalog", f"/v1/dossiers/{path}/search?q=借款"),
                         ("archive", f"/v1/archives/{path}/package")):
        status, _ = api.status_of(service, "GET", url, sec.JUDGE)
        if status != 403:
            still[f"{service} {url.split('/')[-1][-12:]}"] = status
    return still


def test_a_same_court_appeal_named_as_original_is_refused_and_opens_nothing(api, sec):
    """吉高法〔2020〕11号 第三条(二): an appeal's original is a first-instance case of a court directly below. A new 民终
    naming a same-court 民终 is refused (422, the field, the article), nothing is registered, and the new panel
    reads nothing of that 民终 (decisions, catalog dossier and search, archive package all refuse)."""
    victim = api.post("intake", "/v1/cases", sec.FILING, registration(sec, panel=SAME_COURT_PANEL))["case_number"]
    body = registration(sec, original=[victim])
    status, problem = api.status_of("intake", "POST", "/v1/cases", sec.FILING, json=body)
    sec.assert_refused(status, problem, (422,), rule=ART3_2)
    assert [e["field"] for e in problem["errors"]] == ["original_case_numbers[0]"], problem
    assert api.status_of("intake", "GET", f"/v1/cases/{sec.cn_path(body['case_number'])}", sec.FILING)[0] == 404
    eventually(lambda: decide(api, sec.FILING, "read_case", victim)["allowed"], 30, "access-control learns the case")
    assert panel_refused(api, sec, victim)


def test_a_manual_link_needs_a_real_record_of_a_proper_original(api, sec):
    """第三条(二) 手动关联: the ``ref`` must be a record of that original the system knows (catalogued or archived here,
    or listed in the lower court's 报送清单); a free text is refused naming ``ref`` and the article, nothing linked."""
    original = lower_court_first_instance(api, sec)
    case = api.post("intake", "/v1/cases", sec.FILING, registration(sec, original=[original]))["case_number"]
    link = {"original_case_number": original, "kind": "e_dossier", "ref": "ED-随便写的", "reason": "手动关联"}
    status, problem = api.status_of("intake", "POST", f"/v1/cases/{sec.cn_path(case)}/original-links", sec.FILING,
                                    json=link)
    sec.assert_refused(status, problem, (422,), rule=ART3_2)
    assert problem["errors"][0]["field"] == "ref", problem
    report = api.get("intake", f"/v1/cases/{sec.cn_path(case)}/original-trial", sec.FILING)
    assert report["links"] == [] and report["history"] == []


def test_a_lower_court_original_linked_by_the_manifest_is_read_only_and_an_unlink_closes_it_within_2s(api, sec):
    """第三条(二)(四): the 报送清单 links 南关区法院's 民初 to the new 民终; its panel may read the original's e-dossier
    (pages, text, search) and nothing else of it; the case's judge unlinks it and within 2 s the panel is refused
    everywhere (access-control's decision, catalog's dossier and search, archive's package)."""
    original = lower_court_first_instance(api, sec)
    case = api.post("intake", "/v1/cases", sec.FILING, registration(sec, original=[original]))["case_number"]
    ref = f"ED-{LOWER_COURT}-{time.time_ns()}"
    result = api.post("intake", f"/v1/cases/{sec.cn_path(case)}/submissions", sec.FILING,
                      manifest(sec, original, [ref]))
    assert [a["ref"] for a in result["auto_link"]["added"]] == [ref] and result["returned"] is None, result

    eventually(lambda: panel_reads(api, sec, original), 30, "the link opens the original to the panel")
    for action in NOT_READS:
        assert not decide(api, sec.JUDGE, action, original)["allowed"], action
    status, _ = api.status_of("catalog", "GET", f"/v1/dossiers/{sec.cn_path(original)}", sec.JUDGE)
    assert status == 404  # allowed to look: the original has no pages here yet

    unlink = {"original_case_number": original, "kind": "e_dossier", "ref": ref, "reason": "关联的卷宗有误"}
    api.post("intake", f"/v1/cases/{sec.cn_path(case)}/original-links/unlink", sec.JUDGE, unlink)
    eventually(lambda: panel_refused(api, sec, original), 2.0, "the unlink closes the original")


def test_a_case_returned_to_the_lower_court_closes_what_its_links_opened(api, sec):
    """第三条(二) 退回原审法院: a second 报送清单 lists another original without its e-dossier, so the case is returned;
    the original linked before stays in the record but is closed to the panel within 2 s."""
    first, second = lower_court_first_instance(api, sec), lower_court_first_instance(api, sec)
    case = api.post("intake", "/v1/cases", sec.FILING, registration(sec, original=[first]))["case_number"]
    ref = f"ED-{LOWER_COURT}-{time.time_ns()}"
    api.post("intake", f"/v1/cases/{sec.cn_path(case)}/submissions", sec.FILING, manifest(sec, first, [ref]))
    eventually(lambda: panel_reads(api, sec, first), 30, "the link opens the original to the panel")

    result = api.post("intake", f"/v1/cases/{sec.cn_path(case)}/submissions", sec.FILING, manifest(sec, second, []))
    assert result["returned"] and result["returned"]["lower_court"] == LOWER_COURT, result
    eventually(lambda: panel_refused(api, sec, first), 2.0, "the return closes the original")
