"""Courts of Jilin and their 法院代字 (《关于人民法院案件案号的若干规定》: court codes)."""

from __future__ import annotations

import json

import pytest
from juanzong_intake.domain.courts import CourtKind, CourtLevel, CourtRegistry
from juanzong_intake.domain.errors import DataFileError, UnknownCourt

pytestmark = pytest.mark.unit

INTERMEDIATE = {"吉01": "长春", "吉02": "吉林市", "吉03": "四平", "吉04": "辽源", "吉05": "通化", "吉06": "白山",
                "吉07": "松原", "吉08": "白城", "吉24": "延边"}


@pytest.fixture(scope="module")
def courts() -> CourtRegistry:
    return CourtRegistry.load()


def test_load_is_done_once() -> None:
    assert CourtRegistry.load() is CourtRegistry.load()


def test_high_court_and_every_intermediate_court(courts: CourtRegistry) -> None:
    high = courts.get("吉")
    assert high.level is CourtLevel.HIGH and high.parent is None
    for code, city in INTERMEDIATE.items():
        court = courts.get(code)
        assert city in court.name, code
        assert court.level is CourtLevel.INTERMEDIATE and court.parent == "吉"
    railway = courts.get("吉71")
    assert railway.kind is CourtKind.RAILWAY and railway.name == "长春铁路运输中级法院"
    assert {c.code for c in courts.children("吉")} == set(INTERMEDIATE) | {"吉71"}


def test_changchun_basic_courts(courts: CourtRegistry) -> None:
    nanguan = courts.get("吉0102")
    assert "南关区" in nanguan.name and nanguan.level is CourtLevel.BASIC and nanguan.parent == "吉01"
    kids = {c.code for c in courts.children("吉01")}
    assert {"吉0102", "吉0103", "吉0104", "吉0105", "吉0106", "吉0112", "吉0113", "吉0122", "吉0182",
            "吉0183", "吉0184"} == kids
    assert "吉0202" not in kids


def test_every_intermediate_court_has_basic_courts(courts: CourtRegistry) -> None:
    for code in INTERMEDIATE:
        assert courts.children(code), code
        assert all(c.level is CourtLevel.BASIC for c in courts.children(code))


def test_ordinary_codes_follow_the_division_codes(courts: CourtRegistry) -> None:
    """Local courts' digits are the last digits of the administrative division code."""
    for court in courts:
        if court.kind is CourtKind.ORDINARY and court.level is not CourtLevel.HIGH:
            digits = court.code.removeprefix("吉")
            assert court.division_code is not None
            assert court.division_code.startswith("22")
            assert court.division_code[2:2 + len(digits)] == digits, court.code
            if court.level is CourtLevel.BASIC and court.active:
                assert court.code.startswith(court.parent or "?"), court.code


def test_superseded_code_stays_known_for_old_numbers(courts: CourtRegistry) -> None:
    old = courts.get("吉0381")
    assert not old.active and old.superseded_by == "吉0184"
    assert courts.get("吉0184").active


@pytest.mark.parametrize(("a", "b", "direct", "expected"), [
    ("吉", "吉0102", False, True),
    ("吉", "吉0102", True, False),
    ("吉01", "吉0102", True, True),
    ("吉", "吉01", True, True),
    ("吉0102", "吉01", False, False),
    ("吉02", "吉0102", False, False),
    ("吉01", "吉01", False, False),
    ("吉71", "吉7101", True, True),
])
def test_is_superior(courts: CourtRegistry, a: str, b: str, direct: bool, expected: bool) -> None:
    assert courts.is_superior(a, b, direct=direct) is expected


def test_unknown_codes_raise(courts: CourtRegistry) -> None:
    with pytest.raises(UnknownCourt) as caught:
        courts.get("吉99")
    assert "吉99" in caught.value.reason_zh
    with pytest.raises(UnknownCourt):
        courts.is_superior("吉", "吉99")
    with pytest.raises(UnknownCourt):
        courts.children("京")
    assert courts.find("吉99") is None and "吉99" not in courts


def _registry(*courts: dict[str, object]) -> CourtRegistry:
    return CourtRegistry.from_json(json.dumps({"courts": list(courts)}, ensure_ascii=False))


def test_bad_data_is_refused() -> None:
    high = {"code": "吉", "name": "高院", "short_name": "高院", "level": "high"}
    with pytest.raises(DataFileError):
        _registry(high, high)
    with pytest.raises(DataFileError):
        _registry(high, {"code": "吉01", "name": "中院", "short_name": "中院", "level": "intermediate",
                         "parent": "吉09"})
    with pytest.raises(DataFileError):
        _registry({"code": "吉01", "name": "a", "short_name": "a", "level": "intermediate", "parent": "吉02"},
                  {"code": "吉02", "name": "b", "short_name": "b", "level": "intermediate", "parent": "吉01"})
    with pytest.raises(DataFileError):
        _registry({"code": "吉", "name": "高院", "short_name": "高院", "level": "nonsense"})
