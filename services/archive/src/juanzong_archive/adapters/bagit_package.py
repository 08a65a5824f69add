"""Build, read and export the e-archive package: a BagIt bag (RFC 8493) named by 档号.

See :mod:`juanzong_archive.domain.package` for the layout. The bag is written by this module (not by
the ``bagit`` library, which changes the process's working directory while it works); the ``bagit``
library validates what we write in the tests.

Nothing is ever overwritten: a package is assembled in a hidden work folder next to its destination
and moved into place only when complete; an existing package, export or backup is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pikepdf

from juanzong_archive.adapters.metadata_xml import catalogue_xml, metadata_xml
from juanzong_archive.adapters.pdf_builder import ArchivalPdfBuilder
from juanzong_archive.adapters.signing import ArchiveSigner, sha256_file
from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.dossier import CompiledDossier, ProcessingEvent
from juanzong_archive.domain.metadata_rules import dossier_problems
from juanzong_archive.domain.package import (
    BAG_INFO_FILE,
    BAGIT_FILE,
    MANIFEST_FILE,
    MANIFEST_SIGNATURE_FILE,
    PAYLOAD_DIR,
    TAG_FILES,
    TAG_MANIFEST_FILE,
    ArchivePackage,
    FileRole,
    PackageLayout,
    PackageRecord,
    RecordedDocument,
    RecordedFile,
    RecordedPage,
    RecordedVolume,
)

SOFTWARE = "Juanzong 卷宗 archive"
SYSTEM_ACTOR = "电子档案转换服务"


class PackageExistsError(FileExistsError):
    """The destination already holds a package, export or backup: nothing is overwritten."""


class DossierNotReadyError(ValueError):
    """The compiled dossier breaks an archiving rule; ``problems`` says which (Chinese)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


class PackageCorruptError(ValueError):
    """A package failed its fixity check and is not exported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems


@dataclass
class StageTimes:
    """Seconds spent per build stage (for the benchmark)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, started: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started


# ------------------------------------------------------------------------------------ manifests


def _encode_path(path: str) -> str:
    # RFC 8493 §2.1.3: CR, LF and % in manifest paths are percent-encoded
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _decode_path(path: str) -> str:
    return (
        path.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%0d", "\r")
        .replace("%0a", "\n")
        .replace("%25", "%")
    )


def manifest_text(entries: dict[str, str]) -> str:
    return "".join(f"{digest}  {_encode_path(path)}\n" for path, digest in sorted(entries.items()))


@dataclass(frozen=True)
class Manifest:
    """A parsed BagIt manifest: path → SHA-256, plus lines that could not be read."""

    entries: dict[str, str]
    errors: tuple[str, ...] = ()


def parse_manifest(text: str) -> Manifest:
    entries: dict[str, str] = {}
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if (
            len(parts) != 2
            or len(parts[0]) != 64
            or any(c not in "0123456789abcdef" for c in parts[0].lower())
        ):
            errors.append(f"清单第 {number} 行格式错误")
            continue
        path = _decode_path(parts[1].strip())
        if path.startswith("/") or ".." in Path(path).parts:
            errors.append(f"清单第 {number} 行路径越界：{path}")
            continue
        entries[path] = parts[0].lower()
    return Manifest(entries, tuple(errors))


def read_manifest(bag_root: Path, name: str = MANIFEST_FILE) -> Manifest:
    return parse_manifest((bag_root / name).read_text(encoding="utf-8"))


def payload_files(bag_root: Path) -> list[str]:
    """Relative POSIX paths of every file under data/."""
    base = bag_root / PAYLOAD_DIR
    if not base.is_dir():
        return []
    return sorted(
        p.relative_to(bag_root).as_posix() for p in base.rglob("*") if p.is_file() or p.is_symlink()
    )


@dataclass(frozen=True)
class FixityResult:
    """Outcome of checking files against a manifest."""

    mismatched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.mismatched or self.missing or self.unlisted or self.errors)

    def problems(self) -> list[str]:
        return (
            [f"哈希值不符：{p}" for p in self.mismatched]
            + [f"清单所列文件缺失：{p}" for p in self.missing]
            + [f"文件未列入清单：{p}" for p in self.unlisted]
            + list(self.errors)
        )


