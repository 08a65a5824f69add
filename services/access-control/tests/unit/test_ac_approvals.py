"""Access requests and their approval chain, 吉高法〔2020〕11号 第九条."""

from __future__ import annotations

from datetime import timedelta

import pytest
from juanzong_access_control.domain import approvals as ap
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.cases import Action
from juanzong_access_control.domain.grants import ApprovalStep, GrantBasis
from juanzong_access_control.domain.policy import decide

pytestmark = pytest.mark.unit

READS = (Action.READ_PAGES, Action.READ_TEXT)


def open_for_outsider(people, case, now, **kw):
    return ap.open_request("r-1", people.outsider, case, READS, "审查关联案件", now, **kw)


def test_chain_runs_judge_then_head_then_leader_第九条(people, case_factory, now):
    case = case_factory()
    req, ev = open_for_outsider(people, case, now)
    assert isinstance(ev, ap.AccessRequested)
    assert ev.steps == (
        ApprovalStep.UNDERTAKING_JUDGE,
        ApprovalStep.DEPARTMENT_HEAD,
        ApprovalStep.SUPERVISING_LEADER,
    )
    assert req.route.rule == rules.ART9_2

    with pytest.raises(ap.ApprovalRefused) as out_of_turn:
        ap.approve(req, people.head, now)
    assert out_of_turn.value.next_step is ApprovalStep.UNDERTAKING_JUDGE
    assert "承办法官（u-judge）" in str(out_of_turn.value)

    req, ev = ap.approve(req, people.judge, now)
    assert isinstance(ev, ap.AccessStepApproved) and ev.next_step is ApprovalStep.DEPARTMENT_HEAD

    with pytest.raises(ap.ApprovalRefused) as leader_too_early:
        ap.approve(req, people.leader, now)
    assert leader_too_early.value.next_step is ApprovalStep.DEPARTMENT_HEAD
    assert "部门负责人" in str(leader_too_early.value)

    req, ev = ap.approve(req, people.head, now + timedelta(hours=1))
    assert ev.next_step is ApprovalStep.SUPERVISING_LEADER
    assert not decide(people.outsider, Action.READ_PAGES, case, [], now).allowed

    req, ev = ap.approve(req, people.leader, now + timedelta(hours=2))
    assert isinstance(ev, ap.AccessGranted) and req.status is ap.RequestStatus.APPROVED
    grant = ap.grant_of(req)
    assert grant == ev.grant
    assert grant.expires_at == now + timedelta(hours=2) + ap.DEFAULT_GRANT_DURATION
    assert decide(people.outsider, Action.READ_PAGES, case, [grant], now + timedelta(hours=3)).allowed
    assert not decide(people.outsider, Action.SEARCH, case, [grant], now + timedelta(hours=3)).allowed


def test_only_the_case_departments_head_and_leader_approve_第九条(people, case_factory, now):
    req, _ = open_for_outsider(people, case_factory(), now)
    req, _ = ap.approve(req, people.judge, now)
    with pytest.raises(ap.ApprovalRefused, match="民一庭部门负责人"):
        ap.approve(req, people.other_head, now)
    req, _ = ap.approve(req, people.head, now)
    with pytest.raises(ap.ApprovalRefused, match="分管民一庭的院领导"):
        ap.approve(req, people.other_leader, now)


def test_other_panel_judge_is_not_the_undertaking_judge_第九条(people, case_factory, now):
    req, _ = open_for_outsider(people, case_factory(), now)
    with pytest.raises(ap.ApprovalRefused):
        ap.approve(req, people.member, now)


def test_requester_cannot_approve_own_request_第九条(people, case_factory, now):
    # the 部门负责人 of the department, not on the panel, asks to read
    req, _ = ap.open_request("r-2", people.head, case_factory(), READS, "督办", now)
    req, _ = ap.approve(req, people.judge, now)
    with pytest.raises(ap.ApprovalRefused, match="本人"):
        ap.approve(req, people.head, now)


def test_deny_by_due_approver_ends_request_第九条(people, case_factory, now):
    req, _ = open_for_outsider(people, case_factory(), now)
    req, _ = ap.approve(req, people.judge, now)
    with pytest.raises(ap.ApprovalRefused):
        ap.deny(req, people.leader, "不同意", now)  # not yet the leader's turn
    with pytest.raises(ap.ApprovalRefused, match="原因"):
        ap.deny(req, people.head, "  ", now)
    req, ev = ap.deny(req, people.head, "与本职工作无关", now)
    assert isinstance(ev, ap.AccessRequestDenied) and ev.step is ApprovalStep.DEPARTMENT_HEAD
    assert req.status is ap.RequestStatus.DENIED
    with pytest.raises(ap.ApprovalRefused):
        ap.approve(req, people.leader, now)
    with pytest.raises(ValueError):
        ap.grant_of(req)


