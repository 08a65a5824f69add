"""The close-to-archive state machine (吉高法〔2020〕11号 第三条(六)-(九), 第五条(四)-(七), 第七条)."""

import datetime as dt

import pytest
from juanzong_archive.domain.workflow import (
    Actor,
    ArchiveState,
    NotResponsiblePerson,
    ReasonsRequired,
    Responsibles,
    RoleNotAllowed,
    Step,
    StepNotAllowed,
    allowed_steps,
    archive_due,
    decide,
    timeline,
)

pytestmark = pytest.mark.unit

AT = dt.datetime(2025, 6, 3, 2, 0, tzinfo=dt.UTC)
CLERK = Actor(subject="u-clerk", roles=("clerk",))
JUDGE = Actor(subject="u-judge", roles=("judge",))
CENTRE = Actor(subject="u-centre", roles=("filing_division_staff",))
OFFICE = Actor(subject="u-office", roles=("archives_office_staff",))


def walk(state, step, actor, reasons=()):
    return decide(state, step, actor, reasons, at=AT).to_state


def test_happy_path_from_closing_to_archived():
    """第三条(六)-(九): 立卷 → 确认 → 核查 → 组卷质检 → 转换 → 审核归档."""
    s = ArchiveState.CLOSED
    for step, actor in ((Step.SUBMIT, CLERK), (Step.CONFIRM, JUDGE), (Step.PASS_REVIEW, CENTRE),
                        (Step.COMPILE, CENTRE), (Step.CONVERT, CENTRE), (Step.PASS_AUDIT, OFFICE)):
        s = walk(s, step, actor)
    assert s is ArchiveState.ARCHIVED
    assert allowed_steps(s) == []


def test_review_return_goes_back_to_the_judge_with_reasons():
    """第三条(七): 核查不合格的，应注明原因，退回法官 … 经法官再次审核确认后，转入辅助中心."""
    with pytest.raises(ReasonsRequired):
        decide(ArchiveState.FILING_CONFIRMED, Step.RETURN_REVIEW, CENTRE, ["  "], at=AT)
    entry = decide(ArchiveState.FILING_CONFIRMED, Step.RETURN_REVIEW, CENTRE, ["缺第3页"], at=AT)
    assert entry.to_state is ArchiveState.REVIEW_RETURNED and entry.reasons == ("缺第3页",)
    assert set(allowed_steps(ArchiveState.REVIEW_RETURNED)) == {Step.SUBMIT, Step.CONFIRM}
    assert walk(ArchiveState.REVIEW_RETURNED, Step.CONFIRM, JUDGE) is ArchiveState.FILING_CONFIRMED


def test_audit_return_goes_back_to_the_centre():
    """第三条(九)/第五条(七): 审核不合格的，应注明原因，退回立案庭智能办案辅助中心."""
    assert walk(ArchiveState.CONVERTED, Step.RETURN_AUDIT, OFFICE, ["备考表未签字"]) is ArchiveState.AUDIT_RETURNED
    assert allowed_steps(ArchiveState.AUDIT_RETURNED) == [Step.COMPILE]


def test_illegal_step_names_the_allowed_ones():
    with pytest.raises(StepNotAllowed) as error:
        decide(ArchiveState.CLOSED, Step.CONVERT, CENTRE, at=AT)
    assert error.value.allowed == [Step.SUBMIT]
    assert "结案立卷（submit）" in error.value.message
    with pytest.raises(StepNotAllowed) as none:
        decide(None, Step.SUBMIT, CLERK, at=AT)
    assert none.value.allowed == []


def test_roles_and_responsible_persons():
    """第三条(六): 立卷责任人为法官助理（书记员），审核责任人为承办法官."""
    with pytest.raises(RoleNotAllowed):
        decide(ArchiveState.CLOSED, Step.SUBMIT, JUDGE, at=AT)
    with pytest.raises(RoleNotAllowed):
        decide(ArchiveState.CONVERTED, Step.PASS_AUDIT, CENTRE, at=AT)
    people = Responsibles(filers=frozenset({"u-clerk"}), undertaking_judges=frozenset({"u-judge"}))
    with pytest.raises(NotResponsiblePerson):
        decide(ArchiveState.FILING_SUBMITTED, Step.CONFIRM, Actor(subject="u-x", roles=("judge",)), at=AT,
               responsibles=people)
    assert decide(ArchiveState.FILING_SUBMITTED, Step.CONFIRM, JUDGE, at=AT, responsibles=people).role == "judge"


def test_one_natural_month_from_closing():
    """第七条: 从系统点击结案至系统归档完毕总时限为一个自然月."""
    assert archive_due(dt.datetime(2025, 1, 31, tzinfo=dt.UTC)) == dt.datetime(2025, 2, 28, tzinfo=dt.UTC)
    assert archive_due(dt.datetime(2025, 12, 15, tzinfo=dt.UTC)) == dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    closed = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    entry = decide(ArchiveState.CONVERTED, Step.PASS_AUDIT, OFFICE, at=dt.datetime(2025, 6, 2, tzinfo=dt.UTC))
    late = timeline(closed, [entry], dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    assert late.overdue and late.archived_at == entry.at
