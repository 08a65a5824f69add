"""The court e-seal: PAdES signatures on archival PDFs and a detached CMS signature over the manifest.

青法〔2021〕116号 一 (推广电子签章) and 法〔2016〕264号 三(五) (电子卷宗加盖法院电子签章后，具有与卷宗原件同等
的效力): every PDF of an e-archive carries the court seal's PAdES signature (baseline B-B: CAdES detached,
signing-certificate-v2, covering the whole file; B-T when a timestamper is configured), and the package
manifest carries a detached CMS signature by the same seal.

Signers sit behind :class:`ArchiveSigner` so that an HSM/PKCS#11 seal can replace the in-memory key.
pyHanko's synchronous entry points run their own event loop: from async code call these through
``asyncio.to_thread``.
"""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path

from asn1crypto import cms
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pydantic import BaseModel, ConfigDict
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from juanzong_archive.adapters.dev_pki import SealCredentials
from juanzong_archive.domain.package import SealRecord

SEAL_FIELD = "CourtSeal"
DEFAULT_REASON = "电子档案归档"


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def seal_record(cert: x509.Certificate) -> SealRecord:
    return SealRecord(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial_number=format(cert.serial_number, "x"),
        sha256_fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
    )


class _LoadedKeySigner(signers.SimpleSigner):
    """SimpleSigner that keeps the loaded key object: pyHanko reloads (and re-validates) the RSA key on
    every signature, which costs ~60 ms each and dominated packaging time."""

    def __init__(self, *, private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, **kwargs) -> None:
        super().__init__(**kwargs)
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            name = mechanism.signature_algo
        except ValueError:
            name = mechanism["algorithm"].native
        key = self._private_key
        if name == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if name == "rsassa_pss" and isinstance(key, rsa.RSAPrivateKey):
            padding, hash_algo = process_pss_params(mechanism["parameters"])
            return key.sign(data, padding, hash_algo)
        if name == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        raise SigningError(f"signature mechanism {name} does not fit the seal key")


class ArchiveSigner(abc.ABC):
    """Signs archival PDFs (PAdES) and arbitrary bytes (detached CMS) with the court seal."""

    @property
    @abc.abstractmethod
    def seal(self) -> SealRecord: ...

    @abc.abstractmethod
    def sign_pdf(self, source: Path, destination: Path, *, reason: str = DEFAULT_REASON) -> None:
        """Write a signed copy of ``source`` to ``destination`` (which must not exist)."""

    @abc.abstractmethod
    def sign_detached(self, data: bytes) -> bytes:
        """A DER-encoded detached CMS SignedData over ``data``."""


class CourtSealSigner(ArchiveSigner):
    """PAdES-B-B (B-T with a timestamper) court seal with the key in memory (pyHanko SimpleSigner)."""

    def __init__(
        self,
        credentials: SealCredentials,
        *,
        location: str,
        timestamper: TimeStamper | None = None,
    ) -> None:
        key_der = credentials.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._signer = _LoadedKeySigner(
            private_key=credentials.key,
            signing_cert=_to_asn1(credentials.certificate),
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=SimpleCertificateStore.from_certs([_to_asn1(c) for c in credentials.chain]),
        )
        self._seal = seal_record(credentials.certificate)
        self._location = location
        self._timestamper = timestamper

    @property
    def seal(self) -> SealRecord:
        return self._seal

    def sign_pdf(self, source: Path, destination: Path, *, reason: str = DEFAULT_REASON) -> None:
        meta = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason=reason,
            location=self._location,
        )
        with source.open("rb") as inf, destination.open("xb") as out:
            writer = IncrementalPdfFileWriter(inf, strict=True)
            signers.sign_pdf(writer, meta, signer=self._signer, timestamper=self._timestamper, output=out)

    def sign_detached(self, data: bytes) -> bytes:
        content_info = asyncio.run(self._signer.async_sign_general_data(data, "sha256", detached=True))
        return content_info.dump()


class PdfSignatureCheck(BaseModel):
    """Result of verifying the seal on one PDF; ``problems`` is empty exactly when ``ok``."""

    model_config = ConfigDict(frozen=True)

    signed: bool
    signature_count: int = 0
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    covers_whole_file: bool = False
    pades: bool = False
    signer: str | None = None
    signing_time: dt.datetime | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


class DetachedSignatureCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    intact: bool = False
    valid: bool = False
    trusted: bool = False
    signer: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _subject(cert: asn1_x509.Certificate | None) -> str | None:
    if cert is None:
        return None
    return x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()


class SignatureVerifier:
    """Verifies seals against the configured trust roots (the court CA); never fetches anything online."""

    def __init__(self, trust_roots: Sequence[x509.Certificate]) -> None:
        if not trust_roots:
            raise ValueError("at least one trust root is required")
        self._roots = [_to_asn1(c) for c in trust_roots]

    def _context(self) -> ValidationContext:
        return ValidationContext(trust_roots=list(self._roots), allow_fetching=False)

    def verify_pdf(self, path: Path) -> PdfSignatureCheck:
        """Every signature intact, valid and trusted; the last one covers the entire file."""
        try:
            with path.open("rb") as fh:
                reader = PdfFileReader(fh, strict=True)
                embedded = reader.embedded_signatures
                if not embedded:
                    return PdfSignatureCheck(signed=False, problems=("未加盖电子签章",))
                problems: list[str] = []
                statuses = []
                for sig in embedded:
                    status = validate_pdf_signature(sig, self._context())
                    statuses.append((sig, status))
                    name = sig.field_name
                    if not status.intact:
                        problems.append(f"签章“{name}”摘要不符：签章后文件内容被改动")
                    elif not status.valid:
                        problems.append(f"签章“{name}”签名值无效")
                    if not status.trusted:
                        problems.append(f"签章“{name}”的证书不能链接到受信任的根证书")
                    if sig.sig_object.get("/SubFilter") != "/ETSI.CAdES.detached":
                        problems.append(f"签章“{name}”不是 PAdES（ETSI.CAdES.detached）签名")
                _, last = statuses[-1]
                whole = last.coverage == SignatureCoverageLevel.ENTIRE_FILE
                if not whole:
                    problems.append("签章未覆盖整个文件：签章后存在追加修改")
                return PdfSignatureCheck(
                    signed=True,
                    signature_count=len(embedded),
                    intact=all(s.intact for _, s in statuses),
                    valid=all(s.valid for _, s in statuses),
                    trusted=all(s.trusted for _, s in statuses),
                    covers_whole_file=whole,
                    pades=all(s.sig_object.get("/SubFilter") == "/ETSI.CAdES.detached" for s, _ in statuses),
                    signer=_subject(last.signing_cert),
                    signing_time=last.signer_reported_dt,
                    problems=tuple(problems),
                )
        except Exception as exc:  # noqa: BLE001 - a damaged file must report, not crash the check
            return PdfSignatureCheck(signed=False, problems=(f"无法读取签章：{type(exc).__name__}: {exc}",))

    def verify_detached(self, data: bytes, signature: bytes) -> DetachedSignatureCheck:
        """Verify a detached CMS signature over ``data``."""
        try:
            signed_data = cms.ContentInfo.load(signature)["content"]
            status = asyncio.run(
                async_validate_detached_cms(data, signed_data, signer_validation_context=self._context())
            )
        except Exception as exc:  # noqa: BLE001 - malformed signature data is a finding
            return DetachedSignatureCheck(problems=(f"签名文件无法解析：{type(exc).__name__}: {exc}",))
        problems: list[str] = []
        if not status.intact:
            problems.append("清单摘要与签名不符：清单在签名后被改动")
        elif not status.valid:
            problems.append("清单签名值无效")
        if not status.trusted:
            problems.append("清单签名证书不能链接到受信任的根证书")
        return DetachedSignatureCheck(
            intact=status.intact,
            valid=status.valid,
            trusted=status.trusted,
            signer=_subject(status.signing_cert),
            problems=tuple(problems),
        )


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "ArchiveSigner",
    "CourtSealSigner",
    "DetachedSignatureCheck",
    "PdfSignatureCheck",
    "SignatureVerifier",
    "seal_record",
    "sha256_file",
]
