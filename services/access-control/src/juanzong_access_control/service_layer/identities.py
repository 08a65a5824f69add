"""Token issuance (OAuth2 token endpoint grants), refresh with rotation, revocation, and the caller.

The password grant does not tell which accounts exist: an unknown login is checked against a dummy hash of the same
cost, and failed logins are limited per account and per client address (``LoginThrottle``), counted in MongoDB so
every replica shares the count.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import jwt
from juanzong_shared.errors import BadRequest, TooMany
from juanzong_shared.events.access_control import TokenRevoked
from juanzong_shared.outbox import UnitOfWork

from ..adapters import tokens as tk
from ..adapters.passwords import check_secret
from ..adapters.repository import Accounts, RevokedTokens, principal_of_client, principal_of_user
from ..domain.identities import Principal

Transact = Callable[[Callable[[UnitOfWork], Awaitable[Any]]], Awaitable[Any]]


class OAuthError(BadRequest):
    """A refusal of the token endpoint: RFC 6749 5.2 ``error`` (the problem's ``type`` too) and its description,
    both in the answer (``error``, ``error_description``); ``field``: the form field concerned."""

    title = "令牌申请被拒绝"

    def __init__(self, error: str, description: str, field: str = "", **more: Any) -> None:
        super().__init__(field, description, code=error.replace("_", "-"), error=error, error_description=description,
                         **more)
        self.error = error


class InvalidClient(OAuthError):
    """The client's credentials are missing or wrong: 401 with the Basic challenge (RFC 6749 5.2)."""

    kind = "unauthenticated"

    def __init__(self, description: str, field: str) -> None:
        super().__init__("invalid_client", description, field, headers={"WWW-Authenticate": 'Basic realm="juanzong"'})


class LoginsLimited(TooMany):
    """The account or the address has used up its failed logins in the window: refused whatever the password."""

    code = "too-many-login-failures"
    title = "登录失败次数过多"

    def __init__(self, wait_seconds: int, window_minutes: int) -> None:
        super().__init__("", f"{window_minutes}分钟内登录失败次数过多，请{wait_seconds}秒后再试 (too many failed logins)",
                         headers={"Retry-After": str(wait_seconds)}, retry_after_seconds=wait_seconds)
        self.wait_seconds = wait_seconds


# -- failed logins ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LoginLimits:
    """House settings (no regulation sets them): failures allowed per account and per client address within a
    window; the next attempt in that window is refused with 429 whatever the password."""

    max_failures: int = 5
    # higher: many people may sit behind one address (a court's NAT). The address is the peer's: behind a proxy,
    # let uvicorn trust its X-Forwarded-For (FORWARDED_ALLOW_IPS) or every user shares the proxy's. 0: no limit.
    max_failures_per_address: int = 30
    window: timedelta = timedelta(minutes=5)

    @classmethod
    def of(cls, s: Any) -> LoginLimits:
        """From the service settings (``login_*``)."""
        return cls(max_failures=max(1, s.login_max_failures),
                   max_failures_per_address=max(0, s.login_max_failures_per_address),
                   window=timedelta(seconds=max(1.0, s.login_window_seconds)))


class FailureCounter(Protocol):
    async def counts(self, keys: Iterable[str], since: datetime) -> dict[str, tuple[int, datetime]]: ...

    async def add(self, key: str, now: datetime, since: datetime, window: timedelta) -> None: ...

    async def clear(self, key: str) -> None: ...


class LoginThrottle:
    def __init__(self, counter: FailureCounter, limits: LoginLimits | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.counter, self.limits, self.clock = counter, limits or LoginLimits(), clock

    def _keys(self, account: str, address: str | None) -> dict[str, int]:
        keys = {f"account:{account}": self.limits.max_failures}
        if address and self.limits.max_failures_per_address:
            keys[f"address:{address}"] = self.limits.max_failures_per_address
        return keys

    async def check(self, account: str, address: str | None) -> None:
        """:class:`LoginsLimited` while the account or the address has used up its failures."""
        now = self.clock()
        keys = self._keys(account, address)
        found = await self.counter.counts(keys, now - self.limits.window)
        blocked = [start for key, (count, start) in found.items() if count >= keys[key]]
        if blocked:
            wait = max(1, math.ceil((max(blocked) + self.limits.window - now).total_seconds()))
            raise LoginsLimited(wait, max(1, round(self.limits.window.total_seconds() / 60)))

    async def failed(self, account: str, address: str | None) -> None:
        now = self.clock()
        for key in self._keys(account, address):
            await self.counter.add(key, now, now - self.limits.window, self.limits.window)

    async def succeeded(self, account: str) -> None:
        await self.counter.clear(f"account:{account}")


class Revocations:
    """Revoked token ids: kept in memory for a lookup per request, stored in MongoDB for restarts and the
    other replicas — which hear of an explicit revocation at once (``access.token.revoked``, broadcast to
    every replica) and reload the whole list every housekeeping round and on reconnecting to the bus."""

    def __init__(self, stored: RevokedTokens) -> None:
        self.stored = stored
        self._until: dict[str, datetime] = {}

    def revoke(self, jti: str, until: datetime) -> None:  # tk.RevocationList protocol (in memory)
        self._until[jti] = max(until, self._until.get(jti, until))

    def is_revoked(self, jti: str | None) -> bool:
        return jti is not None and jti in self._until

    async def store(self, jti: str, until: datetime) -> bool:
        """Record a revocation; False when it was already recorded (a refresh token used twice)."""
        self.revoke(jti, until)
        return await self.stored.add(jti, until)

    async def store_in(self, uow: UnitOfWork, jti: str, until: datetime, *, subject: str | None = None,
                       token_use: str | None = None) -> None:
        """Record a revocation in ``uow`` and announce it to the other replicas (outbox, after commit)."""
        self.revoke(jti, until)
        now = datetime.now(UTC)
        await uow.repos.revoked.keep(jti, until, now)
        uow.emit(TokenRevoked(jti=jti, until=until, subject=subject, token_use=token_use, at=now))

    async def reload(self) -> None:
        now = datetime.now(UTC)
        loaded = await self.stored.live(now)
        # Merged, not replaced: a revocation heard (broadcast) while the list was being read must not be lost.
        # Entries only ever leave when their token has expired anyway.
        for jti, until in self._until.items():
            if until > now:
                loaded[jti] = max(until, loaded.get(jti, until))
        self._until = loaded


class Identities:
    def __init__(self, tokens: tk.TokenService, revocations: Revocations, accounts: Accounts,
                 throttle: LoginThrottle, *, transact: Transact, password_grant: bool,
                 check: Callable[[str, str | None], bool] = check_secret) -> None:
        self.tokens, self.revocations, self.accounts, self.throttle = tokens, revocations, accounts, throttle
        self.transact = transact
        self.password_grant = password_grant
        self._check = check

    async def _matches(self, secret: str, stored: str | None) -> bool:
        """The hash check, off the event loop; as costly with no stored hash as with one."""
        return await asyncio.to_thread(self._check, secret, stored)

    def _now(self) -> datetime:
        return self.tokens.clock()

    async def password(self, username: str | None, password: str | None, scope: str | None,
                       address: str | None = None) -> dict[str, Any]:
        """Resource-owner password grant. ``address``: the client's address, for the failure limit."""
        if not self.password_grant:
            raise OAuthError("unsupported_grant_type", "本环境不支持口令方式登录 (password grant disabled)",
                             "grant_type")
        if not username or not password:
            raise OAuthError("invalid_request", "缺少用户名或口令 (username and password required)",
                             "username" if not username else "password")
        doc = await self.accounts.user_by_login(username)
        account = doc["_id"] if doc is not None else username  # a user's id and username count as one account
        await self.throttle.check(account, address)
        if not await self._matches(password, doc.get("password_hash") if doc is not None else None):
            await self.throttle.failed(account, address)
            raise OAuthError("invalid_grant", "用户名或口令错误 (wrong username or password)", "password")
        await self.throttle.succeeded(account)
        principal = principal_of_user(doc)
        return self._pair(principal, scope)

    async def client_credentials(self, client_id: str | None, secret: str | None, scope: str | None) -> dict[str, Any]:
        if not client_id or not secret:
            raise InvalidClient("缺少客户端凭据 (client_id and client_secret required)", "client_id")
        doc = await self.accounts.client(client_id)
        if not await self._matches(secret, doc.get("secret_hash") if doc is not None else None):
            raise InvalidClient("客户端凭据错误 (wrong client credentials)", "client_secret")
        principal = principal_of_client(doc)
        issued = self._access(principal, scope)
        return {"access_token": issued.token, "token_type": "Bearer",
                "expires_in": int((issued.expires_at - self._now()).total_seconds()),
                "scope": " ".join(sorted(self._scopes(principal, scope)))}

    async def refresh(self, refresh_token: str | None, scope: str | None) -> dict[str, Any]:
        if not refresh_token:
            raise OAuthError("invalid_request", "缺少 refresh_token", "refresh_token")
        try:
            claims = self.tokens.verifier(self.tokens.issuer).verify_refresh(refresh_token)
        except tk.TokenError as error:
            raise OAuthError("invalid_grant", f"{error.message_zh} ({error.code})", "refresh_token") from None
        # Rotation: the old refresh token is spent; a second use finds it recorded and fails.
        if not await self.revocations.store(claims.jti, claims.exp):
            raise OAuthError("invalid_grant", "刷新令牌已使用或已撤销 (refresh token already used)",
                             "refresh_token")
        principal = await self.accounts.principal(claims.sub)
        if principal is None:
            raise OAuthError("invalid_grant", f"账户 {claims.sub} 已停用 (account inactive)", "refresh_token")
        return self._pair(principal, scope)

    async def revoke(self, token: str | None) -> dict[str, Any]:
        """RFC 7009: revoking an unknown, expired or forged token is answered 200 and changes nothing."""
        if not token:
            raise OAuthError("invalid_request", "缺少 token", "token")
        try:
            jti = self.tokens.revoke(token)
        except tk.TokenError:
            return {"revoked": False}
        claims = jwt.decode(token, options={"verify_signature": False})
        until = datetime.fromtimestamp(claims["exp"], UTC)
        use = claims.get("token_use")
        await self.transact(lambda uow: self.revocations.store_in(
            uow, jti, until, subject=claims.get("sub"), token_use=use if isinstance(use, str) else None))
        return {"revoked": True, "jti": jti}

    # -- helpers ----------------------------------------------------------------------------------
    def _scopes(self, principal: Principal, scope: str | None) -> frozenset[str]:
        if scope is None or not scope.strip():
            return principal.scopes
        wanted = frozenset(scope.split())
        if not wanted <= principal.scopes:
            raise OAuthError("invalid_scope", f"未授予的权限范围: {' '.join(sorted(wanted - principal.scopes))}",
                             "scope")
        return wanted

    def _access(self, principal: Principal, scope: str | None) -> tk.IssuedToken:
        return self.tokens.issue_access(principal, scopes=self._scopes(principal, scope))

    def _pair(self, principal: Principal, scope: str | None) -> dict[str, Any]:
        access = self._access(principal, scope)
        refresh = self.tokens.issue_refresh(principal)
        return {"access_token": access.token, "token_type": "Bearer",
                "expires_in": int((access.expires_at - self._now()).total_seconds()),
                "refresh_token": refresh.token, "scope": " ".join(sorted(self._scopes(principal, scope)))}


class VerifiedTokens:
    """Principals of tokens already verified, until their expiry: a caller that sends the same bearer
    token again (every enforcing service does, per page) skips the RSA check. Revocation is still
    checked on every request."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._seen: dict[str, tuple[float, str | None, Principal]] = {}

    def get(self, token: str) -> tuple[str | None, Principal] | None:
        hit = self._seen.get(token)
        if hit is None:
            return None
        if hit[0] <= time.time():
            self._seen.pop(token, None)
            return None
        return hit[1], hit[2]

    def forget_jti(self, jti: str) -> None:
        """Drop the entries of a revoked token (revocation is checked per request anyway)."""
        for token in [t for t, hit in self._seen.items() if hit[1] == jti]:
            self._seen.pop(token, None)

    def clear(self) -> None:
        self._seen.clear()

    def put(self, token: str, exp: float, jti: str | None, principal: Principal) -> None:
        if len(self._seen) >= self.max_entries:
            self._seen.clear()
        self._seen[token] = (exp, jti, principal)
