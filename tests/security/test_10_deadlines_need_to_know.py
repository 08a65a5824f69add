"""Item 10 (notifier) — a case's deadlines are need to know, and a 涉密 case is invisible outside its team.

Before the fix ``GET /v1/cases/{n}/deadlines`` answered every authenticated caller of the court — the scanning
station included — and a 涉密 case's deadlines (with its number, rules and responsible people) with them.
Now the notifier asks access-control ``read_case`` for the case and honours the answer.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e

# intake takes the parties' roles as codes now (conftest's register_case still sends 上诉人/被上诉人)
PARTIES = [{"name": "赵立军", "role": "appellant"}, {"name": "钱某", "role": "appellee"}]


def register(api, sec, **extra) -> str:
    return sec.register_case(api, parties=PARTIES, **extra)["case_number"]


def deadlines(api, sec, case_number: str, who: str):
    return api.status_of("notifier", "GET", f"/v1/cases/{sec.cn_path(case_number)}/deadlines", who)


def wait_until_seen(api, sec, case_number: str, who: str, timeout: float = 60.0) -> dict:
    """case.registered reaches the notifier and access-control on the bus: wait until ``who`` (inside) reads it."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = deadlines(api, sec, case_number, who)
        if status == 200:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{who} never saw {case_number}'s deadlines: {status} {body}")
        time.sleep(0.5)


def test_deadlines_are_shown_to_the_case_team_and_refused_to_others_naming_the_rule(api, sec):
    """吉高法〔2020〕11号 第九条 (need to know): the case team reads its case's deadlines; a judge of the same
    division outside the panel and the scanning station are refused, with the article named."""
    case = register(api, sec)
    body = wait_until_seen(api, sec, case, sec.JUDGE)
    assert body["case_number"] == case

    status, refused = deadlines(api, sec, case, sec.OUTSIDER)
    sec.assert_refused(status, refused, (403,), rule="第九条")
    status, refused = deadlines(api, sec, case, "station")
    sec.assert_refused(status, refused, (403,), rule="第四条(一)3")


def test_a_secret_cases_deadlines_are_not_found_outside_its_team(api, sec):
    """吉高法〔2020〕11号 第十条: a 涉密 case's record is known to its team and the court's 立案庭 only (intake keeps no
    panel of a 涉密 case, so here: 立案庭); to anyone else — the division's judges, its head, the scanning station —
    the answer is the 404 a case nobody registered gets, and names no article that would give it away."""
    secret = register(api, sec, secret=True)
    wait_until_seen(api, sec, secret, sec.FILING)
    never = sec.next_case_number()  # a number nobody registered

    for who in (sec.JUDGE, sec.OUTSIDER, sec.HEAD, "station"):
        hidden_status, hidden = deadlines(api, sec, secret, who)
        unknown_status, unknown = deadlines(api, sec, never, who)
        sec.assert_refused(hidden_status, hidden, (404,))
        assert hidden_status == unknown_status == 404, (who, hidden, unknown)
        assert hidden["detail"].replace(secret, "N") == unknown["detail"].replace(never, "N"), (hidden, unknown)
        assert "第十条" not in str(hidden) and not hidden.get("rule"), hidden
