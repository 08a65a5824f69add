"""Paper borrowing, 吉高法〔2020〕11号 第八条 (and 第四条(一)5 for lending and taking back)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from juanzong_access_control.domain import borrowing as bw
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.borrowing import BorrowingKind as K
from juanzong_access_control.domain.borrowing import BorrowingRefused, PaperMaterial

pytestmark = pytest.mark.unit

ORIG = [PaperMaterial.ORIGINAL_TRIAL_ARCHIVE]
CUR = [PaperMaterial.CURRENT_CASE_MATERIALS]
BOTH = [*ORIG, *CUR]


def request(
    people,
    case,
    now,
    kind=K.ORIGINAL_TRIAL_PAPER,
    *,
    bid="b-1",
    who=None,
    materials=None,
    days=5,
    history=(),
    **kw,
):
    if materials is None:
        materials = {K.ORIGINAL_TRIAL_PAPER: ORIG, K.CURRENT_CASE_PAPER: CUR}.get(kind, BOTH)
    return bw.request_borrowing(
        bid, kind, case, who or people.judge, materials, days, "核对证据", now, history, **kw
    )


def lent(people, case, now, kind=K.ORIGINAL_TRIAL_PAPER, approver=None, **kw):
    b, _ = request(people, case, now, kind, **kw)
    approver = (
        approver
        or {
            K.ORIGINAL_TRIAL_PAPER: people.leader,
            K.CURRENT_CASE_PAPER: people.head,
            K.VERIFICATION: people.leader,
            K.EMERGENCY: people.presiding,
        }[kind]
    )
    b, _ = bw.approve_borrowing(b, approver, case, kw.get("history", ()), now)
    b, _ = bw.hand_over(b, people.filing, now)
    return b


# -- 第八条(一) 原审纸质档案 ---------------------------------------------------------------------------
def test_third_original_borrowing_refused_第八条(people, case_factory, now):
    case = case_factory()
    first = lent(people, case, now, bid="b-1")
    first, _ = bw.return_borrowing(first, people.filing, now + timedelta(days=3))
    second = lent(people, case, now, bid="b-2", history=[first])
    with pytest.raises(BorrowingRefused) as exc:
        request(people, case, now, bid="b-3", history=[first, second])
    assert exc.value.rule == rules.ART8_1
    assert "第八条" in str(exc.value) and "2次" in exc.value.reason_zh
    # the count is per case: another case still may borrow
    request(people, case_factory(case_id="（2026）吉民终13号"), now, bid="b-4", history=[first, second])


def test_31_day_original_borrowing_refused_第八条(people, case_factory, now):
    case = case_factory()
    with pytest.raises(BorrowingRefused) as exc:
        request(people, case, now, days=31)
    assert exc.value.rule == rules.ART8_1 and "30天" in exc.value.reason_zh
    b, _ = request(people, case, now, days=30)
    assert b.days == 30


def test_original_borrowing_needs_supervising_leader_第八条(people, case_factory, now):
    case = case_factory()
    b, ev = request(people, case, now)
    assert ev.approver_role.value == "supervising_leader"
    for wrong in (people.head, people.presiding, people.other_leader, people.lower_leader):
        with pytest.raises(BorrowingRefused, match="分管民一庭的院领导"):
            bw.approve_borrowing(b, wrong, case, [], now)
    b, ev = bw.approve_borrowing(b, people.leader, case, [], now)
    assert b.status is bw.BorrowingStatus.APPROVED and isinstance(ev, bw.BorrowingApproved)


def test_pending_requests_count_and_denied_ones_do_not_第八条(people, case_factory, now):
    case = case_factory()
    p1, _ = request(people, case, now, bid="p-1")
    p2, _ = request(people, case, now, bid="p-2", history=[p1])
    with pytest.raises(BorrowingRefused):
        request(people, case, now, bid="p-3", history=[p1, p2])
    d1, _ = bw.deny_borrowing(p1, people.leader, case, "线上可阅", now)
    request(people, case, now, bid="p-3", history=[d1, p2])


def test_approval_rechecks_the_count_第八条(people, case_factory, now):
    # three requests raced in before any was approved
    case = case_factory()
    reqs = [request(people, case, now, bid=f"r-{i}")[0] for i in range(3)]
    a0, _ = bw.approve_borrowing(reqs[0], people.leader, case, reqs, now)
    a1, _ = bw.approve_borrowing(reqs[1], people.leader, case, [a0, *reqs[1:]], now)
    with pytest.raises(BorrowingRefused) as exc:
        bw.approve_borrowing(reqs[2], people.leader, case, [a0, a1, reqs[2]], now)
    assert exc.value.rule == rules.ART8_1


# -- 第八条(二) 本案纸质诉讼材料 -------------------------------------------------------------------------
def test_current_case_paper_limited_to_10_days_第八条(people, case_factory, now):
    case = case_factory()
    with pytest.raises(BorrowingRefused) as exc:
        request(people, case, now, K.CURRENT_CASE_PAPER, days=11)
    assert exc.value.rule == rules.ART8_2 and "10天" in exc.value.reason_zh
    request(people, case, now, K.CURRENT_CASE_PAPER, days=10)


def test_third_current_case_borrowing_refused_第八条(people, case_factory, now):
    case = case_factory()
    one = lent(people, case, now, K.CURRENT_CASE_PAPER, bid="c-1")
    two = lent(people, case, now, K.CURRENT_CASE_PAPER, bid="c-2", history=[one])
    with pytest.raises(BorrowingRefused) as exc:
        request(people, case, now, K.CURRENT_CASE_PAPER, bid="c-3", history=[one, two])
    assert exc.value.rule == rules.ART8_2
    # 原审 borrowings are counted apart
    request(people, case, now, K.ORIGINAL_TRIAL_PAPER, bid="o-1", history=[one, two])


def test_current_case_paper_needs_department_head_第八条(people, case_factory, now):
    case = case_factory()
    b, _ = request(people, case, now, K.CURRENT_CASE_PAPER)
    for wrong in (people.leader, people.other_head, people.presiding):
        with pytest.raises(BorrowingRefused, match="部门负责人"):
            bw.approve_borrowing(b, wrong, case, [], now)
    bw.approve_borrowing(b, people.head, case, [], now)


def test_head_cannot_approve_own_borrowing_第八条(people, case_factory, now, person_factory):
    from juanzong_access_control.domain.identities import Role

    case = case_factory(panel=case_factory().panel.model_copy(update={"members": frozenset({"u-head"})}))
    b, _ = request(people, case, now, K.CURRENT_CASE_PAPER, who=people.head)
    with pytest.raises(BorrowingRefused):
        bw.approve_borrowing(b, people.head, case, [], now)
    deputy = person_factory("u-deputy", Role.DEPARTMENT_HEAD)
    bw.approve_borrowing(b, deputy, case, [], now)


def test_kind_fixes_the_materials_第八条(people, case_factory, now):
    with pytest.raises(BorrowingRefused, match="本案纸质诉讼材料"):
        request(people, case_factory(), now, K.CURRENT_CASE_PAPER, materials=ORIG)


def test_borrower_must_be_a_judge_of_the_case_第八条(people, case_factory, now):
    case = case_factory()
    for who in (people.assistant, people.outsider, people.lower_judge):
        with pytest.raises(BorrowingRefused):
            request(people, case, now, who=who)


# -- 第八条(三) 紧急情形 ------------------------------------------------------------------------------
def emergency(people, case, now, **kw):
    return request(
        people,
        case,
        now,
        K.EMERGENCY,
        session=bw.SessionKind.HEARING,
        cause_zh="庭审系统网络中断",
        days=1,
        **kw,
    )


def test_emergency_borrowing_by_presiding_judge_during_session_第八条(people, case_factory, now):
    case = case_factory()
    with pytest.raises(BorrowingRefused) as exc:
        request(people, case, now, K.EMERGENCY, days=1)  # no session, no cause
    assert exc.value.rule == rules.ART8_3
    b, _ = emergency(people, case, now, who=people.assistant)  # the whole case team may fetch it
    with pytest.raises(BorrowingRefused, match="审判长"):
        bw.approve_borrowing(b, people.head, case, [], now)
    b, _ = bw.approve_borrowing(b, people.presiding, case, [], now)
    assert b.explanation_due_at == now + bw.DEFAULT_POLICY.explanation_within
    # the presiding judge may approve their own emergency borrowing: the rule lets them act at once
    own, _ = emergency(people, case, now, who=people.presiding, bid="b-own")
    bw.approve_borrowing(own, people.presiding, case, [], now)


def test_emergency_needs_a_presiding_judge_第八条(people, case_factory, now):
    case = case_factory(panel=case_factory().panel.model_copy(update={"presiding_judge": None}))
    with pytest.raises(BorrowingRefused, match="审判长"):
        emergency(people, case, now)


def test_emergency_explanation_chased_until_given_第八条(people, case_factory, now):
    case = case_factory()
    b = lent(
        people, case, now, K.EMERGENCY, session=bw.SessionKind.DELIBERATION, cause_zh="合议系统故障", days=1
    )
    cases = {case.case_id: case}
    due = b.explanation_due_at
    assert bw.chase_explanations([b], cases, due) == []
    t1 = due + timedelta(minutes=1)
    [(b, ev)] = bw.chase_explanations([b], cases, t1)
    assert (
        isinstance(ev, bw.EmergencyExplanationChased)
        and ev.chase == 1
        and ev.presiding_judge_id == "u-presiding"
    )
    assert bw.chase_explanations([b], cases, t1 + timedelta(hours=2)) == []  # not more than once a day
    [(b, ev)] = bw.chase_explanations([b], cases, t1 + timedelta(days=1))
    assert ev.chase == 2
    b, _ = bw.return_borrowing(b, people.filing, t1 + timedelta(days=1))
    [(b, ev)] = bw.chase_explanations([b], cases, t1 + timedelta(days=2))  # returning is not explaining
    assert ev.chase == 3
    with pytest.raises(BorrowingRefused):
        bw.explain_emergency(b, people.outsider, case, "网络中断", t1)
    with pytest.raises(BorrowingRefused):
        bw.explain_emergency(b, people.judge, case, "  ", t1)
    b, ev = bw.explain_emergency(
        b, people.judge, case, "庭审中网络中断，经审判长批准借阅原件", t1 + timedelta(days=3)
    )
    assert isinstance(ev, bw.EmergencyExplanationGiven)
    assert bw.chase_explanations([b], cases, t1 + timedelta(days=9)) == []


def test_emergency_days_capped_by_house_setting(people, case_factory, now):
    with pytest.raises(BorrowingRefused, match="本院设置"):
        request(
            people,
            case_factory(),
            now,
            K.EMERGENCY,
            session=bw.SessionKind.HEARING,
            cause_zh="断网",
            days=bw.DEFAULT_POLICY.emergency_max_days + 1,
        )


# -- 第八条(四) 核对原件、鉴定 ------------------------------------------------------------------------
def test_verification_borrowing_needs_leader_and_purpose_第八条(people, case_factory, now):
    case = case_factory()
    with pytest.raises(BorrowingRefused) as exc:
        request(people, case, now, K.VERIFICATION)
    assert exc.value.rule == rules.ART8_4
    b, _ = request(
        people, case, now, K.VERIFICATION, verification_purpose=bw.VerificationPurpose.APPRAISAL, days=45
    )
    with pytest.raises(BorrowingRefused):
        bw.approve_borrowing(b, people.head, case, [], now)
    b, _ = bw.approve_borrowing(b, people.leader, case, [], now)
    assert b.explanation_due_at is None


def test_verification_not_counted_against_original_limit_第八条(people, case_factory, now):
    case = case_factory()
    history = [lent(people, case, now, bid=f"o-{i}") for i in range(2)]
    request(
        people,
        case,
        now,
        K.VERIFICATION,
        bid="v-1",
        history=history,
        verification_purpose=bw.VerificationPurpose.CHECK_ORIGINAL,
    )


# -- lending, returning, overdue (第四条(一)5) ---------------------------------------------------------
def test_due_date_runs_from_hand_over_and_overdue_notices(people, case_factory, now):
    case = case_factory()
    b, _ = request(people, case, now, days=30)
    b, _ = bw.approve_borrowing(b, people.leader, case, [], now)
    with pytest.raises(BorrowingRefused) as exc:
        bw.hand_over(b, people.judge, now)
    assert exc.value.rule == rules.ART4_1_5
    handed = now + timedelta(days=1)
    b, ev = bw.hand_over(b, people.filing, handed)
    assert b.due_at == handed + timedelta(days=30) and ev.due_at == b.due_at

    assert not b.is_overdue(b.due_at)
    assert bw.overdue_notices([b], b.due_at) == []
    late = b.due_at + timedelta(hours=1)
    [(b, ev)] = bw.overdue_notices([b], late)
    assert isinstance(ev, bw.BorrowingOverdue) and ev.notice == 1
    assert bw.overdue_notices([b], late + timedelta(hours=1)) == []
    [(b, ev)] = bw.overdue_notices([b], late + timedelta(days=1))
    assert ev.notice == 2

    b, ev = bw.return_borrowing(b, people.filing, late + timedelta(days=2))
    assert ev.late and b.status is bw.BorrowingStatus.RETURNED
    assert bw.overdue_notices([b], late + timedelta(days=5)) == []


def test_return_on_time_is_not_late_and_only_once(people, case_factory, now):
    case = case_factory()
    b = lent(people, case, now, K.CURRENT_CASE_PAPER, days=10)
    b, ev = bw.return_borrowing(b, people.filing, now + timedelta(days=10))
    assert not ev.late
    with pytest.raises(BorrowingRefused):
        bw.return_borrowing(b, people.filing, now + timedelta(days=11))


def test_unapproved_borrowing_cannot_be_handed_over(people, case_factory, now):
    b, _ = request(people, case_factory(), now)
    with pytest.raises(BorrowingRefused):
        bw.hand_over(b, people.filing, now)
