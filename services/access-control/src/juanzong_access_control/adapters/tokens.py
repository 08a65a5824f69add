"""Token primitives: RS256 JWTs (PyJWT + cryptography), JWKS, refresh with rotation, revocation.

Access tokens follow RFC 9068 (header ``typ: at+jwt``; ``iss sub aud exp iat jti client_id scope``,
``roles``) with OIDC's ``name`` and three private claims: ``court``, ``dept``, ``kind`` (and
``supervised_depts`` for a 分管院领导). ``scope`` is space-separated as OAuth has it. Any identity
provider that issues these claims with a key in the published JWKS can replace this issuer.

Other services verify with ``TokenVerifier`` over the public JWKS only. Revocation is a local,
synchronous lookup (``RevocationList``): each service keeps its own list fed by revocation events, so
checking it costs no network round trip per request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ConfigDict

from ..domain.cases import Action
from ..domain.identities import Principal, PrincipalKind, Role

ALGORITHM = "RS256"
ACCESS_TYP = "at+jwt"
REFRESH_TYP = "rt+jwt"
MIN_KEY_BITS = 2048

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- errors ---------------------------------------------------------------------------------------
class TokenError(Exception):
    """A token was not accepted. ``code`` is stable for integrators; ``message_zh`` is for people."""

    code = "invalid"
    message_zh = "令牌无效。"

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail


class TokenMalformed(TokenError):
    code, message_zh = "malformed", "令牌格式错误。"


class TokenExpired(TokenError):
    code, message_zh = "expired", "令牌已过期，请重新登录或刷新。"


class TokenNotYetValid(TokenError):
    code, message_zh = "not_yet_valid", "令牌尚未生效。"


class TokenBadSignature(TokenError):
    code, message_zh = "bad_signature", "令牌签名无效。"


class TokenUnknownKey(TokenBadSignature):
    code, message_zh = "unknown_key", "令牌签名密钥未知。"


class TokenWrongAudience(TokenError):
    code, message_zh = "wrong_audience", "令牌不是签发给本服务的。"


class TokenWrongIssuer(TokenError):
    code, message_zh = "wrong_issuer", "令牌签发方不受信任。"


class TokenWrongType(TokenError):
    code, message_zh = "wrong_type", "令牌类型不符（访问令牌与刷新令牌不能混用）。"


class TokenRevoked(TokenError):
    code, message_zh = "revoked", "令牌已被撤销。"


# -- keys -----------------------------------------------------------------------------------------
def _public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "n": _b64url_uint(numbers.n), "e": _b64url_uint(numbers.e)}


def jwk_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint, used as the ``kid``: stable for a key, different across keys."""
    jwk = _public_jwk(public_key)
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def _check_size(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> None:
    if key.key_size < MIN_KEY_BITS:
        raise ValueError(f"RSA keys must have at least {MIN_KEY_BITS} bits, got {key.key_size}")


@dataclass(frozen=True)
class SigningKey:
    """An RSA private key with its ``kid``."""

    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, bits: int = 2048, kid: str | None = None) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        _check_size(key)
        return cls(kid=kid or jwk_thumbprint(key.public_key()), private_key=key)

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None, kid: str | None = None) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=password)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("not an RSA private key")
        _check_size(key)
        return cls(kid=kid or jwk_thumbprint(key.public_key()), private_key=key)

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self.private_key.public_key()

    def private_pem(self, password: bytes | None = None) -> bytes:
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        )

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def public_jwk(self) -> dict[str, str]:
        return {**_public_jwk(self.public_key), "kid": self.kid, "use": "sig", "alg": ALGORITHM}


class VerificationKeys:
    """Public keys by ``kid``: the current signing key plus those being rotated out."""

    def __init__(self, keys: Mapping[str, rsa.RSAPublicKey]) -> None:
        for key in keys.values():
            _check_size(key)
        self._keys = dict(keys)

    @classmethod
    def of(cls, *signing_keys: SigningKey) -> VerificationKeys:
        return cls({k.kid: k.public_key for k in signing_keys})

    def get(self, kid: str) -> rsa.RSAPublicKey | None:
        return self._keys.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return jwks_document(self._keys)


def jwks_document(
    keys: Mapping[str, rsa.RSAPublicKey] | Iterable[SigningKey],
) -> dict[str, list[dict[str, str]]]:
    """The JWKS served at ``jwks_uri``: public parts only."""
    if isinstance(keys, Mapping):
        items = [{**_public_jwk(k), "kid": kid, "use": "sig", "alg": ALGORITHM} for kid, k in keys.items()]
    else:
        items = [k.public_jwk() for k in keys]
    return {"keys": items}


# -- revocation -----------------------------------------------------------------------------------
class RevocationList(Protocol):
    """Revoked token ids. ``until`` is the token's own expiry: after it the entry may be dropped."""

    def revoke(self, jti: str, until: datetime) -> None: ...

    def is_revoked(self, jti: str) -> bool: ...


