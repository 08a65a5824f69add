"""Issue 20 item 6 (every read of an e-archive leaves a trace, 吉高法〔2020〕11号 第九条 全程留痕) and item 10 for
the archive (transfers and archive records are case records: decided per case, a 涉密 case invisible).

Before the change the archive served packages, workflow views, reports and transfer records to archives and
technology staff and to any service account on their role alone — no decision, no audit record — and a
transfer record to any authenticated caller. Now every such read asks access-control for the caller
(``read_case`` for the workflow views, ``read_archive`` for the e-archive, ``transfer_archive`` for a 移交),
and the yes is in the case's audit trail with the reader as actor and the file named.

One archived case is made once for the session (conftest's ``archived``): the second sample appeal through 立案,
scanning, cataloguing, 结案, 立卷, 核查, 组卷, one-click conversion and 审核归档 (the demo's own steps).
"""

from __future__ import annotations

import hashlib
import time

import pytest
from juanzong_devstack.api_client import cn_path

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SERVICE = "notifier"  # a service account with no archive scope


def _trail(api, sec, case_number: str, until=lambda records: True) -> list[dict]:
    """The case's audit records, read by its 承办法官 (who administers its access, 第九条第2项). Records are
    written behind the answers (a few ms): asked again for a short while until ``until`` holds."""
    deadline = time.monotonic() + 15
    while True:
        records = api.get("access-control", "/v1/audit", sec.JUDGE, params={"case_number": case_number,
                                                                            "limit": 500})["items"]
        if until(records) or time.monotonic() > deadline:
            return records
        time.sleep(0.3)


def _decisions(trail: list[dict], actor: str, action: str) -> list[dict]:
    return [r for r in trail if r["actor"] == actor and r["action"] == "decision"
            and r["detail"].get("action") == action and r["detail"].get("allowed") is True]


def test_archives_staffs_package_and_report_reads_are_decided_and_in_the_audit_trail(archived, api, sec):
    """第九条 全程留痕, 第四条(二): 档案科 downloads the package and reads the four-property report of an archived case
    of its court — each a read_archive decision recorded with the archivist as actor and the file named; the
    package and the HTML report carry nosniff and a CSP (item 13)."""
    cn, cnp = archived.cn, cn_path(archived.cn)
    package = api.call("archive", "GET", f"/v1/archives/{cnp}/package", sec.ARCHIVIST, raw=True)
    assert package.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in package.headers["content-security-policy"]
    assert hashlib.sha256(package.content).hexdigest() == package.headers["x-content-sha256"]
    report = api.call("archive", "GET", f"/v1/archives/{cnp}/report", sec.ARCHIVIST, params={"format": "html"},
                      raw=True)
    assert report.headers["x-content-type-options"] == "nosniff"
    csp = report.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'") and "sandbox" in csp and "style-src 'sha256-" in csp
    assert "script-src" not in csp

    trail = _trail(api, sec, cn, lambda rs: len(_decisions(rs, "u-archives-feng", "read_archive")) >= 2)
    reads = _decisions(trail, "u-archives-feng", "read_archive")
    resources = [r["detail"].get("resource") or "" for r in reads]
    assert any(res.startswith("package:") and archived.result.archive["archival_code"] in res for res in resources), \
        resources
    assert any(res.startswith("report:") and res.endswith(":html") for res in resources), resources


def test_technology_staff_and_a_service_account_read_no_archive_they_may_not(archived, api, sec):
    """第九条: 技术处 has no 第九条 title to the case's e-archive or its record (refused naming 第九条); a service
    account without the archive scopes is refused by scope (法〔2016〕264号 一(三)). Nothing is served."""
    cnp = cn_path(archived.cn)
    reads = ["", "/history", "/report", "/reports", "/package"]
    for path in reads:
        status, body = api.status_of("archive", "GET", f"/v1/archives/{cnp}{path}", sec.TECH)
        sec.assert_refused(status, body, (403,), rule="第九条")
    status, body = api.status_of("archive", "POST", f"/v1/archives/{cnp}/verify", sec.TECH)
    sec.assert_refused(status, body, (403,), rule="第九条")
    status, body = api.status_of("archive", "POST", f"/v1/archives/{cnp}/backup", sec.TECH, json={"format": "tar.gz"})
    sec.assert_refused(status, body, (403,), rule="第九条")
    for path in [*reads, "/transfer-package"]:
        status, body = api.status_of("archive", "GET", f"/v1/archives/{cnp}{path}", SERVICE)
        sec.assert_refused(status, body, (403,), rule="一(三)")


