"""档号 (archival code): the identifier that names the package folder and every file in it.

Rule (after DA/T 13 档号编制规则, as used for court litigation archives):

    档号    = 全宗号-年度-保管期限代码-案卷号        e.g. J011-2020-Y-0123
    卷档号  = 档号-卷别代码册号                      e.g. J011-2020-Y-0123-Z01 (正卷 第1册), …-F01 (副卷)
    件档号  = 卷档号-件号                            e.g. J011-2020-Y-0123-Z01-001

- 全宗号: the court archive's fonds code (``Court.fonds_code``), upper-case ASCII letters and digits;
- 年度: the year the case was closed (litigation archives are filed by 结案年度);
- 保管期限代码: Y 永久, C 长期, D 短期;
- 案卷号: serial given by the archive office within fonds, year and retention period, 4 digits
  (more digits when the serial exceeds 9999);
- 卷别代码: Z 正卷, F 副卷, followed by the two-digit book number (册号);
- 件号: position of the document in the volume's catalogue (卷内目录), 3 digits.

Codes are ASCII so that folder and file names survive any file system, tar and transfer medium
(DA/T 93-2022: the package's folders are named by 档号).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from juanzong_archive.domain.dossier import CompiledDossier, RetentionPeriod, VolumeKind

_CODE = re.compile(r"^(?P<fonds>[A-Z0-9]{1,12})-(?P<year>\d{4})-(?P<ret>[YCD])-(?P<serial>\d{4,6})$")


class ArchivalCode(BaseModel):
    """档号 of one case's e-archive (DA/T 13 structure, see module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fonds_code: str = Field(pattern=r"^[A-Z0-9]{1,12}$")
    year: int = Field(ge=1949, le=9999)
    retention: RetentionPeriod
    serial: int = Field(ge=1, le=999999)

    def __str__(self) -> str:
        return f"{self.fonds_code}-{self.year:04d}-{self.retention.code}-{self.serial:04d}"

    @classmethod
    def for_dossier(cls, dossier: CompiledDossier) -> ArchivalCode:
        """Derive the 档号 from court, closing year, retention period and 案卷号."""
        return cls(
            fonds_code=dossier.case.court.fonds_code,
            year=dossier.archive_year,
            retention=dossier.case.retention_period,
            serial=dossier.archive_serial,
        )

    @classmethod
    def parse(cls, text: str) -> ArchivalCode:
        """Parse a case-level 档号; raises ValueError when the text does not follow the rule."""
        match = _CODE.match(text)
        if match is None:
            raise ValueError(f"not an archival code: {text!r}")
        return cls(
            fonds_code=match["fonds"],
            year=int(match["year"]),
            retention=RetentionPeriod.from_code(match["ret"]),
            serial=int(match["serial"]),
        )

    def volume_code(self, kind: VolumeKind, book_number: int) -> str:
        """卷档号: 档号 + 卷别代码 + two-digit 册号."""
        return f"{self}-{kind.code}{book_number:02d}"

    def document_code(self, kind: VolumeKind, book_number: int, item_number: int) -> str:
        """件档号: 卷档号 + three-digit 件号."""
        return f"{self.volume_code(kind, book_number)}-{item_number:03d}"
