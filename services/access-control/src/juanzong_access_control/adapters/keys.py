"""Where the token signing key comes from: a PEM file in production, a key generated once in development."""

from __future__ import annotations

import os
from pathlib import Path

from .tokens import SigningKey

DEV_KEY_NAME = "signing-key.pem"


class SigningKeyMissing(RuntimeError):
    pass


def load_signing_key(key_file: str | None, data_dir: str | None, environment: str) -> tuple[SigningKey, str]:
    """The key and where it came from. Development generates one into ``data_dir`` once and reuses it
    across restarts (O_EXCL: two processes starting together end up with the same key)."""
    if key_file:
        return SigningKey.from_pem(Path(key_file).read_bytes()), key_file
    if environment == "production":
        raise SigningKeyMissing("JZ_ACCESS_SIGNING_KEY_FILE is required in production")
    if not data_dir:
        return SigningKey.generate(), "generated in memory (set JZ_DATA_DIR to keep it)"
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DEV_KEY_NAME
    if not path.exists():
        key = SigningKey.generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.private_pem())
            return key, str(path)
    return SigningKey.from_pem(path.read_bytes()), str(path)
