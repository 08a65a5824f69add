"""The password grant (issue 20 item 13): an unknown account costs the same hash check as a known one, and failed
logins are limited per account and per client address."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from juanzong_access_control.adapters import tokens as tk
from juanzong_access_control.adapters.passwords import check_secret, dummy_hash, hash_secret
from juanzong_access_control.service_layer.identities import (
    Identities,
    LoginLimits,
    LoginsLimited,
    LoginThrottle,
    OAuthError,
)

from .memory import MemoryRevocationList

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "juanzong-demo"


class FakeAccounts:
    def __init__(self) -> None:
        self.users = {"judge-wang": {"_id": "u-judge-wang", "username": "judge-wang", "name": "王审判", "court": "吉01",
                                     "department": "民一庭", "roles": ["judge"], "password_hash": hash_secret(PASSWORD),
                                     "active": True}}

    async def user_by_login(self, login: str):
        return next((u for u in self.users.values() if login in (u["username"], u["_id"])), None)


class MemoryCounter:
    """In-memory twin of the MongoDB failure counter (same windows)."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[int, datetime]] = {}

    async def counts(self, keys: Iterable[str], since: datetime) -> dict[str, tuple[int, datetime]]:
        return {k: v for k in keys if (v := self.docs.get(k)) and v[1] > since}

    async def add(self, key: str, now: datetime, since: datetime, window: timedelta) -> None:
        count, start = self.docs.get(key, (0, now))
        self.docs[key] = (count + 1, start) if start > since and count else (1, now)

    async def clear(self, key: str) -> None:
        self.docs.pop(key, None)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def setup():
    key = tk.SigningKey.generate()
    tokens = tk.TokenService(key, issuer="juanzong-access-control", default_audience="juanzong",
                             revocations=MemoryRevocationList())
    checked: list[str | None] = []

    def spy(secret: str, stored: str | None) -> bool:
        checked.append(stored)
        return check_secret(secret, stored)
    clock = Clock()
    throttle = LoginThrottle(MemoryCounter(), LoginLimits(max_failures=5, max_failures_per_address=8,
                                                          window=timedelta(minutes=5)), clock=clock)
    ids = Identities(tokens, None, FakeAccounts(), throttle, transact=None, password_grant=True, check=spy)
    return ids, checked, clock


async def test_an_unknown_account_costs_the_same_hash_check_as_a_wrong_password(setup):
    ids, checked, _ = setup
    for login in ("judge-wang", "nobody-at-all"):
        with pytest.raises(OAuthError) as refused:
            await ids.password(login, "wrong", None, "10.0.0.1")
        assert refused.value.kind == "bad_request" and refused.value.error == "invalid_grant"
    assert len(checked) == 2 and checked[0] is not None and checked[1] is None  # both paths ran the check
    # ... and with no stored hash the check is a full PBKDF2 against the dummy hash of the same strength
    assert dummy_hash().split("$")[:2] == checked[0].split("$")[:2]


async def test_the_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(setup):
    ids, _, clock = setup
    for _ in range(5):
        with pytest.raises(OAuthError):
            await ids.password("judge-wang", "wrong", None, "10.0.0.1")
        clock.now += timedelta(seconds=10)
    with pytest.raises(LoginsLimited) as limited:
        await ids.password("judge-wang", PASSWORD, None, "10.0.0.2")
    assert limited.value.wait_seconds > 0
    with pytest.raises(LoginsLimited):  # the user's id names the same account
        await ids.password("u-judge-wang", PASSWORD, None, "10.0.0.3")
    clock.now = T0 + timedelta(minutes=5, seconds=1)
    assert (await ids.password("judge-wang", PASSWORD, None, "10.0.0.1"))["access_token"]


async def test_an_unknown_account_is_limited_like_a_known_one(setup):
    ids, _, _ = setup
    for _ in range(5):
        with pytest.raises(OAuthError):
            await ids.password("nobody-at-all", "wrong", None, "10.0.0.1")
    with pytest.raises(LoginsLimited):
        await ids.password("nobody-at-all", "wrong", None, "10.0.0.1")


async def test_one_address_is_limited_across_accounts(setup):
    ids, _, _ = setup
    for i in range(8):
        with pytest.raises(OAuthError):
            await ids.password(f"guess-{i}", "wrong", None, "10.9.9.9")
    with pytest.raises(LoginsLimited):
        await ids.password("judge-wang", PASSWORD, None, "10.9.9.9")
    assert (await ids.password("judge-wang", PASSWORD, None, "10.0.0.1"))["access_token"]


async def test_a_success_clears_the_accounts_failures(setup):
    ids, _, _ = setup
    for _ in range(4):
        with pytest.raises(OAuthError):
            await ids.password("judge-wang", "wrong", None, "10.0.0.1")
    await ids.password("judge-wang", PASSWORD, None, "10.0.0.1")
    for _ in range(4):
        with pytest.raises(OAuthError) as refused:
            await ids.password("judge-wang", "wrong", None, "10.0.0.1")
        assert refused.value.kind == "bad_request"
