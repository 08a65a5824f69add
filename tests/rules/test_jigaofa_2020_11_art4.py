"""吉高法〔2020〕11号 第四条 through the real stack: the duties of 立案庭 and 办公室档案科 (issue 22 item 7).

(一)4 立案庭 checks (核查), binds (组卷) and converts the e-dossier after closing: it reads the pages of its court's
cases until they are archived — a read for those duties only, never more (no access administration). (二)1 档案科
audits the closed cases before archiving: it reads their pages, not those of a case still being tried. Every duty read
is a decision naming the article and is in the case's audit trail.
"""

from __future__ import annotations

import pytest
from juanzong_devstack.api_client import cn_path

pytestmark = pytest.mark.e2e








def test_filing_division_duty_reads_only_for_its_duties_and_audited_第四条一4(api, rules):
    cn = rules.register_case(api)["case_number"]
    d = rules.eventually_decided(api, rules.FILING, "read_pages", cn, True)
    assert d["allowed"] and "第四条(一)4" in d["rule"], d
    # the duty is reading the dossier: administering its access is not part of it (第九条第2项)
    m = rules.decision(api, rules.FILING, "manage", cn)
    assert not m["allowed"], m
    # someone of the same court without that duty still reads nothing
    o = rules.decision(api, rules.OUTSIDER, "read_pages", cn)
    assert not o["allowed"], o
    assert rules.audited_reads(api, cn, f"u-{rules.FILING}", "read_pages"), "duty read not in the audit trail"


def test_archives_office_reads_the_pages_it_audits_audited_第四条二1(api, rules):
    cn = rules.register_case(api)["case_number"]
    # a case still being tried: not the 档案科's to read
    d = rules.eventually_decided(api, rules.ARCHIVIST, "read_pages", cn, False, timeout=3)
    assert not d["allowed"], d
    path = f"/v1/cases/{cn_path(cn)}"
    assert api.post("intake", path + "/close", rules.JUDGE, {"result": "驳回上诉，维持原判"})["status"] == "closed"
    d = rules.eventually_decided(api, rules.ARCHIVIST, "read_pages", cn, True)
    assert d["allowed"] and "第四条(二)1" in d["rule"], d
    reads = rules.audited_reads(api, cn, f"u-{rules.ARCHIVIST}", "read_pages")
    assert reads, f"the 档案科 duty read of {cn} is not in its audit trail"
