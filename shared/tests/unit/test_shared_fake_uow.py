"""The unit-of-work fake behaves like the real one where service-layer tests rely on it."""

import pytest
from juanzong_shared.events.intake import CaseClosed
from juanzong_shared.outbox import AlreadyProcessed
from juanzong_shared.testing import FakeUnitOfWork

pytestmark = pytest.mark.unit


class Repos:
    def __init__(self) -> None:
        self.rows: dict[str, int] = {}


def _closed() -> CaseClosed:
    fields = CaseClosed.model_json_schema()["required"]
    sample = {"case_number": "（2026）吉01民终1001号", "closed_at": "2026-12-07T08:00:00Z", "result": "判决",
              "by": "judge"}
    return CaseClosed.model_validate({k: sample.get(k, "x") for k in fields})


async def test_commit_publishes_and_rollback_restores():
    uow = FakeUnitOfWork(Repos())
    async with uow:
        uow.repos.rows["a"] = 1
        uow.emit(_closed(), case_number="（2026）吉01民终1001号")
    with pytest.raises(RuntimeError):
        async with uow:
            uow.repos.rows["b"] = 2
            uow.emit(_closed())
            raise RuntimeError("boom")
    assert uow.repos.rows == {"a": 1}
    assert uow.published_types() == ["case.closed"]
    with pytest.raises(TypeError):
        uow.emit({"case_number": "x"})


async def test_a_message_handled_once_is_refused_the_second_time():
    uow = FakeUnitOfWork(Repos())
    async with uow:
        uow.mark_processed("q:1")
    with pytest.raises(AlreadyProcessed):
        async with uow:
            uow.mark_processed("q:1")
    with pytest.raises(RuntimeError):  # a unit that failed leaves no ledger entry: the redelivery is handled
        async with uow:
            uow.mark_processed("q:2")
            raise RuntimeError("boom")
    async with uow:
        uow.mark_processed("q:2")


def test_every_refusal_kind_has_a_status_and_keeps_its_headers():
    from juanzong_shared import errors
    from juanzong_shared.app import STATUS_OF_KIND, problem_of

    kinds = {cls.kind for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, errors.DomainError)}
    assert kinds <= set(STATUS_OF_KIND)
    problem = problem_of(errors.TooMany("username", "登录尝试过多", headers={"Retry-After": "30"}, rule="login-limit"))
    assert (problem.status, problem.headers, problem.extra["rule"]) == (429, {"Retry-After": "30"}, "login-limit")
    assert [(e.field, e.reason) for e in problem.errors] == [("username", "登录尝试过多")]
    assert problem_of(errors.Unauthenticated("", "令牌无效")).headers == {"WWW-Authenticate": "Bearer"}
