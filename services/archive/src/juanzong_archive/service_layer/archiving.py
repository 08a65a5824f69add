"""The archive's use cases beyond a bare state change: 核查, 组卷质检, one-click conversion, verification
(fixity audit), offline backup and transfer packages.

CPU-heavy work (PDF assembly, PAdES signing, the four-property check, tarballs) runs in worker threads
(``asyncio.to_thread``) so the event loop keeps serving. Packages are stored write-once in the
``juanzong-archive`` bucket (object lock + retention, and ``if_absent`` refusal in code), and nothing is
ever overwritten: each conversion is a new revision under the 档号.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from juanzong_shared.errors import Conflict, DomainError, Invalid
from juanzong_shared.events.archive import FixityFailed
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.storage import ObjectExists, ObjectStore
from pymongo.errors import DuplicateKeyError

from juanzong_archive.adapters.bagit_package import (
    DossierNotReadyError,
    ExportFormat,
    PackageExistsError,
    build_package,
    export_package,
)
from juanzong_archive.adapters.catalog import CatalogClient
from juanzong_archive.adapters.checks import ClamAvScanner, PackageChecker, iter_failures
from juanzong_archive.adapters.metadata_xml import read_metadata
from juanzong_archive.adapters.repository import Repositories
from juanzong_archive.adapters.seal import SealMaterial
from juanzong_archive.adapters.signing import sha256_file
from juanzong_archive.adapters.transfer import TransferImportResult, import_transfer_package
from juanzong_archive.config import ServiceSettings
from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.case_facts import CaseMetadataIncomplete, assemble_case, to_compiled
from juanzong_archive.domain.dossier import CaseMetadata, ProcessingEvent, RetentionPeriod
from juanzong_archive.domain.errors import (
    check_failed,
    metadata_incomplete,
    missing_case,
    no_package,
    refusal,
)
from juanzong_archive.domain.package import MANIFEST_FILE, MANIFEST_SIGNATURE_FILE, METADATA_FILE, PAYLOAD_DIR
from juanzong_archive.domain.report import (
    CheckItem,
    CheckProperty,
    FourPropertyReport,
    render_html,
    render_text,
)
from juanzong_archive.domain.review import RULE_REVIEW, PaperItem, review_findings
from juanzong_archive.domain.workflow import Actor, ArchiveState, Step
from juanzong_archive.service_layer.workflow import Transact, check_step, court_of, now, take_step

log = get_logger(__name__)

ARCHIVE_BUCKET = "juanzong-archive"
RULE_CHECK = "DA/T 70-2018；青法〔2021〕116号 一"
RULE_BACKUP = "青法〔2021〕116号 五"
RULE_TRANSFER = "吉高法〔2020〕11号 第十二条"
STALE_CONVERSION = dt.timedelta(minutes=30)


@dataclass
class VerifyOutcome:
    passed: bool
    problems: list[str]
    report_id: str
    report: FourPropertyReport


@dataclass
class ArchiveService:
    """``transact`` runs a unit of work over the archive's repositories; ``repos`` are the same repositories
    outside a transaction (reads, reports, the conversion lock); ``load_seal`` loads the court seal when first
    needed."""

    settings: ServiceSettings
    transact: Transact
    repos: Repositories
    store: ObjectStore
    catalog: CatalogClient
    load_seal: Callable[[], SealMaterial]

    # -------------------------------------------------------------------------- helpers

    @cached_property
    def seal(self) -> SealMaterial:
        return self.load_seal()

    @cached_property
    def signer(self):
        return self.seal.signer(self.settings.archive_court_name)

    def checker(self) -> PackageChecker:
        database = Path(self.settings.archive_clamav_database) if self.settings.archive_clamav_database else None
        return PackageChecker(self.seal.verifier(),
                              scanner=ClamAvScanner(executable=self.settings.archive_clamscan, database=database))

    def _workdir(self) -> tempfile.TemporaryDirectory:
        base = self.settings.archive_work_dir
        if base:
            Path(base).mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix="jz-archive-", dir=base)

    async def find(self, case_number: str) -> dict | None:
        return await self.repos.archives.get(case_number)

    async def record(self, case_number: str) -> dict:
        doc = await self.repos.archives.get(case_number)
        if doc is None:
            raise missing_case(case_number)
        return doc

    async def latest_report_id(self, case_number: str, report_id: str | None = None) -> str | None:
        return await self.repos.reports.latest_id(case_number, report_id)

    async def report(self, report_id: str) -> dict | None:
        return await self.repos.reports.get(report_id)

    async def reports(self, case_number: str, *, limit: int, offset: int) -> list[dict]:
        """Summaries of the case's check reports, newest first (``limit + 1`` of them), named by ``report_id``."""
        return [{**d, "report_id": d.pop("_id")} for d in
                await self.repos.reports.summaries(case_number, limit=limit, offset=offset)]

    async def transfer(self, transfer_id: str) -> dict | None:
        return await self.repos.transfers.get(transfer_id)

    async def _store_report(self, case_number: str, archival_code: str, kind: str, report: FourPropertyReport,
                            revision: int | None, extra: dict | None = None) -> str:
        report_id = uuid.uuid4().hex
        await self.repos.reports.add({
            "_id": report_id, "case_number": case_number, "archival_code": archival_code, "kind": kind,
            "revision": revision, "passed": report.passed, "conclusion": report.conclusion(),
            "checked_at": report.checked_at, "report": report.model_dump(mode="json"),
            "text": render_text(report), "html": render_html(report), **(extra or {})})
        return report_id

    async def step(self, case_number: str, step: Step, actor: Actor, reasons: list[str] | tuple[str, ...] = (),
                   detail: str = "") -> dict:
        """A step that only moves the workflow (立卷, 确认, 审核不合格退回)."""
        return await take_step(self.transact, case_number, step, actor, reasons, detail=detail)

    async def audit_pass(self, case_number: str, actor: Actor, note: str = "") -> dict:
        """审核归档 (吉高法〔2020〕11号 第三条(九)): the stored package is verified again first."""
        check_step(await self.record(case_number), Step.PASS_AUDIT, actor)
        outcome = await self.verify(case_number)
        if not outcome.passed:
            raise check_failed("package-failed-check", "电子档案检测不通过", "存储的电子档案检测不通过，不能审核归档",
                               outcome.problems, "DA/T 70-2018；吉高法〔2020〕11号 第三条(九)", field="package",
                               kind=Conflict, report_id=outcome.report_id)
        return await take_step(self.transact, case_number, Step.PASS_AUDIT, actor, detail=note)

    # -------------------------------------------------------------------------- 核查

    async def review(self, case_number: str, actor: Actor, *, passed: bool, reasons: list[str],
                     paper: list[PaperItem]) -> dict:
        """电子卷宗核查 (吉高法〔2020〕11号 第三条(七)): pass only when the automatic checks find nothing;
        a return carries the reviewer's reasons plus the automatic findings."""
        doc = await self.repos.archives.get(case_number)
        step = Step.PASS_REVIEW if passed else Step.RETURN_REVIEW
        check_step(doc, step, actor, reasons or ["-"])
        findings: list[str] = []
        summary: dict[str, Any] = {"checked_at": now(), "paper_list": [p.model_dump() for p in paper]}
        try:
            staged = await self.catalog.compiled(case_number)
            findings = review_findings(staged, paper)
            summary |= {"documents": staged.document_count, "pages": staged.page_count}
        except DomainError:
            if passed:
                raise
        summary["findings"] = findings
        if passed and findings:
            raise check_failed("review-findings", "电子卷宗核查不合格",
                               f"发现 {len(findings)} 个问题，不能核查合格；请退回承办法官并注明原因", findings, RULE_REVIEW)
        all_reasons = list(reasons) + [f for f in findings if f not in reasons]
        return await take_step(self.transact, case_number, step, actor, all_reasons, set_fields={"review": summary})

    async def review_preview(self, case_number: str, paper: list[PaperItem]) -> dict:
        staged = await self.catalog.compiled(case_number)
        findings = review_findings(staged, paper)
        return {"case_number": case_number, "passed": not findings, "findings": findings,
                "documents": staged.document_count, "pages": staged.page_count}

    # -------------------------------------------------------------------------- 组卷质检

    async def _allocate_serial(self, fonds: str, year: int, retention: RetentionPeriod) -> int:
        counter = f"{fonds}-{year}-{retention.code}"
        while True:
            serial = await self.repos.serials.next(counter)
            code = str(ArchivalCode(fonds_code=fonds, year=year, retention=retention, serial=serial))
            if not await self.repos.archives.code_taken(code):
                return serial

    async def compile(self, case_number: str, actor: Actor, *, retention_period: str, secrecy_level: str,
                      archive_serial: int | None, entered: dict, notes: str) -> dict:
        """组卷质检 (吉高法〔2020〕11号 第三条(八)): the e-dossier still passes 核查, the case-level metadata is
        complete (青法〔2021〕116号 一), and the 档号 is fixed."""
        doc = await self.repos.archives.get(case_number)
        check_step(doc, Step.COMPILE, actor)
        staged = await self.catalog.compiled(case_number)
        found = review_findings(staged)
        if found:
            raise check_failed("quality-check-failed", "组卷质检不合格", f"发现 {len(found)} 个问题，不能完成组卷质检", found,
                           "吉高法〔2020〕11号 第三条(八)")
        intake = dict((doc or {}).get("intake") or {})
        try:
            case = assemble_case(case_number, intake=intake, catalog=staged.case_hints,
                                 entered={**entered, "retention_period": retention_period,
                                          "secrecy_level": secrecy_level},
                                 courts=self.settings.archive_courts)
        except CaseMetadataIncomplete as error:
            raise metadata_incomplete(str(error), error.missing) from None
        if case.secrecy_level.is_state_secret:
            raise refusal(Invalid, "secret-case", "涉密案件不在本系统归档",
                          f"密级“{case.secrecy_level.value}”的案件不生成电子档案", "secrecy_level", "涉密案件",
                          rule="吉高法〔2020〕11号 第十条")
        previous = ((doc or {}).get("compile") or {}).get("archive_serial")
        serial = archive_serial or previous or await self._allocate_serial(
            case.court.fonds_code, case.closing_date.year, case.retention_period)
        code = str(ArchivalCode(fonds_code=case.court.fonds_code, year=case.closing_date.year,
                                retention=case.retention_period, serial=serial))
        compile_doc = {"case_metadata": case.model_dump(mode="json"), "archive_serial": serial,
                       "retention_period": case.retention_period.value, "secrecy_level": case.secrecy_level.value,
                       "entered": entered, "notes": notes, "compiled_at": now(), "compiled_by": actor.name or actor.subject,
                       "documents": staged.document_count, "pages": staged.page_count}
        try:
            return await take_step(self.transact, case_number, Step.COMPILE, actor,
                                   detail=f"档号 {code}，{staged.document_count} 件 {staged.page_count} 页",
                                   set_fields={"archival_code": code, "compile": compile_doc})
        except DuplicateKeyError:
            raise refusal(Conflict, "archival-code-taken", "档号已被占用", f"档号 {code} 已用于其他案件",
                          "archive_serial", f"案卷号 {serial} 已被占用") from None

    # -------------------------------------------------------------------------- 一键转换

    async def _download_pages(self, staged, folder: Path) -> dict[str, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        sem = asyncio.Semaphore(self.settings.archive_download_concurrency)
        paths: dict[str, Path] = {}
        pages = [p for v in staged.volumes for d in v.documents for p in d.pages if p.number is not None]

        async def fetch(index: int, page) -> None:
            target = folder / f"{index:06d}.pdf"  # page ids are not trusted as file names
            async with sem:
                try:
                    data = await self.store.get_bytes(page.bucket, page.pdf_key, max_bytes=200 * 1024 * 1024)
                except Exception as error:  # noqa: BLE001 - a missing page is a finding of its own
                    raise check_failed("page-missing", "页面文件缺失", "电子卷宗的页面文件无法读取",
                                   [f"页面 {page.page_id}（{page.bucket}/{page.pdf_key}）无法读取：{error}"],
                                   RULE_REVIEW) from None
            await asyncio.to_thread(target.write_bytes, data)
            paths[page.page_id] = target

        await asyncio.gather(*(fetch(i, p) for i, p in enumerate(pages)))
        return paths

    @staticmethod
    def _processing_events(doc: dict) -> list[ProcessingEvent]:
        out = []
        for h in doc.get("history") or []:
            at = h["at"] if isinstance(h["at"], dt.datetime) else dt.datetime.fromisoformat(h["at"])
            detail = "；".join(h.get("reasons") or []) or h.get("detail") or ""
            out.append(ProcessingEvent(occurred_at=at, actor=h.get("actor_name") or h["actor"],
                                       role=h.get("role") or "system", action=h["step_zh"], detail=detail))
        return out

    async def convert(self, case_number: str, actor: Actor) -> dict:
        """系统点击归档, 电子卷宗一键转为电子档案 (吉高法〔2020〕11号 第三条(八); 长中法〔2018〕129号 第九条)."""
        doc = await self.repos.archives.get(case_number)
        check_step(doc, Step.CONVERT, actor)
        # a conversion left behind by a crashed process does not block the case for ever
        if not await self.repos.archives.claim_conversion(case_number, ArchiveState.COMPILED.value, now(),
                                                          now() - STALE_CONVERSION):
            raise refusal(Conflict, "conversion-running", "转换进行中", f"{case_number} 正在转换，请稍后查看状态")
        try:
            return await self._convert(case_number, actor, doc)
        except BaseException as error:
            detail = error.detail if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
            await self.repos.archives.update(case_number, {
                "converting": False, "last_conversion_error": {"at": now(), "detail": detail}})
            raise

    async def _convert(self, case_number: str, actor: Actor, doc: dict) -> dict:
        staged = await self.catalog.compiled(case_number)
        found = review_findings(staged)
        if found:
            raise check_failed("dossier-changed", "电子卷宗不符合转换条件", "组卷后电子卷宗发生变化且不再符合核查要求，请退回重新组卷",
                           found, RULE_REVIEW)
        compile_doc = doc["compile"]
        case = CaseMetadata.model_validate(compile_doc["case_metadata"])
        code = doc["archival_code"]
        revision = len(doc.get("packages") or []) + 1
        with self._workdir() as tmp_name:
            tmp = Path(tmp_name)
            paths = await self._download_pages(staged, tmp / "pages")
            dossier = to_compiled(staged, case, compile_doc["archive_serial"], paths, self._processing_events(doc),
                                  compiled_by=case.clerk, reviewed_by=compile_doc.get("compiled_by"))
            checker = self.checker()
            signer = self.signer

            def build_and_check():
                package = build_package(dossier, tmp / "out", signer)
                report = checker.check(Path(package.root))
                tarball = export_package(Path(package.root), tmp / "export", ExportFormat.TARBALL) if report.passed else None
                return package, report, tarball

            try:
                package, report, tarball = await asyncio.to_thread(build_and_check)
            except DossierNotReadyError as error:
                raise check_failed("dossier-not-ready", "电子卷宗不符合归档要求", str(error), error.problems,
                               RULE_CHECK) from None
            report = report.model_copy(update={"package_path": f"{ARCHIVE_BUCKET}/archives/{code}/r{revision:02d}"})
            report_id = await self._store_report(case_number, code, "conversion", report, revision)
            if not report.passed or tarball is None:
                failures = list(iter_failures(report))
                raise check_failed("four-property-check-failed", "四性检测不通过", f"四性检测{report.conclusion()}，未生成电子档案",
                               failures, RULE_CHECK, report_id=report_id)
            root = Path(package.root)
            prefix = f"archives/{code}/r{revision:02d}"
            retain_until = now() + dt.timedelta(days=self.settings.archive_retention_days.get(
                case.retention_period.value, 36500))
            tar_sha = await asyncio.to_thread(sha256_file, tarball)
            manifest_bytes = (root / MANIFEST_FILE).read_bytes()
            signature_bytes = (root / MANIFEST_SIGNATURE_FILE).read_bytes()
            keys = {"tar_key": f"{prefix}/{code}.tar.gz", "manifest_key": f"{prefix}/{MANIFEST_FILE}",
                    "signature_key": f"{prefix}/{MANIFEST_SIGNATURE_FILE}", "sidecar_key": f"{prefix}/{code}.tar.gz.sha256"}
            await self.put_once(keys["tar_key"], tarball, "application/gzip", retain_until)
            await self.put_bytes_once(keys["manifest_key"], manifest_bytes, "text/plain; charset=utf-8", retain_until)
            await self.put_bytes_once(keys["signature_key"], signature_bytes, "application/pkcs7-signature", retain_until)
            await self.put_bytes_once(keys["sidecar_key"], f"{tar_sha}  {code}.tar.gz\n".encode(), "text/plain",
                                      retain_until)
        pkg = {**keys, "bucket": ARCHIVE_BUCKET, "revision": revision, "sha256": tar_sha,
               "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
               "retain_until": retain_until, "created_at": now(), "payload_files": package.payload_files,
               "payload_bytes": package.payload_bytes, "pages": package.record.page_count,
               "documents": package.record.document_count, "volumes": len(package.record.volumes),
               "seal": package.record.seal.model_dump(), "report_id": report_id}
        stat = await self.store.stat(ARCHIVE_BUCKET, keys["tar_key"])
        pkg["size"] = stat.size if stat else None
        return await take_step(
            self.transact, case_number, Step.CONVERT, actor,
            detail=f"生成电子档案 {code}（第 {revision} 版），四性检测{report.conclusion()}",
            set_fields={"package": pkg, "converting": False, "report_id": report_id,
                        "fixity": {"status": "passed", "checked_at": report.checked_at, "problems": [],
                                   "report_id": report_id}},
            push_fields={"packages": pkg}, unset_fields=("last_conversion_error",))

    async def put_once(self, key: str, path: Path, content_type: str, retain_until: dt.datetime) -> None:
        """Write-once upload: refused in code when the key exists, and locked by retention on the server."""
        with path.open("rb") as fh:
            await self.store.put_stream(ARCHIVE_BUCKET, key, fh, path.stat().st_size, content_type,
                                        if_absent=True, retain_until=retain_until)

    async def put_bytes_once(self, key: str, data: bytes, content_type: str, retain_until: dt.datetime) -> None:
        await self.store.put_bytes(ARCHIVE_BUCKET, key, data, content_type, if_absent=True, retain_until=retain_until)

    # -------------------------------------------------------------------------- verification

    async def _download(self, key: str, target: Path) -> None:
        with target.open("wb") as fh:
            async for chunk in self.store.stream(ARCHIVE_BUCKET, key):
                await asyncio.to_thread(fh.write, chunk)

    async def _fetch_and_check(self, doc: dict, tmp: Path) -> tuple[FourPropertyReport, list[str], TransferImportResult | None]:
        """Download the stored package, compare it with what was recorded at conversion, run the check."""
        pkg = doc["package"]
        code = doc["archival_code"]
        problems: list[str] = []
        tar = tmp / f"{code}.tar.gz"
        try:
            await self._download(pkg["tar_key"], tar)
        except Exception as error:  # noqa: BLE001 - an unreadable object is a finding
            problems.append(f"存储的信息包无法读取：{pkg['tar_key']}：{error}")
            report = FourPropertyReport.unreadable(code, pkg["tar_key"], problems[0], now())
            return report, problems, None
        digest = await asyncio.to_thread(sha256_file, tar)
        if digest != pkg["sha256"]:
            problems.append(f"信息包文件 {pkg['tar_key']} 的 SHA-256 为 {digest}，与归档时记录的 {pkg['sha256']} 不符"
                            f"（文件被改动）")
        for key_name, recorded in (("manifest_key", pkg.get("manifest_sha256")),):
            try:
                data = await self.store.get_bytes(ARCHIVE_BUCKET, pkg[key_name], max_bytes=64 * 1024 * 1024)
                if hashlib.sha256(data).hexdigest() != recorded:
                    problems.append(f"单独保存的清单 {pkg[key_name]} 与归档时记录不符")
            except Exception as error:  # noqa: BLE001
                problems.append(f"单独保存的清单 {pkg[key_name]} 无法读取：{error}")
        checker = self.checker()
        result = await asyncio.to_thread(import_transfer_package, tar, tmp / "unpacked", checker)
        report = result.report
        if result.package_root:
            unpacked_manifest = Path(result.package_root) / MANIFEST_FILE
            if hashlib.sha256(unpacked_manifest.read_bytes()).hexdigest() != pkg.get("manifest_sha256"):
                problems.append("信息包内的清单与归档时记录的清单不符")
        if report.archival_code != code:
            problems.append(f"信息包档号 {report.archival_code} 与记录的档号 {code} 不符")
        item = CheckItem.judge("ZS-05", CheckProperty.AUTHENTICITY, "存储对象与归档记录一致", problems,
                               "存储对象的 SHA-256 与清单均与归档时记录一致", "存储对象与归档时记录不符")
        report = report.model_copy(update={"items": (*report.items, item),
                                           "package_path": f"{ARCHIVE_BUCKET}/{pkg['tar_key']}"})
        return report, problems + [f for f in iter_failures(report) if "ZS-05" not in f], result

    async def verify(self, case_number: str, *, scheduled: bool = False) -> VerifyOutcome:
        """Re-check the stored package (DA/T 70-2018 长期保存环节): any changed byte is flagged and
        archive.fixity.failed emitted; a failing check never reports success."""
        doc = await self.record(case_number)
        if not doc.get("package"):
            raise no_package(case_number, allowed=[], state=doc.get("state"))
        with self._workdir() as tmp_name:
            report, problems, _ = await self._fetch_and_check(doc, Path(tmp_name))
        return await self._record_verification(doc, report, problems, scheduled)

    async def _record_verification(self, doc: dict, report: FourPropertyReport, problems: list[str],
                                   scheduled: bool) -> VerifyOutcome:
        passed = report.passed and not problems
        pkg = doc["package"]
        report_id = await self._store_report(doc["_id"], doc["archival_code"], "scheduled" if scheduled else "verify",
                                             report, pkg.get("revision"), {"problems": problems})
        fixity = {"status": "passed" if passed else "failed", "checked_at": report.checked_at, "problems": problems,
                  "report_id": report_id, "scheduled": scheduled}

        async def work(uow: UnitOfWork[Repositories]) -> None:
            await uow.repos.archives.update(doc["_id"], {"fixity": fixity})
            if not passed:
                uow.emit(FixityFailed(case_number=doc["_id"], archival_code=doc["archival_code"],
                                      problems=problems[:200], package_key=pkg.get("tar_key"),
                                      detected_at=report.checked_at, scheduled=scheduled),
                         court=court_of(doc, doc["_id"]), case_number=doc["_id"])

        await self.transact(work)
        if not passed:
            log.warning("fixity check failed", case_number=doc["_id"], problems=problems[:5])
        return VerifyOutcome(passed=passed, problems=problems, report_id=report_id, report=report)

    async def fixity_round(self) -> int:
        """One round of the scheduled fixity audit: the archives checked longest ago first."""
        interval = dt.timedelta(seconds=self.settings.archive_fixity_interval_seconds)
        count = 0
        for case_number in await self.repos.archives.due_for_fixity(now() - interval,
                                                                   self.settings.archive_fixity_batch):
            try:
                await self.verify(case_number, scheduled=True)
                count += 1
            except Exception as error:  # noqa: BLE001 - one archive must not stop the audit
                log.warning("fixity audit error", case_number=case_number, error=str(error))
        return count

    async def fixity_audit(self) -> None:
        """The scheduled fixity audit over stored archives (DA/T 70-2018 长期保存; 青法〔2021〕116号), round after
        round until cancelled; off when the interval is 0."""
        interval = self.settings.archive_fixity_interval_seconds
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(min(interval, 3600.0) if interval > 60 else interval)
            try:
                if checked := await self.fixity_round():
                    log.info("fixity audit round", checked=checked)
            except Exception as error:  # noqa: BLE001 - keep auditing
                log.warning("fixity audit failed", error=str(error))

    # -------------------------------------------------------------------------- backup and transfer

    async def backup(self, case_number: str, fmt: ExportFormat, destination: Path | None = None) -> dict:
        """Offline backup (青法〔2021〕116号 五): the verified stored package, with its manifest, to a folder
        or a tar.gz (+ .sha256) — never over an existing backup."""
        doc = await self.record(case_number)
        if not doc.get("package"):
            raise no_package(case_number)
        if destination is None:
            base = self.settings.archive_backup_dir or (Path(self.settings.data_dir or tempfile.gettempdir()) / "backups")
            destination = Path(base) / now().strftime("%Y%m%d")
        with self._workdir() as tmp_name:
            report, problems, result = await self._fetch_and_check(doc, Path(tmp_name))
            if problems or result is None or not result.package_root:
                await self._record_verification(doc, report, problems, False)
                raise check_failed("package-corrupt", "电子档案校验不通过", "存储的电子档案校验不通过，未备份", problems,
                               RULE_BACKUP, kind=Conflict)
            try:
                target = await asyncio.to_thread(export_package, Path(result.package_root), destination, fmt)
            except PackageExistsError as error:
                raise refusal(Conflict, "backup-exists", "备份已存在", str(error), rule=RULE_BACKUP) from None
        out = {"case_number": case_number, "archival_code": doc["archival_code"], "path": str(target),
               "format": fmt.value, "at": now()}
        if fmt is ExportFormat.TARBALL:
            out["sha256"] = await asyncio.to_thread(sha256_file, target)
        await self.repos.archives.update(case_number, {}, push={"backups": out})
        return out

    async def transfer_export(self, case_number: str, folder: Path) -> tuple[Path, str]:
        """A transfer package for a higher court (吉高法〔2020〕11号 第十二条) or a requesting court
        (法〔2016〕264号 三(五)): only after the stored package passes the check."""
        doc = await self.record(case_number)
        if not doc.get("package"):
            raise no_package(case_number)
        report, problems, result = await self._fetch_and_check(doc, folder)
        if problems or result is None or not result.accepted:
            await self._record_verification(doc, report, problems, False)
            raise check_failed("transfer-refused", "不予移交", "电子档案检测不通过，不予移交", problems, RULE_TRANSFER,
                           kind=Conflict)
        tar = folder / f"{doc['archival_code']}.tar.gz"
        return tar, doc["package"]["sha256"]

    async def transfer_import(self, source: Path, actor: Actor, expected_sha256: str | None, *,
                              authorise: Callable[[str, str], Awaitable[None]] | None = None,
                              receiving_court: str | None = None) -> dict:
        """接收 a transfer package: unpack in quarantine, four-property check, keep only if it passes.

        ``authorise(case_number, transfer_id)`` is awaited once the package's case is known and before anything
        is kept; a refusal it raises leaves nothing stored (no object, no report, no record)."""
        transfer_id = uuid.uuid4().hex
        if expected_sha256:
            source.with_name(source.name + ".sha256").write_text(f"{expected_sha256.lower()}  {source.name}\n")
        with self._workdir() as tmp_name:
            result = await asyncio.to_thread(import_transfer_package, source, Path(tmp_name) / "accepted",
                                             self.checker())
            case_number = _package_case_number(result.package_root) if result.accepted else None
            if case_number and authorise is not None:
                await authorise(case_number, transfer_id)
            entry: dict[str, Any] = {"_id": transfer_id, "archival_code": result.archival_code,
                                     "case_number": case_number, "accepted": result.accepted,
                                     "reasons": list(result.reasons), "received_at": now(),
                                     "received_by": actor.subject, "receiving_court": receiving_court}
            if result.accepted:
                key = f"transfers/{result.archival_code}/{transfer_id}/{result.archival_code}.tar.gz"
                days = max(self.settings.archive_retention_days.values())
                try:
                    await self.put_once(key, source, "application/gzip", now() + dt.timedelta(days=days))
                except ObjectExists:
                    raise refusal(Conflict, "exists", "已存在", f"{key} 已存在，拒绝覆盖") from None
                entry |= {"bucket": ARCHIVE_BUCKET, "key": key, "sha256": sha256_file(source)}
        report_id = await self._store_report(f"transfer:{transfer_id}", result.archival_code, "transfer-import",
                                             result.report, None)
        entry["report_id"] = report_id
        await self.repos.transfers.add(entry)
        return entry


def _package_case_number(package_root: str | None) -> str | None:
    """The 案号 an accepted package's 元数据.xml names (None when it cannot be read)."""
    if not package_root:
        return None
    try:
        record = read_metadata((Path(package_root) / PAYLOAD_DIR / METADATA_FILE).read_bytes())
    except Exception:  # noqa: BLE001 - unreadable metadata: the package names no case
        return None
    return record.case.case_number.strip() or None

