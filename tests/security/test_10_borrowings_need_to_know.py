"""Issue 20 items 10 and 6, for paper borrowing records: need to know, and every read leaves a trace.

Before: ``GET /v1/borrowings`` answered every authenticated caller, the scanning station included, and recorded
nothing. Now a case's borrowings are read only by whoever may read the case (``read_case``, decided per case), each
read is an audit record, a 涉密 case's borrowings do not exist outside its team (404), and a station reads none."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e

ART4_1_3 = "吉高法〔2020〕11号 第四条(一)3"
ART9 = "吉高法〔2020〕11号 第九条"


def known_to_access_control(api, sec, case_number: str, who: str | None = None, timeout: float = 30.0) -> None:
    """Registration reaches access-control by the bus: wait until ``who`` (the case's judge) may read the case."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = api.status_of("access-control", "POST", "/v1/decisions", who or sec.JUDGE,
                                     json={"action": "read_case", "case_number": case_number})
        if status == 200 and body.get("allowed"):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"access-control never learnt of {case_number}: {status} {body}")
        time.sleep(0.2)


def borrow(api, sec, case_number: str) -> dict:
    return api.post("access-control", "/v1/borrowings", sec.JUDGE, {
        "case_number": case_number, "kind": "current_case_paper", "materials": ["current_case_materials"],
        "days": 3, "purpose": "核对证据原件"})


def borrowing_reads(api, sec, case_number: str) -> list[str]:
    records = api.get("access-control", f"/v1/audit?case_number={sec.cn_path(case_number)}", sec.TECH)["items"]
    return [r["actor"] for r in records if r["action"] == "read.borrowings"]


def test_a_cases_borrowings_are_read_only_on_a_need_to_know_and_each_read_is_recorded(api, sec):
    """吉高法〔2020〕11号 第九条 (need to know) and 法〔2016〕264号 一(三) (全程留痕): the case team reads the case's
    borrowings and leaves a record; a judge outside the panel, a service account without ``case:read`` and the
    scanning station (第四条(一)3: it scans and reads nothing) are refused with problem+json naming the rule."""
    case_number = sec.register_case(api)["case_number"]
    known_to_access_control(api, sec, case_number)
    b = borrow(api, sec, case_number)
    path = f"/v1/borrowings?case_number={sec.cn_path(case_number)}"

    assert [x["borrowing_id"] for x in api.get("access-control", path, sec.MEMBER)["items"]] == [b["borrowing_id"]]
    assert borrowing_reads(api, sec, case_number) == ["u-" + sec.MEMBER]

    status, body = api.status_of("access-control", "GET", path, sec.OUTSIDER)
    sec.assert_refused(status, body, (403,), rule=ART9)
    status, body = api.status_of("access-control", "GET", f"/v1/borrowings/{b['borrowing_id']}", sec.OUTSIDER)
    sec.assert_refused(status, body, (403,), rule=ART9)
    listed = api.get("access-control", "/v1/borrowings", sec.OUTSIDER)["items"]
    assert b["borrowing_id"] not in [x["borrowing_id"] for x in listed]
    status, body = api.status_of("access-control", "GET", path, "notifier")
    sec.assert_refused(status, body, (403,))
    for station_path in (path, "/v1/borrowings", f"/v1/borrowings/{b['borrowing_id']}"):
        status, body = api.status_of("access-control", "GET", station_path, "station")
        sec.assert_refused(status, body, (403,), rule=ART4_1_3)
    assert borrowing_reads(api, sec, case_number) == ["u-" + sec.MEMBER]  # refusals served nothing


def test_a_classified_cases_borrowings_do_not_exist_outside_its_team(api, sec):
    """吉高法〔2020〕11号 第十条: a 涉密 case keeps no panel here, and outside 立案庭 it is invisible — 404, the same
    answer as for a case never registered — when its borrowings are read or asked for, also by the department's head
    and a judge of its department."""
    case_number = sec.register_case(api, secret=True)["case_number"]
    known_to_access_control(api, sec, case_number, sec.FILING)
    never = sec.next_case_number()
    for who in (sec.OUTSIDER, sec.HEAD, sec.JUDGE):
        hidden = api.status_of("access-control", "GET", f"/v1/borrowings?case_number={sec.cn_path(case_number)}", who)
        absent = api.status_of("access-control", "GET", f"/v1/borrowings?case_number={sec.cn_path(never)}", who)
        sec.assert_refused(*hidden, (404,))
        assert absent[0] == 404 and hidden[1]["title"] == absent[1]["title"] and "rule" not in hidden[1]
        status, body = api.status_of("access-control", "POST", "/v1/borrowings", who, json={
            "case_number": case_number, "kind": "emergency", "materials": ["current_case_materials"], "days": 1,
            "purpose": "庭审中", "session": "hearing", "cause": "网络中断"})
        sec.assert_refused(status, body, (404,))
    assert api.get("access-control", f"/v1/borrowings?case_number={sec.cn_path(case_number)}",
                   sec.FILING)["items"] == []
