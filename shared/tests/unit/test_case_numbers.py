import pytest
from juanzong_shared.case_numbers import MAX_LENGTH, case_number_shape_error

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["（2026）吉01民终1001号", "(2025)吉0102民初2345号", "（2024）吉71行初8号", "（2026）吉执12号"])
def test_real_case_numbers_have_the_shape(text):
    assert case_number_shape_error(text) is None


@pytest.mark.parametrize("text, words", [
    ("x\x00y", "收案年度"),
    ("（2026）吉01民终1001号\u202e", "收案年度"),
    ("（2026）吉01民终\u200b1001号", "收案年度"),
    ("2026吉01民终1001号", "收案年度"),
    ("（2026）吉01民终号", "收案年度"),
    ("../../etc/passwd", "收案年度"),
    ("（2026）吉01民终" + "1" * 60 + "号", f"最多 {MAX_LENGTH}"),
])
def test_impossible_case_numbers_are_refused_with_a_reason(text, words):
    reason = case_number_shape_error(text)
    assert reason is not None and words in reason


@pytest.mark.parametrize("text, court", [("（2026）吉01民终1001号", "吉01"), ("(2025)吉0102民初2345号", "吉0102"),
                                         ("（2026）吉执12号", "吉"), ("吉01民终1号", None)])
def test_court_code_of(text, court):
    from juanzong_shared.case_numbers import court_code_of

    assert court_code_of(text) == court
