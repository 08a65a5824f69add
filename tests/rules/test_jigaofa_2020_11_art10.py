"""吉高法〔2020〕11号 第十条第一款: 涉国家秘密的案件暂不开展电子卷宗随案同步生成 — so no e-dossier clock runs for it.

The 立案庭 registers a 涉密 case through intake; intake's ``case.registered`` says ``secret`` (and not ``paperless``).
The notifier keeps the case's record (its deadlines answer the 立案庭) but starts no 立案 e-dossier clock — nothing
to remind of or escalate — while an in-scope case registered the same way, after it, has its clocks.
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


def test_no_edossier_clock_or_reminder_for_a_secret_case_第十条(api, rules):
    secret = rules.register_case(api, secret=True)["case_number"]
    in_scope = rules.register_case(api)["case_number"]
    assert wait_for_clocks(api, rules, in_scope, rules.JUDGE) == EDOSSIER_RULES  # the notifier has caught up

    assert wait_for_clocks(api, rules, secret, rules.FILING, timeout=5) == set()
    assert deadlines(api, rules, secret, rules.FILING) == []
    inbox = api.get("notifier", "/v1/inbox?limit=100", rules.FILING)
    assert secret not in str(inbox)
