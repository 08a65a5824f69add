"""HttpAccessDecider reuses an answer no longer than access-control allows (issue 20 item 1: an unlinked 原审 is
refused by catalog and archive within 2 s, 吉高法〔2020〕11号 第三条(二))."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from juanzong_shared.auth import HttpAccessDecider, Identity

pytestmark = pytest.mark.unit


def _decider(answers: list[dict], *, ttl: float) -> tuple[HttpAccessDecider, list[int]]:
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, json=answers[min(len(calls), len(answers)) - 1])

    decider = HttpAccessDecider("http://ac", ttl=ttl)
    decider._client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return decider, calls


YES = {"allowed": True, "reason": "合议庭成员", "rule": "第九条第2项", "obligations": [{"kind": "record_access"}],
       "max_age": 0}
NO = {"allowed": False, "reason": "链接已解除", "rule": "第三条(二)", "max_age": 0}
WHO = Identity(subject="u-judge-wang", token="t", token_id="j1")


async def test_an_answer_with_max_age_zero_is_never_reused():
    decider, calls = _decider([YES, NO], ttl=5.0)
    assert (await decider.decide(WHO, "read_pages", "（2025）吉0102民初2345号")).allowed
    assert not (await decider.decide(WHO, "read_pages", "（2025）吉0102民初2345号")).allowed
    assert len(calls) == 2


async def test_an_answer_is_reused_for_the_shorter_of_ttl_and_max_age():
    decider, calls = _decider([{**YES, "max_age": 30}, NO], ttl=0.2)
    assert (await decider.decide(WHO, "read_pages", "（2025）吉0102民初2345号")).allowed
    assert (await decider.decide(WHO, "read_pages", "（2025）吉0102民初2345号")).allowed  # cached
    assert len(calls) == 1
    await asyncio.sleep(0.25)
    assert not (await decider.decide(WHO, "read_pages", "（2025）吉0102民初2345号")).allowed
    assert len(calls) == 2


async def test_the_default_reuse_is_at_most_a_second():
    assert HttpAccessDecider("http://ac").ttl <= 1.0
