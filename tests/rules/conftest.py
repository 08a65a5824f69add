"""The conformance suite's fixtures: the session stack of tests/e2e and tests/security, and the security suite's
helpers (register a case, upload and catalogue pages, assert a refusal), with case numbers from a block of their own
so that the two suites never register the same case in one session."""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
from pathlib import Path

import pytest

_NAME = "jz_rules_helpers"


def _helpers():
    if _NAME not in sys.modules:
        spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).parents[1] / "security" / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        spec.loader.exec_module(module)
        module._serials = itertools.count(random.Random().randrange(9100, 9900, 100))
    return sys.modules[_NAME]


@pytest.fixture(scope="session")
def rules():
    """The helpers: ``rules.register_case(api, ...)``, ``rules.upload_pages``, ``rules.catalogued``,
    ``rules.assert_refused``, the demo court's usernames (``rules.FILING``, ``rules.JUDGE``, ``rules.ARCHIVIST``…)."""
    return _helpers()


@pytest.fixture(scope="session")
def api(e2e_api):
    return e2e_api
