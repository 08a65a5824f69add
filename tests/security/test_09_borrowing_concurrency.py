"""Issue 20 item 9: 第八条 limits hold under concurrency. Six parallel requests to borrow one case's paper were all
stored; now exactly the limit is stored and the rest are refused naming the article."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.e2e

ART8_1 = "吉高法〔2020〕11号 第八条(一)"
ART8_2 = "吉高法〔2020〕11号 第八条(二)"


def known_to_access_control(api, sec, case_number: str, timeout: float = 30.0) -> None:
    """Registration reaches access-control by the bus: wait until the panel's judge is allowed to read."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = api.status_of("access-control", "POST", "/v1/decisions", sec.JUDGE,
                                     json={"action": "read_pages", "case_number": case_number})
        if status == 200 and body.get("allowed"):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"access-control never learnt of {case_number}: {status} {body}")
        time.sleep(0.2)


def fire_at_once(api, calls: list[tuple[str, dict]]) -> list[tuple[int, object]]:
    """Every call from its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, dict]) -> tuple[int, object]:
        who, body = call
        barrier.wait()
        return api.status_of("access-control", "POST", "/v1/borrowings", who, json=body)
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


@pytest.mark.parametrize(("kind", "material", "rule"), [
    ("original_trial_paper", "original_trial_archive", ART8_1),
    ("current_case_paper", "current_case_materials", ART8_2),
])
def test_six_parallel_borrowings_of_one_case_store_exactly_two(api, sec, kind, material, rule):
    """吉高法〔2020〕11号 第八条(一) 原审纸质档案 每案一般不超过2次; 第八条(二) 本案纸质诉讼材料 每案2次 — also when six
    requests of the panel's two judges arrive at the same moment."""
    case_number = sec.register_case(api)["case_number"]
    known_to_access_control(api, sec, case_number)
    for who in (sec.JUDGE, sec.MEMBER):
        api.token(who)  # log in before the race, not during it
    body = {"case_number": case_number, "kind": kind, "materials": [material], "days": 5, "purpose": "核对证据原件"}
    answers = fire_at_once(api, [(sec.JUDGE if i % 2 else sec.MEMBER, body) for i in range(6)])

    stored = [b for status, b in answers if status == 201]
    refused = [(status, b) for status, b in answers if status != 201]
    assert len(stored) == 2, answers
    for status, b in refused:
        sec.assert_refused(status, b, (409,), rule=rule)
    listed = api.get("access-control", f"/v1/borrowings?case_number={sec.cn_path(case_number)}", sec.JUDGE)["items"]
    assert sorted(b["borrowing_id"] for b in listed if b["kind"] == kind) == \
        sorted(b["borrowing_id"] for b in stored)
