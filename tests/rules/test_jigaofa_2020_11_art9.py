"""吉高法〔2020〕11号 第九条第2项: 案件提交法官会议、审判委员会讨论的，法官会议成员、审委会委员可查阅。

The 承办法官 records the submission in intake (``POST /v1/cases/{case_number}/deliberations``, with the date and
the members); intake emits ``case.submitted_for_deliberation``, access-control records it, and from then on the
members read the case (its record and its pages) — each read audited like every other. Before the submission they
are refused; a judge outside the case cannot record one; a body's member not named for this case stays refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ART = "第九条"
COMMITTEE_WU = "committee-wu"  # 审委会委员 (民二庭)
LEADER_ZHOU = "leader-zhou"  # 分管院领导、审委会委员
MEETING_ZHENG = "meeting-zheng"  # 法官会议成员 (民一庭)
# the demo panel without 郑法官, who sits on the 法官会议
PANEL = {"undertaking_judge": "u-judge-wang", "presiding_judge": "u-judge-wang",
         "members": ["u-judge-wang", "u-judge-li"], "judge_assistants": ["u-assistant-zhao"],
         "clerks": ["u-clerk-liu"]}




def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: still {result!r}"
        time.sleep(0.5)


def registered(api, rules) -> str:
    case_number = rules.register_case(api, panel=PANEL)["case_number"]
    eventually(lambda: rules.decision(api, rules.JUDGE, "read_pages", case_number)["allowed"], 30,
               "access-control knows the case")
    return case_number


def assert_cannot_read(api, rules, who: str, case_number: str) -> None:
    for action in ("read_case", "read_pages"):
        d = rules.decision(api, who, action, case_number)
        assert d["allowed"] is False, (who, action, d)
    status, body = api.status_of("intake", "GET", f"/v1/cases/{rules.cn_path(case_number)}", who)
    rules.assert_refused(status, body, (403, 404))


def reads_once_submitted(api, rules, who: str, case_number: str, body_zh: str) -> None:
    def allowed() -> dict | None:
        d = rules.decision(api, who, "read_pages", case_number)
        return d if d["allowed"] else None
    d = eventually(allowed, 30, f"{who} reads once the case is submitted")
    assert ART in d["rule"] and body_zh in d["reason"], d
    assert {"kind": "record_access", "rule": d["obligations"][0]["rule"]} in d["obligations"], d  # audited


def submit(api, rules, who: str, case_number: str, body: dict, expect=(201,)):
    return api.status_of("intake", "POST", f"/v1/cases/{rules.cn_path(case_number)}/deliberations", who,
                         json=body) if expect is None else \
        api.post("intake", f"/v1/cases/{rules.cn_path(case_number)}/deliberations", who, body, expect=expect)


def test_members_read_a_case_intake_records_as_submitted_to_the_committee_第九条第2项(api, rules):
    case_number = registered(api, rules)
    assert_cannot_read(api, rules, COMMITTEE_WU, case_number)

    body = {"body": "adjudication_committee", "submitted_at": "2026-03-02", "members": ["u-committee-wu"]}
    status, refused = submit(api, rules, rules.OUTSIDER, case_number, body, expect=None)
    rules.assert_refused(status, refused, (403, 404))  # a judge outside the case records no submission
    case = submit(api, rules, rules.JUDGE, case_number, body)
    assert case["deliberations"][0]["body"] == "adjudication_committee"
    assert case["deliberations"][0]["submitted_at"] == "2026-03-02"

    reads_once_submitted(api, rules, COMMITTEE_WU, case_number, "审判委员会")
    # a committee member not named for this case, and judges outside it, still read nothing
    assert rules.decision(api, LEADER_ZHOU, "read_pages", case_number)["allowed"] is False
    assert rules.decision(api, rules.OUTSIDER, "read_pages", case_number)["allowed"] is False


def test_members_read_a_case_intake_records_as_submitted_to_the_judges_meeting_第九条第2项(api, rules):
    case_number = registered(api, rules)
    assert_cannot_read(api, rules, MEETING_ZHENG, case_number)
    status, refused = submit(api, rules, rules.JUDGE, case_number, {"body": "judges_meeting"}, expect=None)
    assert status == 422, refused  # the date of the submission is part of the record

    case = submit(api, rules, rules.JUDGE, case_number, {"body": "judges_meeting", "submitted_at": "2026-03-03"})
    assert case["deliberations"][-1]["body"] == "judges_meeting" and case["deliberations"][-1]["members"] is None

    reads_once_submitted(api, rules, MEETING_ZHENG, case_number, "法官会议")
    assert rules.decision(api, COMMITTEE_WU, "read_pages", case_number)["allowed"] is False  # the 审委会 was not asked
