"""Court e-seal key material: a development CA + seal certificate, and loading real keys from files.

Production keys come from settings (PEM files or a PKCS#12 bundle issued by the court's CA); the embedded
stack calls :func:`generate_dev_pki` once to get a self-made CA and seal certificate. Nothing here is
suitable for production trust: the dev CA's private key sits next to its certificate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID, ObjectIdentifier

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning (RFC 9336)


@dataclass(frozen=True)
class SealCredentials:
    """The court seal's private key, its certificate and the chain up to (and including) the CA."""

    key: SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()


@dataclass(frozen=True)
class DevPki:
    """What :func:`generate_dev_pki` wrote, and the objects themselves."""

    ca_certificate: x509.Certificate
    seal: SealCredentials
    ca_cert_path: Path
    ca_key_path: Path
    seal_cert_path: Path
    seal_key_path: Path
    seal_p12_path: Path


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, sign_docs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign_docs,
        content_commitment=sign_docs,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign_docs,
        crl_sign=not sign_docs,
        encipher_only=False,
        decipher_only=False,
    )


def generate_dev_credentials(
    court_name: str, *, valid_days: int = 3650, now: dt.datetime | None = None
) -> tuple[x509.Certificate, rsa.RSAPrivateKey, SealCredentials]:
    """A development CA and a court seal certificate issued by it, in memory.

    The seal certificate asserts digitalSignature + nonRepudiation and the document-signing EKU, which
    is what a PAdES seal needs; the CA only signs certificates.
    """
    now = now or dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name(f"{court_name}开发测试根证书", f"{court_name}（开发环境）")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign_docs=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    seal_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{court_name}电子印章", court_name))
        .issuer_name(ca_name)
        .public_key(seal_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=min(valid_days, 1825)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign_docs=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ca_cert, ca_key, SealCredentials(key=seal_key, certificate=seal_cert, chain=(ca_cert,))


def _write_new(path: Path, data: bytes) -> None:
    # 'x': never overwrite existing key material
    with path.open("xb") as fh:
        fh.write(data)
    path.chmod(0o600)


def generate_dev_pki(directory: Path, court_name: str, *, p12_password: bytes | None = None) -> DevPki:
    """Generate the development CA + seal and write them as PEM files and a PKCS#12 bundle.

    Files: ca.crt.pem, ca.key.pem, seal.crt.pem, seal.key.pem, seal.p12. Refuses to overwrite.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key, seal = generate_dev_credentials(court_name)
    pem = serialization.Encoding.PEM
    no_enc = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8
    paths = {
        "ca_cert": directory / "ca.crt.pem",
        "ca_key": directory / "ca.key.pem",
        "seal_cert": directory / "seal.crt.pem",
        "seal_key": directory / "seal.key.pem",
        "seal_p12": directory / "seal.p12",
    }
    _write_new(paths["ca_cert"], ca_cert.public_bytes(pem))
    _write_new(paths["ca_key"], ca_key.private_bytes(pem, pkcs8, no_enc))
    _write_new(paths["seal_cert"], seal.certificate.public_bytes(pem))
    _write_new(paths["seal_key"], seal.key.private_bytes(pem, pkcs8, no_enc))
    encryption = (
        serialization.BestAvailableEncryption(p12_password) if p12_password else serialization.NoEncryption()
    )
    _write_new(
        paths["seal_p12"],
        pkcs12.serialize_key_and_certificates(
            b"court-seal", seal.key, seal.certificate, list(seal.chain), encryption
        ),
    )
    return DevPki(
        ca_certificate=ca_cert,
        seal=seal,
        ca_cert_path=paths["ca_cert"],
        ca_key_path=paths["ca_key"],
        seal_cert_path=paths["seal_cert"],
        seal_key_path=paths["seal_key"],
        seal_p12_path=paths["seal_p12"],
    )


def _check_key(key: object) -> SigningKey:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"unsupported seal key type {type(key).__name__}; RSA or EC expected")
    return key


def load_certificates(path: Path) -> tuple[x509.Certificate, ...]:
    """All certificates in a PEM file (or one DER certificate)."""
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return tuple(x509.load_pem_x509_certificates(data))
    return (x509.load_der_x509_certificate(data),)


def load_credentials_from_pkcs12(path: Path, password: bytes | None = None) -> SealCredentials:
    """Seal credentials from a PKCS#12 bundle (key, certificate and chain)."""
    key, cert, extra = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    if key is None or cert is None:
        raise ValueError(f"{path} holds no private key and certificate")
    return SealCredentials(key=_check_key(key), certificate=cert, chain=tuple(extra))
