"""Issue 20 item 7: the audit trail cannot be written in another's name or rewritten quietly.

Before: any service account posted a read record with any ``subject``, and the chain's only head lived in the same
database, so an operator who rewrote every record and the head left nothing for ``verify`` to find."""

from __future__ import annotations

import time

import pytest
from pymongo import MongoClient, ReplaceOne, UpdateOne

pytestmark = pytest.mark.e2e

SPC_1_3 = "法〔2016〕264号 一(三)"
GENESIS = "0" * 64


def known_to_access_control(api, sec, case_number: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status, body = api.status_of("access-control", "POST", "/v1/decisions", sec.JUDGE,
                                     json={"action": "read_pages", "case_number": case_number})
        if status == 200 and body.get("allowed"):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"access-control never learnt of {case_number}: {status} {body}")
        time.sleep(0.2)


def reads_of(api, sec, case_number: str) -> list[dict]:
    records = api.get("access-control", f"/v1/audit?case_number={sec.cn_path(case_number)}", sec.TECH)["items"]
    return [r for r in records if r["action"].startswith("read.read_")]


def test_a_service_cannot_record_a_read_in_another_users_name(api, sec):
    """法〔2016〕264号 一(三) 全程留痕: a read record names the reader of the decision that allowed the read (its signed
    receipt), never whom the reporting service names; without a matching receipt nothing is stored."""
    case_number = sec.register_case(api)["case_number"]
    other_case = sec.register_case(api)["case_number"]
    decision = known_to_access_control(api, sec, case_number)
    known_to_access_control(api, sec, other_case)
    assert decision["receipt"]
    forged_name = {"case_number": case_number, "subject": "u-" + sec.OUTSIDER, "action": "read_pages",
                   "resources": ["page:p-forged"]}
    attempts = {
        "a name and no receipt": ("catalog", forged_name),
        "a receipt of another reader": ("catalog", forged_name | {"receipt": decision["receipt"]}),
        "a receipt of another case": ("catalog", {"case_number": other_case, "action": "read_pages",
                                                  "resources": ["page:p-x"], "receipt": decision["receipt"]}),
        "a forged receipt": ("catalog", {k: v for k, v in forged_name.items() if k != "subject"}
                             | {"receipt": decision["receipt"][:-6] + "AAAAAA"}),
        "a user's token": (sec.JUDGE, {k: v for k, v in forged_name.items() if k != "subject"}
                           | {"receipt": decision["receipt"]}),
    }
    for name, (who, body) in attempts.items():
        status, answer = api.status_of("access-control", "POST", "/v1/audit/reads", who, json=body)
        assert status == 403, (name, status, answer)
        sec.assert_refused(status, answer, (403,), rule=SPC_1_3)
    assert reads_of(api, sec, case_number) == [] and reads_of(api, sec, other_case) == [], "a refused report was stored"

    honest = {"case_number": case_number, "action": "read_pages", "resources": ["page:p-1"],
              "receipt": decision["receipt"]}
    api.post("access-control", "/v1/audit/reads", "catalog", honest)
    assert [r["actor"] for r in reads_of(api, sec, case_number)] == ["u-" + sec.JUDGE]


def test_verify_reports_a_rewrite_of_the_whole_chain_and_its_head(api, sec, e2e_stack):
    """法〔2016〕264号 一(三): the chain's head is anchored outside the database (a checkpoint signed by access-control in
    write-once object storage). An operator with database access rewrites every record, recomputes every hash and
    the head beside them: verify, checking against the latest exported checkpoint, reports the rewrite."""
    from juanzong_access_control.domain.audit import compute_hash

    case_number = sec.register_case(api)["case_number"]
    known_to_access_control(api, sec, case_number)
    api.post("access-control", "/v1/decisions", sec.OUTSIDER,
             json={"action": "read_pages", "case_number": case_number})
    checkpoint = api.post("access-control", "/v1/audit/checkpoints", sec.TECH)
    assert api.get("access-control", "/v1/audit/verify", sec.TECH)["ok"] is True

    db = MongoClient(e2e_stack.config.mongo_url, tz_aware=True)["juanzong_access_control"]
    originals = list(db["audit_records"].find({"seq": {"$lte": checkpoint["seq"]}}, sort=[("seq", 1)]))
    head_before = db["audit_head"].find_one({"_id": "head"})
    rest = list(db["audit_records"].find({"seq": {"$gt": checkpoint["seq"]}}, sort=[("seq", 1)]))
    try:
        prev, writes = GENESIS, []
        for doc in [*originals, *rest]:  # every record rewritten (the outsider's attempts erased), every hash redone
            actor = "u-nobody" if doc["actor"] == "u-" + sec.OUTSIDER else doc["actor"]
            digest = compute_hash(seq=doc["seq"], at=doc["at"], actor=actor, action=doc["action"],
                                  case_id=doc["case_id"], detail=doc["detail"], prev_hash=prev)
            writes.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"actor": actor, "prev_hash": prev, "hash": digest}}))
            prev = digest
        db["audit_records"].bulk_write(writes)
        last = (rest or originals)[-1]["seq"]
        db["audit_head"].update_one({"_id": "head"}, {"$set": {"seq": last, "hash": prev}})

        verdict = api.get("access-control", "/v1/audit/verify", sec.TECH)
        assert verdict["ok"] is False and verdict["anchored"] is True, verdict
        assert verdict["problem"] == "checkpoint_mismatch" and verdict["checkpoint_seq"] >= checkpoint["seq"]
        status, refused = api.status_of("access-control", "POST", "/v1/audit/checkpoints", sec.TECH)
        sec.assert_refused(status, refused, (409,), rule=SPC_1_3)
    finally:
        db["audit_records"].bulk_write([ReplaceOne({"_id": d["_id"]}, d) for d in [*originals, *rest]])
        db["audit_head"].replace_one({"_id": "head"}, head_before)
        db.client.close()
    assert api.get("access-control", "/v1/audit/verify", sec.TECH)["ok"] is True
