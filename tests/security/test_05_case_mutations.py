"""Issue 20 item 5 — case mutations are checked against the case.

Any judge-side user could change any case's stage, add hearings or close it (closing also weakens the case's
第九条 rule: an 审结 case is read on other terms). Now each change is an access-control action decided on the case
— ``update_case`` (stage, hearings: the case team and 立案庭 of its court), ``close_case`` (its 承办法官 or 审判长,
立案庭), ``link_original`` (its judges, 立案庭) — refused with 403 problem+json naming the rule, storing nothing,
and access-control keeps the decision in the audit trail.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

JL = "吉高法〔2020〕11号"
HEARING = {"status": "scheduled", "at": "2026-02-26T01:00:00Z"}


def known_to_access_control(api, sec, case_number: str, timeout: float = 30.0) -> None:
    """Registration reaches access-control by the bus: wait until the 承办法官 may read the record."""
    deadline = time.monotonic() + timeout
    while not api.post("access-control", "/v1/decisions", sec.JUDGE,
                       {"action": "read_case", "case_number": case_number}, expect=(200,))["allowed"]:
        if time.monotonic() > deadline:
            raise AssertionError(f"access-control never learnt of {case_number}")
        time.sleep(0.2)


def audited(api, sec, case_number: str, actor: str, action: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The decision records access-control kept for ``actor`` asking ``action`` on the case (read as 技术处)."""
    deadline = time.monotonic() + timeout
    while True:
        records = api.get("access-control", f"/v1/audit?case_number={sec.cn_path(case_number)}", sec.TECH)["items"]
        found = [r for r in records if r["actor"] == actor and r["action"] == "decision"
                 and r["detail"].get("action") == action]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_judge_outside_the_panel_cannot_change_schedule_or_close_the_case(api, sec):
    """吉高法〔2020〕11号 第三条(四)(六), 第九条: judge-chen of the same 民一庭, not on the panel, is refused the stage, a
    hearing, 结案 and the 原审 links (403 problem+json naming the rule); nothing is stored; access-control audited
    each refusal; the case's 承办法官 then does all of it."""
    case = sec.register_case(api)["case_number"]
    path = f"/v1/cases/{sec.cn_path(case)}"
    known_to_access_control(api, sec, case)

    attempts = [("/stage", {"stage": "pre_hearing"}, "update_case"), ("/hearings", HEARING, "update_case"),
                ("/close", {"result": "驳回上诉，维持原判"}, "close_case"),
                ("/original-links", {"original_case_number": "（2025）吉0102民初2345号", "kind": "e_dossier",
                                     "ref": "e-dossier:（2025）吉0102民初2345号", "reason": "手动关联"}, "link_original")]
    for tail, body, action in attempts:
        status, problem = api.status_of("intake", "POST", path + tail, sec.OUTSIDER, json=body)
        sec.assert_refused(status, problem, (403,), rule=JL)
        assert audited(api, sec, case, "u-judge-chen", action), f"no audit record of the refused {action}"

    stored = api.get("intake", path, sec.FILING)
    assert (stored["stage"], stored["hearings"], stored["status"]) == ("filing", [], "open"), stored
    assert api.get("intake", f"{path}/original-trial", sec.FILING)["history"] == []

    assert api.post("intake", path + "/stage", sec.JUDGE, {"stage": "pre_hearing"})["stage"] == "pre_hearing"
    assert api.post("intake", path + "/hearings", sec.JUDGE, HEARING)["hearings"][0]["status"] == "scheduled"
    assert api.post("intake", path + "/close", sec.JUDGE, {"result": "驳回上诉，维持原判"})["status"] == "closed"


def test_the_case_team_changes_the_case_but_only_its_judges_close_it(api, sec):
    """第三条(六): the clerk of the panel schedules hearings (``update_case``) but does not close the case; its
    承办法官 does (``close_case``)."""
    case = sec.register_case(api)["case_number"]
    path = f"/v1/cases/{sec.cn_path(case)}"
    known_to_access_control(api, sec, case)
    assert api.post("intake", path + "/hearings", sec.CLERK, HEARING)["hearings"][0]["by"] == "u-clerk-liu"
    status, problem = api.status_of("intake", "POST", path + "/close", sec.CLERK, json={"result": "调解结案"})
    sec.assert_refused(status, problem, (403,), rule=JL)
    assert api.get("intake", path, sec.FILING)["status"] == "open"
    assert api.post("intake", path + "/close", sec.JUDGE, {"result": "调解结案"})["status"] == "closed"
