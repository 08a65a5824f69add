"""The lexical 案号 value object every service reads case numbers with."""

import pytest
from juanzong_shared.case_numbers import CaseNumber, InvalidCaseNumber

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "court", "type_code", "serial", "canonical"), [
    ("（2026）吉01民终1001号", "吉01", "民终", "1001", "（2026）吉01民终1001号"),
    ("(2026)吉0102民初5号", "吉0102", "民初", "5", "（2026）吉0102民初5号"),
    ("（2020）吉民终1号", "吉", "民终", "1", "（2020）吉民终1号"),          # a high court: the province alone
    ("（2020）最高法民申3号", "最高法", "民申", "3", "（2020）最高法民申3号"),
    ("（2020）吉01刑核00000012号", "吉01", "刑核", "00000012", "（2020）吉01刑核00000012号"),  # padding kept
    ("（2021）吉01知民初7号", "吉01", "知民初", "7", "（2021）吉01知民初7号"),
])
def test_parts_and_canonical_text(text, court, type_code, serial, canonical):
    number = CaseNumber.parse(text)
    assert (number.court, number.type_code, number.serial) == (court, type_code, serial)
    assert str(number) == canonical
    assert CaseNumber.parse(str(number)) == number


def test_procedure_and_province():
    number = CaseNumber.parse("（2026）吉01民终1001号")
    assert (number.year, number.province, number.procedure, number.number) == (2026, "吉", "终", 1001)


@pytest.mark.parametrize("text", ["", "吉01民终1号", "（2026）吉01民终号", "（26）吉01民终1号", "（2026）01民终1号",
                                  "（2026）吉01民终1号\u202e", "（2026）吉01民终" + "1" * 60 + "号"])
def test_what_is_not_a_case_number(text):
    assert CaseNumber.read(text) is None
    with pytest.raises(InvalidCaseNumber) as refused:
        CaseNumber.parse(text, field="original_case_numbers[0]")
    assert refused.value.field == "original_case_numbers[0]" and refused.value.kind == "invalid"