# -- claims ---------------------------------------------------------------------------------------
class AccessClaims(BaseModel):
    model_config = ConfigDict(frozen=True)

    iss: str
    sub: str
    aud: tuple[str, ...]
    exp: datetime
    iat: datetime
    jti: str
    client_id: str
    name: str
    court: str
    dept: str | None
    roles: tuple[str, ...]
    kind: str
    scopes: frozenset[str]
    supervised_depts: tuple[str, ...] = ()

    def to_principal(self) -> Principal:
        """The caller as the decision point sees it. Roles this project does not know are dropped:
        fewer roles can only mean less access."""
        known = {r.value for r in Role}
        return Principal(
            id=self.sub,
            name=self.name,
            court=self.court,
            department=self.dept,
            roles=frozenset(Role(r) for r in self.roles if r in known),
            kind=PrincipalKind(self.kind),
            scopes=self.scopes,
            supervised_departments=frozenset(self.supervised_depts),
        )


class RefreshClaims(BaseModel):
    model_config = ConfigDict(frozen=True)

    iss: str
    sub: str
    exp: datetime
    iat: datetime
    jti: str
    client_id: str


class IssuedToken(BaseModel):
    model_config = ConfigDict(frozen=True)

    token: str
    jti: str
    expires_at: datetime


# -- verifier -------------------------------------------------------------------------------------
def _ts(value: Any, claim: str) -> datetime:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TokenMalformed(f"{claim} must be a NumericDate")
    return datetime.fromtimestamp(value, UTC)


