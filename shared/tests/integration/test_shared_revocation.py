"""Revocations on the real RabbitMQ (issue 20 item 4): a service hears access-control's revocations on its own
broadcast queue, and a revocation published while its broker connection was cut is not lost on it — the tokens it
could have missed are checked with access-control (here a stand-in) until the queue is back and they are confirmed.
"""

import asyncio
import time
from datetime import UTC, datetime

import jwt
import pytest
from juanzong_shared.bus import Bus
from juanzong_shared.events import REGISTRY
from juanzong_shared.problems import Problem
from juanzong_shared.revocation import RevocationList
from juanzong_shared.testing import FlakyProxy, TokenFactory

pytestmark = pytest.mark.integration

TOKENS = TokenFactory()


class AccessControl:
    """What access-control's userinfo would say of a token: revoked or not (it always knows)."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()
        self.asked: list[str] = []

    async def __call__(self, token: str) -> bool:
        jti = jwt.decode(token, options={"verify_signature": False})["jti"]
        self.asked.append(jti)
        return jti not in self.revoked


def claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def revoked_event(token: str):
    c = claims(token)
    return REGISTRY.create("access.token.revoked", {"jti": c["jti"], "until": datetime.fromtimestamp(c["exp"], UTC),
                                                    "subject": c["sub"], "token_use": "access",
                                                    "at": datetime.now(UTC)})


async def wait_for(predicate, timeout=30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def is_refused(revocations: RevocationList, token: str) -> bool:
    try:
        await revocations.check(claims(token), token)
    except Problem as problem:
        assert problem.status == 401 and "撤销" in problem.body()["detail"]
        return True
    return False


async def test_a_revocation_published_while_the_broker_was_cut_is_still_refused(embedded_stack, make_bus):
    access_control = AccessControl()
    revocations = RevocationList(confirm=access_control, skew_seconds=0)
    _, port = embedded_stack.config.amqp_host_port
    proxy = FlakyProxy(port)
    proxy_port = await proxy.start()
    try:
        service = await make_bus("intake", amqp_url=f"amqp://guest:guest@127.0.0.1:{proxy_port}/")
        await service.broadcast(revocations.broadcast())
        assert revocations.listening_since is not None
        publisher: Bus = await make_bus("access-control")

        await asyncio.sleep(max(0.0, int(revocations.listening_since) + 1 - time.time()))
        heard = TOKENS.token("u-judge")  # issued after the queue was bound: trusted without asking
        assert not await is_refused(revocations, heard) and access_control.asked == []
        await publisher.publish(revoked_event(heard))
        assert await wait_for(lambda: revocations.is_revoked(claims(heard)["jti"])), "broadcast not heard"
        assert await is_refused(revocations, heard)

        earlier = TOKENS.token("u-clerk")
        missed = TOKENS.token("u-head")
        proxy.cut()
        assert await wait_for(lambda: revocations.listening_since is None), "the cut went unnoticed"
        access_control.revoked.add(claims(missed)["jti"])
        await publisher.publish(revoked_event(missed))  # nobody of the service hears this one
        proxy.restore()
        assert await wait_for(lambda: revocations.listening_since is not None), "not listening again"

        assert not revocations.is_revoked(claims(missed)["jti"])  # the broadcast did not bring it ...
        assert await is_refused(revocations, missed)  # ... the check with access-control did
        assert not await is_refused(revocations, earlier)  # an unrevoked earlier token: asked once, then trusted
        assert not await is_refused(revocations, earlier)
        assert access_control.asked.count(claims(earlier)["jti"]) == 1

        await publisher.publish(revoked_event(earlier))  # and the queue after the reconnect works
        assert await wait_for(lambda: revocations.is_revoked(claims(earlier)["jti"]))
        assert await is_refused(revocations, earlier)
    finally:
        await proxy.close()
