"""The decision point against 吉高法〔2020〕11号 第九条 and 法〔2016〕264号 三(六)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.cases import (
    DOSSIER_READS,
    Action,
    DeliberativeBody,
    LinkedCase,
    MaterialFacts,
    Submission,
    Volume,
)
from juanzong_access_control.domain.grants import Approval, ApprovalStep, Grant, GrantBasis
from juanzong_access_control.domain.policy import ObligationKind, decide

pytestmark = pytest.mark.unit

FULL_CHAIN = (ApprovalStep.UNDERTAKING_JUDGE, ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER)


def grant(
    now,
    *,
    grantee="u-outsider",
    case_id="（2026）吉民终12号",
    court="吉林省高级人民法院",
    route=FULL_CHAIN,
    approved=None,
    actions=DOSSIER_READS,
    days=7,
    basis=GrantBasis.UNFINISHED_CASE,
    revoked=False,
    **kw,
):
    steps = route if approved is None else approved
    return Grant(
        grant_id=kw.get("grant_id", "g-1"),
        request_id="r-1",
        case_id=case_id,
        case_court=court,
        grantee_id=grantee,
        actions=frozenset(actions),
        basis=basis,
        route=route,
        approvals=tuple(
            Approval(step=s, approver_id=f"a-{s.value}", at=now - timedelta(hours=1)) for s in steps
        ),
        granted_at=now - timedelta(hours=1),
        expires_at=now - timedelta(hours=1) + timedelta(days=days),
        revoked_at=now - timedelta(minutes=5) if revoked else None,
    )


# -- 第九条第2项: the panel, the deliberating bodies, everyone else -----------------------------------
def test_case_team_reads_unfinished_case_第九条(people, case_factory, now):
    case = case_factory()
    for who in (people.judge, people.member, people.presiding, people.assistant, people.clerk):
        for action in DOSSIER_READS:
            d = decide(who, action, case, [], now)
            assert d.allowed, (who.id, action)
            assert d.rule == rules.ART9_2
            assert ObligationKind.RECORD_ACCESS in {o.kind for o in d.obligations}


@pytest.mark.parametrize("action", [Action.READ_PAGES, Action.READ_TEXT, Action.SEARCH])
def test_judge_outside_panel_refused_on_unfinished_case_第九条(people, case_factory, now, action):
    d = decide(people.outsider, action, case_factory(), [], now)
    assert not d.allowed
    assert d.rule == rules.ART9_2
    assert "合议庭成员" in d.reason_zh and "分管院领导" in d.reason_zh
    assert d.obligations == ()


def test_roles_alone_open_nothing_on_unfinished_case_第九条(people, case_factory, now):
    case = case_factory()
    # (立案庭 reads for its duties: see the duty-read tests below)
    for who in (people.head, people.leader, people.committee, people.meeting, people.archivist, people.tech):
        assert not decide(who, Action.READ_PAGES, case, [], now).allowed, who.id


def test_committee_members_read_once_case_submitted_第九条(people, case_factory, now):
    before = case_factory()
    after = case_factory(
        submitted_to=(
            Submission(body=DeliberativeBody.ADJUDICATION_COMMITTEE, member_ids=frozenset({"u-committee"})),
        )
    )
    assert not decide(people.committee, Action.READ_TEXT, before, [], now).allowed
    d = decide(people.committee, Action.READ_TEXT, after, [], now)
    assert d.allowed
    assert rules.ART9_2 in d.rule and rules.SPC_3_3 in d.rule
    # a listed body does not open the case to a member who is not listed
    assert not decide(people.meeting, Action.READ_TEXT, after, [], now).allowed


def test_body_as_constituted_opens_to_its_role_holders_only_第九条(people, case_factory, now):
    case = case_factory(submitted_to=(Submission(body=DeliberativeBody.JUDGES_MEETING),))
    assert decide(people.meeting, Action.READ_PAGES, case, [], now).allowed
    assert not decide(people.committee, Action.READ_PAGES, case, [], now).allowed


def test_full_approval_chain_grant_opens_reading_第九条(people, case_factory, now):
    g = grant(now)
    d = decide(people.outsider, Action.READ_PAGES, case_factory(), [g], now)
    assert d.allowed and d.grant_id == "g-1" and d.rule == rules.ART9_2


def test_grant_missing_department_head_refused_第九条(people, case_factory, now):
    partial = grant(now, route=FULL_CHAIN, approved=(ApprovalStep.UNDERTAKING_JUDGE,))
    d = decide(people.outsider, Action.READ_PAGES, case_factory(), [partial], now)
    assert not d.allowed and "审批未完成" in d.reason_zh


def test_leader_only_grant_not_enough_for_unfinished_case_第九条(people, case_factory, now):
    leader_only = grant(now, route=(ApprovalStep.SUPERVISING_LEADER,), basis=GrantBasis.RELATED_CASE)
    d = decide(people.outsider, Action.READ_PAGES, case_factory(), [leader_only], now)
    assert not d.allowed
    assert "承办法官、部门负责人、分管院领导" in d.reason_zh


def test_expired_grant_refused_第九条(people, case_factory, now):
    g = grant(now, days=1)
    later = now + timedelta(days=2)
    d = decide(people.outsider, Action.READ_PAGES, case_factory(), [g], later)
    assert not d.allowed and "过期" in d.reason_zh
    assert decide(people.outsider, Action.READ_PAGES, case_factory(), [g], now).allowed


def test_revoked_grant_refused_第九条(people, case_factory, now):
    d = decide(people.outsider, Action.READ_PAGES, case_factory(), [grant(now, revoked=True)], now)
    assert not d.allowed and "撤销" in d.reason_zh


def test_grant_covers_only_its_actions_and_grantee_第九条(people, case_factory, now):
    g = grant(now, actions={Action.READ_PAGES})
    case = case_factory()
    assert decide(people.outsider, Action.READ_PAGES, case, [g], now).allowed
    assert not decide(people.outsider, Action.SEARCH, case, [g], now).allowed
    assert not decide(people.head, Action.READ_PAGES, case, [g], now).allowed
    other_case = case_factory(case_id="（2026）吉民终99号")
    assert not decide(people.outsider, Action.READ_PAGES, other_case, [g], now).allowed


def test_decision_cache_never_outlives_grant(people, case_factory, now):
    g = grant(now, days=1)
    near_end = g.expires_at - timedelta(seconds=5)
    d = decide(people.outsider, Action.READ_PAGES, case_factory(), [g], near_end, ttl=timedelta(minutes=1))
    assert d.allowed and d.valid_until == g.expires_at


# -- 第九条第1项: another court's, or a finished case's records ----------------------------------------
def test_other_court_reading_needs_supervising_leader_第九条(people, case_factory, now):
    lower_case = case_factory(
        court="长春市中级人民法院",
        panel=case_factory().panel.model_copy(
            update={
                "undertaking_judge": "u-lower-judge",
                "members": frozenset(),
                "presiding_judge": None,
                "judge_assistants": frozenset(),
                "clerks": frozenset(),
            }
        ),
    )
    d = decide(people.judge, Action.READ_PAGES, lower_case, [], now)
    assert not d.allowed and d.rule == rules.ART9_1
    ok = grant(
        now,
        grantee="u-judge",
        case_id=lower_case.case_id,
        court=lower_case.court,
        route=(ApprovalStep.SUPERVISING_LEADER,),
        basis=GrantBasis.RELATED_CASE,
    )
    assert decide(people.judge, Action.READ_PAGES, lower_case, [ok], now).allowed


def test_finished_case_archive_of_this_court_needs_supervising_leader_第九条(people, case_factory, now):
    done = case_factory(finished=True, archived=True)
    d = decide(people.outsider, Action.READ_ARCHIVE, done, [], now)
    assert not d.allowed and d.rule == rules.ART9_1
    g = grant(
        now,
        route=(ApprovalStep.SUPERVISING_LEADER,),
        basis=GrantBasis.RELATED_CASE,
        actions={Action.READ_ARCHIVE},
    )
    assert decide(people.outsider, Action.READ_ARCHIVE, done, [g], now).allowed
    # a full-chain grant obtained while the case was pending still holds the leader's approval
    assert decide(people.outsider, Action.READ_PAGES, done, [grant(now)], now).allowed
    # the case team keeps reading its own finished case
    assert decide(people.judge, Action.READ_ARCHIVE, done, [], now).allowed


def test_appeal_team_reads_linked_original_trial_第三条(people, case_factory, now):
    original = case_factory(
        case_id="（2025）吉01民初5号",
        court="长春市中级人民法院",
        finished=True,
        archived=True,
        linked_by=(
            LinkedCase(
                case_id="（2026）吉民终12号",
                court="吉林省高级人民法院",
                team=frozenset({"u-judge", "u-assistant"}),
            ),
        ),
    )
    d = decide(people.judge, Action.READ_ARCHIVE, original, [], now)
    assert d.allowed and rules.ART3_4 in d.rule
    assert not decide(people.outsider, Action.READ_ARCHIVE, original, [], now).allowed


def test_archive_not_readable_before_archiving(people, case_factory, now):
    d = decide(people.judge, Action.READ_ARCHIVE, case_factory(finished=True), [], now)
    assert not d.allowed and d.rule == rules.ART3_8


def test_archives_office_reads_own_court_archives_only(people, case_factory, now, person_factory):
    from juanzong_access_control.domain.identities import Role

    done = case_factory(finished=True, archived=True)
    assert decide(people.archivist, Action.READ_ARCHIVE, done, [], now).allowed
    assert not decide(people.archivist, Action.READ_PAGES, case_factory(), [], now).allowed
    # a closed case it audits before archiving: its pages (duty read, 第四条(二)1)
    d = decide(people.archivist, Action.READ_PAGES, case_factory(finished=True), [], now)
    assert d.allowed and d.rule == rules.ART4_2_1
    elsewhere = person_factory("u-arch2", Role.ARCHIVES_OFFICE_STAFF, court="长春市中级人民法院")
    assert not decide(elsewhere, Action.READ_ARCHIVE, done, [], now).allowed


# -- duty reads (issue 22 item 7): 立案庭 编目/核查/组卷匹配, 档案科 审核归档 -------------------------------
@pytest.mark.parametrize("action", sorted(DOSSIER_READS))
def test_filing_division_reads_own_court_dossiers_until_archived_第三条八_第四条一4(
    people, case_factory, now, person_factory, action
):
    from juanzong_access_control.domain.identities import Role

    for case in (case_factory(), case_factory(finished=True)):
        d = decide(people.filing, action, case, [], now)
        assert d.allowed, d
        assert rules.ART4_1_4 in d.rule and rules.ART3_8 in d.rule and rules.ART3_7 in d.rule
        assert ObligationKind.RECORD_ACCESS in {o.kind for o in d.obligations}
    assert not decide(people.filing, action, case_factory(finished=True, archived=True), [], now).allowed
    d = decide(people.filing, action, case_factory(classified=True), [], now)
    assert not d.allowed and rules.ART10 in d.rule
    elsewhere = person_factory("u-filing2", Role.FILING_DIVISION_STAFF, court="长春市中级人民法院")
    assert not decide(elsewhere, action, case_factory(), [], now).allowed


@pytest.mark.parametrize("action", sorted(DOSSIER_READS))
def test_archives_office_reads_closed_cases_it_audits_第四条二1(people, case_factory, now, person_factory, action):
    from juanzong_access_control.domain.identities import Role

    for case in (case_factory(finished=True), case_factory(finished=True, archived=True)):
        d = decide(people.archivist, action, case, [], now)
        assert d.allowed and d.rule == rules.ART4_2_1, d
        assert ObligationKind.RECORD_ACCESS in {o.kind for o in d.obligations}
    assert not decide(people.archivist, action, case_factory(), [], now).allowed
    d = decide(people.archivist, action, case_factory(finished=True, classified=True), [], now)
    assert not d.allowed and rules.ART10 in d.rule
    elsewhere = person_factory("u-arch2", Role.ARCHIVES_OFFICE_STAFF, court="长春市中级人民法院")
    assert not decide(elsewhere, action, case_factory(finished=True), [], now).allowed


def test_duty_reads_do_not_extend_to_other_actions(people, case_factory, now):
    closed = case_factory(finished=True)
    for who in (people.filing, people.archivist):
        assert not decide(who, Action.MANAGE, closed, [], now).allowed
    assert not decide(people.archivist, Action.WRITE, closed, [], now).allowed
    assert not decide(people.tech, Action.READ_PAGES, closed, [], now).allowed


# -- machine accounts -------------------------------------------------------------------------------
@pytest.mark.parametrize("action", sorted(set(Action) - {Action.ADD_PAGES}))
def test_station_never_reads_dossiers_第四条(people, case_factory, now, action):
    # the station even claims a read scope: scopes do not make a station a reader
    d = decide(people.station, action, case_factory(), [], now)
    assert not d.allowed and d.rule == rules.ART4_1_3


def test_service_account_acts_within_declared_scopes(people, case_factory, person_factory, now):
    from juanzong_access_control.domain.identities import PrincipalKind, Role

    case = case_factory()
    assert decide(people.service, Action.READ_TEXT, case, [], now).allowed
    refused = decide(people.service, Action.READ_PAGES, case, [], now)
    assert not refused.allowed and "dossier:read_pages" in refused.reason_zh
    narrowed = person_factory(
        "svc-archive",
        Role.SERVICE_ACCOUNT,
        kind=PrincipalKind.SERVICE,
        scopes=("archive:read@长春市中级人民法院",),
    )
    done = case_factory(finished=True, archived=True)
    assert not decide(narrowed, Action.READ_ARCHIVE, done, [], now).allowed
    assert decide(
        narrowed, Action.READ_ARCHIVE, done.model_copy(update={"court": "长春市中级人民法院"}), [], now
    ).allowed


# -- 法〔2016〕264号 三(六): litigants' representatives ------------------------------------------------
def test_representative_reads_own_case_without_sub_volume_三六(people, case_factory, now):
    case = case_factory()
    d = decide(people.lawyer, Action.READ_PAGES, case, [], now)
    assert d.allowed and d.rule == rules.SPC_3_6
    kinds = {o.kind for o in d.obligations}
    assert {ObligationKind.EXCLUDE_SUB_VOLUME, ObligationKind.EXCLUDE_UNDISCLOSABLE} <= kinds

    sub = decide(people.lawyer, Action.READ_PAGES, case, [], now, material=MaterialFacts(volume=Volume.SUB))
    assert not sub.allowed and "副卷" in sub.reason_zh
    closed = decide(people.lawyer, Action.READ_TEXT, case, [], now, material=MaterialFacts(disclosable=False))
    assert not closed.allowed
    assert decide(people.lawyer, Action.READ_TEXT, case, [], now, material=MaterialFacts()).allowed


def test_representative_limited_to_browsing_own_case_三六(people, case_factory, now):
    case = case_factory()
    other = case_factory(litigant_representatives=frozenset({"someone-else"}))
    assert not decide(people.lawyer, Action.READ_PAGES, other, [], now).allowed
    for action in (Action.WRITE, Action.MANAGE):
        assert not decide(people.lawyer, action, case, [], now).allowed
    done = case_factory(finished=True, archived=True)
    d = decide(people.lawyer, Action.READ_ARCHIVE, done, [], now)
    assert not d.allowed and d.rule == rules.ART4_2


def test_representative_unaffected_by_a_grant_三六(people, case_factory, now):
    g = grant(now, grantee="u-lawyer")
    d = decide(
        people.lawyer, Action.READ_PAGES, case_factory(), [g], now, material=MaterialFacts(volume=Volume.SUB)
    )
    assert not d.allowed


# -- other rules ------------------------------------------------------------------------------------
def test_classified_case_refused_even_to_panel_第十条(people, case_factory, now):
    d = decide(people.judge, Action.READ_PAGES, case_factory(classified=True), [], now)
    assert not d.allowed and rules.ART10 in d.rule


def test_catalogue_corrections_by_team_and_filing_division_until_archived(people, case_factory, now):
    case = case_factory()
    assert decide(people.assistant, Action.WRITE, case, [], now).allowed
    assert decide(people.filing, Action.WRITE, case, [], now).allowed
    assert not decide(people.outsider, Action.WRITE, case, [grant(now)], now).allowed
    archived = case_factory(finished=True, archived=True)
    d = decide(people.assistant, Action.WRITE, archived, [], now)
    assert not d.allowed and d.rule == rules.ART3_8


def test_manage_limited_to_case_approvers_第九条(people, case_factory, now):
    case = case_factory()
    for who in (people.judge, people.head, people.leader):
        assert decide(who, Action.MANAGE, case, [], now).allowed, who.id
    for who in (people.member, people.other_head, people.other_leader, people.tech):
        assert not decide(who, Action.MANAGE, case, [], now).allowed, who.id


def test_naive_time_rejected(people, case_factory, now):
    with pytest.raises(ValueError):
        decide(people.judge, Action.READ_PAGES, case_factory(), [], now.replace(tzinfo=None))
