"""案号 parsing: 《关于人民法院案件案号的若干规定》 第三条 (format), 第十条 (numbering)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from juanzong_intake.domain.case_number import (
    CaseNumber,
    LegacyCaseNumber,
    OriginalCaseNumber,
    case_number_key,
    normalize_text,
    parse_case_number,
    parse_original_case_number,
)
from juanzong_intake.domain.case_types import CaseCategory, CaseTypeTable, Procedure, TrialLevel
from juanzong_intake.domain.courts import CourtRegistry
from juanzong_intake.domain.errors import CaseNumberError
from pydantic import BaseModel, ValidationError

pytestmark = pytest.mark.unit

CANONICAL = "（2020）吉01民终123号"
TODAY = date(2025, 6, 1)


@pytest.mark.parametrize("text", [
    "（2020）吉01民终123号",
    "(2020)吉01民终123号",
    "（２０２０）吉０１民终１２３号",
    "(２０20)吉01民终12３号",
    " （2020） 吉01 民终 123 号 ",
    "〔2020〕吉01民终123号",
])
def test_variants_normalise_to_the_canonical_form_第三条(text: str) -> None:
    number = parse_case_number(text, today=TODAY)
    assert number.canonical == CANONICAL
    assert str(number) == CANONICAL
    assert (number.year, number.court_code, number.special_code, number.type_code, number.serial) == (
        2020, "吉01", None, "民终", 123)


@pytest.mark.parametrize(("text", "court", "special", "type_code", "serial"), [
    ("（2021）吉民申5号", "吉", None, "民申", 5),
    ("（2020）吉0102民初7号", "吉0102", None, "民初", 7),
    ("（2020）吉01知民初7号", "吉01", "知", "民初", 7),
    ("（2019）吉71行终3号", "吉71", None, "行终", 3),
    ("（2024）吉执恢2号", "吉", None, "执恢", 2),
    ("（2023）吉2401执异15号", "吉2401", None, "执异", 15),
    ("（2022）吉01民辖终40号", "吉01", None, "民辖终", 40),
    ("（2022）吉05司救民1号", "吉05", None, "司救民", 1),
    ("（2022）吉委赔监1号", "吉", None, "委赔监", 1),
])
def test_parts_are_split_by_court_and_type_tables_第三条(text: str, court: str, special: str | None,
                                                     type_code: str, serial: int) -> None:
    number = parse_case_number(text, today=TODAY)
    assert (number.court_code, number.special_code, number.type_code, number.serial) == (
        court, special, type_code, serial)
    assert parse_case_number(number.canonical, today=TODAY) == number


@pytest.mark.parametrize(("text", "part"), [
    ("", "format"),
    ("2020吉01民终123号", "format"),
    ("（2020吉01民终123号", "format"),
    ("（2020）吉01民终123", "format"),
    ("（2020）吉01民终第123号", "format"),
    ("（2020）（吉01）民终123号", "format"),
    ("（2020）吉01民终12-3号", "format"),
    ("（20）吉01民终123号", "year"),
    ("（二〇二〇）吉01民终123号", "year"),
    ("（2015）吉01民终123号", "year"),
    ("（2026）吉01民终123号", "year"),
    ("（2020）01民终123号", "court_code"),
    ("（2020）吉1民终123号", "court_code"),
    ("（2020）吉012民终123号", "court_code"),
    ("（2020）吉99民终123号", "court_code"),
    ("（2020）京01民终123号", "court_code"),
    ("（2020）最高法民终123号", "court_code"),
    ("（2020）吉01民X终123号", "type_code"),
    ("（2020）吉01123号", "type_code"),
    ("（2020）吉01赔123号", "type_code"),
    ("（2020）吉01号", "type_code"),
    ("（2020）吉01民终号", "serial"),
    ("（2020）吉01民终0号", "serial"),
    ("（2020）吉01民终0123号", "serial"),
    ("（2020）吉01民终12345678号", "serial"),
    ("（2020）吉01刑核123号", "serial"),
])
def test_bad_input_names_the_bad_part(text: str, part: str) -> None:
    with pytest.raises(CaseNumberError) as caught:
        parse_case_number(text, today=TODAY)
    assert caught.value.part == part
    assert caught.value.field == f"case_number.{part}"
    assert caught.value.reason_zh  # a reason staff can read


def test_unknown_court_reason_names_the_code() -> None:
    with pytest.raises(CaseNumberError) as caught:
        parse_case_number("（2020）吉99民终1号", today=TODAY)
    assert "吉99" in caught.value.reason_zh


def test_year_cannot_be_in_the_future() -> None:
    parse_case_number("（2025）吉01民终1号", today=TODAY)
    with pytest.raises(CaseNumberError) as caught:
        parse_case_number("（2025）吉01民终1号", today=date(2024, 12, 31))
    assert caught.value.part == "year"


def test_criminal_review_serial_has_eight_digits_第十条() -> None:
    number = parse_case_number("（2019）吉01刑核00012345号", today=TODAY)
    assert number.serial == 12345
    assert number.canonical == "（2019）吉01刑核00012345号"


def test_legacy_numbers_only_as_originals() -> None:
    with pytest.raises(CaseNumberError):
        parse_case_number("(2012)长民一初字第123号", today=TODAY)
    original = parse_original_case_number("(2012)长民一初字第123号", today=TODAY)
    assert isinstance(original, LegacyCaseNumber)
    assert original.canonical == "（2012）长民一初字第123号"
    assert original.year == 2012
    with pytest.raises(CaseNumberError):
        parse_original_case_number("（2017）长民一初字第123号", today=TODAY)
    assert isinstance(parse_original_case_number(CANONICAL, today=TODAY), CaseNumber)


def test_original_parse_keeps_the_current_scheme_error() -> None:
    with pytest.raises(CaseNumberError) as caught:
        parse_original_case_number("（2020）吉99民终1号", today=TODAY)
    assert caught.value.part == "court_code"


def test_a_model_field_parses_text_and_refuses_bad_numbers() -> None:
    class Holder(BaseModel):
        number: CaseNumber
        original: OriginalCaseNumber

    held = Holder(number="(2020)吉01民终123号", original="(2012)长民一初字第5号")
    assert held.number.canonical == CANONICAL
    assert isinstance(held.original, LegacyCaseNumber)
    assert Holder.model_validate_json(held.model_dump_json()) == held
    with pytest.raises(ValidationError):
        Holder(number="(2020)吉99民终123号", original="(2012)长民一初字第5号")
    with pytest.raises(ValidationError):  # parts are checked too, not just the text form
        CaseNumber.model_validate({"year": 2020, "court_code": "吉99", "type_code": "民终", "serial": 1})
    rebuilt = CaseNumber.model_validate({"year": 2020, "court_code": "吉01", "type_code": "民终", "serial": 123})
    assert rebuilt.canonical == CANONICAL


def test_case_number_key_matches_equivalent_spellings() -> None:
    assert case_number_key("(２０２０)吉01民终123号") == case_number_key(CANONICAL) == CANONICAL


def test_normalize_text_folds_width_and_brackets() -> None:
    assert normalize_text(" (２０２０) 吉０１ ") == "（2020）吉01"


@pytest.mark.parametrize(("code", "category", "procedure", "level", "needs_original"), [
    ("民初", CaseCategory.CIVIL, Procedure.FIRST_INSTANCE, TrialLevel.FIRST, False),
    ("民终", CaseCategory.CIVIL, Procedure.APPEAL, TrialLevel.SECOND, True),
    ("民申", CaseCategory.CIVIL, Procedure.RETRIAL_REVIEW, TrialLevel.RETRIAL, True),
    ("民再", CaseCategory.CIVIL, Procedure.RETRIAL, TrialLevel.RETRIAL, True),
    ("民辖终", CaseCategory.CIVIL, Procedure.JURISDICTION_APPEAL, TrialLevel.SECOND, True),
    ("行初", CaseCategory.ADMINISTRATIVE, Procedure.FIRST_INSTANCE, TrialLevel.FIRST, False),
    ("行终", CaseCategory.ADMINISTRATIVE, Procedure.APPEAL, TrialLevel.SECOND, True),
    ("行申", CaseCategory.ADMINISTRATIVE, Procedure.RETRIAL_REVIEW, TrialLevel.RETRIAL, True),
    ("刑初", CaseCategory.CRIMINAL, Procedure.FIRST_INSTANCE, TrialLevel.FIRST, False),
    ("刑终", CaseCategory.CRIMINAL, Procedure.APPEAL, TrialLevel.SECOND, True),
    ("执", CaseCategory.ENFORCEMENT, Procedure.ENFORCEMENT, TrialLevel.NONE, False),
    ("执恢", CaseCategory.ENFORCEMENT, Procedure.ENFORCEMENT, TrialLevel.NONE, False),
    ("执异", CaseCategory.ENFORCEMENT, Procedure.ENFORCEMENT_OBJECTION, TrialLevel.NONE, False),
    ("行赔终", CaseCategory.STATE_COMPENSATION, Procedure.APPEAL, TrialLevel.SECOND, True),
    ("法赔", CaseCategory.STATE_COMPENSATION, Procedure.COMPENSATION, TrialLevel.NONE, False),
    ("司救民", CaseCategory.JUDICIAL_RELIEF, Procedure.RELIEF, TrialLevel.NONE, False),
])
def test_type_table_rows_and_originals_needed_第三条(code: str, category: CaseCategory, procedure: Procedure,
                                                    level: TrialLevel, needs_original: bool) -> None:
    """吉高法〔2020〕11号 第三条(一): appeals (终) and retrials (申/再) need originals; first instance does not."""
    row = CaseTypeTable.load().get(code)
    assert (row.category, row.procedure, row.trial_level) == (category, procedure, level)
    assert row.requires_original_trial is needs_original


def test_type_table_codes_are_at_most_three_characters() -> None:
    table = CaseTypeTable.load()
    assert len(table) >= 50
    assert all(1 <= len(t.code) <= 3 for t in table)
    assert {t.category for t in table} == set(CaseCategory)


_COURTS = sorted(c.code for c in CourtRegistry.load())
_TYPES = sorted(t.code for t in CaseTypeTable.load() if t.code != "刑核")
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@settings(max_examples=150, deadline=None)
@given(year=st.integers(2016, 2025), court=st.sampled_from(_COURTS), type_code=st.sampled_from(_TYPES),
       serial=st.integers(1, 9_999_999), ascii_brackets=st.booleans(), full_width=st.booleans())
def test_any_valid_number_in_any_spelling_round_trips(year: int, court: str, type_code: str, serial: int,
                                                      ascii_brackets: bool, full_width: bool) -> None:
    canonical = f"（{year}）{court}{type_code}{serial}号"
    text = canonical.replace("（", "(").replace("）", ")") if ascii_brackets else canonical
    text = text.translate(_FULL) if full_width else text
    number = parse_case_number(text, today=TODAY)
    assert number.canonical == canonical
    assert (number.year, number.court_code, number.type_code, number.serial) == (year, court, type_code, serial)
