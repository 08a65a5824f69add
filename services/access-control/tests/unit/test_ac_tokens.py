"""RS256 token primitives: issuance, verification failures by cause, refresh rotation, JWKS, discovery."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from juanzong_access_control.adapters import tokens as tk
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.cases import Action
from juanzong_access_control.domain.identities import PrincipalKind, Role
from juanzong_access_control.domain.policy import decide

from .memory import MemoryRevocationList

pytestmark = pytest.mark.unit

ISSUER = "https://ac.court.example"
AUD = "juanzong-catalog"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def key() -> tk.SigningKey:
    return tk.SigningKey.generate()


@pytest.fixture(scope="module")
def attacker_key() -> tk.SigningKey:
    return tk.SigningKey.generate()


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def service(key, clock) -> tk.TokenService:
    return tk.TokenService(
        key,
        issuer=ISSUER,
        default_audience=AUD,
        revocations=MemoryRevocationList(),
        clock=clock,
        access_ttl=timedelta(minutes=15),
        refresh_ttl=timedelta(hours=8),
    )


def test_access_token_round_trip(service, people):
    issued = service.issue_access(people.leader)
    claims = service.verifier(AUD).verify_access(issued.token)
    assert claims.sub == "u-leader" and claims.iss == ISSUER and claims.aud == (AUD,)
    assert claims.jti == issued.jti and claims.exp == T0 + timedelta(minutes=15)
    assert claims.to_principal() == people.leader
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "RS256", "kid": service.key.kid, "typ": "at+jwt"}


def test_claims_are_what_the_shared_library_reads(service, people):
    token = service.issue_access(people.service).token
    raw = jwt.decode(token, options={"verify_signature": False})
    assert raw["scope"] == "dossier:read_text"
    assert raw["kind"] == "service" and raw["roles"] == ["service_account"] and raw["dept"] is None
    assert {"sub", "name", "court", "aud", "iss", "exp", "iat", "jti", "client_id"} <= raw.keys()


def test_expired_token_refused(service, clock, people):
    token = service.issue_access(people.judge).token
    verifier = service.verifier(AUD)
    clock.at = T0 + timedelta(minutes=15, seconds=29)  # inside the 30 s leeway
    verifier.verify_access(token)
    clock.at = T0 + timedelta(minutes=15, seconds=31)
    with pytest.raises(tk.TokenExpired):
        verifier.verify_access(token)


def test_token_from_the_future_refused(service, clock, people):
    token = service.issue_access(people.judge).token
    clock.at = T0 - timedelta(minutes=5)
    with pytest.raises(tk.TokenNotYetValid):
        service.verifier(AUD).verify_access(token)


def test_forged_signature_refused(service, key, attacker_key, people, clock):
    forger = tk.TokenService(
        attacker_key,
        issuer=ISSUER,
        default_audience=AUD,
        revocations=MemoryRevocationList(),
        clock=clock,
    )
    forged = forger.issue_access(people.leader).token
    _, payload, sig = forged.split(".")
    # claim to be signed by the real key
    real_header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": key.kid, "typ": "at+jwt"}).encode())
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(tk.TokenBadSignature) as exc:
        service.verifier(AUD).verify_access(f"{real_header}.{payload}.{sig}")
    assert exc.value.code == "bad_signature"
    with pytest.raises(tk.TokenUnknownKey):
        service.verifier(AUD).verify_access(forged)


def test_tampered_payload_refused(service, people):
    token = service.issue_access(people.outsider).token
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = ["supervising_leader"]
    evil = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(tk.TokenBadSignature):
        service.verifier(AUD).verify_access(f"{header}.{evil}.{sig}")


def test_algorithm_confusion_refused(service, key, people):
    now = int(T0.timestamp())
    claims = {
        "iss": ISSUER,
        "sub": "u-x",
        "aud": AUD,
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "token_use": "access",
    }
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": key.kid, "typ": "at+jwt"})
    with pytest.raises(tk.TokenBadSignature):
        service.verifier(AUD).verify_access(unsigned)
    with pytest.raises(tk.TokenError):
        service.verifier(AUD).verify_access("not-a-token")


def test_wrong_audience_refused(service, people):
    token = service.issue_access(people.judge, audience="juanzong-archive").token
    with pytest.raises(tk.TokenWrongAudience):
        service.verifier(AUD).verify_access(token)
    assert service.verifier("juanzong-archive").verify_access(token).sub == "u-judge"


def test_wrong_issuer_refused(key, clock, people):
    other = tk.TokenService(
        key,
        issuer="https://evil.example",
        default_audience=AUD,
        revocations=MemoryRevocationList(),
        clock=clock,
    )
    token = other.issue_access(people.judge).token
    verifier = tk.TokenVerifier(tk.VerificationKeys.of(key), issuer=ISSUER, audience=AUD, clock=clock)
    with pytest.raises(tk.TokenWrongIssuer):
        verifier.verify_access(token)


def test_revoked_token_refused(service, people):
    issued = service.issue_access(people.judge)
    verifier = service.verifier(AUD)
    verifier.verify_access(issued.token)
    assert service.revoke(issued.token) == issued.jti
    with pytest.raises(tk.TokenRevoked):
        verifier.verify_access(issued.token)


def test_refresh_and_access_tokens_do_not_mix(service, people):
    access, refresh = service.issue_access(people.judge), service.issue_refresh(people.judge)
    with pytest.raises(tk.TokenWrongAudience):
        service.verifier(AUD).verify_access(refresh.token)
    with pytest.raises(tk.TokenWrongType):
        service.verifier(ISSUER).verify_access(refresh.token)
    with pytest.raises(tk.TokenError):
        service.verifier(AUD).verify_refresh(access.token)


def test_scopes_narrow_never_widen(service, people):
    with pytest.raises(ValueError):
        service.issue_access(people.service, scopes=["dossier:read_pages"])
    narrowed = service.issue_access(people.service, scopes=[])
    assert service.verifier(AUD).verify_access(narrowed.token).scopes == frozenset()


def test_jwks_verifies_and_holds_no_private_parts(service, key, people, clock):
    doc = service.jwks()
    assert [k["kid"] for k in doc["keys"]] == [key.kid]
    assert not any(field in k for k in doc["keys"] for field in ("d", "p", "q", "dp", "dq", "qi"))
    # PyJWT reads our JWKS (that is what other services use) and verifies our tokens with it
    jwk = jwt.PyJWKSet.from_dict(json.loads(json.dumps(doc))).keys[0]
    assert jwk.key_id == key.kid
    token = service.issue_access(people.judge).token
    assert jwt.decode(token, jwk.key, algorithms=["RS256"], audience=AUD, issuer=ISSUER,
                      options={"verify_exp": False})["sub"] == "u-judge"  # the service's clock is T0


def test_key_rotation_keeps_old_tokens_valid(key, clock, people):
    old_service = tk.TokenService(
        key, issuer=ISSUER, default_audience=AUD, revocations=MemoryRevocationList(), clock=clock
    )
    old_token = old_service.issue_access(people.judge).token
    new_key = tk.SigningKey.generate()
    rotated = tk.TokenService(
        new_key,
        issuer=ISSUER,
        default_audience=AUD,
        previous_keys=[key],
        revocations=MemoryRevocationList(),
        clock=clock,
    )
    assert rotated.verifier(AUD).verify_access(old_token).sub == "u-judge"
    assert jwt.get_unverified_header(rotated.issue_access(people.judge).token)["kid"] == new_key.kid
    assert {k["kid"] for k in rotated.jwks()["keys"]} == {key.kid, new_key.kid}


def test_pem_round_trip_keeps_kid(key):
    again = tk.SigningKey.from_pem(key.private_pem(b"secret"), password=b"secret")
    assert again.kid == key.kid
    with pytest.raises(TypeError):
        tk.SigningKey.from_pem(key.private_pem(b"secret"))  # password needed


def test_small_keys_refused():
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    from cryptography.hazmat.primitives import serialization

    pem = small.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError):
        tk.SigningKey.from_pem(pem)


def test_discovery_document():
    doc = tk.discovery_document(ISSUER + "/")
    assert doc["issuer"] == ISSUER + "/"
    assert doc["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {a.scope for a in Action} <= set(doc["scopes_supported"])
    assert "authorization_endpoint" not in doc
    with_code = tk.discovery_document(ISSUER, authorization_endpoint=f"{ISSUER}/authorize")
    assert with_code["response_types_supported"] == ["code"]


def test_station_token_cannot_read_dossiers_第四条(service, people, case_factory):
    """A verified scanning-station token still gets no dossier read (吉高法〔2020〕11号 第四条(一)3)."""
    token = service.issue_access(people.station).token
    principal = service.verifier(AUD).verify_access(token).to_principal()
    assert principal.kind is PrincipalKind.STATION
    for action in (Action.READ_PAGES, Action.READ_TEXT, Action.SEARCH):
        d = decide(principal, action, case_factory(), [], T0)
        assert not d.allowed and d.rule == rules.ART4_1_3


def test_unknown_roles_from_another_provider_are_dropped(service, people):
    claims = service.verifier(AUD).verify_access(service.issue_access(people.judge).token)
    foreign = claims.model_copy(update={"roles": ("judge", "superuser")})
    assert foreign.to_principal().roles == {Role.JUDGE}