def verify_fixity(bag_root: Path) -> FixityResult:
    """Payload files against manifest-sha256.txt (GB/T 18894-2016 fixity; DA/T 70-2018 真实性)."""
    if not (bag_root / MANIFEST_FILE).is_file():
        return FixityResult(errors=(f"缺少 {MANIFEST_FILE}",))
    manifest = read_manifest(bag_root)
    mismatched, missing = [], []
    for path, digest in sorted(manifest.entries.items()):
        target = bag_root / path
        if not target.is_file() or target.is_symlink():
            missing.append(path)
        elif sha256_file(target) != digest:
            mismatched.append(path)
    unlisted = [p for p in payload_files(bag_root) if p not in manifest.entries]
    return FixityResult(tuple(mismatched), tuple(missing), tuple(unlisted), manifest.errors)


# ------------------------------------------------------------------------------------ building


def _recorded_file(path: Path, relative: str, role: FileRole) -> RecordedFile:
    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
    return RecordedFile(
        path=relative, role=role, sha256=sha256_file(path), size=path.stat().st_size, page_count=pages
    )


def description_text(record: PackageRecord, layout: PackageLayout) -> str:
    """说明文件.txt (DA/T 93-2022): what the package is, how it is organised and how to verify it."""
    case = record.case
    lines = [
        "电子档案信息包说明文件",
        "",
        f"档号：{record.archival_code}",
        f"案号：{case.case_number}",
        f"案由：{case.cause}",
        f"立档单位：{case.court.name}（全宗号 {case.court.fonds_code}）",
        f"保管期限：{case.retention_period.value}    密级：{case.secrecy_level.value}",
        f"册数：{record.book_count}    件数：{record.document_count}    页数：{record.page_count}",
        f"生成时间：{record.created_at.isoformat()}",
        f"生成系统：{SOFTWARE}",
        "",
        "一、档号编制规则",
        "档号 = 全宗号-年度-保管期限代码-案卷号（保管期限代码：Y 永久、C 长期、D 短期；年度为结案年度）；",
        "卷档号 = 档号-卷别代码册号（Z 正卷、F 副卷）；件档号 = 卷档号-件号。",
        "",
        "二、信息包结构",
        f"{layout.root_name}/                 信息包根目录（以档号命名，BagIt 格式，RFC 8493）",
        "  bagit.txt、bag-info.txt          BagIt 声明及信息包信息",
        "  manifest-sha256.txt              全部内容文件的 SHA-256 清单",
        "  manifest-sha256.txt.p7s          法院电子签章对清单的分离式 CMS 签名",
        "  tagmanifest-sha256.txt           标签文件的 SHA-256 清单",
        "  data/说明文件.txt                 本说明文件",
        "  data/目录文件.xml                 案卷及卷内文件目录",
        "  data/元数据.xml                   案件级、案卷级、文件级和页面级元数据、业务行为记录",
    ]
    for volume in record.volumes:
        lines.append(
            f"  data/{volume.code}/    {volume.kind.value}第 {volume.book_number} 册："
            f"{volume.code}.pdf 为整卷文件（封面、卷内目录、{volume.numbered_pages} 页、备考表），"
            f"另有 {len(volume.documents)} 个件文件"
        )
    lines += [
        "",
        "三、文件格式",
        "整卷文件和件文件均为 PDF/A-2b，内嵌中文字体和文字层，页面右上角标注电子页码，",
        "每个 PDF 文件均加盖法院电子签章（PAdES）。",
        "",
        "四、电子签章",
        f"证书主题：{record.seal.subject}",
        f"证书颁发者：{record.seal.issuer}",
        f"证书序列号：{record.seal.serial_number}",
        f"证书 SHA-256 指纹：{record.seal.sha256_fingerprint}",
        "",
        "五、校验方法",
        "1. 以受信任的根证书验证 manifest-sha256.txt.p7s 对 manifest-sha256.txt 的签名；",
        "2. 按 manifest-sha256.txt 逐一核对 data/ 下文件的 SHA-256，且不得有清单外文件；",
        "3. 验证每个 PDF 文件的电子签章覆盖整个文件；",
        "4. 按 DA/T 70-2018 进行真实性、完整性、可用性、安全性检测。",
        "",
        "依据：GB/T 18894-2016、DA/T 93-2022、DA/T 70-2018、青法〔2021〕116号。",
    ]
    return "\n".join(lines) + "\n"


def _write_new(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)


