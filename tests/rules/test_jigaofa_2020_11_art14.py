"""吉高法〔2020〕11号 第十四条: 仅适用于2019年12月1日起新收的民商事、行政案件；刑事、赔偿案件暂缓，执行案件另行规定
— a case outside that scope gets no e-dossier clock.

The 立案庭 registers a criminal appeal through intake; intake's ``case.registered`` says it is not ``paperless``.
The notifier keeps the case's record (its panel reads its deadlines) but starts no 立案 e-dossier clock, while an
in-scope civil case registered the same way, after it, has its clocks.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e







def test_no_edossier_clock_for_an_out_of_scope_case_第十四条(api, rules):
    criminal = rules.register_case(api, case_type="刑终", cause="盗窃罪")["case_number"]
    in_scope = rules.register_case(api)["case_number"]
    assert rules.edossier_clocks(api, in_scope, rules.JUDGE) == rules.EDOSSIER_RULES  # the notifier has caught up

    assert rules.edossier_clocks(api, criminal, rules.JUDGE, timeout=5) == set()
    assert rules.deadlines(api, criminal, rules.JUDGE) == []
