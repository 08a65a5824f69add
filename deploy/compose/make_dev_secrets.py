"""Create development-only secrets for docker compose: the court e-seal, the token signing key, the MongoDB
replica-set key file and one random client secret per access-control client (issue 20 item 3):
``client/<id>/secret`` is mounted into that service alone, ``clients/<id>.secret`` into access-control. The key
file and the client secrets go to CREDENTIALS_DIR (a volume no service mounts whole).

Run once by the ``dev-secrets`` job in docker-compose.yml (inside the archive image, which carries
``cryptography``). Existing files are kept, so a restart does not change the keys. Never use these
in production: there the seal is the court's own certificate, delivered as a Kubernetes Secret.

    python make_dev_secrets.py OUT_DIR [CREDENTIALS_DIR]   # password from JZ_ARCHIVE_SEAL_P12_PASSWORD
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

SEAL_FILE = "seal.p12"
SIGNING_KEY_FILE = "signing-key.pem"
SERVICE_UID = 10001  # the non-root user of every Juanzong image
MONGO_KEYFILE = "mongo-keyfile"
CLIENTS = ("intake", "scan-ocr", "catalog", "archive", "notifier", "station-01")


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o400)
    if os.geteuid() == 0:
        os.chown(tmp, SERVICE_UID, SERVICE_UID)
    tmp.replace(path)


def random_secret() -> bytes:
    return secrets.token_urlsafe(32).encode() + b"\n"


def mongo_keyfile() -> bytes:
    return base64.b64encode(secrets.token_bytes(756)) + b"\n"


def signing_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def seal_p12(password: bytes) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Juanzong development court"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Juanzong development e-seal (not for production)"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        b"juanzong-dev-seal", key, cert, None, serialization.BestAvailableEncryption(password)
    )


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: make_dev_secrets.py OUT_DIR [CREDENTIALS_DIR]", file=sys.stderr)
        return 2
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    credentials = Path(argv[2]) if len(argv) == 3 else out
    credentials.mkdir(parents=True, exist_ok=True)
    password = os.environ.get("JZ_ARCHIVE_SEAL_P12_PASSWORD", "")
    if not password:
        print("JZ_ARCHIVE_SEAL_P12_PASSWORD must be set", file=sys.stderr)
        return 2
    for folder, name, make in ((out, SIGNING_KEY_FILE, signing_key_pem),
                               (out, SEAL_FILE, lambda: seal_p12(password.encode())),
                               (credentials, MONGO_KEYFILE, mongo_keyfile)):
        path = folder / name
        if path.exists():
            print(f"kept {path}")
            continue
        _write(path, make())
        print(f"created {path}")
    for client in CLIENTS:  # one secret per client, never shared
        own = credentials / "client" / client / "secret"
        registry = credentials / "clients" / f"{client}.secret"
        for folder in (own.parent, registry.parent):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
            if os.geteuid() == 0:
                os.chown(folder, SERVICE_UID, SERVICE_UID)
        if not own.exists():
            _write(own, random_secret())
            print(f"created {own}")
        if not registry.exists() or registry.read_bytes() != own.read_bytes():
            if registry.exists():
                os.chmod(registry, 0o600)
            _write(registry, own.read_bytes())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
