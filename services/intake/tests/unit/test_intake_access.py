"""Case-level decisions on intake's records (吉高法〔2020〕11号 第九条, 第十条), with a fake decider."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from juanzong_intake.domain import articles
from juanzong_intake.domain.errors import AccessRefused
from juanzong_intake.service_layer.access import (
    READ_CASE,
    UPDATE_CASE,
    CaseAccess,
    NotFound,
    case_not_found,
    task_not_found,
)
from juanzong_shared.app import problem_of as to_problem
from juanzong_shared.auth import Decision, Identity
from juanzong_shared.testing import FakeDecider

pytestmark = pytest.mark.unit

JUDGE = Identity(subject="u-judge-chen", court="吉01", roles=("judge",))
STATION = Identity(subject="station-01", court="吉01", kind="station", roles=("scanning_station",),
                   scopes=("scan:submit",))
LONG_AGO = datetime(2026, 1, 8, tzinfo=UTC)


def case_doc(key: str = "（2026）吉01民终6001号", *, secret: bool = False, registered_at: datetime = LONG_AGO,
             court: str = "吉01") -> dict:
    return {"_id": key, "case_number": key, "court": court, "secret": secret, "registered_at": registered_at}


def access(decider, identity: Identity = JUDGE, **kw) -> CaseAccess:
    async def no_sleep(_: float) -> None:
        return None

    return CaseAccess(decider, identity, sleep=no_sleep, **kw)


def deny_all() -> FakeDecider:
    return FakeDecider(lambda identity, action, case_number: False)


async def test_a_refused_secret_case_is_not_found_exactly_as_an_unknown_one_第十条():
    doc = case_doc(secret=True)
    with pytest.raises(NotFound) as hidden:
        await access(deny_all()).require(READ_CASE, doc)
    unknown = case_not_found(doc["_id"])
    assert to_problem(hidden.value).body() == to_problem(unknown).body()


async def test_a_refused_ordinary_case_is_403_naming_the_rule():
    with pytest.raises(AccessRefused) as refused:
        await access(deny_all()).require(READ_CASE, case_doc())
    assert to_problem(refused.value).status == 403 and refused.value.extra["rule"] == "吉高法〔2020〕11号 第九条"


async def test_a_change_refused_to_someone_who_may_read_the_secret_case_is_403():
    """Its 立案庭 may read a 涉密 case: a refused change is then a plain 403, not an invisible case."""
    reader = FakeDecider(lambda identity, action, case_number: action == READ_CASE)
    with pytest.raises(AccessRefused) as refused:
        await access(reader).require(UPDATE_CASE, case_doc(secret=True))
    assert to_problem(refused.value).status == 403
    assert reader.asked == [("u-judge-chen", UPDATE_CASE, "（2026）吉01民终6001号"),
                            ("u-judge-chen", READ_CASE, "（2026）吉01民终6001号")]


class Late:
    """access-control has not yet heard of the case: no for the first ``misses`` questions, then yes."""

    def __init__(self, misses: int) -> None:
        self.misses, self.asked = misses, 0

    async def decide(self, identity, action, case_number, *, resource=None) -> Decision:
        self.asked += 1
        return Decision(allowed=self.asked > self.misses, reason="未登记" if self.asked <= self.misses else "ok",
                        rule="吉高法〔2020〕11号 第九条")


async def test_a_case_registered_moments_ago_is_asked_again_until_access_control_knows_it():
    late = Late(misses=2)
    decision = await access(late).require(UPDATE_CASE, case_doc(registered_at=datetime.now(UTC)))
    assert decision.allowed and late.asked == 3


async def test_an_older_case_is_not_asked_again():
    late = Late(misses=1)
    with pytest.raises(AccessRefused):
        await access(late).require(UPDATE_CASE, case_doc(registered_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert late.asked == 1


async def test_lists_ask_once_per_case_and_keep_only_the_readable():
    decider = FakeDecider(lambda identity, action, case_number: case_number.endswith("1号"))
    docs = [case_doc("（2026）吉01民终1号"), case_doc("（2026）吉01民终2号"), case_doc("（2026）吉01民终1号")]
    assert await access(decider).readable(docs) == [True, False, True]
    assert len(decider.asked) == 2


async def test_a_station_sees_the_tasks_of_its_own_courts_cases_only_第四条一3():
    gate = access(deny_all(), STATION)
    await gate.require_tasks(case_doc())  # it scans them
    with pytest.raises(AccessRefused) as other_court:
        await gate.require_tasks(case_doc(court="吉02"))
    assert to_problem(other_court.value).status == 403 and other_court.value.extra["rule"] == articles.ART4_1_3
    with pytest.raises(NotFound) as secret:
        await gate.require_tasks(case_doc(secret=True), task_id="ST-1")
    assert to_problem(secret.value).body() == to_problem(task_not_found("ST-1")).body()
    without_scope = access(deny_all(), STATION.model_copy(update={"scopes": ()}))
    with pytest.raises(AccessRefused):
        await without_scope.require_tasks(case_doc())


async def test_a_station_never_reads_the_case_record():
    """The case record (parties, panel) is ``read_case``; access-control refuses it to stations."""
    with pytest.raises(AccessRefused) as refused:
        await access(deny_all(), STATION).require(READ_CASE, case_doc())
    assert to_problem(refused.value).status == 403
