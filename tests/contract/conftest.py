"""Fixtures of the contract suite: the service harness (tests/contract/service_harness.py)."""

import importlib.util
import sys
from pathlib import Path


def load_harness():
    """The harness module, loaded once by path (the test folders are not packages)."""
    if "jz_service_harness" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "jz_service_harness", Path(__file__).with_name("service_harness.py")
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["jz_service_harness"] = module
        spec.loader.exec_module(module)
    return sys.modules["jz_service_harness"]


load_harness()
