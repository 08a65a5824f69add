"""The e-archive package (电子档案信息包): folder layout and the record of what it contains.

Layout (a BagIt bag whose root folder is named by the 档号; DA/T 93-2022 flavoured)::

    J011-2020-Y-0123/                         bag root, named by 档号
        bagit.txt  bag-info.txt
        manifest-sha256.txt                   SHA-256 of every payload file
        manifest-sha256.txt.p7s               court e-seal: detached CMS signature over the manifest
        tagmanifest-sha256.txt                SHA-256 of the tag files (incl. the signature)
        data/
            说明文件.txt                       description of the package (DA/T 93)
            目录文件.xml                       catalogue (DA/T 93)
            元数据.xml                         case-, volume-, document- and page-level metadata
            J011-2020-Y-0123-Z01/             one folder per volume, named by 卷档号
                J011-2020-Y-0123-Z01.pdf       archival volume PDF (cover, 卷内目录, pages, 备考表)
                J011-2020-Y-0123-Z01-001.pdf   one PDF per document (件), named by 件档号
            J011-2020-Y-0123-F01/ …

The ``Recorded*`` models are what the metadata XML states about the package; the builder produces
them and the four-property check reads them back and compares them with the files.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.dossier import (
    CaseMetadata,
    OcrRecord,
    ProcessingEvent,
    QcRecord,
    VolumeKind,
)

PAYLOAD_DIR = "data"
DESCRIPTION_FILE = "说明文件.txt"
CATALOGUE_FILE = "目录文件.xml"
METADATA_FILE = "元数据.xml"
BAGIT_FILE = "bagit.txt"
BAG_INFO_FILE = "bag-info.txt"
MANIFEST_FILE = "manifest-sha256.txt"
TAG_MANIFEST_FILE = "tagmanifest-sha256.txt"
MANIFEST_SIGNATURE_FILE = "manifest-sha256.txt.p7s"
TAG_FILES = (BAGIT_FILE, BAG_INFO_FILE, MANIFEST_FILE, MANIFEST_SIGNATURE_FILE)
"""Tag files listed in the tag manifest (the tag manifest itself is not)."""

PAYLOAD_SUFFIXES = frozenset({".pdf", ".xml", ".txt"})
"""File types a package may carry in its payload; anything else is a 非归档文件."""


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PackageLayout(_Value):
    """Relative paths (POSIX, from the bag root) of everything in a package, derived from the 档号."""

    code: ArchivalCode

    @property
    def root_name(self) -> str:
        return str(self.code)

    @property
    def description_path(self) -> str:
        return f"{PAYLOAD_DIR}/{DESCRIPTION_FILE}"

    @property
    def catalogue_path(self) -> str:
        return f"{PAYLOAD_DIR}/{CATALOGUE_FILE}"

    @property
    def metadata_path(self) -> str:
        return f"{PAYLOAD_DIR}/{METADATA_FILE}"

    def volume_dir(self, kind: VolumeKind, book_number: int) -> str:
        return f"{PAYLOAD_DIR}/{self.code.volume_code(kind, book_number)}"

    def volume_pdf(self, kind: VolumeKind, book_number: int) -> str:
        code = self.code.volume_code(kind, book_number)
        return f"{PAYLOAD_DIR}/{code}/{code}.pdf"

    def document_pdf(self, kind: VolumeKind, book_number: int, item_number: int) -> str:
        return (
            f"{self.volume_dir(kind, book_number)}/"
            f"{self.code.document_code(kind, book_number, item_number)}.pdf"
        )


class FileRole(StrEnum):
    VOLUME_PDF = "卷文件"
    DOCUMENT_PDF = "件文件"


class RecordedFile(_Value):
    """A content file as recorded in the metadata: path from the bag root, hash, size, pages."""

    path: str
    role: FileRole
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    page_count: int = Field(ge=0)


class RecordedPage(_Value):
    """One electronic page with its QC and OCR provenance."""

    number: int = Field(ge=1)  # 电子页码 within the volume
    page_id: str
    qc: QcRecord
    ocr: OcrRecord | None = None


class RecordedDocument(_Value):
    """件: one catalogue entry as packaged."""

    item_number: int = Field(ge=1)  # 件号
    code: str  # 件档号
    title: str
    category: str
    date: dt.date | None = None
    issuer: str
    first_page: int
    last_page: int
    file: RecordedFile
    pages: tuple[RecordedPage, ...]


class RecordedVolume(_Value):
    """卷: one volume as packaged; its PDF has front matter, numbered pages, back matter."""

    code: str  # 卷档号
    kind: VolumeKind
    book_number: int
    front_pages: int = Field(ge=0)  # cover + 卷内目录, unnumbered
    numbered_pages: int = Field(ge=0)  # pages carrying an electronic page number
    back_pages: int = Field(ge=0)  # 备考表, unnumbered
    file: RecordedFile
    documents: tuple[RecordedDocument, ...]

    @property
    def total_pages(self) -> int:
        return self.front_pages + self.numbered_pages + self.back_pages


class SealRecord(_Value):
    """The court e-seal that signed the package (电子签章)."""

    subject: str
    issuer: str
    serial_number: str
    sha256_fingerprint: str


class PackageRecord(_Value):
    """What 元数据.xml states about a package."""

    archival_code: str
    created_at: dt.datetime
    case: CaseMetadata
    book_count: int  # 册数
    volumes: tuple[RecordedVolume, ...]
    events: tuple[ProcessingEvent, ...]
    seal: SealRecord

    @property
    def files(self) -> tuple[RecordedFile, ...]:
        result: list[RecordedFile] = []
        for volume in self.volumes:
            result.append(volume.file)
            result.extend(doc.file for doc in volume.documents)
        return tuple(result)

    @property
    def document_count(self) -> int:
        return sum(len(v.documents) for v in self.volumes)

    @property
    def page_count(self) -> int:
        return sum(v.numbered_pages for v in self.volumes)


class ArchivePackage(_Value):
    """Result of building a package: where it is and what it contains."""

    root: str  # absolute path of the bag root folder
    record: PackageRecord
    payload_files: int
    payload_bytes: int
