"""Revocation everywhere (issue 20 item 4): the shared verifier refuses revoked tokens, refresh tokens and anything
that is not an access token; the revocation list trusts itself only for what its broadcast can have told it."""

import asyncio
import time
from datetime import UTC, datetime

import jwt
import pytest

from juanzong_shared.auth import TokenVerifier
from juanzong_shared.events import REGISTRY
from juanzong_shared.problems import Problem
from juanzong_shared.revocation import RevocationList
from juanzong_shared.testing import TokenFactory

pytestmark = pytest.mark.unit

TOKENS = TokenFactory()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Confirm:
    """access-control's userinfo, as the list sees it: good unless revoked there; or unreachable."""

    def __init__(self, revoked=(), down=False) -> None:
        self.revoked = set(revoked)
        self.down = down
        self.asked: list[str] = []

    async def __call__(self, token: str) -> bool:
        self.asked.append(token)
        await asyncio.sleep(0)
        if self.down:
            raise RuntimeError("connection refused")
        return jwt.decode(token, options={"verify_signature": False})["jti"] not in self.revoked


def verifier(revocations=None) -> TokenVerifier:
    return TokenVerifier(issuer=TOKENS.issuer, audience=TOKENS.audience, public_key_pem=TOKENS.public_pem(),
                         revocations=revocations)


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


async def refused(coro, status=401) -> Problem:
    with pytest.raises(Problem) as caught:
        await coro
    assert caught.value.status == status, caught.value.body()
    return caught.value


# -- what the verifier accepts at all ---------------------------------------------------------------


async def test_an_access_token_is_accepted():
    identity = await verifier().verify(TOKENS.token("u-judge"))
    assert identity.subject == "u-judge"


async def test_a_refresh_token_is_no_bearer_even_with_the_right_audience():
    """A refresh token (typ rt+jwt, token_use refresh) is refused even where the audiences coincide; before this
    change the shared verifier looked at neither the header type nor the claim."""
    problem = await refused(verifier().verify(TOKENS.token(typ="rt+jwt", token_use="refresh")))
    assert "at+jwt" in problem.body()["detail"]
    problem = await refused(verifier().verify(TOKENS.token(token_use="refresh")))
    assert "token_use" in problem.body()["detail"]


async def test_a_token_without_type_or_use_is_refused():
    await refused(verifier().verify(TOKENS.token(typ="JWT")))
    bare = jwt.encode({**claims_of(TOKENS.token()), "token_use": None}, TOKENS.key, algorithm="RS256",
                      headers={"typ": "at+jwt"})
    await refused(verifier().verify(bare))


async def test_a_token_without_an_id_cannot_be_revoked_and_is_refused():
    claims = {k: v for k, v in claims_of(TOKENS.token()).items() if k != "jti"}
    await refused(verifier().verify(jwt.encode(claims, TOKENS.key, algorithm="RS256", headers={"typ": "at+jwt"})))


# -- the broadcast ----------------------------------------------------------------------------------


async def test_a_revocation_heard_on_the_broadcast_is_refused_until_the_token_expires():
    revocations = RevocationList()
    v = verifier(revocations)
    token = TOKENS.token("u-judge")
    await v.verify(token)
    claims = claims_of(token)
    handler = revocations.broadcast().handlers["access.token.revoked"][0]
    event = REGISTRY.create("access.token.revoked", {
        "jti": claims["jti"], "until": datetime.fromtimestamp(claims["exp"], UTC), "subject": "u-judge",
        "token_use": "access", "at": datetime.now(UTC)})
    await handler(REGISTRY.read_payload(event), event)
    problem = await refused(v.verify(token))
    assert problem.body()["detail"].startswith("令牌已撤销")
    assert problem.headers["WWW-Authenticate"].startswith("Bearer")
    await v.verify(TOKENS.token("u-judge"))  # another token of the same person is not touched


def test_the_broadcast_is_a_per_process_queue_of_revocations():
    b = RevocationList().broadcast()
    assert b.routing_keys == ["access.token.revoked"]
    assert b.queue_prefix("ns", "intake") == "ns.intake.revocations"
    assert b.on_connect is not None and b.on_disconnect is not None