def build_package(
    dossier: CompiledDossier,
    out_dir: Path,
    signer: ArchiveSigner,
    *,
    builder: ArchivalPdfBuilder | None = None,
    now: dt.datetime | None = None,
    times: StageTimes | None = None,
) -> ArchivePackage:
    """Convert a compiled dossier into a signed e-archive package folder ``out_dir/<档号>``.

    Refuses a dossier that breaks an archiving rule (:class:`DossierNotReadyError`) and an existing
    destination (:class:`PackageExistsError`); on any error nothing is left behind.
    """
    problems = dossier_problems(dossier)
    if problems:
        raise DossierNotReadyError(problems)
    code = ArchivalCode.for_dossier(dossier)
    layout = PackageLayout(code=code)
    final = out_dir / layout.root_name
    if final.exists():
        raise PackageExistsError(f"信息包已存在，拒绝覆盖：{final}")
    out_dir.mkdir(parents=True, exist_ok=True)
    builder = builder or ArchivalPdfBuilder()
    times = times if times is not None else StageTimes()
    created_at = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    work = out_dir / f".{layout.root_name}.work-{uuid.uuid4().hex[:8]}"
    bag = work / "bag"
    unsigned = work / "unsigned"
    try:
        unsigned.mkdir(parents=True)
        volumes: list[RecordedVolume] = []
        for volume in dossier.volumes:
            (bag / layout.volume_dir(volume.kind, volume.book_number)).mkdir(parents=True)
            vol_rel = layout.volume_pdf(volume.kind, volume.book_number)
            doc_rels = [
                layout.document_pdf(volume.kind, volume.book_number, i)
                for i in range(1, len(volume.documents) + 1)
            ]
            started = time.perf_counter()
            built = builder.build_volume(
                dossier,
                volume,
                code,
                unsigned / Path(vol_rel).name,
                [unsigned / Path(r).name for r in doc_rels],
                created_at=created_at,
            )
            times.add("pdf_assembly", started)
            started = time.perf_counter()
            for rel in (vol_rel, *doc_rels):
                signer.sign_pdf(unsigned / Path(rel).name, bag / rel)
            times.add("signing", started)
            started = time.perf_counter()
            documents = []
            for item, (doc, rel) in enumerate(zip(volume.documents, doc_rels, strict=True), start=1):
                documents.append(
                    RecordedDocument(
                        item_number=item,
                        code=code.document_code(volume.kind, volume.book_number, item),
                        title=doc.title,
                        category=doc.category,
                        date=doc.date,
                        issuer=doc.issuer,
                        first_page=doc.first_page,
                        last_page=doc.last_page,
                        file=_recorded_file(bag / rel, rel, FileRole.DOCUMENT_PDF),
                        pages=tuple(
                            RecordedPage(number=doc.first_page + i, page_id=p.page_id, qc=p.qc, ocr=p.ocr)
                            for i, p in enumerate(doc.pages)
                        ),
                    )
                )
            volumes.append(
                RecordedVolume(
                    code=code.volume_code(volume.kind, volume.book_number),
                    kind=volume.kind,
                    book_number=volume.book_number,
                    front_pages=built.front_pages,
                    numbered_pages=built.numbered_pages,
                    back_pages=built.back_pages,
                    file=_recorded_file(bag / vol_rel, vol_rel, FileRole.VOLUME_PDF),
                    documents=tuple(documents),
                )
            )
            times.add("metadata", started)

        started = time.perf_counter()
        events = (
            *dossier.events,
            ProcessingEvent(
                occurred_at=created_at,
                actor=SYSTEM_ACTOR,
                role="系统",
                action="转换生成电子档案",
                detail=f"生成 {len(volumes)} 个整卷文件和 {sum(len(v.documents) for v in volumes)} 个件文件",
            ),
            ProcessingEvent(
                occurred_at=created_at,
                actor=SYSTEM_ACTOR,
                role="系统",
                action="加盖电子签章",
                detail=signer.seal.subject,
            ),
        )
        record = PackageRecord(
            archival_code=str(code),
            created_at=created_at,
            case=dossier.case,
            book_count=dossier.book_count,
            volumes=tuple(volumes),
            events=events,
            seal=signer.seal,
        )
        _write_new(bag / layout.metadata_path, metadata_xml(record, dossier))
        _write_new(bag / layout.catalogue_path, catalogue_xml(record))
        _write_new(bag / layout.description_path, description_text(record, layout).encode("utf-8"))
        times.add("metadata", started)

        started = time.perf_counter()
        write_bag_tags(bag, record, signer, created_at)
        times.add("manifest", started)
        shutil.rmtree(unsigned)
        if final.exists():
            raise PackageExistsError(f"信息包已存在，拒绝覆盖：{final}")
        bag.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    payload = payload_files(final)
    return ArchivePackage(
        root=str(final.resolve()),
        record=record,
        payload_files=len(payload),
        payload_bytes=sum((final / p).stat().st_size for p in payload),
    )