def test_a_transfer_record_needs_authorisation_and_leaves_a_trace(archived, api, sec):
    """第十二条 移交, 第四条(二): the archives office exports the transfer package and receives it (each a
    transfer_archive decision in the trail); the transfer record is then read only under a decision —
    technology staff are refused."""
    cn, cnp = archived.cn, cn_path(archived.cn)
    status, body = api.status_of("archive", "GET", f"/v1/archives/{cnp}/transfer-package", sec.TECH)
    sec.assert_refused(status, body, (403,), rule="第四条(二)")
    exported = api.call("archive", "GET", f"/v1/archives/{cnp}/transfer-package", sec.ARCHIVIST, raw=True)
    assert exported.headers["x-content-type-options"] == "nosniff"
    received = api.call("archive", "POST", "/v1/transfers", sec.ARCHIVIST, content=exported.content,
                        headers={"X-Content-SHA256": hashlib.sha256(exported.content).hexdigest()}, expect=(201,))
    transfer_id = received["transfer_id"]
    assert received["case_number"] == cn and received["accepted"] is True
    assert api.get("archive", f"/v1/transfers/{transfer_id}", sec.ARCHIVIST)["case_number"] == cn
    for who in (sec.TECH, sec.OUTSIDER, SERVICE):
        status, body = api.status_of("archive", "GET", f"/v1/transfers/{transfer_id}", who)
        sec.assert_refused(status, body, (403,))
    trail = _trail(api, sec, cn, lambda rs: len(_decisions(rs, "u-archives-feng", "transfer_archive")) >= 3)
    resources = [r["detail"].get("resource") or "" for r in _decisions(trail, "u-archives-feng", "transfer_archive")]
    assert any(res.startswith("transfer-package:") for res in resources), resources
    assert f"transfer:{transfer_id}" in resources, resources


def test_the_workflow_record_is_read_under_read_case_with_the_reader_as_actor(archived, api, sec):
    """第九条 全程留痕, issue 20 item 10: the 立卷→审核 record is a case record — the case team reads it under a
    read_case decision that the trail shows with the reader as actor; someone outside the case does not."""
    cn, cnp = archived.cn, cn_path(archived.cn)
    assert api.get("archive", f"/v1/archives/{cnp}/history", sec.CLERK)
    status, body = api.status_of("archive", "GET", f"/v1/archives/{cnp}", sec.OUTSIDER)
    sec.assert_refused(status, body, (403,), rule="第九条")
    trail = _trail(api, sec, cn, lambda rs: any(r["detail"].get("resource") == "archive:history"
                                                for r in _decisions(rs, "u-clerk-liu", "read_case")))
    resources = [r["detail"].get("resource") for r in _decisions(trail, "u-clerk-liu", "read_case")]
    assert "archive:history" in resources, resources


def test_a_secret_cases_archive_record_is_invisible_outside_its_team(api, sec):
    """吉高法〔2020〕11号 第十条: a 涉密 case's archive record answers those outside its team exactly as a case the
    archive never heard of (404), technology and archives staff included; 立案庭 of its court still sees it."""
    secret = sec.register_case(api, secret=True)["case_number"]
    never = sec.next_case_number()
    deadline = time.monotonic() + 30
    # a 涉密 case is registered with a minimal record (no panel): 立案庭 of its court keeps it
    while api.status_of("archive", "GET", f"/v1/archives/{cn_path(secret)}", sec.FILING)[0] != 200:
        assert time.monotonic() < deadline, "立案庭 never saw the 涉密 case's archive record"
        time.sleep(0.3)
    for who in (sec.OUTSIDER, sec.TECH, sec.ARCHIVIST):
        for path in ("", "/history", "/package", "/report"):
            status, body = api.status_of("archive", "GET", f"/v1/archives/{cn_path(secret)}{path}", who)
            assert status == 404, (who, path, status, body)
            status2, body2 = api.status_of("archive", "GET", f"/v1/archives/{cn_path(never)}{path}", who)
            assert status2 == 404, (who, path, status2, body2)
            assert body["detail"] == f"案件 {secret} 尚无归档记录（未收到立案或结案信息）", body
            assert body2["detail"] == body["detail"].replace(secret, never)
            assert {k for k in body if k not in ("instance", "correlation_id")} == \
                {k for k in body2 if k not in ("instance", "correlation_id")}
            assert "第十条" not in str(body)
