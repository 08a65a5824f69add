"""Archive benchmark: a generated N-page dossier → archival PDFs → sealed package → four-property check.

Target (issue 6): 300 pages to a signed, verified e-archive in under 60 s on a 2-core machine.

Stages timed (seconds):
  pdf_assembly  merging the page PDFs, stamping page numbers, cover/卷内目录/备考表, PDF/A, per-document PDFs
  signing       PAdES court seal on every volume and document PDF
  metadata      元数据.xml, 目录文件.xml, 说明文件.txt (and reading back page counts/hashes)
  manifest      BagIt manifests, detached manifest signature, bag-info
  check         DA/T 70-2018 four-property check of the finished package (ClamAV timed separately)
  clamav        malware scan inside the check (only when clamscan is installed)
  backup        offline backup export as tar.gz, verified (青法〔2021〕116号 五) — reported, not in the target
Generating the synthetic scans stands in for scan-ocr and is reported but not counted.

Usage:
  .venv/bin/python bench/archive_bench.py [--pages 300] [--dpi 200] [--workdir DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from juanzong_archive.adapters.bagit_package import ExportFormat, StageTimes, build_package, export_package
from juanzong_archive.adapters.checks import ClamAvScanner, MalwareScan, PackageChecker
from juanzong_archive.adapters.dev_pki import generate_dev_credentials
from juanzong_archive.adapters.signing import CourtSealSigner, SignatureVerifier
from juanzong_archive.domain.report import CheckOutcome
from juanzong_devstack.sample_dossier import make_sample_dossier

TARGET_SECONDS = 60.0
A4_INCHES = (8.27, 11.69)


class TimedScanner(ClamAvScanner):
    """ClamAvScanner that records how long the scan took."""

    seconds: float = 0.0

    def scan(self, path: Path) -> MalwareScan:
        started = time.perf_counter()
        try:
            return super().scan(path)
        finally:
            object.__setattr__(self, "seconds", time.perf_counter() - started)


def _test_signature_db(directory: Path) -> Path:
    # No virus database ships with Debian's clamav package and nothing is downloaded here: a one-line
    # signature database makes clamscan load and parse every file, which is what the bench measures.
    db = directory / "bench.hdb"
    db.write_text(f"{hashlib.md5(b'juanzong bench').hexdigest()}:14:Juanzong.Bench.Marker\n")
    return db


def run(pages: int, dpi: int, workdir: Path, *, clamav: bool, backup: bool) -> dict:
    logging.disable(logging.WARNING)
    px = (round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi))
    results: dict = {"pages": pages, "dpi": dpi, "scan_px": list(px), "cpu_count": os.cpu_count()}

    started = time.perf_counter()
    dossier = make_sample_dossier(workdir / "pages", pages=pages, image_px=px, noise=0.08)
    results["generate_scans_s"] = round(time.perf_counter() - started, 2)
    results["input_mb"] = round(sum(p.stat().st_size for p in (workdir / "pages").iterdir()) / 1e6, 1)
    results["documents"] = dossier.document_count
    results["volumes"] = len(dossier.volumes)

    ca, _, seal = generate_dev_credentials(dossier.case.court.name)
    signer = CourtSealSigner(seal, location=dossier.case.court.name)
    times = StageTimes()
    started = time.perf_counter()
    package = build_package(dossier, workdir / "archive", signer, times=times)
    build_s = time.perf_counter() - started
    results.update({f"{k}_s": round(v, 2) for k, v in times.seconds.items()})
    results["build_total_s"] = round(build_s, 2)
    results["package_mb"] = round(package.payload_bytes / 1e6, 1)
    results["package_files"] = package.payload_files

    use_clamav = clamav and shutil.which("clamscan") is not None
    scanner = TimedScanner(
        executable="clamscan" if use_clamav else "juanzong-no-clamscan",
        database=_test_signature_db(workdir) if use_clamav else None,
    )
    checker = PackageChecker(SignatureVerifier([ca]), scanner=scanner)
    started = time.perf_counter()
    report = checker.check(Path(package.root))
    check_s = time.perf_counter() - started
    results["check_s"] = round(check_s - scanner.seconds, 2)
    results["clamav_s"] = round(scanner.seconds, 2) if use_clamav else None
    results["report_passed"] = report.passed
    results["report_conclusion"] = report.conclusion()
    results["items_failed"] = [i.code for i in report.failed_items]
    results["items_skipped"] = [i.code for i in report.items if i.outcome is CheckOutcome.SKIPPED]

    total = build_s + check_s
    results["end_to_end_s"] = round(total, 2)
    results["seconds_per_page"] = round(total / pages, 3)
    results["target_s"] = TARGET_SECONDS
    results["within_target"] = total < TARGET_SECONDS and report.passed

    if backup:
        started = time.perf_counter()
        tarball = export_package(Path(package.root), workdir / "backup", ExportFormat.TARBALL)
        results["backup_tar_gz_s"] = round(time.perf_counter() - started, 2)
        results["backup_mb"] = round(tarball.stat().st_size / 1e6, 1)
    return results


def _table(r: dict) -> str:
    rows = [
        ("pages / documents / volumes", f"{r['pages']} / {r['documents']} / {r['volumes']}"),
        ("scans (generated, not counted)", f"{r['dpi']} dpi, {r['input_mb']} MB, {r['generate_scans_s']} s"),
        ("pdf_assembly", f"{r.get('pdf_assembly_s', 0)} s"),
        ("signing (PAdES, every PDF)", f"{r.get('signing_s', 0)} s"),
        ("metadata XML + description", f"{r.get('metadata_s', 0)} s"),
        ("BagIt manifest + seal", f"{r.get('manifest_s', 0)} s"),
        ("build total", f"{r['build_total_s']} s  ({r['package_files']} files, {r['package_mb']} MB)"),
        ("four-property check", f"{r['check_s']} s"),
        (
            "ClamAV scan (in check)",
            "not run (not installed or --no-clamav)" if r["clamav_s"] is None else f"{r['clamav_s']} s",
        ),
        (
            "END TO END",
            f"{r['end_to_end_s']} s  ({r['seconds_per_page']} s/page, target < {r['target_s']:.0f} s)",
        ),
        ("report", r["report_conclusion"]),
    ]
    if "backup_tar_gz_s" in r:
        rows.append(("offline backup tar.gz (extra)", f"{r['backup_tar_gz_s']} s, {r['backup_mb']} MB"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--dpi", type=int, default=200, help="scan resolution of the synthetic pages")
    parser.add_argument("--workdir", type=Path, help="keep everything here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--no-clamav", action="store_true", help="skip the ClamAV scan even if installed")
    parser.add_argument("--no-backup", action="store_true", help="skip the offline backup export")
    args = parser.parse_args(argv)

    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=False)
        results = run(
            args.pages, args.dpi, args.workdir, clamav=not args.no_clamav, backup=not args.no_backup
        )
    else:
        with tempfile.TemporaryDirectory(prefix="juanzong-archive-bench-") as tmp:
            results = run(
                args.pages, args.dpi, Path(tmp), clamav=not args.no_clamav, backup=not args.no_backup
            )
    print(_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if results["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
