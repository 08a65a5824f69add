"""The court seal the service signs with, and the trust roots it verifies against, from settings.

Production: ``JZ_ARCHIVE_SEAL_P12_FILE`` (+ ``JZ_ARCHIVE_SEAL_P12_PASSWORD``) issued by the court CA, and
``JZ_ARCHIVE_TRUST_ROOTS_FILE`` (PEM) — by default the last certificate of the bundle's chain. Development:
a dev CA and seal generated once into ``JZ_DATA_DIR/pki`` and reused on every start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from juanzong_archive.adapters.dev_pki import (
    SealCredentials,
    generate_dev_pki,
    load_certificates,
    load_credentials_from_pkcs12,
)
from juanzong_archive.adapters.signing import CourtSealSigner, SignatureVerifier


class SealConfigError(RuntimeError):
    """The seal cannot be loaded; the message names the setting."""


@dataclass(frozen=True)
class SealMaterial:
    credentials: SealCredentials
    trust_roots: tuple[x509.Certificate, ...]
    source: str

    def signer(self, location: str) -> CourtSealSigner:
        return CourtSealSigner(self.credentials, location=location)

    def verifier(self) -> SignatureVerifier:
        return SignatureVerifier(list(self.trust_roots))


def load_seal(*, p12_file: str | None, p12_password: str | None, trust_roots_file: str | None,
              data_dir: str | None, environment: str, court_name: str) -> SealMaterial:
    password = p12_password.encode() if p12_password else None
    if p12_file:
        try:
            creds = load_credentials_from_pkcs12(Path(p12_file), password)
        except (OSError, ValueError) as error:
            raise SealConfigError(f"invalid setting JZ_ARCHIVE_SEAL_P12_FILE: {error}") from None
        source = p12_file
    elif environment == "production":
        raise SealConfigError("invalid setting JZ_ARCHIVE_SEAL_P12_FILE: required in production (court seal)")
    else:
        if not data_dir:
            raise SealConfigError("invalid setting JZ_DATA_DIR: needed to keep the development seal")
        folder = Path(data_dir) / "pki"
        if not (folder / "seal.p12").is_file():
            generate_dev_pki(folder, court_name)
        creds = load_credentials_from_pkcs12(folder / "seal.p12")
        source = f"development seal in {folder}"
        trust_roots_file = trust_roots_file or str(folder / "ca.crt.pem")
    if trust_roots_file:
        try:
            roots = load_certificates(Path(trust_roots_file))
        except (OSError, ValueError) as error:
            raise SealConfigError(f"invalid setting JZ_ARCHIVE_TRUST_ROOTS_FILE: {error}") from None
    elif creds.chain:
        roots = (creds.chain[-1],)
    else:
        raise SealConfigError("invalid setting JZ_ARCHIVE_TRUST_ROOTS_FILE: the seal bundle carries no CA")
    return SealMaterial(credentials=creds, trust_roots=tuple(roots), source=source)
