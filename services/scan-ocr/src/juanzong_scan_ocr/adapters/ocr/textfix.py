"""Narrow post-corrections of recognised text that are safe for mainland court documents.

Dates in court documents write the year in Chinese numerals with 〇 as zero (二〇二五年十一月三日,
the form 《党政机关公文格式》 GB/T 9704 and the courts' document styles prescribe). PP-OCRv5 has
〇 in its dictionary but rates the small circle just under the CTC blank, so it is often dropped
("二二五年十一月三日") or read as a Latin O, a digit 0 or the geometric ○. The corrections here only
touch a *year* — a run of Chinese numerals directly followed by 年 **and** a month (十一月, 三月 …,
possibly at the start of the next line) — so amounts (二二五万元), durations (二三年) and
anything not followed by a month are left alone.
"""

from __future__ import annotations

import re

_DIGITS = "〇一二三四五六七八九"
_LOOKALIKES = "Oo0○ＯΟ◯"
"""Latin O/o, digit 0, ○ (U+25CB), fullwidth O, Greek Omicron, ◯ (U+25EF): 〇's usual misreadings."""
_MONTH = r"(?=[ \t\r\n]*(?:十[一二]?|[一二三四五六七八九])月)"
"""年 must be followed by a month in Chinese numerals (spaces or a line break may come between)."""
_NOT_AFTER = rf"(?<![{_DIGITS}十百千万零两第{_LOOKALIKES}])"
"""The year starts a number: not preceded by another numeral (十二三年) or by 第."""

# 二一九年 / 二二五年 / 二三〇年 (2019 / 2025 / 2030 with the 〇 dropped) → 二〇一九年 …
_DROPPED = re.compile(rf"{_NOT_AFTER}二([一二三][{_DIGITS}])年{_MONTH}")
# 二〇五年 (2005 with one of its two 〇 dropped) → 二〇〇五年
_DROPPED_2000S = re.compile(rf"{_NOT_AFTER}二〇([一二三四五六七八九])年{_MONTH}")
# 二O二五年 / 二0二五年 / 一九九○年: a four-character year with look-alikes of 〇 in it
_LOOKALIKE_YEAR = re.compile(
    rf"{_NOT_AFTER}([一二][{_DIGITS}{_LOOKALIKES}]{{3}})年{_MONTH}"
)
_LOOKALIKE_TABLE = str.maketrans({c: "〇" for c in _LOOKALIKES})


def _lookalike(m: re.Match[str]) -> str:
    year = m.group(1)
    # At least two real Chinese numerals, so "2000年" style digits (or "10O0") are never touched.
    if sum(c in _DIGITS for c in year) < 2:
        return m.group(0)
    return year.translate(_LOOKALIKE_TABLE) + "年"


def restore_ling(text: str) -> str:
    """Put back the 〇 that recognition dropped or misread in Chinese-numeral years.

    >>> restore_ling("二二五年十一月三日")
    '二〇二五年十一月三日'
    >>> restore_ling("人民币二二五万元，二三年以后")
    '人民币二二五万元，二三年以后'
    """
    if "年" not in text:
        return text
    text = _DROPPED.sub(lambda m: "二〇" + m.group(1) + "年", text)
    text = _DROPPED_2000S.sub(lambda m: "二〇〇" + m.group(1) + "年", text)
    return _LOOKALIKE_YEAR.sub(_lookalike, text)


def restore_ling_in_lines(lines: list[str]) -> list[str]:
    """``restore_ling`` line by line; a year ending one line sees the month starting the next."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if "年" not in line:
            out.append(line)
            continue
        following = lines[i + 1][:4] if i + 1 < len(lines) else ""
        # The line itself holds no line break, so what comes before the first one is the line.
        out.append(restore_ling(line + "\n" + following).split("\n", 1)[0] if following else restore_ling(line))
    return out
