"""Factories for intake's domain tests: cases, panels and times with overrides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from juanzong_intake.domain.case import Case, Panel, Party, PartyKind, PartyRole

T0 = datetime(2020, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def t0() -> datetime:
    return T0


@pytest.fixture
def make_case() -> Callable[..., Case]:
    """An appeal at 长春中院 from 南关区法院 unless overridden."""

    def factory(**overrides: Any) -> Case:
        data: dict[str, Any] = {
            "case_number": "（2020）吉01民终123号",
            "filed_on": date(2020, 3, 1),
            "cause": "买卖合同纠纷",
            "department": "民一庭",
            "parties": (
                Party(name="张三", role=PartyRole.APPELLANT),
                Party(name="长春某贸易有限公司", role=PartyRole.APPELLEE, kind=PartyKind.LEGAL_PERSON),
            ),
            "panel": Panel(undertaking_judge="j1", presiding_judge="j2", members=frozenset({"j1", "j2", "j3"}),
                           judge_assistants=frozenset({"a1"}), clerks=frozenset({"c1"})),
            "original_case_numbers": ("（2019）吉0102民初88号",),
        }
        data.update(overrides)
        return Case.model_validate(data)

    return factory
