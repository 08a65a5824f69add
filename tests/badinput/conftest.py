"""The bad-input suite reuses the contract suite's service harness."""

import importlib.util
import sys
from pathlib import Path

if "jz_service_harness" not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        "jz_service_harness", Path(__file__).resolve().parents[1] / "contract" / "service_harness.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["jz_service_harness"] = _module
    _spec.loader.exec_module(_module)
