"""Which standard volume order a case follows, from its 案号 type code (类型代字).

立卷归档办法 第十二条 fixes the 民事一审 order, 第十三条 the 民事二审 order; 第十四条 has other kinds
follow them by analogy. The type code sits after the court code in the case number
(``（2025）吉01民终123号`` → 民终); intake's ``case.registered`` also names it (``case_type``).
"""

from __future__ import annotations

import re

from .categories import CaseKind

__all__ = ["case_kind_for", "type_code"]

_TYPE = re.compile(r"[）)]\s*(?:最高法|[\u4e00-\u9fff]\d*)([\u4e00-\u9fff]{1,4})\d+号")


def type_code(case_number: str) -> str | None:
    """The 类型代字 of a canonical case number, or None when it cannot be read."""
    m = _TYPE.search(case_number)
    return m.group(1) if m else None


def case_kind_for(case_number: str, case_type: str | None = None) -> CaseKind:
    """立卷归档办法 第十二条/第十三条/第十四条: 二审 (终) cases use the 二审 order, 行政 first-instance cases
    the 行政一审 order, everything else the 民事一审 order by analogy."""
    code = case_type or type_code(case_number) or ""
    if code.endswith("终"):
        return CaseKind.CIVIL_SECOND_INSTANCE
    if code.startswith("行") and code.endswith("初"):
        return CaseKind.ADMINISTRATIVE_FIRST_INSTANCE
    return CaseKind.CIVIL_FIRST_INSTANCE
