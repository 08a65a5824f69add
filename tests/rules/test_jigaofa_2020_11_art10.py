"""吉高法〔2020〕11号 第十条第一款: 涉国家秘密的案件暂不开展电子卷宗随案同步生成 — so no e-dossier clock runs for it.

The 立案庭 registers a 涉密 case through intake; intake's ``case.registered`` says ``secret`` (and not ``paperless``).
The notifier keeps the case's record (its deadlines answer the 立案庭) but starts no 立案 e-dossier clock — nothing
to remind of or escalate — while an in-scope case registered the same way, after it, has its clocks.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e







def test_no_edossier_clock_or_reminder_for_a_secret_case_第十条(api, rules):
    secret = rules.register_case(api, secret=True)["case_number"]
    in_scope = rules.register_case(api)["case_number"]
    assert rules.edossier_clocks(api, in_scope, rules.JUDGE) == rules.EDOSSIER_RULES  # the notifier has caught up

    assert rules.edossier_clocks(api, secret, rules.FILING, timeout=5) == set()
    assert rules.deadlines(api, secret, rules.FILING) == []
    inbox = api.get("notifier", "/v1/inbox?limit=100", rules.FILING)
    assert secret not in str(inbox)
