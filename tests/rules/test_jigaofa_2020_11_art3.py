"""吉高法〔2020〕11号 第三条 through the real stack.

(八) 组卷装订: once the 核查 passes, the 立案庭 智能办案辅助中心 matches every paper item against the e-dossier — it
must read the pages of a case that is not yet archived (issue 22 item 7). The duty read is a decision naming the
article, and it is in the case's audit trail with the centre's clerk as the actor.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e








def test_assistance_centre_reads_pages_it_must_check_and_match_audited_第三条八(api, rules):
    case = rules.register_case(api)
    cn = case["case_number"]
    for action in ("read_pages", "read_text", "search"):
        d = rules.eventually_decided(api, rules.FILING, action, cn, True)
        assert d["allowed"], d
        assert "第三条(八)" in d["rule"] and "第四条(一)4" in d["rule"], d
    reads = rules.audited_reads(api, cn, f"u-{rules.FILING}", "read_pages")
    assert reads, f"the 立案庭 duty read of {cn} is not in its audit trail"
    assert any("第三条(八)" in str(r["detail"]) for r in reads), reads
    # not a 涉密 case (第十条): no e-dossier in this system
    secret = rules.register_case(api, secret=True)["case_number"]
    time.sleep(1)
    d = rules.decision(api, rules.FILING, "read_pages", secret)
    assert not d["allowed"] and "第十条" in d["rule"], d
