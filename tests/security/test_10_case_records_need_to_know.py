"""Issue 20 item 10 — need to know: intake's case records.

Parties, panel, cause — and the very numbers of 涉密 cases — were readable by every authenticated caller, the
scanning station included, one by one or by listing. Now every read of a case record is ``read_case`` decided by
access-control on the case (吉高法〔2020〕11号 第九条); lists show and count only what the caller may read; a 涉密 case
(第十条) is, to everyone outside its team and its court's 立案庭, exactly what an unknown case number is: 404. A
station still reads the scan task it scans — never the case record.

The representative: access-control has no API to register a litigant's representative and its development seed has
none, so the test creates one in access-control's own database of the test stack (as test_11 does) — test setup, not
a code path.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from juanzong_devstack.api_client import DEMO_PASSWORD
from juanzong_devstack.stack import service_database
from pymongo import MongoClient

pytestmark = pytest.mark.e2e

OTHER_DEPARTMENT_JUDGE = "committee-wu"  # 民二庭 judge, 审委会委员
STATION = "station"
JL = "吉高法〔2020〕11号"
MATERIALS = [{"item_id": "1", "name": "送达回证", "expected_pages": 2, "stage": "filing"}]


@pytest.fixture(scope="module")
def representative(e2e_stack) -> str:
    """A litigant's representative (诉讼代理人) with an account of their own; returns the username."""
    from juanzong_access_control.adapters.passwords import hash_secret

    username = f"lawyer-{uuid.uuid4().hex[:8]}"
    client = MongoClient(e2e_stack.config.mongo_url, serverSelectionTimeoutMS=10_000)
    try:
        client[service_database("access-control")]["users"].insert_one({
            "_id": f"u-{username}", "username": username, "name": "孙律师", "court": "", "department": None,
            "roles": ["litigant_representative"], "supervised_departments": [], "title_zh": "诉讼代理人",
            "password_hash": hash_secret(DEMO_PASSWORD), "active": True, "seeded": False,
            "updated_at": datetime.now(UTC)})
    finally:
        client.close()
    return username


def readable_by_filing(api, sec, case_number: str, timeout: float = 30.0) -> dict:
    """Registration reaches access-control by the bus: wait until the court's 立案庭 reads the record."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = api.status_of("intake", "GET", f"/v1/cases/{sec.cn_path(case_number)}", sec.FILING)
        if status == 200:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"立案庭 cannot read {case_number}: {status} {body}")
        time.sleep(0.2)


def same_answer(body: dict, number: str, stand_in: str) -> str:
    """The problem body without this request's own path and id, the case number replaced."""
    kept = {k: v for k, v in body.items() if k not in ("instance", "correlation_id")}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True).replace(number, stand_in)


def listed(api, who: str, query: str = "") -> dict[str, Any]:
    return api.get("intake", f"/v1/cases?size=200{query}", who)


@pytest.mark.parametrize("who", [STATION, OTHER_DEPARTMENT_JUDGE, "outsider", "representative"])
def test_a_secret_case_is_exactly_an_unknown_case_to_those_outside_it_第十条(api, sec, request, who):
    """吉高法〔2020〕11号 第十条: the station, a judge of another department, a judge of the same department off the
    panel and a litigant's representative get for a 涉密 case's number the same 404 as for a number never
    registered — record, scan tasks, completeness, 原审 report — and no list shows it; the court's 立案庭 still
    reads it."""
    if who == "outsider":
        who = sec.OUTSIDER
    elif who == "representative":
        who = request.getfixturevalue("representative")
    secret = sec.register_case(api, secret=True)["case_number"]
    readable_by_filing(api, sec, secret)
    unknown = sec.next_case_number()
    for tail in ("", "/scan-tasks", "/completeness", "/original-trial"):
        hidden = api.status_of("intake", "GET", f"/v1/cases/{sec.cn_path(secret)}{tail}", who)
        absent = api.status_of("intake", "GET", f"/v1/cases/{sec.cn_path(unknown)}{tail}", who)
        assert hidden[0] == absent[0] == 404, (tail, hidden, absent)
        assert same_answer(hidden[1], secret, "N") == same_answer(absent[1], unknown, "N"), (tail, hidden, absent)
    assert secret not in json.dumps(listed(api, who), ensure_ascii=False)
    assert secret in json.dumps(listed(api, sec.FILING), ensure_ascii=False)


def test_parties_and_panel_only_for_those_who_may_read_the_case_第九条(api, sec, representative):
    """第九条: a judge of another department, a judge off the panel, a litigant's representative and the station get
    no parties, panel or cause of an ordinary case (403 naming the rule, nothing of the record in the answer, nothing
    in any list); the panel's judge, its clerk and the court's 立案庭 read it."""
    case = sec.register_case(api, parties=[{"name": "钱多多", "role": "上诉人"}, {"name": "孙某某", "role": "被上诉人"}])
    number = case["case_number"]
    readable_by_filing(api, sec, number)
    for who in (OTHER_DEPARTMENT_JUDGE, sec.OUTSIDER, representative, STATION):
        status, body = api.status_of("intake", "GET", f"/v1/cases/{sec.cn_path(number)}", who)
        sec.assert_refused(status, body, (403,), rule=JL)
        text = json.dumps(body, ensure_ascii=False)
        assert "钱多多" not in text and "u-judge-wang" not in text
        lists = json.dumps([listed(api, who), api.get("intake", "/v1/scan-tasks?size=200", who)], ensure_ascii=False)
        assert number not in lists and "钱多多" not in lists, who
    for who in (sec.JUDGE, sec.CLERK, sec.FILING):
        record = api.get("intake", f"/v1/cases/{sec.cn_path(number)}", who)
        assert [p["name"] for p in record["parties"]] == ["钱多多", "孙某某"] and record["panel"], who
        assert number in json.dumps(listed(api, who), ensure_ascii=False), who


def test_a_station_reads_the_scan_task_it_scans_but_never_the_case_第四条一3(api, sec):
    """吉高法〔2020〕11号 第四条(一)3: station-01 of 吉01 reads the scan task of its court's case (the CLI checks the task
    before uploading) — materials, state, case number — but neither the case record nor who of the case team handled
    the task: parties and panel stay hidden."""
    number = sec.register_case(api)["case_number"]
    readable_by_filing(api, sec, number)
    task = api.post("intake", f"/v1/cases/{sec.cn_path(number)}/scan-tasks", sec.CLERK,
                    {"department": "民一庭", "materials": MATERIALS})
    seen = api.get("intake", f"/v1/scan-tasks/{task['task_id']}", STATION)
    assert seen["case_number"] == number and seen["materials"][0]["name"] == "送达回证"
    text = json.dumps(seen, ensure_ascii=False)
    assert "赵立军" not in text and "u-clerk-liu" not in text and "u-judge-wang" not in text  # no one of the team
    status, body = api.status_of("intake", "GET", f"/v1/cases/{sec.cn_path(number)}", STATION)
    sec.assert_refused(status, body, (403,), rule=JL)
    assert "赵立军" not in json.dumps(body, ensure_ascii=False)
