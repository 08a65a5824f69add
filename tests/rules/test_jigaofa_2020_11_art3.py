"""吉高法〔2020〕11号 第三条 through the real stack.

(八) 组卷装订: once the 核查 passes, the 立案庭 智能办案辅助中心 matches every paper item against the e-dossier — it
must read the pages of a case that is not yet archived (issue 22 item 7). The duty read is a decision naming the
article, and it is in the case's audit trail with the centre's clerk as the actor.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def decision(api, who: str, action: str, case_number: str) -> dict:
    return api.post("access-control", "/v1/decisions", who, {"action": action, "case_number": case_number},
                    expect=(200,))


def eventually_decided(api, who: str, action: str, case_number: str, allowed: bool, timeout: float = 30) -> dict:
    """access-control hears of a registration or a closing a moment after intake answered."""
    deadline = time.monotonic() + timeout
    while True:
        d = decision(api, who, action, case_number)
        if d["allowed"] is allowed or time.monotonic() > deadline:
            return d
        time.sleep(0.5)


def audited_reads(api, rules, case_number: str, actor: str, action: str, until: int = 1) -> list[dict]:
    """The allowed decisions of ``actor`` for ``action`` in the case's audit trail (read by its 承办法官)."""
    deadline = time.monotonic() + 15
    while True:
        records = api.get("access-control", "/v1/audit", rules.JUDGE,
                          params={"case_number": case_number, "limit": 500})["items"]
        found = [r for r in records if r["actor"] == actor and r["action"] == "decision"
                 and r["detail"].get("action") == action and r["detail"].get("allowed") is True]
        if len(found) >= until or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_assistance_centre_reads_pages_it_must_check_and_match_audited_第三条八(api, rules):
    case = rules.register_case(api)
    cn = case["case_number"]
    for action in ("read_pages", "read_text", "search"):
        d = eventually_decided(api, rules.FILING, action, cn, True)
        assert d["allowed"], d
        assert "第三条(八)" in d["rule"] and "第四条(一)4" in d["rule"], d
    reads = audited_reads(api, rules, cn, f"u-{rules.FILING}", "read_pages")
    assert reads, f"the 立案庭 duty read of {cn} is not in its audit trail"
    assert any("第三条(八)" in str(r["detail"]) for r in reads), reads
    # not a 涉密 case (第十条): no e-dossier in this system
    secret = rules.register_case(api, secret=True)["case_number"]
    time.sleep(1)
    d = decision(api, rules.FILING, "read_pages", secret)
    assert not d["allowed"] and "第十条" in d["rule"], d
