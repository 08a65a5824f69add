"""Bearer-token verification (JWT RS256 from a JWKS URL or a PEM file) and the caller's identity.

Tokens are issued by access-control (OIDC-compatible, so a court's identity provider can replace it).
Every service verifies them locally with the issuer's public keys and asks access-control for
case-level decisions through :class:`AccessDecider`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any, Literal, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from fastapi import Depends, Request
from pydantic import BaseModel, Field

from juanzong_shared.problems import Problem


class Identity(BaseModel):
    """Who is calling: a person, a service or a scanning station."""

    model_config = {"frozen": True}

    subject: str = Field(..., examples=["u-judge-zhang"])
    name: str | None = Field(None, examples=["张法官"])
    court: str | None = Field(None, examples=["吉01"])
    department: str | None = None
    roles: tuple[str, ...] = ()
    kind: Literal["user", "service", "station"] = "user"
    scopes: tuple[str, ...] = ()
    token_id: str | None = None
    token: str | None = Field(None, repr=False, exclude=True)

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "未认证", detail, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenVerifier:
    """Verifies RS256 tokens; JWKS keys are cached and refetched when an unknown ``kid`` appears."""

    def __init__(self, *, issuer: str, audience: str, jwks_url: str | None = None,
                 public_key_pem: bytes | None = None, leeway: int = 30, cache_seconds: int = 300,
                 revocations: RevocationCheck | None = None) -> None:
        if not jwks_url and not public_key_pem:
            raise ValueError("a JWKS URL or a public key is required")
        # the revoked tokens this process follows (the app factory sets it: juanzong_shared.revocation)
        self.revocations = revocations
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self._static_key = serialization.load_pem_public_key(public_key_pem) if public_key_pem else None
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _jwks_key(self, kid: str | None) -> Any:
        if kid in self._keys and time.monotonic() - self._fetched_at < self.cache_seconds:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            # refetch when stale, or when an unknown kid appears (key rotation), at most every 5 s
            if age >= self.cache_seconds or (kid not in self._keys and age > 5):
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(self.jwks_url)
                    response.raise_for_status()
                    document = response.json()
                self._keys = {k.get("kid"): jwt.PyJWK(k).key for k in document.get("keys", [])
                              if k.get("kty") == "RSA"}
                self._fetched_at = time.monotonic()
        if kid not in self._keys:
            raise unauthorized("令牌签名密钥未知 (unknown signing key id)")
        return self._keys[kid]

    async def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("令牌格式错误 (malformed token)") from None
        if header.get("alg") != "RS256":
            raise unauthorized("令牌算法不被接受，只接受 RS256 (only RS256 is accepted)")
        if not _is_access_typ(header.get("typ")):
            # RFC 9068: an access token says so in its header; a refresh token (rt+jwt) or anything else is no bearer
            raise unauthorized("令牌类型不符，只接受访问令牌 (typ must be at+jwt)")
        if self._static_key is not None:
            key = self._static_key
        else:
            try:
                key = await self._jwks_key(header.get("kid"))
            except httpx.HTTPError as error:
                raise Problem(503, "auth-unavailable", "认证服务不可用",
                              f"无法获取签名公钥 (JWKS unreachable: {error})") from None
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=self.audience, issuer=self.issuer,
                                leeway=self.leeway, options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]})
        except jwt.ExpiredSignatureError:
            raise unauthorized("令牌已过期 (token expired)") from None
        except jwt.InvalidAudienceError:
            raise unauthorized("令牌受众不符 (wrong audience)") from None
        except jwt.InvalidIssuerError:
            raise unauthorized("令牌签发者不符 (wrong issuer)") from None
        except jwt.InvalidSignatureError:
            raise unauthorized("令牌签名无效 (bad signature)") from None
        except jwt.PyJWTError as error:
            raise unauthorized(f"令牌无效 (invalid token: {error})") from None
        if claims.get("token_use") != "access":
            raise unauthorized("令牌用途不符，只接受访问令牌 (token_use must be access)")
        if self.revocations is not None:
            await self.revocations.check(claims, token)
        return identity_from_claims(claims, token)


ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})


def _is_access_typ(typ: object) -> bool:
    return isinstance(typ, str) and typ.lower() in ACCESS_TOKEN_TYPES


class RevocationCheck(Protocol):
    """Refuses a revoked token (401 problem+json), see :class:`juanzong_shared.revocation.RevocationList`."""

    async def check(self, claims: dict[str, Any], token: str) -> None:
        ...


def identity_from_claims(claims: dict[str, Any], token: str | None = None) -> Identity:
    roles = claims.get("roles") or []
    scopes = claims.get("scope", "")
    return Identity(subject=str(claims["sub"]), name=claims.get("name"), court=claims.get("court"),
                    department=claims.get("dept"), roles=tuple(roles), kind=claims.get("kind", "user"),
                    scopes=tuple(scopes.split()) if isinstance(scopes, str) else tuple(scopes),
                    token_id=claims.get("jti"), token=token)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def require_identity(request: Request) -> Identity:
    """FastAPI dependency: the verified caller, or 401 problem+json."""
    verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
    token = bearer_token(request)
    if verifier is None:
        if getattr(request.app.state, "settings", None) is not None and not request.app.state.settings.auth_required:
            return Identity(subject="anonymous", kind="service", roles=("system",))
        raise Problem(503, "auth-unconfigured", "认证未配置", "服务未配置令牌校验 (set JZ_JWT_JWKS_URL)")
    if token is None:
        raise unauthorized("缺少 Bearer 令牌 (missing bearer token)")
    return await verifier.verify(token)


CurrentIdentity = Annotated[Identity, Depends(require_identity)]


class Obligation(BaseModel):
    """What a yes comes with: ``record_access`` (全程留痕), ``exclude_sub_volume`` (no 副卷 material),
    ``exclude_undisclosable`` (no material closed by law) — 法〔2016〕264号 三(六). The enforcing service carries
    out every obligation it is given; one it does not know makes the answer a no (see :meth:`Decision.unknown`)."""

    model_config = {"frozen": True}

    kind: str
    rule: str | None = None


KNOWN_OBLIGATIONS = frozenset({"record_access", "exclude_sub_volume", "exclude_undisclosable"})


class Decision(BaseModel):
    allowed: bool
    reason: str
    rule: str | None = None
    obligations: tuple[Obligation, ...] = ()
    grant_id: str | None = None
    # access-control's signed receipt of this decision: a service that reports a read it served under the decision
    # presents it, so the audit record's actor is the one the decision was made for (issue 20 item 7)
    receipt: str | None = None

    def has(self, kind: str) -> bool:
        return any(o.kind == kind for o in self.obligations)

    @property
    def excludes_sub_volume(self) -> bool:
        return self.has("exclude_sub_volume")

    @property
    def excludes_undisclosable(self) -> bool:
        return self.has("exclude_undisclosable")

    def unknown(self) -> list[str]:
        """Obligations this library does not know how to carry out (a caller must refuse then)."""
        return [o.kind for o in self.obligations if o.kind not in KNOWN_OBLIGATIONS]


class AccessDecider(Protocol):
    async def decide(self, identity: Identity, action: str, case_number: str, *, resource: str | None = None) -> Decision:
        ...


class HttpAccessDecider:
    """Asks access-control's decision API; caches each answer for the shorter of ``ttl`` and the ``max_age`` the
    answer carries, so a withdrawn permission (an unlinked 原审, a revoked grant) is refused everywhere within about
    a second of access-control knowing it (issue 20 item 1: within 2 s)."""

    def __init__(self, base_url: str, *, ttl: float = 1.0, timeout: float = 3.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self._client = httpx.AsyncClient(timeout=timeout)
        self._cache: dict[tuple, tuple[float, Decision]] = {}

    async def decide(self, identity: Identity, action: str, case_number: str, *, resource: str | None = None) -> Decision:
        key = (identity.subject, identity.token_id, action, case_number, resource)
        hit = self._cache.get(key)
        if hit and time.monotonic() < hit[0]:
            return hit[1]
        try:
            response = await self._client.post(
                f"{self.base_url}/v1/decisions",
                json={"action": action, "case_number": case_number, "resource": resource},
                headers={"Authorization": f"Bearer {identity.token}"} if identity.token else {})
        except httpx.HTTPError as error:
            raise Problem(503, "access-control-unavailable", "权限服务不可用", f"无法取得授权决定: {error}") from None
        if response.status_code != 200:
            raise Problem(503 if response.status_code >= 500 else 403, "access-decision-failed", "无法取得授权决定",
                          response.text[:500])
        body = response.json()
        decision = Decision.model_validate(body)
        if len(self._cache) > 10_000:
            self._cache.clear()
        max_age = body.get("max_age") if isinstance(body, dict) else None
        lifetime = min(self.ttl, float(max_age)) if isinstance(max_age, (int, float)) and max_age >= 0 else self.ttl
        if lifetime > 0:
            self._cache[key] = (time.monotonic() + lifetime, decision)
        return decision

    async def close(self) -> None:
        await self._client.aclose()


async def enforce(decider: AccessDecider, identity: Identity, action: str, case_number: str,
                  resource: str | None = None) -> Decision:
    """Ask for a decision and raise 403 problem+json naming the rule when it is a no."""
    decision = await decider.decide(identity, action, case_number, resource=resource)
    if not decision.allowed:
        raise Problem(403, "forbidden", "无权访问", decision.reason, rule=decision.rule)
    if unknown := decision.unknown():
        raise Problem(403, "forbidden", "无权访问",
                      f"授权附带本服务无法履行的义务 ({', '.join(unknown)}): refused rather than served unfiltered",
                      rule=decision.rule)
    return decision
