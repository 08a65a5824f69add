"""The conformance suite's fixtures: the session stack of tests/e2e and tests/security, and the security suite's
helpers (register a case, upload and catalogue pages, assert a refusal), with case numbers from a block of their own
so that the two suites never register the same case in one session."""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
import time
from pathlib import Path

import pytest

_NAME = "jz_rules_helpers"

# the clocks intake's case.registered starts (吉高法〔2020〕11号 第五条(一), 长中法〔2018〕129号 第六条)
EDOSSIER_RULES = frozenset({"filing_edossier", "filing_materials_handover"})


def decision(api, who: str, action: str, case_number: str) -> dict:
    """access-control's decision on ``action`` for ``who`` (the caller's own token)."""
    return api.post("access-control", "/v1/decisions", who, {"action": action, "case_number": case_number},
                    expect=(200,))


def eventually_decided(api, who: str, action: str, case_number: str, allowed: bool, timeout: float = 30) -> dict:
    """access-control hears of a registration or a closing a moment after intake answered."""
    deadline = time.monotonic() + timeout
    while True:
        d = decision(api, who, action, case_number)
        if d["allowed"] is allowed or time.monotonic() > deadline:
            return d
        time.sleep(0.5)


def audited_reads(api, case_number: str, actor: str, action: str, until: int = 1) -> list[dict]:
    """The allowed decisions of ``actor`` for ``action`` in the case's audit trail (read by its 承办法官)."""
    helpers = _helpers()
    deadline = time.monotonic() + 15
    while True:
        records = api.get("access-control", "/v1/audit", helpers.JUDGE,
                          params={"case_number": case_number, "limit": 500})["items"]
        found = [r for r in records if r["actor"] == actor and r["action"] == "decision"
                 and r["detail"].get("action") == action and r["detail"].get("allowed") is True]
        if len(found) >= until or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def deadlines(api, case_number: str, who: str) -> list[dict]:
    """The case's deadlines as ``who`` reads them, once readable (access-control hears of the case on the bus)."""
    limit = time.monotonic() + 60
    while True:
        status, body = api.status_of("notifier", "GET", f"/v1/cases/{_helpers().cn_path(case_number)}/deadlines", who)
        if status == 200:
            return body["deadlines"]
        if time.monotonic() > limit:
            raise AssertionError(f"{who} never read {case_number}'s deadlines: {status} {body}")
        time.sleep(0.5)


def edossier_clocks(api, case_number: str, who: str, timeout: float = 60) -> set[str]:
    """The 立案 e-dossier clocks of the case, waited for up to ``timeout`` seconds."""
    limit = time.monotonic() + timeout
    while True:
        found = {d["rule"] for d in deadlines(api, case_number, who)} & EDOSSIER_RULES
        if found or time.monotonic() > limit:
            return found
        time.sleep(0.5)


def _helpers():
    if _NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).parents[1] / "security" / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
        module._serials = itertools.count(random.Random().randrange(9100, 9900, 100))
        for step in (decision, eventually_decided, audited_reads, deadlines, edossier_clocks):
            setattr(module, step.__name__, step)
        module.EDOSSIER_RULES = EDOSSIER_RULES
    return sys.modules[_NAME]


@pytest.fixture(scope="session")
def rules():
    """The helpers: ``rules.register_case(api, ...)``, ``rules.upload_pages``, ``rules.catalogued``,
    ``rules.assert_refused``, the demo court's usernames (``rules.FILING``, ``rules.JUDGE``, ``rules.ARCHIVIST``…),
    and the conformance suite's steps (``rules.decision``, ``rules.eventually_decided``, ``rules.audited_reads``,
    ``rules.deadlines``, ``rules.edossier_clocks``)."""
    return _helpers()


@pytest.fixture(scope="session")
def api(e2e_api):
    return e2e_api
