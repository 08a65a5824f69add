"""Password and client-secret hashes (PBKDF2-SHA256, standard library only).

``check_secret`` costs the same whether or not there is a hash to check against: without one it checks against a
dummy hash of the same strength, so the answer's timing does not tell which accounts exist (issue 20 item 13).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 120_000


def hash_secret(secret: str, *, iterations: int = ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    return "$".join([ALGORITHM, str(iterations), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


@cache
def dummy_hash() -> str:
    """A hash nobody knows the secret of, as costly as a real one: checked when there is no account."""
    return hash_secret(secrets.token_urlsafe(32))


def _parse(stored: str) -> tuple[bytes, int, bytes] | None:
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        if algorithm != ALGORITHM or not 1 <= int(iterations) <= 10_000_000:
            return None
        return base64.b64decode(salt), int(iterations), base64.b64decode(digest)
    except (ValueError, TypeError):
        return None


def check_secret(secret: str, stored: str | None) -> bool:
    """True when ``secret`` matches ``stored``. No hash, or one that cannot be read, costs a full check against
    the dummy hash and is False."""
    parsed = _parse(stored) if stored else None
    known = parsed is not None
    salt, iterations, digest = parsed if parsed is not None else _parse(dummy_hash())  # type: ignore[misc]
    got = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations)
    return hmac.compare_digest(got, digest) and known
