"""Post-correction of 〇 in Chinese-numeral years (PP-OCRv5 drops it: 二二五年十一月 for 二〇二五年十一月)."""

from __future__ import annotations

import pytest
from juanzong_scan_ocr.adapters.ocr.textfix import restore_ling, restore_ling_in_lines

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("read", "meant"),
    [
        ("二二五年十一月三日", "二〇二五年十一月三日"),
        ("本判决于二二六年一月八日作出", "本判决于二〇二六年一月八日作出"),
        ("于二一九年五月", "于二〇一九年五月"),
        ("二三〇年十二月", "二〇三〇年十二月"),
        ("二〇五年三月", "二〇〇五年三月"),  # 2005 with one of its two 〇 dropped
        ("二O二五年十一月三日", "二〇二五年十一月三日"),  # Latin O
        ("二0二四年一月", "二〇二四年一月"),  # digit zero
        ("一九九○年五月", "一九九〇年五月"),  # ○ U+25CB
        ("二二五年 十一月", "二〇二五年 十一月"),
        ("二二五年十一月，二二六年二月", "二〇二五年十一月，二〇二六年二月"),
    ],
)
def test_dropped_or_misread_ling_is_restored_in_a_dated_year(read, meant):
    assert restore_ling(read) == meant


@pytest.mark.parametrize(
    "text",
    [
        "二〇二五年十一月三日",  # already right
        "二零二五年十一月三日",  # 零 is a legitimate (if informal) spelling: left as written
        "2025年11月3日",
        "人民币二二五万元",  # an amount, no 年
        "二二五年",  # no month follows: cannot tell a year from a count
        "二三年以后",  # 'two or three years'
        "二二五年以上有期徒刑",
        "十二三年十月",  # part of a larger numeral
        "第二二五年十月",  # an ordinal
        "一二三年十月",  # does not start like a 20xx year
        "二十二年十月",
        "二二五年十日",  # 十日 is a day, not a month
        "房号2O25年",  # Latin digits around: not a Chinese-numeral year
        "二OO0年十月",  # fewer than two real Chinese numerals
    ],
)
def test_no_false_positives(text):
    assert restore_ling(text) == text


def test_year_ending_a_line_sees_the_month_on_the_next_line():
    lines = ["本判决于二二五年", "十一月三日作出。", "审判员二二五年"]
    assert restore_ling_in_lines(lines) == ["本判决于二〇二五年", "十一月三日作出。", "审判员二二五年"]


def test_lines_without_a_year_are_returned_unchanged():
    lines = ["原告张三", "被告李四"]
    assert restore_ling_in_lines(lines) == lines
    assert restore_ling_in_lines([]) == []
