"""The courts of Jilin and their 法院代字, loaded once from the package's own data file.

Codes follow 《关于人民法院案件案号的若干规定》: the high court uses the province's short name (吉),
intermediate courts add two digits (吉01), basic courts four (吉0102), special courts 7x (吉71).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from juanzong_intake.domain.errors import DataFileError, UnknownCourt

DATA_PACKAGE = "juanzong_intake.data"
COURTS_FILE = "courts_jilin.json"


class CourtLevel(StrEnum):
    SUPREME = "supreme"  # 最高人民法院
    HIGH = "high"  # 高级人民法院
    INTERMEDIATE = "intermediate"  # 中级人民法院
    BASIC = "basic"  # 基层人民法院

    @property
    def zh(self) -> str:
        return {"supreme": "最高人民法院", "high": "高级人民法院", "intermediate": "中级人民法院",
                "basic": "基层人民法院"}[self.value]


class CourtKind(StrEnum):
    ORDINARY = "ordinary"  # 地方法院
    RAILWAY = "railway"  # 铁路运输法院
    FORESTRY = "forestry"  # 林区法院
    OTHER_SPECIAL = "other_special"  # 其他专门法院


class Court(BaseModel):
    """One court (法院)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(..., min_length=1, examples=["吉0102"])  # 法院代字
    name: str = Field(..., min_length=1, examples=["吉林省长春市南关区人民法院"])
    short_name: str = Field(..., min_length=1)
    level: CourtLevel
    kind: CourtKind = CourtKind.ORDINARY
    parent: str | None = None  # 上级法院的法院代字
    division_code: str | None = None  # 行政区划代码
    superseded_by: str | None = None  # 法院代字变更后的新代字; the old one stays valid for old case numbers
    note: str | None = None

    @property
    def active(self) -> bool:
        return self.superseded_by is None


class CourtRegistry:
    """Read-only index of courts by code. Use :meth:`load` for the packaged Jilin list (loaded once)."""

    def __init__(self, courts: list[Court]) -> None:
        by_code: dict[str, Court] = {}
        for court in courts:
            if court.code in by_code:
                raise DataFileError("courts", f"法院代字重复：{court.code}")
            by_code[court.code] = court
        children: dict[str, list[Court]] = {code: [] for code in by_code}
        for court in courts:
            if court.parent is not None:
                if court.parent not in by_code:
                    raise DataFileError("courts", f"{court.code} 的上级法院 {court.parent} 不在名录中")
                children[court.parent].append(court)
            if court.superseded_by is not None and court.superseded_by not in by_code:
                raise DataFileError("courts", f"{court.code} 的新代字 {court.superseded_by} 不在名录中")
        self._by_code = by_code
        self._children = {code: tuple(kids) for code, kids in children.items()}
        for code in by_code:  # refuse cycles so ancestor walks always end
            self._ancestors(code)

    @classmethod
    def load(cls) -> CourtRegistry:
        """The packaged registry of Jilin's courts, parsed on first use and shared afterwards."""
        return _load_default()

    @classmethod
    def from_json(cls, text: str) -> CourtRegistry:
        try:
            raw = json.loads(text)
            return cls([Court.model_validate(item) for item in raw["courts"]])
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise DataFileError("courts", f"法院名录数据无效：{exc}") from exc

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __iter__(self) -> Iterator[Court]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def find(self, code: str) -> Court | None:
        return self._by_code.get(code)

    def get(self, code: str) -> Court:
        """The court with this 法院代字; raises :class:`UnknownCourt`."""
        court = self._by_code.get(code)
        if court is None:
            raise UnknownCourt(code)
        return court

    def children(self, code: str) -> tuple[Court, ...]:
        """Courts directly under ``code`` (中院 under 高院, 基层法院 under 中院)."""
        self.get(code)
        return self._children[code]

    def parent(self, code: str) -> Court | None:
        court = self.get(code)
        return self._by_code[court.parent] if court.parent else None

    def is_superior(self, a: str, b: str, *, direct: bool = False) -> bool:
        """``a`` is above ``b`` in the court hierarchy (``direct``: immediately above). Unknown codes raise."""
        self.get(a)
        self.get(b)
        chain = self._ancestors(b)
        if direct:
            return bool(chain) and chain[0] == a
        return a in chain

    def high_court_codes(self) -> tuple[str, ...]:
        """Codes without digits (吉): the candidates for a court code that has no number part."""
        return tuple(c.code for c in self._by_code.values() if c.level in (CourtLevel.HIGH, CourtLevel.SUPREME))

    def _ancestors(self, code: str) -> list[str]:
        chain: list[str] = []
        current = self._by_code[code].parent
        while current is not None:
            if current in chain or current == code:
                raise DataFileError("courts", f"法院上下级关系成环：{code}")
            chain.append(current)
            current = self._by_code[current].parent
        return chain


@cache
def _load_default() -> CourtRegistry:
    text = resources.files(DATA_PACKAGE).joinpath(COURTS_FILE).read_text(encoding="utf-8")
    return CourtRegistry.from_json(text)