def write_bag_tags(bag: Path, record: PackageRecord, signer: ArchiveSigner, created_at: dt.datetime) -> None:
    """bagit.txt, the payload manifest, its detached seal signature, bag-info.txt and the tag manifest."""
    files = payload_files(bag)
    entries = {p: sha256_file(bag / p) for p in files}
    manifest = manifest_text(entries).encode("utf-8")
    _write_new(bag / BAGIT_FILE, b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    _write_new(bag / MANIFEST_FILE, manifest)
    _write_new(bag / MANIFEST_SIGNATURE_FILE, signer.sign_detached(manifest))
    octets = sum((bag / p).stat().st_size for p in files)
    info = [
        ("Source-Organization", record.case.court.name),
        ("External-Identifier", record.archival_code),
        ("External-Description", f"{record.case.case_number} {record.case.cause} 电子档案"),
        ("Bagging-Date", created_at.date().isoformat()),
        ("Bag-Software-Agent", SOFTWARE),
        ("Payload-Oxum", f"{octets}.{len(files)}"),
    ]
    _write_new(bag / BAG_INFO_FILE, "".join(f"{k}: {v}\n" for k, v in info).encode("utf-8"))
    tags = {name: sha256_file(bag / name) for name in TAG_FILES}
    _write_new(bag / TAG_MANIFEST_FILE, manifest_text(tags).encode("utf-8"))


# ------------------------------------------------------------------------------------ export


class ExportFormat(StrEnum):
    FOLDER = "folder"
    TARBALL = "tar.gz"


def _bag_files(bag_root: Path) -> list[str]:
    return sorted(p.relative_to(bag_root).as_posix() for p in bag_root.rglob("*") if p.is_file())


def tar_member_hashes(tar_path: Path) -> Iterator[tuple[str, str]]:
    """(member name, SHA-256) for every regular file of a tar.gz, streaming."""
    with tarfile.open(tar_path, "r:gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            fh = tar.extractfile(member)
            assert fh is not None
            digest = hashlib.sha256()
            while block := fh.read(1 << 20):
                digest.update(block)
            yield member.name, digest.hexdigest()


def export_package(
    package_root: Path, destination_dir: Path, fmt: ExportFormat = ExportFormat.TARBALL
) -> Path:
    """Offline backup (青法〔2021〕116号 五: 电子档案数据离线备份) of a package, as a folder or a tar.gz.

    The package must pass its fixity check first; the copy is verified against the manifest after it is
    written; a tarball gets a ``.sha256`` file beside it. Refuses to overwrite an existing backup.
    """
    fixity = verify_fixity(package_root)
    if not fixity.ok:
        raise PackageCorruptError(fixity.problems())
    name = package_root.name
    destination_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(package_root).entries
    if fmt is ExportFormat.FOLDER:
        target = destination_dir / name
        if target.exists():
            raise PackageExistsError(f"备份已存在，拒绝覆盖：{target}")
        partial = destination_dir / f".{name}.partial-{uuid.uuid4().hex[:8]}"
        try:
            shutil.copytree(package_root, partial)
            copy_fixity = verify_fixity(partial)
            if not copy_fixity.ok:
                raise PackageCorruptError(copy_fixity.problems())
            if target.exists():
                raise PackageExistsError(f"备份已存在，拒绝覆盖：{target}")
            partial.rename(target)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target

    target = destination_dir / f"{name}.tar.gz"
    sidecar = destination_dir / f"{name}.tar.gz.sha256"
    if target.exists() or sidecar.exists():
        raise PackageExistsError(f"备份已存在，拒绝覆盖：{target}")
    partial = destination_dir / f".{name}.tar.gz.partial-{uuid.uuid4().hex[:8]}"
    try:
        with tarfile.open(partial, "x:gz", format=tarfile.PAX_FORMAT, compresslevel=6) as tar:
            tar.add(package_root, arcname=name, recursive=False)
            for rel in _bag_files(package_root):
                info = tar.gettarinfo(package_root / rel, arcname=f"{name}/{rel}")
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with (package_root / rel).open("rb") as fh:
                    tar.addfile(info, fh)
        hashes = dict(tar_member_hashes(partial))
        for rel, digest in manifest.items():
            if hashes.get(f"{name}/{rel}") != digest:
                raise PackageCorruptError([f"备份包中文件校验失败：{rel}"])
        os.link(partial, target)  # fails instead of replacing an existing file
        _write_new(sidecar, f"{sha256_file(target)}  {target.name}\n".encode())
    finally:
        partial.unlink(missing_ok=True)
    return target
