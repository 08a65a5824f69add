"""The compiled dossier (已组卷的电子卷宗): what the archive receives at 组卷 and turns into an e-archive.

Input contract of the archive service. These are values: frozen pydantic models, no I/O. Page files
are single-page PDFs (scan image + invisible CJK text layer) as scan-ocr produces them; the model only
carries their paths.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VolumeKind(StrEnum):
    """卷别: 正卷 (main volume) or 副卷 (secondary volume, internal deliberation materials)."""

    MAIN = "正卷"
    SECONDARY = "副卷"

    @property
    def code(self) -> str:
        """One-letter code used in archival codes and folder names (Z = 正, F = 副)."""
        return "Z" if self is VolumeKind.MAIN else "F"


class RetentionPeriod(StrEnum):
    """保管期限 of a litigation archive."""

    PERMANENT = "永久"
    LONG_TERM = "长期"
    SHORT_TERM = "短期"

    @property
    def code(self) -> str:
        """DA/T 13 档号 code for the retention period: Y 永久, C 长期, D 短期."""
        return {"永久": "Y", "长期": "C", "短期": "D"}[self.value]

    @classmethod
    def from_code(cls, code: str) -> RetentionPeriod:
        for member in cls:
            if member.code == code:
                return member
        raise ValueError(f"unknown retention code {code!r}")


class SecrecyLevel(StrEnum):
    """密级 of the case file."""

    UNCLASSIFIED = "非密"
    INTERNAL = "内部"
    CONFIDENTIAL = "秘密"
    SECRET = "机密"
    TOP_SECRET = "绝密"

    @property
    def is_state_secret(self) -> bool:
        """True for the three state-secret levels (秘密, 机密, 绝密)."""
        return self in (SecrecyLevel.CONFIDENTIAL, SecrecyLevel.SECRET, SecrecyLevel.TOP_SECRET)


class Court(_Value):
    """法院: name, 法院代字 (as in case numbers, e.g. 吉01) and 全宗号 (fonds code of its archive)."""

    name: str = Field(min_length=1)
    code: str = Field(min_length=1)
    fonds_code: str = Field(pattern=r"^[A-Z0-9]{1,12}$")


class Party(_Value):
    """当事人 with 诉讼地位 (role: 原告, 被告, 上诉人, 被上诉人, 第三人 …)."""

    role: str = Field(min_length=1)
    name: str = Field(min_length=1)


class PanelMember(_Value):
    """合议庭 member with role (审判长, 审判员, 人民陪审员)."""

    role: str = Field(min_length=1)
    name: str = Field(min_length=1)


class CaseMetadata(_Value):
    """Case-level metadata items of the court e-archive (案件级元数据)."""

    case_number: str  # 案号
    cause: str  # 案由
    parties: tuple[Party, ...]  # 当事人
    procedure: str  # 审判程序 (一审, 二审, 再审 …)
    outcome: str  # 结果 (结案方式 / 裁判结果)
    panel: tuple[PanelMember, ...]  # 合议庭
    judge: str  # 承办人
    clerk: str  # 书记员
    retention_period: RetentionPeriod  # 保管期限
    secrecy_level: SecrecyLevel  # 密级
    court: Court
    filing_date: dt.date  # 立案日期
    closing_date: dt.date  # 结案日期


class QcRecord(_Value):
    """质检记录 of one scanned page (image QC by scan-ocr)."""

    passed: bool
    dpi: int = Field(ge=1)
    blur_score: float | None = None
    skew_degrees: float | None = None
    checked_at: dt.datetime
    checked_by: str = Field(min_length=1)  # station or operator


class OcrRecord(_Value):
    """识别记录 of one page: engine, version, confidence and when."""

    engine: str = Field(min_length=1)
    engine_version: str = ""
    mean_confidence: float = Field(ge=0.0, le=1.0)
    char_count: int = Field(ge=0)
    recognised_at: dt.datetime


class PageSource(_Value):
    """One electronic page: a single-page PDF plus its provenance."""

    page_id: str = Field(min_length=1)
    pdf_path: Path
    qc: QcRecord
    ocr: OcrRecord | None = None


class DossierDocument(_Value):
    """卷内文件: one catalogue entry with its electronic page range inside the volume."""

    title: str  # 题名
    category: str  # 类别 (catalogue category)
    date: dt.date | None = None  # 日期; None for material without a date of its own (an ID copy)
    issuer: str  # 责任者 (issuing body)
    first_page: int = Field(ge=1)  # 起始页 (electronic page number)
    last_page: int = Field(ge=1)  # 终止页
    pages: tuple[PageSource, ...]

    @model_validator(mode="after")
    def _range_is_ordered(self) -> DossierDocument:
        if self.last_page < self.first_page:
            raise ValueError(f"last_page {self.last_page} < first_page {self.first_page}")
        return self


class Volume(_Value):
    """卷: 正卷 or 副卷, book number (册号) and its ordered documents."""

    kind: VolumeKind
    book_number: int = Field(default=1, ge=1, le=99)
    documents: tuple[DossierDocument, ...]

    @property
    def page_count(self) -> int:
        return sum(len(doc.pages) for doc in self.documents)


class ProcessingEvent(_Value):
    """业务行为: who did what and when (立卷, 核查, 质检, 审核 …)."""

    occurred_at: dt.datetime
    actor: str = Field(min_length=1)
    role: str = Field(min_length=1)
    action: str = Field(min_length=1)
    detail: str = ""


class CompiledDossier(_Value):
    """已组卷的电子卷宗: case metadata, volumes, events and the 案卷号 given by the archive office."""

    case: CaseMetadata
    volumes: tuple[Volume, ...]
    events: tuple[ProcessingEvent, ...] = ()
    archive_serial: int = Field(ge=1, le=999999)  # 案卷号, assigned by 档案科 per year and retention
    compiled_by: str | None = None  # 立卷人 (defaults to the clerk)
    reviewed_by: str | None = None  # 检查人

    @property
    def archive_year(self) -> int:
        """Archive year (年度): litigation archives are filed under the year the case was closed."""
        return self.case.closing_date.year

    @property
    def book_count(self) -> int:
        """册数: the number of volumes (books) of the case."""
        return len(self.volumes)

    @property
    def page_count(self) -> int:
        return sum(v.page_count for v in self.volumes)

    @property
    def document_count(self) -> int:
        return sum(len(v.documents) for v in self.volumes)