class TokenVerifier:
    """Verifies tokens for one audience. Errors say exactly why (see the ``TokenError`` subclasses)."""

    def __init__(
        self,
        keys: VerificationKeys,
        *,
        issuer: str,
        audience: str,
        revocations: RevocationList | None = None,
        clock: Clock = utcnow,
        leeway: timedelta = timedelta(seconds=30),
    ) -> None:
        self.keys, self.issuer, self.audience = keys, issuer, audience
        self.revocations, self.clock, self.leeway = revocations, clock, leeway

    def _decode(
        self, token: str, audience: str, typ: str, use: Literal["access", "refresh"]
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenMalformed(str(exc)) from exc
        if header.get("alg") != ALGORITHM:
            raise TokenBadSignature(f"algorithm {header.get('alg')!r} not accepted")
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenUnknownKey(f"kid {kid!r}")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                # Time claims are checked below against the injected clock.
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["iss", "sub", "aud", "exp", "iat", "jti"],
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise TokenBadSignature(str(exc)) from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenWrongAudience(str(exc)) from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenWrongIssuer(str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise TokenMalformed(str(exc)) from exc
        now = self.clock()
        if _ts(claims["exp"], "exp") + self.leeway <= now:
            raise TokenExpired(f"expired at {_ts(claims['exp'], 'exp').isoformat()}")
        not_before = claims.get("nbf", claims["iat"])
        if _ts(not_before, "nbf") - self.leeway > now or _ts(claims["iat"], "iat") - self.leeway > now:
            raise TokenNotYetValid("issued in the future")
        if header.get("typ") != typ or claims.get("token_use") != use:
            raise TokenWrongType(f"expected a {use} token")
        if self.revocations is not None and self.revocations.is_revoked(claims["jti"]):
            raise TokenRevoked(f"jti {claims['jti']}")
        return claims

    def verify_access(self, token: str) -> AccessClaims:
        c = self._decode(token, self.audience, ACCESS_TYP, "access")
        aud = c["aud"]
        try:
            return AccessClaims(
                iss=c["iss"],
                sub=c["sub"],
                aud=tuple(aud) if isinstance(aud, list) else (aud,),
                exp=_ts(c["exp"], "exp"),
                iat=_ts(c["iat"], "iat"),
                jti=c["jti"],
                client_id=c.get("client_id", ""),
                name=c.get("name", ""),
                court=c.get("court", ""),
                dept=c.get("dept"),
                roles=tuple(c.get("roles", ())),
                kind=c.get("kind", PrincipalKind.USER.value),
                scopes=frozenset(str(c.get("scope", "")).split()),
                supervised_depts=tuple(c.get("supervised_depts", ())),
            )
        except (ValueError, TypeError) as exc:
            raise TokenMalformed(str(exc)) from exc

    def verify_refresh(self, token: str) -> RefreshClaims:
        """Refresh tokens are addressed to the issuer itself, never to a resource service."""
        c = self._decode(token, self.issuer, REFRESH_TYP, "refresh")
        return RefreshClaims(
            iss=c["iss"],
            sub=c["sub"],
            exp=_ts(c["exp"], "exp"),
            iat=_ts(c["iat"], "iat"),
            jti=c["jti"],
            client_id=c.get("client_id", ""),
        )


# -- issuer ---------------------------------------------------------------------------------------
class TokenService:
    """Issues, refreshes (with rotation) and revokes tokens. Lives in access-control only."""

    def __init__(
        self,
        key: SigningKey,
        *,
        issuer: str,
        default_audience: str | Sequence[str],
        revocations: RevocationList,
        previous_keys: Sequence[SigningKey] = (),
        access_ttl: timedelta = timedelta(minutes=15),
        refresh_ttl: timedelta = timedelta(hours=8),
        client_id: str = "juanzong",
        clock: Clock = utcnow,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        leeway: timedelta = timedelta(seconds=30),
    ) -> None:
        self.key, self.issuer, self.default_audience = key, issuer, default_audience
        self.revocations, self.previous_keys = revocations, tuple(previous_keys)
        self.access_ttl, self.refresh_ttl, self.client_id = access_ttl, refresh_ttl, client_id
        self.clock, self.new_id, self.leeway = clock, new_id, leeway

    def verification_keys(self) -> VerificationKeys:
        return VerificationKeys.of(self.key, *self.previous_keys)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return jwks_document([self.key, *self.previous_keys])

    def verifier(self, audience: str) -> TokenVerifier:
        return TokenVerifier(
            self.verification_keys(),
            issuer=self.issuer,
            audience=audience,
            revocations=self.revocations,
            clock=self.clock,
            leeway=self.leeway,
        )

    def _encode(self, payload: dict[str, Any], typ: str) -> str:
        return jwt.encode(
            payload, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid, "typ": typ}
        )

    def issue_access(
        self,
        principal: Principal,
        *,
        audience: str | Sequence[str] | None = None,
        scopes: Iterable[str] | None = None,
    ) -> IssuedToken:
        """An access token for ``principal``. ``scopes`` may narrow the principal's scopes, never widen."""
        granted = principal.scopes if scopes is None else frozenset(scopes)
        if not granted <= principal.scopes:
            raise ValueError(f"scopes not held by {principal.id}: {sorted(granted - principal.scopes)}")
        aud = self.default_audience if audience is None else audience
        now = self.clock()
        exp = now + self.access_ttl
        jti = self.new_id()
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": principal.id,
            "aud": aud if isinstance(aud, str) else list(aud),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "jti": jti,
            "client_id": self.client_id,
            "token_use": "access",
            "name": principal.name,
            "court": principal.court,
            "dept": principal.department,
            "roles": sorted(r.value for r in principal.roles),
            "kind": principal.kind.value,
            "scope": " ".join(sorted(granted)),
        }
        if principal.supervised_departments:
            payload["supervised_depts"] = sorted(principal.supervised_departments)
        return IssuedToken(
            token=self._encode(payload, ACCESS_TYP), jti=jti, expires_at=_ts(payload["exp"], "exp")
        )

    def issue_refresh(self, principal: Principal) -> IssuedToken:
        now = self.clock()
        exp = now + self.refresh_ttl
        jti = self.new_id()
        payload = {
            "iss": self.issuer,
            "sub": principal.id,
            "aud": self.issuer,
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "jti": jti,
            "client_id": self.client_id,
            "token_use": "refresh",
        }
        return IssuedToken(
            token=self._encode(payload, REFRESH_TYP), jti=jti, expires_at=_ts(payload["exp"], "exp")
        )

    def revoke(self, token: str) -> str:
        """Revoke an access or refresh token this service issued; returns its jti. An expired or
        already revoked token is accepted quietly (RFC 7009 2.2); a forged one is not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenMalformed(str(exc)) from exc
        key = self.verification_keys().get(header.get("kid", ""))
        if key is None:
            raise TokenUnknownKey(f"kid {header.get('kid')!r}")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={
                    "verify_aud": False,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "require": ["jti", "exp"],
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise TokenBadSignature(str(exc)) from exc
        except jwt.InvalidIssuerError as exc:
            raise TokenWrongIssuer(str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise TokenMalformed(str(exc)) from exc
        self.revocations.revoke(claims["jti"], _ts(claims["exp"], "exp"))
        return str(claims["jti"])


# -- discovery ------------------------------------------------------------------------------------
ROLE_CLAIMS = ("court", "dept", "roles", "kind", "supervised_depts")


def discovery_document(
    issuer: str,
    *,
    jwks_uri: str | None = None,
    token_endpoint: str | None = None,
    revocation_endpoint: str | None = None,
    authorization_endpoint: str | None = None,
    userinfo_endpoint: str | None = None,
) -> dict[str, Any]:
    """OpenID Provider Metadata (``/.well-known/openid-configuration``). Endpoints default to paths
    under ``issuer``; a court's own identity provider publishes its own document instead."""
    base = issuer.rstrip("/")
    doc: dict[str, Any] = {
        "issuer": issuer,
        "jwks_uri": jwks_uri or f"{base}/.well-known/jwks.json",
        "token_endpoint": token_endpoint or f"{base}/oauth/token",
        "revocation_endpoint": revocation_endpoint or f"{base}/oauth/revoke",
        "grant_types_supported": ["client_credentials", "refresh_token"],
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
        "scopes_supported": ["openid", "profile", *sorted(a.scope for a in Action)],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "name", "scope", *ROLE_CLAIMS],
    }
    if authorization_endpoint:
        doc["authorization_endpoint"] = authorization_endpoint
        doc["response_types_supported"] = ["code"]
        doc["grant_types_supported"] = ["authorization_code", *doc["grant_types_supported"]]
    if userinfo_endpoint:
        doc["userinfo_endpoint"] = userinfo_endpoint
    return doc
