"""OpenAPI descriptions of the problem+json answers a route may give."""

from __future__ import annotations

from typing import Any

from juanzong_shared.problems import PROBLEM_RESPONSES


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: PROBLEM_RESPONSES[s] for s in statuses if s in PROBLEM_RESPONSES}
