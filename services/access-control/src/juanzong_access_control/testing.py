"""Helpers for the access-control integration tests: the service built from a given environment, fresh
case numbers and ``case.registered`` events with a collegial panel (合议庭)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

from juanzong_shared.events import REGISTRY, Event

PANEL = [
    {"user_id": "u-judge-wang", "name": "王审判", "role": "undertaking_judge"},
    {"user_id": "u-judge-wang", "name": "王审判", "role": "presiding_judge"},
    {"user_id": "u-judge-li", "name": "李合议", "role": "panel_member"},
    {"user_id": "u-assistant-zhao", "name": "赵助理", "role": "judge_assistant"},
    {"user_id": "u-clerk-liu", "name": "刘书记", "role": "clerk"},
]


def new_case_number() -> str:
    return f"（2026）吉01民终{uuid.uuid4().int % 10**8}号"


def case_registered(case_number: str, **overrides) -> Event:
    """A paperless civil appeal of 吉01 with ``PANEL``; ``overrides`` replace payload fields."""
    payload = {"case_number": case_number, "court": "吉01", "case_type": "民终", "category": "civil",
               "paperless": True, "department": "民一庭", "panel": PANEL, "registered_at": datetime.now(UTC)}
    payload |= overrides
    return REGISTRY.create("case.registered", payload, court="吉01", case_id=case_number)


def app_with_env(env: dict[str, str]):
    """``create_app()`` with ``env`` set while it reads its settings; the process environment is restored."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from juanzong_access_control.entrypoints.app import create_app

        return create_app()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