async def test_expired_revocations_are_forgotten():
    clock = Clock(time.time())
    revocations = RevocationList(clock=clock)
    revocations.revoke("old", clock.now + 10)
    assert revocations.is_revoked("old")
    clock.now += 3600
    await revocations.check({"jti": "other", "iat": clock.now, "exp": clock.now + 60}, "t")
    assert not revocations.is_revoked("old")


# -- the gap: what the broadcast cannot have told ---------------------------------------------------


async def test_a_token_from_before_the_queue_was_bound_is_asked_about_once():
    """A token issued before this process began hearing revocations may have been revoked unheard: it is checked
    with access-control once, then trusted (a later revocation arrives on the broadcast)."""
    confirm = Confirm()
    revocations = RevocationList(confirm=confirm, skew_seconds=30)
    token = TOKENS.token()
    revocations.listening()  # bound just now: the token (iat now) is not later than the bind time + skew
    v = verifier(revocations)
    await v.verify(token)
    await v.verify(token)
    assert confirm.asked == [token]


async def test_a_token_revoked_while_the_process_was_not_listening_is_refused():
    claims = claims_of(token := TOKENS.token())
    confirm = Confirm(revoked={claims["jti"]})
    revocations = RevocationList(confirm=confirm)
    revocations.listening()
    v = verifier(revocations)
    problem = await refused(v.verify(token))
    assert "撤销" in problem.body()["detail"]
    await refused(v.verify(token))
    assert confirm.asked == [token]  # remembered as revoked


async def test_a_token_issued_after_the_bind_is_trusted_without_asking():
    clock = Clock(time.time() - 120)
    confirm = Confirm()
    revocations = RevocationList(confirm=confirm, skew_seconds=30, clock=clock)
    revocations.listening()  # two minutes ago
    clock.now = time.time()
    await verifier(revocations).verify(TOKENS.token())
    assert confirm.asked == []


async def test_after_a_reconnect_earlier_confirmations_count_no_more():
    clock = Clock(time.time() - 600)
    confirm = Confirm()
    revocations = RevocationList(confirm=confirm, clock=clock)
    revocations.listening()
    token = TOKENS.token(iat=int(clock.now) - 10)
    claims = claims_of(token)
    await revocations.check(claims, token)
    assert len(confirm.asked) == 1
    revocations.deaf()  # the queue went away; a revocation may be missed now
    clock.now += 60
    revocations.listening()
    confirm.revoked.add(claims["jti"])  # ... and one was
    await refused(revocations.check(claims, token))
    assert len(confirm.asked) == 2


async def test_while_the_broadcast_is_down_every_token_is_asked_about_again_after_a_second():
    clock = Clock(time.time())
    confirm = Confirm()
    revocations = RevocationList(confirm=confirm, clock=clock, down_recheck_seconds=1.0)
    token = TOKENS.token()
    claims = claims_of(token)
    await revocations.check(claims, token)  # never listening: even a fresh token is asked about
    await revocations.check(claims, token)
    assert len(confirm.asked) == 1
    clock.now += 1.5
    confirm.revoked.add(claims["jti"])
    await refused(revocations.check(claims, token))


async def test_when_access_control_cannot_be_asked_the_request_is_refused_not_let_through():
    revocations = RevocationList(confirm=Confirm(down=True))
    token = TOKENS.token()
    problem = await refused(revocations.check(claims_of(token), token), status=503)
    assert problem.code == "auth-unavailable" and "撤销" in problem.body()["detail"]


async def test_parallel_requests_with_one_token_ask_once():
    confirm = Confirm()
    revocations = RevocationList(confirm=confirm)
    token = TOKENS.token()
    claims = claims_of(token)
    await asyncio.gather(*(revocations.check(claims, token) for _ in range(5)))
    assert confirm.asked == [token]


async def test_without_access_control_only_the_broadcast_is_followed():
    revocations = RevocationList()
    token = TOKENS.token()
    await revocations.check(claims_of(token), token)  # nothing to ask: accepted (the documented gap)
