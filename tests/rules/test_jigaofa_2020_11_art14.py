"""吉高法〔2020〕11号 第十四条: 仅适用于2019年12月1日起新收的民商事、行政案件；刑事、赔偿案件暂缓，执行案件另行规定
— a case outside that scope gets no e-dossier clock.

The 立案庭 registers a criminal appeal through intake; intake's ``case.registered`` says it is not ``paperless``.
The notifier keeps the case's record (its panel reads its deadlines) but starts no 立案 e-dossier clock, while an
in-scope civil case registered the same way, after it, has its clocks.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e

EDOSSIER_RULES = {"filing_edossier", "filing_materials_handover"}  # the clocks case.registered starts


def deadlines(api, rules, case_number: str, who: str) -> list[dict]:
    """The case's deadlines as ``who`` reads them, once readable (access-control hears of the case on the bus)."""
    limit = time.monotonic() + 60
    while True:
        status, body = api.status_of("notifier", "GET", f"/v1/cases/{rules.cn_path(case_number)}/deadlines", who)
        if status == 200:
            return body["deadlines"]
        if time.monotonic() > limit:
            raise AssertionError(f"{who} never read {case_number}'s deadlines: {status} {body}")
        time.sleep(0.5)


def wait_for_clocks(api, rules, case_number: str, who: str, timeout: float = 60) -> set[str]:
    limit = time.monotonic() + timeout
    while True:
        found = {d["rule"] for d in deadlines(api, rules, case_number, who)} & EDOSSIER_RULES
        if found or time.monotonic() > limit:
            return found
        time.sleep(0.5)


def test_no_edossier_clock_for_an_out_of_scope_case_第十四条(api, rules):
    criminal = rules.register_case(api, case_type="刑终", cause="盗窃罪")["case_number"]
    in_scope = rules.register_case(api)["case_number"]
    assert wait_for_clocks(api, rules, in_scope, rules.JUDGE) == EDOSSIER_RULES  # the notifier has caught up

    assert wait_for_clocks(api, rules, criminal, rules.JUDGE, timeout=5) == set()
    assert deadlines(api, rules, criminal, rules.JUDGE) == []
