"""Text helpers shared by the classifier, splitter, metadata extraction and the search index."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = [
    "PageFooter",
    "compact",
    "parse_footer",
    "title_key",
]

_WS = re.compile(r"\s+")
# Punctuation that OCR drops or swaps freely; removed before comparing titles.
_TITLE_STRIP = re.compile(r"[\s\-—_·•.,，。:：;；、()（）\[\]【】《》<>\"'“”‘’!！?？*]")


def compact(text: str) -> str:
    """NFKC (full width → half width), case folded, whitespace removed."""
    return _WS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def title_key(text: str) -> str:
    """A line reduced for title comparison: NFKC, no spaces or punctuation (``传 票`` → ``传票``)."""
    return _TITLE_STRIP.sub("", unicodedata.normalize("NFKC", text)).casefold()


class PageFooter(NamedTuple):
    """``第X页 共Y页`` read from a page; ``total`` is None for a bare ``- 3 -``."""

    number: int
    total: int | None


_FOOTER_PATTERNS = (
    re.compile(r"第(\d{1,3})页[/／,，]?共(\d{1,3})页"),
    re.compile(r"共(\d{1,3})页[/／,，]?第(\d{1,3})页"),
    re.compile(r"^[-—–]+(\d{1,3})[-—–]+$"),
)
_FOOTER_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "S": "5", "B": "8"})


def parse_footer(lines: list[str], tail: int = 3) -> PageFooter | None:
    """Find a page footer in the last ``tail`` lines (OCR may confuse O/0, l/1 in it)."""
    for raw in reversed(lines[-tail:] if tail else lines):
        s = _WS.sub("", unicodedata.normalize("NFKC", raw)).translate(_FOOTER_DIGIT_FIX)
        m = _FOOTER_PATTERNS[0].search(s)
        if m:
            x, y = int(m.group(1)), int(m.group(2))
            if 1 <= x <= y:
                return PageFooter(x, y)
            continue
        m = _FOOTER_PATTERNS[1].search(s)
        if m:
            y, x = int(m.group(1)), int(m.group(2))
            if 1 <= x <= y:
                return PageFooter(x, y)
            continue
        m = _FOOTER_PATTERNS[2].match(s)
        if m and int(m.group(1)) >= 1:
            return PageFooter(int(m.group(1)), None)
    return None

