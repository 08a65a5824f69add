"""Revoked tokens, followed by every service (issue 20 item 4: revocation everywhere).

access-control announces each revocation (RFC 7009, ``POST /v1/token/revoke``) as ``access.token.revoked``;
every process of every service hears it on a per-process broadcast queue (:class:`juanzong_shared.bus.Broadcast`)
and refuses the token from then on, until the token's own expiry (after which it is refused as expired anyway).

The gap. A broadcast queue only receives what is published while it is bound: a revocation announced while this
process was starting, or while its broker connection was down, never reaches it. So the list trusts itself only
for what it can have heard:

* a token issued after the queue was (re)bound — its revocation, necessarily later, cannot have been missed
  (``iat`` is compared with the bind time plus ``skew_seconds``, for clocks of issuer and service that differ);
* a token whose standing was confirmed online with access-control after the queue was (re)bound.

Any other token — issued before this process's queue was bound, or used while the queue is down — is checked
once with access-control (``GET /v1/userinfo``, which refuses a revoked token) before it is accepted; while the
queue is down, each token is checked again at most every ``down_recheck_seconds``. If access-control cannot be
asked the request is refused (503), never let through unchecked.

A service that verifies with a pinned public key (``JZ_JWT_PUBLIC_KEY_FILE``, as the services' own integration
tests do) does not talk to the issuer: it follows the broadcast only and the gap stays open — a token revoked while
the process was away from the broker is accepted until it expires. The issuer's keys by URL (``JZ_JWT_JWKS_URL``,
no key file) with ``JZ_ACCESS_CONTROL_URL`` close it; the embedded stack and the manifests run that way.

A drop the client has not noticed yet (until the broker heartbeat fails) is the one window left: revocations made
in it are missed until the connection is found dead, and caught by the online check after the reconnect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from juanzong_shared.bus import Broadcast, handles
from juanzong_shared.events import Event
from juanzong_shared.events.access_control import TokenRevoked
from juanzong_shared.logging import get_logger
from juanzong_shared.problems import Problem

log = get_logger(__name__)

TOKEN_REVOKED = "access.token.revoked"

# token → True (good), False (revoked, or no longer good for access-control); raises when it cannot tell
Confirm = Callable[[str], Awaitable[bool]]


def revoked_problem() -> Problem:
    return Problem(401, "unauthorized", "未认证", "令牌已撤销 (token revoked)",
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="token revoked"'})


class UserinfoConfirm:
    """Asks access-control whether a token is still good: its OIDC userinfo answers 200 only for a token that
    is valid and not revoked (access-control checks its own revocation list on every request)."""

    def __init__(self, base_url: str, *, timeout: float = 3.0) -> None:
        self.url = base_url.rstrip("/") + "/v1/userinfo"
        self._client = httpx.AsyncClient(timeout=timeout)

    async def __call__(self, token: str) -> bool:
        response = await self._client.get(self.url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 200:
            return True
        if response.status_code == 401:
            return False
        raise RuntimeError(f"access-control userinfo answered {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()


class RevocationList:
    """The revoked token ids this process knows of, and when it last could have heard of every revocation.

    ``confirm`` (optional) asks access-control about a token this list cannot vouch for (see the module notes).
    """

    def __init__(self, *, confirm: Confirm | None = None, skew_seconds: float = 30.0,
                 down_recheck_seconds: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self.confirm = confirm
        self.skew_seconds = skew_seconds
        self.down_recheck_seconds = down_recheck_seconds
        self.clock = clock
        self._until: dict[str, float] = {}  # jti → the token's expiry (epoch seconds)
        self._confirmed: dict[str, tuple[float, float]] = {}  # jti → (confirmed at, token expiry)
        self._pending: dict[str, asyncio.Future[bool]] = {}
        self.listening_since: float | None = None  # None: the broadcast queue is not bound now
        self._pruned_at = 0.0

    # -- what the broadcast tells ------------------------------------------------------------------
    def revoke(self, jti: str, until: float) -> None:
        self._until[jti] = max(until, self._until.get(jti, until))
        self._confirmed.pop(jti, None)

    def listening(self) -> None:
        """The broadcast queue is bound and consuming: from now on no revocation is missed."""
        self.listening_since = self.clock()
        log.info("revocations followed", since=self.listening_since)

    def deaf(self) -> None:
        """The broadcast queue is gone (connection or channel lost): revocations may be missed from now on."""
        if self.listening_since is not None:
            log.warning("revocation broadcast lost; tokens are checked with access-control until it is back")
        self.listening_since = None

    def is_revoked(self, jti: str | None) -> bool:
        return jti is not None and jti in self._until

    # -- the check on every request ----------------------------------------------------------------
    async def check(self, claims: Mapping[str, Any], token: str) -> None:
        """Raise 401 problem+json when the token is revoked; 503 when that cannot be ruled out."""
        now = self.clock()
        self._prune(now)
        jti = str(claims["jti"])
        if jti in self._until:
            raise revoked_problem()
        if self.confirm is None:
            return  # broadcast only (see the module notes: the gap stays open)
        since = self.listening_since
        confirmed = self._confirmed.get(jti)
        if since is not None:
            if float(claims.get("iat", 0)) >= since + self.skew_seconds:
                return
            if confirmed is not None and confirmed[0] >= since:
                return
        elif confirmed is not None and now - confirmed[0] < self.down_recheck_seconds:
            return
        if not await self._ask(jti, token, float(claims.get("exp", now))):
            raise revoked_problem()

    async def _ask(self, jti: str, token: str, exp: float) -> bool:
        pending = self._pending.get(jti)
        if pending is not None:  # the same token on parallel requests: one question
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the request that asked went away before the answer: ask again
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[jti] = future
        asked_at = self.clock()
        try:
            try:
                good = await self.confirm(token)
            except Exception as error:  # noqa: BLE001 — refused below, never let through unchecked
                log.warning("token standing not confirmed", error=f"{type(error).__name__}: {error}")
                problem = Problem(503, "auth-unavailable", "认证服务不可用",
                                  "无法向权限服务确认令牌未被撤销，请稍后再试 (revocation status unknown)")
                future.set_exception(problem)
                future.exception()  # retrieved: parallel waiters re-raise it, no "never retrieved" warning
                raise problem from None
            if good:
                # as of when we asked; a revocation after that reaches us on the broadcast (if it is bound)
                self._confirmed[jti] = (asked_at, exp)
            else:
                self.revoke(jti, exp)
            future.set_result(good)
            return good
        finally:
            self._pending.pop(jti, None)
            if not future.done():  # this request was cancelled while asking: the waiters ask again
                future.cancel()

    def _prune(self, now: float) -> None:
        if now - self._pruned_at < 60:
            return
        self._pruned_at = now
        for jti in [j for j, until in self._until.items() if until <= now]:
            del self._until[jti]
        for jti in [j for j, (_, exp) in self._confirmed.items() if exp <= now]:
            del self._confirmed[jti]

    # -- the subscription --------------------------------------------------------------------------
    def broadcast(self) -> Broadcast:
        """The per-process subscription that keeps this list: ``access.token.revoked`` from access-control."""

        @handles(TOKEN_REVOKED)
        async def token_revoked(payload: TokenRevoked, event: Event) -> None:
            self.revoke(payload.jti, payload.until.timestamp())

        async def connected() -> None:
            self.listening()

        return Broadcast([token_revoked], on_connect=connected, on_disconnect=self.deaf,
                         name="revocations")
