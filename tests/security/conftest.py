"""Security tests (issue 20, "Every door checked"): each attack of the review, tried again on the real embedded stack.

The stack is the session's ``e2e_stack`` (``juanzong_devstack.pytest_plugin``), shared with ``tests/e2e``. Every test
registers its own cases with serials from a per-session block, so tests do not see each other's data.
"""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Any

import pytest
from juanzong_devstack import sample_case as sample
from juanzong_devstack.api_client import Api, cn_path

FILING = "filing-qian"  # 立案庭
JUDGE = "judge-wang"  # 承办法官、审判长
MEMBER = "judge-li"  # 合议庭成员
ASSISTANT = "assistant-zhao"
CLERK = "clerk-liu"
OUTSIDER = "judge-chen"  # 本庭法官，不在合议庭
HEAD = "head-sun"  # 民一庭部门负责人
LEADER = "leader-zhou"  # 分管院领导
ARCHIVIST = "archives-feng"
TECH = "tech-he"

_serials = itertools.count(random.Random().randrange(6000, 9000, 100))


def next_case_number(case_type: str = "民终", court: str = sample.COURT, year: int = 2026) -> str:
    return f"（{year}）{court}{case_type}{next(_serials)}号"


def register_case(api: Api, *, case_type: str = "民终", secret: bool = False, original: list[str] | None = None,
                  court: str = sample.COURT, year: int = 2026, **extra: Any) -> dict:
    """立案 of a fresh case by the 立案庭 clerk, on the demo panel (王 承办/审判长, 李, 赵助理, 刘书记)."""
    body = {"case_number": next_case_number(case_type, court, year), "filed_on": date(year, 1, 8).isoformat(),
            "court": court, "case_type": case_type, "cause": "民间借贷纠纷", "department": "民一庭",
            "original_case_numbers": original or [], "panel": sample.PANEL,
            "parties": [{"name": "赵立军", "role": "appellant"}, {"name": "钱某", "role": "appellee"}],
            "secret": secret, "stage": "filing", **extra}
    return api.post("intake", "/v1/cases", FILING, body)


def assert_refused(status: int, body: Any, expected: tuple[int, ...] = (403,), rule: str | None = None) -> None:
    """A refusal is problem+json with a status in ``expected``; with ``rule``, naming that article."""
    assert status in expected, f"expected {expected}, got {status}: {body}"
    assert isinstance(body, dict) and (body.get("title") or body.get("code")), f"not problem+json: {body}"
    if rule is not None:
        assert rule in (str(body.get("rule")) + str(body.get("detail"))), f"rule {rule!r} not named: {body}"


@pytest.fixture(scope="session")
def api(e2e_api) -> Api:
    return e2e_api


@pytest.fixture(scope="session")
def sec():
    """The helpers above as one object, since test modules here are not importable by name:
    ``sec.register_case(api, ...)``, ``sec.assert_refused(...)``, ``sec.cn_path(...)``, ``sec.JUDGE`` ..."""
    import sys

    return sys.modules[__name__]
