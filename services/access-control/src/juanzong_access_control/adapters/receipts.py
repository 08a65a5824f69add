"""Receipts of allowed decisions: a compact signed token naming who may do what on which case until when.

A service that served a read under a decision reports it to ``POST /v1/audit/reads`` with the decision's
receipt; the audit record's actor is the receipt's subject, so no service can write a read in someone
else's name (全程留痕, 吉高法〔2020〕11号 第九条; issue 20 item 7).

The token is a JWT signed with HS256 under a key derived (HKDF-SHA256) from access-control's RS256 signing
key: every replica holds that key, so every replica verifies every receipt, and nobody else can mint one.
HMAC rather than RSA because a receipt goes out with every allowed decision, the hottest path of the
service; only access-control ever verifies them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .tokens import SigningKey

ALGORITHM = "HS256"
RECEIPT_TYP = "jz-receipt"
ISSUER = "juanzong-access-control"
_INFO = b"juanzong access-control decision receipts v1"


class ReceiptError(Exception):
    """A receipt was not accepted; ``message_zh`` is for people."""

    message_zh = "授权回执无效。"


class ReceiptExpired(ReceiptError):
    message_zh = "授权回执已过期。"


class ReceiptInvalid(ReceiptError):
    message_zh = "授权回执无效或被伪造。"


@dataclass(frozen=True)
class ReceiptClaims:
    subject: str
    action: str
    case_number: str
    valid_until: datetime
    grant_id: str | None
    issued_at: datetime


def _secret_of(key: SigningKey) -> bytes:
    d = key.private_key.private_numbers().d
    material = d.to_bytes((d.bit_length() + 7) // 8, "big")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)


class ReceiptKey:
    """Issues and verifies receipts under one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("a receipt key needs at least 32 bytes")
        self._secret = secret

    @classmethod
    def from_signing_key(cls, key: SigningKey) -> ReceiptKey:
        return cls(_secret_of(key))

    @classmethod
    def generate(cls) -> ReceiptKey:
        return cls(secrets.token_bytes(32))

    def issue(self, subject: str, action: str, case_number: str, valid_until: datetime,
              grant_id: str | None = None, *, now: datetime | None = None) -> str:
        issued = now or datetime.now(UTC)
        claims = {"iss": ISSUER, "sub": subject, "act": action, "case": case_number,
                  "iat": int(issued.timestamp()), "exp": int(valid_until.timestamp())}
        if grant_id:
            claims["gid"] = grant_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM, headers={"typ": RECEIPT_TYP})

    def verify(self, token: str, *, leeway: timedelta = timedelta(0), now: datetime | None = None) -> ReceiptClaims:
        """The receipt's claims; ``ReceiptExpired`` past ``valid_until`` + ``leeway``, ``ReceiptInvalid`` when it
        is not one of ours (forged, altered, another kind of token)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("typ") != RECEIPT_TYP or header.get("alg") != ALGORITHM:
                raise ReceiptInvalid("not a receipt")
            claims = jwt.decode(token, self._secret, algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["iss", "sub", "act", "case", "iat", "exp"],
                                         "verify_exp": False})
        except ReceiptError:
            raise
        except jwt.PyJWTError as error:
            raise ReceiptInvalid(str(error)) from None
        if not all(isinstance(claims[k], str) and claims[k] for k in ("sub", "act", "case")):
            raise ReceiptInvalid("empty claim")
        valid_until = datetime.fromtimestamp(claims["exp"], UTC)
        if (now or datetime.now(UTC)) > valid_until + leeway:
            raise ReceiptExpired(f"expired at {valid_until.isoformat()}")
        gid = claims.get("gid")
        return ReceiptClaims(subject=claims["sub"], action=claims["act"], case_number=claims["case"],
                             valid_until=valid_until, grant_id=gid if isinstance(gid, str) else None,
                             issued_at=datetime.fromtimestamp(claims["iat"], UTC))


_key: ReceiptKey | None = None


def use_signing_key(key: SigningKey) -> None:
    """Bootstrap installs the service's key; until then (unit tests) a key generated in memory is used."""
    global _key
    _key = ReceiptKey.from_signing_key(key)


def receipt_key() -> ReceiptKey:
    global _key
    if _key is None:
        _key = ReceiptKey.generate()
    return _key


def issue_receipt(subject: str, action: str, case_number: str, valid_until: datetime,
                  grant_id: str | None = None) -> str:
    return receipt_key().issue(subject, action, case_number, valid_until, grant_id)


def verify_receipt(token: str, *, leeway: timedelta = timedelta(0), now: datetime | None = None) -> ReceiptClaims:
    return receipt_key().verify(token, leeway=leeway, now=now)
