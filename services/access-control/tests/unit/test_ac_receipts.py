"""Decision receipts: signed, verifiable on every replica that holds the signing key, expired or forged → error
(issue 20 item 7: the audit trail cannot be written in another's name)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from juanzong_access_control.adapters.receipts import (
    ReceiptExpired,
    ReceiptInvalid,
    ReceiptKey,
)
from juanzong_access_control.adapters.tokens import SigningKey

pytestmark = pytest.mark.unit

CASE = "（2025）吉01民终123号"


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate()


def test_a_receipt_names_subject_action_case_expiry_and_grant(signing_key: SigningKey) -> None:
    key = ReceiptKey.from_signing_key(signing_key)
    until = datetime.now(UTC) + timedelta(minutes=5)
    claims = key.verify(key.issue("u-judge-li", "read_pages", CASE, until, "g-1"))
    assert (claims.subject, claims.action, claims.case_number, claims.grant_id) == (
        "u-judge-li", "read_pages", CASE, "g-1")
    assert claims.valid_until == until.replace(microsecond=0)
    assert claims.issued_at <= datetime.now(UTC)


def test_another_replica_with_the_same_signing_key_verifies_it(signing_key: SigningKey) -> None:
    pem = signing_key.private_pem()
    token = ReceiptKey.from_signing_key(signing_key).issue("u", "read_text", CASE, datetime.now(UTC) + timedelta(60))
    replica = ReceiptKey.from_signing_key(SigningKey.from_pem(pem))
    assert replica.verify(token).subject == "u"


def test_a_receipt_of_another_key_is_refused(signing_key: SigningKey) -> None:
    token = ReceiptKey.generate().issue("u", "read_pages", CASE, datetime.now(UTC) + timedelta(minutes=5))
    with pytest.raises(ReceiptInvalid):
        ReceiptKey.from_signing_key(signing_key).verify(token)


def test_an_altered_receipt_is_refused(signing_key: SigningKey) -> None:
    key = ReceiptKey.from_signing_key(signing_key)
    token = key.issue("u-judge-li", "read_pages", CASE, datetime.now(UTC) + timedelta(minutes=5))
    head, body, sig = token.split(".")
    forged_body = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(body).replace(b"u-judge-li", b"u-judge-xx")).decode()
    with pytest.raises(ReceiptInvalid):
        key.verify(f"{head}.{forged_body}.{sig}")
    with pytest.raises(ReceiptInvalid):
        key.verify("not-a-token")


def test_an_access_token_signed_with_the_rsa_key_is_not_a_receipt(signing_key: SigningKey) -> None:
    rs = jwt.encode({"iss": "juanzong-access-control", "sub": "u", "act": "read_pages", "case": CASE,
                     "iat": 1, "exp": 4_000_000_000}, signing_key.private_pem(), algorithm="RS256",
                    headers={"typ": "jz-receipt"})
    with pytest.raises(ReceiptInvalid):
        ReceiptKey.from_signing_key(signing_key).verify(rs)


def test_an_expired_receipt_is_refused_past_its_grace(signing_key: SigningKey) -> None:
    key = ReceiptKey.from_signing_key(signing_key)
    now = datetime.now(UTC)
    token = key.issue("u", "read_pages", CASE, now - timedelta(seconds=30))
    with pytest.raises(ReceiptExpired):
        key.verify(token)
    assert key.verify(token, leeway=timedelta(seconds=60)).subject == "u"
    with pytest.raises(ReceiptExpired):
        key.verify(token, leeway=timedelta(seconds=60), now=now + timedelta(seconds=40))
