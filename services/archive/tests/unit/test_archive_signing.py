"""Court e-seal: development PKI, PAdES signatures on PDFs and the detached manifest signature."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography import x509
from juanzong_archive.adapters.dev_pki import (
    DOCUMENT_SIGNING,
    generate_dev_credentials,
    generate_dev_pki,
    load_credentials_from_pkcs12,
)
from juanzong_archive.adapters.signing import CourtSealSigner, SignatureVerifier
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.pdfgen import canvas

pytestmark = pytest.mark.unit


def _plain_pdf(path: Path) -> Path:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    c.rect(100, 100, 200, 200, fill=1)
    c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())
    return path


def test_dev_pki_seal_certificate_is_for_signing_and_chains_to_ca(tmp_path: Path) -> None:
    """青法〔2021〕116号 一 (电子签章): the seal certificate signs documents, the CA only certificates."""
    pki = generate_dev_pki(tmp_path / "pki", "测试法院")
    seal = pki.seal.certificate
    usage = seal.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert not seal.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert DOCUMENT_SIGNING in seal.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert pki.ca_certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    seal.verify_directly_issued_by(pki.ca_certificate)
    assert "测试法院电子印章" in pki.seal.subject


def test_dev_pki_files_load_back_and_are_never_overwritten(tmp_path: Path) -> None:
    pki = generate_dev_pki(tmp_path, "测试法院", p12_password=b"secret")
    from_p12 = load_credentials_from_pkcs12(pki.seal_p12_path, b"secret")
    assert from_p12.certificate == pki.seal.certificate and from_p12.chain == (pki.ca_certificate,)
    assert from_p12.key.private_numbers() == pki.seal.key.private_numbers()
    before = pki.seal_key_path.read_bytes()
    with pytest.raises(FileExistsError):
        generate_dev_pki(tmp_path, "测试法院")
    assert pki.seal_key_path.read_bytes() == before


def test_pades_signature_verifies_and_covers_whole_file(
    tmp_path: Path, signer: CourtSealSigner, verifier: SignatureVerifier
) -> None:
    """法〔2016〕264号 三(五): 加盖法院电子签章 — PAdES (ETSI.CAdES.detached) over the whole file."""
    signed = tmp_path / "signed.pdf"
    signer.sign_pdf(_plain_pdf(tmp_path / "plain.pdf"), signed)
    result = verifier.verify_pdf(signed)
    assert result.ok, result.problems
    assert (result.signed, result.intact, result.valid, result.trusted) == (True, True, True, True)
    assert result.covers_whole_file and result.pades and result.signature_count == 1
    assert result.signer == signer.seal.subject
    assert result.signing_time is not None


def test_signing_refuses_to_overwrite(tmp_path: Path, signer: CourtSealSigner) -> None:
    target = tmp_path / "signed.pdf"
    target.write_bytes(b"existing")
    with pytest.raises(FileExistsError):
        signer.sign_pdf(_plain_pdf(tmp_path / "plain.pdf"), target)
    assert target.read_bytes() == b"existing"


def test_unsigned_pdf_is_reported(tmp_path: Path, verifier: SignatureVerifier) -> None:
    result = verifier.verify_pdf(_plain_pdf(tmp_path / "plain.pdf"))
    assert not result.ok and not result.signed
    assert result.problems == ("未加盖电子签章",)


def test_seal_from_untrusted_ca_is_not_trusted(tmp_path: Path, signer: CourtSealSigner) -> None:
    signed = tmp_path / "signed.pdf"
    signer.sign_pdf(_plain_pdf(tmp_path / "plain.pdf"), signed)
    other_ca, _, _ = generate_dev_credentials("别的法院")
    result = SignatureVerifier([other_ca]).verify_pdf(signed)
    assert result.intact and not result.trusted
    assert any("受信任的根证书" in p for p in result.problems)


def test_changed_byte_breaks_pdf_signature(
    tmp_path: Path, signer: CourtSealSigner, verifier: SignatureVerifier
) -> None:
    signed = tmp_path / "signed.pdf"
    signer.sign_pdf(_plain_pdf(tmp_path / "plain.pdf"), signed)
    data = signed.read_bytes()
    assert b" 200 200 re" in data  # the page content, uncompressed
    signed.write_bytes(data.replace(b" 200 200 re", b" 200 201 re", 1))  # one byte changed
    result = verifier.verify_pdf(signed)
    assert not result.ok and not result.intact
    assert any("改动" in p for p in result.problems)


def test_update_appended_after_signing_is_not_covered(
    tmp_path: Path, signer: CourtSealSigner, verifier: SignatureVerifier
) -> None:
    """An incremental update after sealing leaves the seal intact but no longer covering the file."""
    signed = tmp_path / "signed.pdf"
    signer.sign_pdf(_plain_pdf(tmp_path / "plain.pdf"), signed)
    out = io.BytesIO()
    with signed.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh)
        writer.root["/Lang"] = generic.TextStringObject("en")
        writer.update_root()
        writer.write(out)
    signed.write_bytes(out.getvalue())
    result = verifier.verify_pdf(signed)
    assert result.intact and not result.covers_whole_file
    assert "签章未覆盖整个文件：签章后存在追加修改" in result.problems


def test_detached_manifest_signature(signer: CourtSealSigner, verifier: SignatureVerifier) -> None:
    """The manifest carries the seal's detached CMS signature; a changed manifest fails it."""
    manifest = "0" * 64 + "  data/元数据.xml\n"
    signature = signer.sign_detached(manifest.encode())
    assert verifier.verify_detached(manifest.encode(), signature).ok
    tampered = verifier.verify_detached(manifest.replace("0", "1", 1).encode(), signature)
    assert not tampered.ok and not tampered.intact
    garbage = verifier.verify_detached(manifest.encode(), signature[: len(signature) // 2])
    assert not garbage.ok and garbage.problems[0].startswith("签名文件无法解析")


def test_verifier_needs_a_trust_root() -> None:
    with pytest.raises(ValueError):
        SignatureVerifier([])