def test_pending_request_expires(people, case_factory, now):
    req, _ = open_for_outsider(people, case_factory(), now, decision_window=timedelta(days=1))
    req, _ = ap.approve(req, people.judge, now)
    late = now + timedelta(days=1, seconds=1)
    assert ap.expire(req, now) is None
    with pytest.raises(ap.ApprovalRefused, match="过期"):
        ap.approve(req, people.head, late)
    req, ev = ap.expire(req, late)
    assert isinstance(ev, ap.AccessRequestExpired) and ev.waiting_for is ApprovalStep.DEPARTMENT_HEAD
    assert req.status is ap.RequestStatus.EXPIRED


def approved(people, case, now, duration=timedelta(days=2)):
    req, _ = open_for_outsider(people, case, now, duration=duration)
    for who in (people.judge, people.head, people.leader):
        req, _ = ap.approve(req, who, now)
    return req


def test_grant_expires_第九条(people, case_factory, now):
    case = case_factory()
    req = approved(people, case, now)
    end = now + timedelta(days=2)
    assert ap.expire(req, end - timedelta(seconds=1)) is None
    assert decide(
        people.outsider, Action.READ_PAGES, case, [ap.grant_of(req)], end - timedelta(seconds=1)
    ).allowed
    assert not decide(people.outsider, Action.READ_PAGES, case, [ap.grant_of(req)], end).allowed
    _, ev = ap.expire(req, end)
    assert isinstance(ev, ap.AccessGrantExpired) and ev.grant_id == req.grant_id


def test_revoke_by_approver_closes_the_grant(people, case_factory, now):
    case = case_factory()
    req = approved(people, case, now)
    with pytest.raises(ap.ApprovalRefused):
        ap.revoke(req, people.member, "无关人员", now)
    req, ev = ap.revoke(req, people.head, "案件已合并", now + timedelta(hours=1))
    assert isinstance(ev, ap.AccessRevoked)
    g = ap.grant_of(req)
    assert g.revoked_at == now + timedelta(hours=1)
    assert not decide(people.outsider, Action.READ_PAGES, case, [g], now + timedelta(hours=2)).allowed
    with pytest.raises(ap.ApprovalRefused):
        ap.revoke(req, people.head, "again", now)


def test_withdraw_only_by_requester(people, case_factory, now):
    req, _ = open_for_outsider(people, case_factory(), now)
    with pytest.raises(ap.ApprovalRefused):
        ap.withdraw(req, people.judge, now)
    req, ev = ap.withdraw(req, people.outsider, now)
    assert req.status is ap.RequestStatus.WITHDRAWN and isinstance(ev, ap.AccessRequestWithdrawn)


def test_other_court_request_goes_to_requesters_own_leader_第九条(people, case_factory, now):
    lower_case = case_factory(court="长春市中级人民法院", case_id="（2025）吉01民初5号")
    req, ev = ap.open_request(
        "r-3", people.outsider, lower_case, [Action.READ_ARCHIVE, Action.READ_PAGES], "类案参考", now
    )
    assert req.route.basis is GrantBasis.RELATED_CASE and req.route.rule == rules.ART9_1
    assert ev.steps == (ApprovalStep.SUPERVISING_LEADER,)
    with pytest.raises(ap.ApprovalRefused):
        ap.approve(req, people.lower_leader, now)  # the lower court's leader does not sign for our reader
    req, ev = ap.approve(req, people.leader, now)
    assert isinstance(ev, ap.AccessGranted)
    assert decide(people.outsider, Action.READ_PAGES, lower_case, [ap.grant_of(req)], now).allowed


def test_who_may_not_open_a_request(people, case_factory, now):
    case = case_factory()
    for who in (people.station, people.service, people.lawyer):
        with pytest.raises(ap.AccessRequestRefused):
            ap.open_request("r", who, case, READS, "x", now)
    with pytest.raises(ap.AccessRequestRefused, match="无需申请"):
        ap.open_request("r", people.member, case, READS, "x", now)
    with pytest.raises(ap.AccessRequestRefused):
        ap.open_request("r", people.outsider, case, [Action.WRITE], "x", now)
    with pytest.raises(ap.AccessRequestRefused, match="事由"):
        ap.open_request("r", people.outsider, case, READS, " ", now)
    with pytest.raises(ap.AccessRequestRefused, match="30天"):
        ap.open_request("r", people.outsider, case, READS, "x", now, duration=timedelta(days=31))
    with pytest.raises(ap.AccessRequestRefused):
        ap.open_request("r", people.outsider, case_factory(classified=True), READS, "x", now)


def test_events_round_trip_as_json(people, case_factory, now):
    req, first = open_for_outsider(people, case_factory(), now)
    events = [first]
    for who in (people.judge, people.head, people.leader):
        req, ev = ap.approve(req, who, now)
        events.append(ev)
    types = [e.event_type for e in events]
    assert types == ["access.requested", "access.step_approved", "access.step_approved", "access.granted"]
    for e in events:
        assert type(e).model_validate_json(e.model_dump_json()) == e
    assert ap.AccessRequest.model_validate_json(req.model_dump_json()) == req
