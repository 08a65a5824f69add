"""Need to know (issue 20 item 10): an access request (阅览申请) is no oracle for which case numbers are 涉密.

Before the change, opening a request on a 涉密 case was refused naming 第十条 to any requester, while an unknown number
answered 404 — so anyone could tell a 涉密 case from a free number (吉高法〔2020〕11号 第十条)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def _open(api, sec, who: str, case_number: str) -> tuple[int, dict]:
    return api.status_of("access-control", "POST", "/v1/access-requests", who,
                         json={"case_number": case_number, "actions": ["read_pages"], "purpose": "类案参考", "days": 7})


def _registered_in_access_control(api, sec, case_number: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, decision = api.status_of("access-control", "POST", "/v1/decisions", sec.FILING,
                                         json={"action": "read_case", "case_number": case_number})  # 立案庭 sees a 涉密 record
        if status == 200 and decision.get("allowed"):
            return
        time.sleep(0.2)
    raise AssertionError(f"access-control never learnt of {case_number}")


def test_an_access_request_on_a_classified_case_answers_like_an_unknown_number(api, sec):
    """第十条: outside its team a 涉密 case's request answers 404 exactly like a number never registered."""
    secret = sec.register_case(api, secret=True)["case_number"]
    _registered_in_access_control(api, sec, secret)
    unknown = sec.next_case_number()
    s_status, s_body = _open(api, sec, sec.OUTSIDER, secret)
    u_status, u_body = _open(api, sec, sec.OUTSIDER, unknown)
    assert s_status == u_status == 404, (s_status, s_body, u_status, u_body)
    assert "第十条" not in str(s_body)
    assert s_body.get("title") == u_body.get("title")
