"""The four-property check (四性检测) of an e-archive package, after DA/T 70-2018.

DA/T 70-2018 《文书类电子档案检测一般要求》 tests an e-archive at 归档, 移交接收 and 长期保存 for:

- 真实性 (authenticity): the seal signatures verify, every file's hash matches the signed manifest, the
  metadata describes exactly the files that are there;
- 完整性 (integrity): structure and files complete, counts and page sequence right, mandatory metadata
  items present;
- 可用性 (usability): every file parses, PDFs render, the PDF/A claim holds structurally (XMP pdfaid,
  OutputIntent, all fonts embedded, no encryption), the text layer is readable;
- 安全性 (security): no JavaScript, no Launch/SubmitForm/… actions, no embedded files or executables,
  malware scan with ClamAV when ``clamscan`` is installed (otherwise 未执行 with a note).

青法〔2021〕116号 一 requires this check for e-archives; 吉高法〔2020〕11号 第十二条 requires the same quality
check before a dossier is sent to a higher court. Each check is guarded: an error while checking is a
finding, so a check that could not run never reports success.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from pikepdf.models.metadata import decode_pdf_date

from juanzong_archive.adapters.bagit_package import (
    parse_manifest,
    payload_files,
    read_manifest,
    verify_fixity,
)
from juanzong_archive.adapters.metadata_xml import (
    MetadataFormatError,
    missing_elements,
    parse_xml,
    read_metadata,
)
from juanzong_archive.adapters.signing import SignatureVerifier, sha256_file
from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.metadata_rules import (
    CASE_ELEMENTS,
    DOCUMENT_ELEMENTS,
    PageSpan,
    case_metadata_problems,
    page_sequence_problems,
)
from juanzong_archive.domain.package import (
    BAG_INFO_FILE,
    BAGIT_FILE,
    CATALOGUE_FILE,
    DESCRIPTION_FILE,
    MANIFEST_FILE,
    MANIFEST_SIGNATURE_FILE,
    METADATA_FILE,
    PAYLOAD_DIR,
    PAYLOAD_SUFFIXES,
    TAG_FILES,
    TAG_MANIFEST_FILE,
    PackageRecord,
)
from juanzong_archive.domain.report import CheckItem, CheckOutcome, CheckProperty, FourPropertyReport

A, I, U, S = (
    CheckProperty.AUTHENTICITY,
    CheckProperty.INTEGRITY,
    CheckProperty.USABILITY,
    CheckProperty.SECURITY,
)

DANGEROUS_ACTIONS = frozenset(
    {
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/URI",
        "/Rendition",
        "/RichMediaExecute",
        "/Movie",
        "/Sound",
    }
)
"""Action types that start programs, send data out or reach outside the file (besides JavaScript)."""
EMBEDDING_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"})
EXECUTABLE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行文件"),
    (b"\x7fELF", "ELF 可执行文件"),
    (b"#!", "脚本文件"),
    (b"PK\x03\x04", "压缩包"),
    (b"\xca\xfe\xba\xbe", "Mach-O/Java 可执行文件"),
    (b"\xcf\xfa\xed\xfe", "Mach-O 可执行文件"),
)
_XMP_INFO = (
    ("/Title", "dc:title"),
    ("/Author", "dc:creator"),
    ("/Subject", "dc:description"),
    ("/Keywords", "pdf:Keywords"),
    ("/Creator", "xmp:CreatorTool"),
    ("/Producer", "pdf:Producer"),
    ("/CreationDate", "xmp:CreateDate"),
    ("/ModDate", "xmp:ModifyDate"),
)


# ------------------------------------------------------------------------------------ malware scan


@dataclass(frozen=True)
class MalwareScan:
    status: str  # "clean" | "infected" | "unavailable" | "error"
    detail: str
    infected: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClamAvScanner:
    """Runs ``clamscan`` over a folder. ``database`` points at a signature file or folder (optional)."""

    executable: str = "clamscan"
    database: Path | None = None
    timeout_seconds: float = 900.0

    def scan(self, path: Path) -> MalwareScan:
        exe = shutil.which(self.executable)
        if exe is None:
            return MalwareScan("unavailable", "未安装 ClamAV（clamscan），恶意代码扫描未执行")
        # clamscan silently skips files above its default limits (100 MB): raise them and alert instead
        cmd = [
            exe,
            "-r",
            "--no-summary",
            "--infected",
            "--stdout",
            "--max-filesize=2000M",
            "--max-scansize=2000M",
            "--alert-exceeds-max=yes",
        ]
        if self.database is not None:
            cmd.append(f"--database={self.database}")
        cmd.append(str(path))
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=self.timeout_seconds, check=False
            )
        except subprocess.TimeoutExpired:
            return MalwareScan("error", f"ClamAV 扫描超时（{self.timeout_seconds:.0f} 秒）")
        if proc.returncode == 0:
            return MalwareScan("clean", "ClamAV 扫描未发现恶意代码")
        if proc.returncode == 1:
            infected = tuple(
                line.strip() for line in proc.stdout.splitlines() if line.strip().endswith("FOUND")
            )
            return MalwareScan("infected", f"ClamAV 发现 {len(infected)} 个可疑文件", infected)
        message = (proc.stderr or proc.stdout).strip().splitlines()
        return MalwareScan("error", f"ClamAV 未能完成扫描：{message[-1] if message else proc.returncode}")


# ------------------------------------------------------------------------------------ PDF facts


@dataclass
class PdfFacts:
    """What one PDF of the package looks like, gathered once and judged by several items."""

    path: str
    parse_error: str | None = None
    page_count: int = 0
    encrypted: bool = False
    identifier: str | None = None
    pdfa_problems: list[str] = field(default_factory=list)
    javascript: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    embedded: list[str] = field(default_factory=list)
    render_error: str | None = None
    first_page_text: str = ""


def _walk_direct(obj: pikepdf.Object, visit: Callable[[pikepdf.Object], None], depth: int = 0) -> None:
    """Visit ``obj`` and its direct (non-indirect) descendants; indirect ones are visited on their own."""
    if depth > 64:
        return
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        visit(obj)
        for key in obj.keys():  # noqa: SIM118 - pikepdf Stream does not iterate its keys
            if key == "/Parent":
                continue
            value = obj.get(key)
            if (
                isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream)
                and not value.is_indirect
            ):
                _walk_direct(value, visit, depth + 1)
    elif isinstance(obj, pikepdf.Array):
        for value in obj:
            if (
                isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream)
                and not value.is_indirect
            ):
                _walk_direct(value, visit, depth + 1)


def _font_embedded(font: pikepdf.Object) -> bool:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        if not descendants:
            return False
        return all(_font_embedded(d) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _same(info_value: object, xmp_value: object, key: str) -> bool:
    if key in ("/CreationDate", "/ModDate"):
        try:
            a = decode_pdf_date(str(info_value))
            b = dt.datetime.fromisoformat(str(xmp_value))
        except ValueError:
            return False
        if a.tzinfo is None or b.tzinfo is None:
            return a.replace(tzinfo=None) == b.replace(tzinfo=None)
        return a == b
    if isinstance(xmp_value, list):
        xmp_value = "; ".join(str(v) for v in xmp_value)
    return str(info_value) == str(xmp_value)


def _pdfa_problems(pdf: pikepdf.Pdf, fonts: list[pikepdf.Object]) -> list[str]:
    problems: list[str] = []
    try:
        meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False, strict=True)
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
        if str(part) not in ("2", "3", "4") or str(conformance).upper() not in ("A", "B", "U", "E", "F"):
            problems.append(f"XMP 未声明 PDF/A-2 及以上（pdfaid:part={part}, conformance={conformance}）")
        if "/Info" in pdf.trailer:
            info = pdf.trailer.Info
            for info_key, xmp_key in _XMP_INFO:
                if info_key in info:
                    xmp_value = meta.get(xmp_key)
                    if xmp_value is None or not _same(info[info_key], xmp_value, info_key):
                        problems.append(f"文档信息 {info_key} 与 XMP {xmp_key} 不一致")
    except Exception as exc:  # noqa: BLE001 - any XMP failure is a finding
        problems.append(f"XMP 元数据无法读取：{exc}")
    intents = pdf.Root.get("/OutputIntents")
    has_intent = False
    if isinstance(intents, pikepdf.Array):
        for intent in intents:
            profile = intent.get("/DestOutputProfile")
            if (
                intent.get("/S") == "/GTS_PDFA1"
                and isinstance(profile, pikepdf.Stream)
                and profile.get("/N") in (1, 3, 4)
            ):
                has_intent = True
    if not has_intent:
        problems.append("缺少 GTS_PDFA1 输出意图（OutputIntent）及 ICC 配置文件")
    for font in fonts:
        if not _font_embedded(font):
            problems.append(f"字体未嵌入：{font.get('/BaseFont', '（未命名）')}")
    return problems


def inspect_pdf(path: Path, relative: str, render_scale: float = 0.15) -> PdfFacts:
    """Open ``path`` strictly (no xref recovery) and collect parse, PDF/A, active-content and render facts."""
    facts = PdfFacts(path=relative)
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - 1024))
            data_tail = fh.read()
        if b"%%EOF" not in data_tail:
            facts.parse_error = "文件末尾缺少 %%EOF（文件不完整）"
            return facts
        pdf = pikepdf.open(path, attempt_recovery=False)
    except Exception as exc:  # noqa: BLE001 - a damaged file is a finding, not a crash
        facts.parse_error = f"无法解析：{type(exc).__name__}: {exc}"
        return facts
    with pdf:
        facts.page_count = len(pdf.pages)
        facts.encrypted = pdf.is_encrypted
        fonts: list[pikepdf.Object] = []

        def visit(obj: pikepdf.Object) -> None:
            if "/JS" in obj or obj.get("/S") == "/JavaScript":
                facts.javascript.append("JavaScript 动作")
            action = obj.get("/S")
            if action is not None and str(action) in DANGEROUS_ACTIONS:
                facts.actions.append(f"{str(action)[1:]} 动作")
            if "/AA" in obj:
                facts.actions.append("附加动作（/AA）")
            if "/XFA" in obj:
                facts.actions.append("XFA 表单")
            if obj.get("/Type") == "/EmbeddedFile" or "/EmbeddedFiles" in obj:
                facts.embedded.append("嵌入文件")
            if obj.get("/Subtype") in EMBEDDING_SUBTYPES and obj.get("/Type", "/Annot") == "/Annot":
                facts.embedded.append(f"{str(obj.get('/Subtype'))[1:]} 注释")
            if (
                obj.get("/Type") == "/Font"
                and obj.get("/Subtype") != "/CIDFontType0"
                and obj.get("/Subtype") != "/CIDFontType2"
            ):
                fonts.append(obj)

        try:
            for obj in pdf.objects:
                _walk_direct(obj, visit)
            names = pdf.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
                facts.javascript.append("文档级 JavaScript")
            open_action = pdf.Root.get("/OpenAction")
            if isinstance(open_action, pikepdf.Dictionary) and open_action.get("/S") not in (None, "/GoTo"):
                facts.actions.append(f"打开动作（OpenAction {open_action.get('/S')}）")
            meta = pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)
            identifier = meta.get("dc:identifier")
            facts.identifier = str(identifier) if identifier is not None else None
            facts.pdfa_problems = _pdfa_problems(pdf, fonts)
        except Exception as exc:  # noqa: BLE001 - a damaged file is a finding, not a crash
            facts.parse_error = f"结构无法遍历：{type(exc).__name__}: {exc}"
        facts.javascript = sorted(set(facts.javascript))
        facts.actions = sorted(set(facts.actions))
        facts.embedded = sorted(set(facts.embedded))
    try:
        doc = pdfium.PdfDocument(str(path))
        try:
            page = doc[0]
            bitmap = page.render(scale=render_scale)
            image = bitmap.to_pil()
            if image.width < 1 or image.height < 1:
                facts.render_error = "首页渲染结果为空"
            textpage = page.get_textpage()
            facts.first_page_text = textpage.get_text_range()
        finally:
            doc.close()
    except Exception as exc:  # noqa: BLE001 - a damaged file is a finding, not a crash
        facts.render_error = f"首页无法渲染：{type(exc).__name__}: {exc}"
    return facts


# ------------------------------------------------------------------------------------ the checker


@dataclass
class _Context:
    root: Path
    manifest_entries: dict[str, str] = field(default_factory=dict)
    record: PackageRecord | None = None
    record_error: str | None = None
    pdfs: dict[str, PdfFacts] = field(default_factory=dict)


def _guard(code: str, prop: CheckProperty, name: str, fn: Callable[[], CheckItem]) -> CheckItem:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - an item that crashed is a failed item, never a success
        return CheckItem(
            code=code,
            property=prop,
            name=name,
            outcome=CheckOutcome.FAILED,
            detail="检测过程出错，不能确认该项符合要求",
            findings=(f"{type(exc).__name__}: {exc}",),
        )


class PackageChecker:
    """Runs the DA/T 70-2018 four-property check over a package folder."""

    def __init__(
        self,
        verifier: SignatureVerifier,
        *,
        scanner: ClamAvScanner | None = None,
        render_scale: float = 0.15,
    ) -> None:
        self.verifier = verifier
        self.scanner = scanner if scanner is not None else ClamAvScanner()
        self.render_scale = render_scale

    def check(self, package_root: Path, *, now: dt.datetime | None = None) -> FourPropertyReport:
        ctx = _Context(root=package_root)
        if (package_root / MANIFEST_FILE).is_file():
            try:
                ctx.manifest_entries = read_manifest(package_root).entries
            except (OSError, UnicodeDecodeError):
                ctx.manifest_entries = {}
        try:
            ctx.record = read_metadata((package_root / PAYLOAD_DIR / METADATA_FILE).read_bytes())
        except (OSError, MetadataFormatError) as exc:
            ctx.record_error = f"元数据无法读取：{exc}"
        for rel in payload_files(package_root):
            if rel.lower().endswith(".pdf"):
                ctx.pdfs[rel] = inspect_pdf(package_root / rel, rel, self.render_scale)
        items = [
            _guard("ZS-01", A, "清单电子签章验证", lambda: self._manifest_signature(ctx)),
            _guard("ZS-02", A, "文件哈希值校验", lambda: self._fixity(ctx)),
            _guard("ZS-03", A, "PDF 电子签章验证", lambda: self._pdf_signatures(ctx)),
            _guard("ZS-04", A, "元数据与文件一致性", lambda: self._metadata_matches(ctx)),
            _guard("WZ-01", I, "信息包结构完整", lambda: self._structure(ctx)),
            _guard("WZ-02", I, "内容文件齐全", lambda: self._files_complete(ctx)),
            _guard("WZ-03", I, "件数与页数一致", lambda: self._counts(ctx)),
            _guard("WZ-04", I, "页码连续无漏号", lambda: self._page_sequence(ctx)),
            _guard("WZ-05", I, "必备元数据项齐全", lambda: self._mandatory_metadata(ctx)),
            _guard("KY-01", U, "文件可正常解析", lambda: self._parses(ctx)),
            _guard("KY-02", U, "PDF 可正常渲染", lambda: self._renders(ctx)),
            _guard("KY-03", U, "PDF/A 长期保存格式", lambda: self._pdfa(ctx)),
            _guard("KY-04", U, "文字层可用", lambda: self._text_layer(ctx)),
            _guard("AQ-01", S, "不含 JavaScript", lambda: self._no_javascript(ctx)),
            _guard("AQ-02", S, "不含可执行动作", lambda: self._no_actions(ctx)),
            _guard("AQ-03", S, "不含嵌入文件和可执行程序", lambda: self._no_embedded(ctx)),
            _guard("AQ-04", S, "恶意代码扫描", lambda: self._malware(ctx)),
        ]
        code = ctx.record.archival_code if ctx.record else package_root.name
        return FourPropertyReport(
            archival_code=code,
            package_path=str(package_root),
            checked_at=now or dt.datetime.now(dt.UTC),
            items=tuple(items),
        )

    # -------------------------------------------------------------- 真实性

    def _manifest_signature(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 真实性: the signed manifest (固化信息) verifies against the court CA."""
        manifest, signature = ctx.root / MANIFEST_FILE, ctx.root / MANIFEST_SIGNATURE_FILE
        findings: list[str] = []
        if not manifest.is_file():
            findings.append(f"缺少 {MANIFEST_FILE}")
        if not signature.is_file():
            findings.append(f"缺少清单签名 {MANIFEST_SIGNATURE_FILE}")
        signer = None
        if not findings:
            result = self.verifier.verify_detached(manifest.read_bytes(), signature.read_bytes())
            findings += result.problems
            signer = result.signer
        if ctx.record is not None and signer is not None and ctx.record.seal.subject != signer:
            findings.append(f"清单签章证书“{signer}”与元数据记录的签章“{ctx.record.seal.subject}”不符")
        return CheckItem.judge(
            "ZS-01",
            A,
            "清单电子签章验证",
            findings,
            f"清单签名有效，签章证书：{signer}",
            "清单签名验证未通过",
        )

    def _fixity(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 真实性: every file's SHA-256 equals the manifest (and tag files the tag manifest)."""
        result = verify_fixity(ctx.root)
        findings = [f"哈希值不符：{p}" for p in result.mismatched] + list(result.errors)
        tag_manifest = ctx.root / TAG_MANIFEST_FILE
        if tag_manifest.is_file():
            tags = parse_manifest(tag_manifest.read_text(encoding="utf-8"))
            findings += list(tags.errors)
            for name, digest in tags.entries.items():
                target = ctx.root / name
                if target.is_file() and sha256_file(target) != digest:
                    findings.append(f"标签文件哈希值不符：{name}")
        return CheckItem.judge(
            "ZS-02",
            A,
            "文件哈希值校验",
            findings,
            f"{len(ctx.manifest_entries)} 个文件的 SHA-256 与清单一致",
            "存在哈希值与清单不符的文件",
        )

    def _pdf_signatures(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 真实性 (电子签名/签章有效); 法〔2016〕264号 三(五): every PDF carries the court seal."""
        findings: list[str] = []
        if not ctx.pdfs:
            findings.append("信息包中没有 PDF 文件")
        for rel in ctx.pdfs:
            result = self.verifier.verify_pdf(ctx.root / rel)
            findings += [f"{rel}：{p}" for p in result.problems]
            if (
                ctx.record is not None
                and result.signer is not None
                and result.signer != ctx.record.seal.subject
            ):
                findings.append(f"{rel}：签章证书“{result.signer}”与元数据记录不符")
        return CheckItem.judge(
            "ZS-03",
            A,
            "PDF 电子签章验证",
            findings,
            f"{len(ctx.pdfs)} 个 PDF 文件的电子签章均有效、可信并覆盖整个文件",
            "PDF 电子签章验证未通过",
        )

    def _metadata_matches(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 真实性 (元数据与内容关联): recorded path, hash, size, pages and 档号 match the files."""
        if ctx.record is None:
            return CheckItem.judge("ZS-04", A, "元数据与文件一致性", [ctx.record_error or "元数据缺失"], "")
        record = ctx.record
        findings: list[str] = []
        if record.archival_code != ctx.root.name:
            findings.append(f"信息包目录名“{ctx.root.name}”与元数据档号“{record.archival_code}”不符")
        try:
            ArchivalCode.parse(record.archival_code)
        except ValueError:
            findings.append(f"档号“{record.archival_code}”不符合档号编制规则")
        codes = {v.file.path: v.code for v in record.volumes}
        codes.update({d.file.path: d.code for v in record.volumes for d in v.documents})
        for file in record.files:
            target = ctx.root / file.path
            if not target.is_file():
                continue  # reported under 完整性
            if file.size != target.stat().st_size or file.sha256 != sha256_file(target):
                findings.append(f"{file.path}：文件与元数据记录的哈希值或大小不符")
            facts = ctx.pdfs.get(file.path)
            if facts is not None and facts.parse_error is None:
                if facts.page_count != file.page_count:
                    findings.append(
                        f"{file.path}：实有 {facts.page_count} 页，元数据记录 {file.page_count} 页"
                    )
                if facts.identifier != codes[file.path]:
                    findings.append(
                        f"{file.path}：文件内标识“{facts.identifier}”与档号“{codes[file.path]}”不符"
                    )
        try:
            catalogue = parse_xml((ctx.root / PAYLOAD_DIR / CATALOGUE_FILE).read_bytes())
            listed = {el.get("电子文件") for el in catalogue.iter() if el.get("电子文件")}
            recorded = {f.path for f in record.files}
            if listed != recorded:
                findings.append("目录文件.xml 所列文件与元数据不一致")
            if catalogue.get("档号") != record.archival_code:
                findings.append("目录文件.xml 档号与元数据不一致")
        except (OSError, MetadataFormatError) as exc:
            findings.append(f"目录文件无法读取：{exc}")
        return CheckItem.judge(
            "ZS-04",
            A,
            "元数据与文件一致性",
            findings,
            f"元数据记录的 {len(record.files)} 个文件的位置、哈希值、页数和档号均与实际一致",
            "元数据与文件不一致",
        )

    # -------------------------------------------------------------- 完整性

    def _structure(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 完整性 (信息包结构); DA/T 93-2022: 说明文件, 目录文件 and metadata present."""
        required = [BAGIT_FILE, BAG_INFO_FILE, MANIFEST_FILE, MANIFEST_SIGNATURE_FILE, TAG_MANIFEST_FILE]
        required += [f"{PAYLOAD_DIR}/{n}" for n in (DESCRIPTION_FILE, CATALOGUE_FILE, METADATA_FILE)]
        findings = [f"缺少 {name}" for name in required if not (ctx.root / name).is_file()]
        bagit = ctx.root / BAGIT_FILE
        if bagit.is_file() and "BagIt-Version:" not in bagit.read_text(encoding="utf-8", errors="replace"):
            findings.append("bagit.txt 内容无效")
        return CheckItem.judge(
            "WZ-01",
            I,
            "信息包结构完整",
            findings,
            "信息包声明、清单、签名、说明文件、目录文件和元数据齐全",
            "信息包结构不完整",
        )

    def _files_complete(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 完整性 (内容数据齐全): manifest and metadata files all present, nothing unlisted."""
        fixity = verify_fixity(ctx.root)
        findings = [f"清单所列文件缺失：{p}" for p in fixity.missing]
        findings += [f"文件未列入清单：{p}" for p in fixity.unlisted]
        if ctx.record is not None:
            for file in ctx.record.files:
                if not (ctx.root / file.path).is_file():
                    findings.append(f"元数据所列文件缺失：{file.path}")
                elif file.path not in ctx.manifest_entries:
                    findings.append(f"元数据所列文件未列入清单：{file.path}")
        else:
            findings.append(ctx.record_error or "元数据缺失")
        return CheckItem.judge(
            "WZ-02",
            I,
            "内容文件齐全",
            findings,
            f"清单和元数据所列 {len(ctx.manifest_entries)} 个文件齐全，无清单外文件",
            "内容文件不齐全",
        )

    def _counts(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 完整性; 长中法〔2018〕129号 第九条 (数量一致): 册数, 件数 and pages add up."""
        if ctx.record is None:
            return CheckItem.judge("WZ-03", I, "件数与页数一致", [ctx.record_error or "元数据缺失"], "")
        record = ctx.record
        findings: list[str] = []
        if record.book_count != len(record.volumes):
            findings.append(f"元数据册数 {record.book_count} 与案卷数 {len(record.volumes)} 不符")
        for volume in record.volumes:
            facts = ctx.pdfs.get(volume.file.path)
            if facts is not None and facts.parse_error is None and facts.page_count != volume.total_pages:
                findings.append(
                    f"{volume.code}：整卷文件 {facts.page_count} 页，应为 {volume.total_pages} 页"
                    f"（封面目录 {volume.front_pages} + 编号页 {volume.numbered_pages} + 备考表 {volume.back_pages}）"
                )
            numbered = sum(len(d.pages) for d in volume.documents)
            if numbered != volume.numbered_pages:
                findings.append(
                    f"{volume.code}：卷内文件页数合计 {numbered}，编号页数记录 {volume.numbered_pages}"
                )
            for doc in volume.documents:
                doc_facts = ctx.pdfs.get(doc.file.path)
                if (
                    doc_facts is not None
                    and doc_facts.parse_error is None
                    and doc_facts.page_count != len(doc.pages)
                ):
                    findings.append(
                        f"{doc.code}（{doc.title}）：件文件 {doc_facts.page_count} 页，应为 {len(doc.pages)} 页"
                    )
        return CheckItem.judge(
            "WZ-03",
            I,
            "件数与页数一致",
            findings,
            f"{record.book_count} 册 {record.document_count} 件 {record.page_count} 页，与文件一致",
            "件数或页数不一致",
        )

    def _page_sequence(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 完整性 (连续编号无漏号); 《人民法院诉讼文书立卷归档办法》 pages numbered one by one."""
        if ctx.record is None:
            return CheckItem.judge("WZ-04", I, "页码连续无漏号", [ctx.record_error or "元数据缺失"], "")
        findings: list[str] = []
        for volume in ctx.record.volumes:
            label = f"{volume.kind.value}第 {volume.book_number} 册"
            spans = [PageSpan(d.title, d.first_page, d.last_page, len(d.pages)) for d in volume.documents]
            findings += page_sequence_problems(label, spans)
            numbers = [p.number for d in volume.documents for p in d.pages]
            if numbers != list(range(1, len(numbers) + 1)):
                findings.append(f"{label}页面记录的电子页码不连续")
            items = [d.item_number for d in volume.documents]
            if items != list(range(1, len(items) + 1)):
                findings.append(f"{label}件号不连续")
        return CheckItem.judge(
            "WZ-04",
            I,
            "页码连续无漏号",
            findings,
            "各卷电子页码自 1 起连续，件号连续",
            "页码或件号不连续",
        )

    def _mandatory_metadata(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 完整性 (元数据项齐全); 青法〔2021〕116号 一 (元数据采集)."""
        try:
            root = parse_xml((ctx.root / PAYLOAD_DIR / METADATA_FILE).read_bytes())
        except (OSError, MetadataFormatError) as exc:
            return CheckItem.judge("WZ-05", I, "必备元数据项齐全", [f"元数据无法读取：{exc}"], "")
        findings = [f"缺少元数据项：{m}" for m in missing_elements(root, CASE_ELEMENTS, DOCUMENT_ELEMENTS)]
        if ctx.record is not None:
            findings += case_metadata_problems(ctx.record.case)
            for volume in ctx.record.volumes:
                for doc in volume.documents:
                    for page in doc.pages:
                        if not page.qc.checked_by:
                            findings.append(f"{doc.code} 第 {page.number} 页缺少质检记录")
        elif ctx.record_error:
            findings.append(ctx.record_error)
        return CheckItem.judge(
            "WZ-05",
            I,
            "必备元数据项齐全",
            findings,
            "案件级、文件级和页面级必备元数据项齐全",
            "必备元数据项不全",
        )

    # -------------------------------------------------------------- 可用性

    def _parses(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 可用性 (内容数据可正常打开): PDFs open without repair, XML parses, text is UTF-8."""
        findings = [f"{rel}：{f.parse_error}" for rel, f in ctx.pdfs.items() if f.parse_error]
        checked = len(ctx.pdfs)
        for rel in payload_files(ctx.root):
            path = ctx.root / rel
            if rel.endswith(".xml"):
                checked += 1
                try:
                    parse_xml(path.read_bytes())
                except MetadataFormatError as exc:
                    findings.append(f"{rel}：{exc}")
            elif rel.endswith(".txt"):
                checked += 1
                try:
                    path.read_bytes().decode("utf-8")
                except UnicodeDecodeError as exc:
                    findings.append(f"{rel}：不是有效的 UTF-8 文本（{exc.reason}）")
        if ctx.record_error and not any(METADATA_FILE in f for f in findings):
            findings.append(ctx.record_error)
        return CheckItem.judge(
            "KY-01",
            U,
            "文件可正常解析",
            findings,
            f"{checked} 个文件均可正常解析",
            "存在无法解析的文件",
        )

    def _renders(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 可用性 (内容数据可正常浏览): page 1 of every PDF renders (pypdfium2)."""
        findings = [f"{rel}：{f.render_error}" for rel, f in ctx.pdfs.items() if f.render_error]
        if not ctx.pdfs:
            findings.append("信息包中没有 PDF 文件")
        return CheckItem.judge(
            "KY-02",
            U,
            "PDF 可正常渲染",
            findings,
            f"{len(ctx.pdfs)} 个 PDF 文件首页均可渲染",
            "存在无法渲染的 PDF",
        )

    def _pdfa(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 可用性 (格式符合归档要求, 无加密): the PDF/A-2b claim holds structurally."""
        findings: list[str] = []
        for rel, facts in ctx.pdfs.items():
            if facts.parse_error:
                findings.append(f"{rel}：无法解析，不能确认 PDF/A 符合性")
                continue
            if facts.encrypted:
                findings.append(f"{rel}：文件已加密")
            findings += [f"{rel}：{p}" for p in facts.pdfa_problems]
        if not ctx.pdfs:
            findings.append("信息包中没有 PDF 文件")
        return CheckItem.judge(
            "KY-03",
            U,
            "PDF/A 长期保存格式",
            findings,
            "全部 PDF 声明 PDF/A-2b，含 sRGB 输出意图，字体全部嵌入，未加密，文档信息与 XMP 一致",
            "PDF/A 符合性检查未通过",
        )

    def _text_layer(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 可用性: the OCR text layer of each document survives (first page has text)."""
        if ctx.record is None:
            return CheckItem.judge("KY-04", U, "文字层可用", [ctx.record_error or "元数据缺失"], "")
        findings: list[str] = []
        checked = 0
        for volume in ctx.record.volumes:
            for doc in volume.documents:
                facts = ctx.pdfs.get(doc.file.path)
                first = doc.pages[0] if doc.pages else None
                if (
                    facts is None
                    or facts.parse_error
                    or first is None
                    or first.ocr is None
                    or first.ocr.char_count == 0
                ):
                    continue
                checked += 1
                if not re.search(r"\S", facts.first_page_text):
                    findings.append(
                        f"{doc.file.path}：首页无可提取文字（识别记录 {first.ocr.char_count} 字）"
                    )
        return CheckItem.judge(
            "KY-04",
            U,
            "文字层可用",
            findings,
            f"{checked} 个件文件首页文字层可提取",
            "文字层缺失",
        )

    # -------------------------------------------------------------- 安全性

    def _unparsed(self, ctx: _Context) -> list[str]:
        return [f"{rel}：无法解析，不能确认不含主动内容" for rel, f in ctx.pdfs.items() if f.parse_error]

    def _no_javascript(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 安全性: no JavaScript anywhere in the PDFs."""
        findings = [f"{rel}：含 {', '.join(f.javascript)}" for rel, f in ctx.pdfs.items() if f.javascript]
        findings += self._unparsed(ctx)
        return CheckItem.judge(
            "AQ-01",
            S,
            "不含 JavaScript",
            findings,
            f"{len(ctx.pdfs)} 个 PDF 均不含 JavaScript",
            "发现 JavaScript",
        )

    def _no_actions(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 安全性: no Launch, SubmitForm, ImportData, URI … actions, no /AA, no XFA."""
        findings = [f"{rel}：含 {', '.join(f.actions)}" for rel, f in ctx.pdfs.items() if f.actions]
        findings += self._unparsed(ctx)
        return CheckItem.judge(
            "AQ-02",
            S,
            "不含可执行动作",
            findings,
            "PDF 均不含启动、提交表单、外部链接等动作",
            "发现可执行动作",
        )

    def _no_embedded(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 安全性 (不含非归档文件): no embedded files in PDFs, no executables or foreign files."""
        findings = [f"{rel}：含 {', '.join(f.embedded)}" for rel, f in ctx.pdfs.items() if f.embedded]
        findings += self._unparsed(ctx)
        for path in sorted(p for p in ctx.root.rglob("*") if p.is_file() or p.is_symlink()):
            rel = path.relative_to(ctx.root).as_posix()
            if path.is_symlink():
                findings.append(f"{rel}：符号链接")
                continue
            if "/" not in rel and rel not in (*TAG_FILES, TAG_MANIFEST_FILE):
                findings.append(f"{rel}：信息包根目录中的非归档文件")
            elif "/" in rel and path.suffix.lower() not in PAYLOAD_SUFFIXES:
                findings.append(f"{rel}：非归档文件类型")
            with path.open("rb") as fh:
                head = fh.read(8)
            for magic, kind in EXECUTABLE_MAGIC:
                if head.startswith(magic):
                    findings.append(f"{rel}：{kind}")
        return CheckItem.judge(
            "AQ-03",
            S,
            "不含嵌入文件和可执行程序",
            findings,
            "PDF 不含嵌入文件，信息包不含可执行程序或非归档文件",
            "发现嵌入文件、可执行程序或非归档文件",
        )

    def _malware(self, ctx: _Context) -> CheckItem:
        """DA/T 70-2018 安全性 (病毒检测): ClamAV when installed; otherwise 未执行, never 通过."""
        result = self.scanner.scan(ctx.root)
        if result.status == "clean":
            return CheckItem.judge("AQ-04", S, "恶意代码扫描", [], result.detail)
        if result.status == "infected":
            return CheckItem.judge("AQ-04", S, "恶意代码扫描", list(result.infected), "", result.detail)
        return CheckItem(
            code="AQ-04",
            property=S,
            name="恶意代码扫描",
            outcome=CheckOutcome.SKIPPED,
            detail=result.detail,
        )


def iter_failures(report: FourPropertyReport) -> Iterator[str]:
    for item in report.failed_items:
        for finding in item.findings or (item.detail,):
            yield f"[{item.code} {item.property.value}] {finding}"
