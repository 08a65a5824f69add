"""The decision point's case-level actions (issue 20): the case record (need to know), its changes, pages put
into a dossier, 移交 records, and what a 原审 link opens. Each test names the article that decides."""

from __future__ import annotations

from datetime import timedelta

import pytest
from juanzong_access_control.domain import rules
from juanzong_access_control.domain.cases import (
    CASE_RECORD_ACTIONS,
    READ_ACTIONS,
    Action,
    LinkedCase,
    PageSource,
    ResourceRef,
    Volume,
)
from juanzong_access_control.domain.grants import Approval, ApprovalStep, Grant, GrantBasis
from juanzong_access_control.domain.identities import PrincipalKind, Role
from juanzong_access_control.domain.policy import ObligationKind, decide, decide_unknown_case

from .conftest import HIGH, LOWER

pytestmark = pytest.mark.unit

FULL_CHAIN = (ApprovalStep.UNDERTAKING_JUDGE, ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER)
CASE = "（2026）吉民终12号"


def grant(now, *, grantee="u-outsider", revoked=False, actions=(Action.READ_PAGES,)):
    return Grant(
        grant_id="g-1", request_id="r-1", case_id=CASE, case_court=HIGH, grantee_id=grantee,
        actions=frozenset(actions), basis=GrantBasis.UNFINISHED_CASE, route=FULL_CHAIN,
        approvals=tuple(Approval(step=s, approver_id=f"a-{s.value}", at=now - timedelta(hours=1)) for s in FULL_CHAIN),
        granted_at=now - timedelta(hours=1), expires_at=now + timedelta(days=3),
        revoked_at=now - timedelta(minutes=1) if revoked else None)


@pytest.fixture
def station(person_factory):
    return person_factory("station-01", Role.SCANNING_STATION, kind=PrincipalKind.STATION, department="立案庭",
                          scopes=("scan:submit",))


@pytest.fixture
def adder(person_factory):
    """scan-ocr's service account: it adds pages for station jobs on the bus."""
    return person_factory("scan-ocr", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, department=None,
                          scopes=("dossier:add_pages",))


def allowed(d) -> bool:
    if d.allowed:
        assert ObligationKind.RECORD_ACCESS in {o.kind for o in d.obligations}  # every yes is recorded (第九条)
    return d.allowed


# -- read_case: need to know (第九条, 第十条) -----------------------------------------------------------
def test_case_record_read_by_team_filing_and_approvers_only_第九条(people, case_factory, now):
    """吉高法〔2020〕11号 第九条第2项: the case team, 立案庭, the department's head and its 分管院领导 read the case
    record; another judge of the same department, another department's head or leader, 技术处 do not."""
    case = case_factory()
    for who in (people.judge, people.member, people.presiding, people.assistant, people.clerk, people.filing,
                people.head, people.leader):
        assert allowed(decide(who, Action.READ_CASE, case, [], now)), who.id
    for who in (people.outsider, people.other_head, people.other_leader, people.tech, people.committee,
                people.meeting, people.archivist, people.lower_judge):
        d = decide(who, Action.READ_CASE, case, [], now)
        assert not d.allowed, who.id
        assert rules.ART9 in d.rule


def test_case_record_read_by_grant_holder_and_archives_office_once_finished_第九条(people, case_factory, now):
    """第九条: a holder of an active read grant reads the record; a revoked grant opens nothing. 第四条(二): 档案科
    reads the records of this court's finished cases."""
    case = case_factory()
    d = decide(people.outsider, Action.READ_CASE, case, [grant(now)], now)
    assert allowed(d) and d.grant_id == "g-1"
    assert not decide(people.outsider, Action.READ_CASE, case, [grant(now, revoked=True)], now).allowed
    assert not decide(people.head, Action.READ_PAGES, case, [grant(now)], now).allowed  # not the grantee
    assert allowed(decide(people.archivist, Action.READ_CASE, case_factory(finished=True), [], now))


def test_case_record_closed_to_representatives_and_stations_第四条(people, case_factory, station, now):
    """法〔2016〕264号 三(六) opens the e-dossier to a representative, not the court's case record; a station
    (第四条(一)3) only scans."""
    case = case_factory()
    assert not decide(people.lawyer, Action.READ_CASE, case, [], now).allowed
    d = decide(station, Action.READ_CASE, case, [], now)
    assert not d.allowed and d.rule == rules.ART4_1_3


def test_service_reads_case_record_with_scope_case_read_only(people, case_factory, person_factory, now):
    """法〔2016〕264号 一(三): a service account acts within its declared scopes (``case:read``)."""
    case = case_factory()
    reader = person_factory("notifier", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, scopes=("case:read",))
    assert allowed(decide(reader, Action.READ_CASE, case, [], now))
    assert not decide(reader, Action.UPDATE_CASE, case, [], now).allowed
    d = decide(people.service, Action.READ_CASE, case, [], now)  # holds dossier:read_text only
    assert not d.allowed and "case:read" in d.reason_zh


def test_classified_case_record_invisible_outside_team_and_filing_第十条(people, case_factory, person_factory, now):
    """吉高法〔2020〕11号 第十条: a 涉密 case is known to its team and 立案庭 only; everyone else — approvers,
    grant holders, services with ``case:read`` — is refused with 第十条 (the asking service answers 404)."""
    secret = case_factory(classified=True)
    for who in (people.judge, people.clerk, people.filing):
        assert allowed(decide(who, Action.READ_CASE, secret, [], now)), who.id
    reader = person_factory("notifier", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, scopes=("case:read",))
    for who, grants in ((people.head, []), (people.leader, []), (people.outsider, [grant(now)]), (reader, []),
                        (people.archivist, [])):
        d = decide(who, Action.READ_CASE, secret, grants, now)
        assert not d.allowed and rules.ART10 in d.rule, who.id
    assert rules.ART10 in decide(people.outsider, Action.UPDATE_CASE, secret, [], now).rule


def test_classified_case_team_still_manages_its_record_第十条(people, case_factory, now):
    """第十条 keeps a 涉密 case out of the e-dossier, not out of its own team's hands: stage, close and links
    stay with the team and 立案庭; its dossier stays closed even to them."""
    secret = case_factory(classified=True)
    assert allowed(decide(people.assistant, Action.UPDATE_CASE, secret, [], now))
    assert allowed(decide(people.judge, Action.CLOSE_CASE, secret, [], now))
    assert allowed(decide(people.member, Action.LINK_ORIGINAL, secret, [], now))
    assert not decide(people.judge, Action.READ_PAGES, secret, [], now).allowed


# -- case changes (item 5) ------------------------------------------------------------------------------
def test_stage_and_hearings_changed_by_case_team_and_filing_only_第三条(people, case_factory, person_factory, now):
    """吉高法〔2020〕11号 第三条(三)(四): the case team and 立案庭 of the court move a case; not a judge outside
    the panel, nor the department head, nor 立案庭 of another court."""
    case = case_factory()
    for who in (people.judge, people.member, people.assistant, people.clerk, people.filing):
        assert allowed(decide(who, Action.UPDATE_CASE, case, [], now)), who.id
    other_filing = person_factory("u-filing-lower", Role.FILING_DIVISION_STAFF, court=LOWER, department="立案庭")
    for who in (people.outsider, people.head, people.leader, people.archivist, other_filing, people.lawyer):
        d = decide(who, Action.UPDATE_CASE, case, [grant(now)] if who is people.outsider else [], now)
        assert not d.allowed and rules.ART3_4 in d.rule, who.id


def test_case_closed_by_undertaking_or_presiding_judge_or_filing_第三条六(people, case_factory, now):
    """吉高法〔2020〕11号 第三条(六): 结案 by the 承办法官 or 审判长 (or 立案庭); a member, an assistant or a clerk
    of the panel does not close, nor does a judge outside it."""
    case = case_factory()
    for who in (people.judge, people.presiding, people.filing):
        assert allowed(decide(who, Action.CLOSE_CASE, case, [], now)), who.id
    for who in (people.member, people.assistant, people.clerk, people.outsider, people.head, people.leader):
        d = decide(who, Action.CLOSE_CASE, case, [], now)
        assert not d.allowed and d.rule == rules.ART3_6, who.id


def test_original_linked_by_the_cases_judges_or_filing_第三条二(people, case_factory, person_factory, now):
    """吉高法〔2020〕11号 第三条(二), 第四条(一)2: the case's judges and 立案庭 link a 原审 by hand."""
    case = case_factory()
    for who in (people.judge, people.presiding, people.member, people.filing):
        assert allowed(decide(who, Action.LINK_ORIGINAL, case, [], now)), who.id
    svc = person_factory("intake", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, scopes=("case:update",))
    for who in (people.assistant, people.clerk, people.outsider, people.head, svc):
        d = decide(who, Action.LINK_ORIGINAL, case, [], now)
        assert not d.allowed, who.id
    assert rules.ART3_2 in decide(people.outsider, Action.LINK_ORIGINAL, case, [], now).rule


def test_service_changes_a_case_only_with_its_scope(person_factory, case_factory, now):
    """法〔2016〕264号 一(三): ``case:update`` lets a service change a stage, not close a case or link one."""
    svc = person_factory("intake", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, scopes=("case:update",))
    case = case_factory()
    assert allowed(decide(svc, Action.UPDATE_CASE, case, [], now))
    assert not decide(svc, Action.CLOSE_CASE, case, [], now).allowed
    assert not decide(svc, Action.UPDATE_CASE, case_factory(classified=True), [], now).allowed


# -- 移交 records (第四条(二)) ---------------------------------------------------------------------------
def test_transfer_record_by_archives_office_of_archived_cases_第四条二(people, case_factory, person_factory, now):
    """吉高法〔2020〕11号 第四条(二): 办公室（档案科） keeps and hands over this court's e-archives; nobody else
    creates or reads a 移交 record, and there is none before archiving (第三条(八))."""
    archived = case_factory(finished=True, archived=True)
    d = decide(people.archivist, Action.TRANSFER_ARCHIVE, archived, [], now)
    assert allowed(d) and d.rule == rules.ART4_2
    before = decide(people.archivist, Action.TRANSFER_ARCHIVE, case_factory(finished=True), [], now)
    assert not before.allowed and before.rule == rules.ART3_8
    elsewhere = person_factory("u-arch2", Role.ARCHIVES_OFFICE_STAFF, court=LOWER, department="办公室")
    for who in (people.judge, people.tech, people.filing, people.leader, elsewhere, people.lawyer):
        assert not decide(who, Action.TRANSFER_ARCHIVE, archived, [], now).allowed, who.id
    svc = person_factory("archive", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE, scopes=("archive:transfer",))
    assert allowed(decide(svc, Action.TRANSFER_ARCHIVE, archived, [], now))
    assert not decide(people.service, Action.TRANSFER_ARCHIVE, archived, [], now).allowed
    assert not decide(svc, Action.TRANSFER_ARCHIVE, archived.model_copy(update={"classified": True}), [], now).allowed


# -- add_pages (item 2) -----------------------------------------------------------------------------
def test_station_adds_pages_to_a_case_of_its_own_court_第三条三(station, case_factory, now, person_factory):
    """吉高法〔2020〕11号 第三条(三): a scanning station of the case's court adds pages; one of another court, one
    without ``scan:submit`` or one speaking for another station does not (第四条(一)3)."""
    case = case_factory()
    assert allowed(decide(station, Action.ADD_PAGES, case, [], now))
    assert allowed(decide(station, Action.ADD_PAGES, case, [], now, source=PageSource(station_id="station-01")))
    lower = person_factory("station-09", Role.SCANNING_STATION, kind=PrincipalKind.STATION, court=LOWER,
                           scopes=("scan:submit",))
    no_scope = person_factory("station-02", Role.SCANNING_STATION, kind=PrincipalKind.STATION)
    for who, source in ((lower, None), (no_scope, None), (station, PageSource(station_id="station-02"))):
        d = decide(who, Action.ADD_PAGES, case, [], now, source=source)
        assert not d.allowed and rules.ART4_1_3 in d.rule, who.id


@pytest.mark.parametrize(("facts", "rule"), [
    ({"registered": False}, rules.ART3_3),
    ({"classified": True}, rules.ART10),
    ({"paperless": False}, rules.ART14),
    ({"finished": True, "archived": True}, rules.ART3_8),
], ids=["unregistered-第三条三", "classified-第十条", "out-of-scope-第十四条", "archived-第三条八"])
def test_no_page_enters_a_case_that_may_not_have_one(people, case_factory, station, adder, now, facts, rule):
    """吉高法〔2020〕11号 第三条(三), 第十条, 第十四条, 第三条(八): whoever asks — station, service, the case team,
    立案庭 — nothing is added to an unregistered, 涉密, out-of-scope or archived case."""
    case = case_factory(**facts)
    for who in (station, adder, people.judge, people.filing):
        d = decide(who, Action.ADD_PAGES, case, [], now, source=PageSource(station_id="station-01", station=station))
        assert not d.allowed and rule in d.rule, who.id


def test_pages_need_a_scan_task_of_this_case_第三条三2(station, adder, case_factory, now):
    """吉高法〔2020〕11号 第三条(三)2: pages come in through a scan task of the case; a task of another case or an
    unknown task is refused."""
    case = case_factory()
    mine = PageSource(scan_task_id="st-1", scan_task_case=case.case_id)
    assert allowed(decide(station, Action.ADD_PAGES, case, [], now, source=mine))
    for source in (PageSource(scan_task_id="st-2", scan_task_case="（2026）吉民终99号"),
                   PageSource(scan_task_id="st-x", scan_task_case=None)):
        for who in (station, adder):
            d = decide(who, Action.ADD_PAGES, case, [], now, source=source)
            assert not d.allowed and d.rule == rules.ART3_3_2
    twice = PageSource(scan_task_id="st-1", scan_task_case=case.case_id, ambiguous=True)
    assert not decide(adder, Action.ADD_PAGES, case, [], now, source=twice).allowed


def test_service_adds_pages_for_an_active_station_of_the_court_第四条一3(
        adder, station, people, case_factory, person_factory, now):
    """吉高法〔2020〕11号 第四条(一)3: a service adding a station's job needs ``dossier:add_pages``, and the named
    station must be an active station client of the case's court."""
    case = case_factory()
    assert allowed(decide(adder, Action.ADD_PAGES, case, [], now))
    ok = PageSource(station_id="station-01", station=station)
    assert allowed(decide(adder, Action.ADD_PAGES, case, [], now, source=ok))
    lower = person_factory("station-09", Role.SCANNING_STATION, kind=PrincipalKind.STATION, court=LOWER,
                           scopes=("scan:submit",))
    bad = [PageSource(station_id="station-77"),  # no such active client
           PageSource(station_id="catalog", station=people.service),  # a service, not a station
           PageSource(station_id="station-09", station=lower),  # another court's station
           PageSource(station_id="station-01", station=lower)]  # a client that is not the one named
    for source in bad:
        d = decide(adder, Action.ADD_PAGES, case, [], now, source=source)
        assert not d.allowed and rules.ART4_1_3 in d.rule, source.station_id
    d = decide(people.service, Action.ADD_PAGES, case, [], now, source=ok)  # no dossier:add_pages
    assert not d.allowed and "dossier:add_pages" in d.reason_zh


def test_users_add_pages_as_case_team_or_filing_division_第三条三(people, case_factory, now, person_factory):
    """吉高法〔2020〕11号 第三条(三): the case team and 立案庭 of the court add pages; nobody else."""
    case = case_factory()
    for who in (people.judge, people.assistant, people.clerk, people.filing):
        assert allowed(decide(who, Action.ADD_PAGES, case, [], now)), who.id
    other_filing = person_factory("u-filing-lower", Role.FILING_DIVISION_STAFF, court=LOWER, department="立案庭")
    for who in (people.outsider, people.head, people.leader, people.tech, people.lawyer, other_filing):
        assert not decide(who, Action.ADD_PAGES, case, [grant(now)], now).allowed, who.id


# -- 原审 links (item 1) -----------------------------------------------------------------------------
def linked_original(case_factory, **link):
    later = {"case_id": "（2026）吉民终12号", "court": HIGH, "team": frozenset({"u-judge", "u-assistant"})} | link
    return case_factory(case_id="（2025）吉01民初5号", court=LOWER, finished=True, archived=True,
                        panel=case_factory().panel.model_copy(update={
                            "undertaking_judge": "u-lower-judge", "presiding_judge": None, "members": frozenset(),
                            "judge_assistants": frozenset(), "clerks": frozenset()}),
                        linked_by=(LinkedCase(**later),))


def test_link_opens_reading_of_the_original_only_第三条二(people, case_factory, station, now):
    """吉高法〔2020〕11号 第三条(二)(四): a 原审 link lets the later case's team read the original's e-dossier and
    e-archive (search inside it included), audited; it opens no change, no case record, no pages, no 移交."""
    original = linked_original(case_factory)
    for action in READ_ACTIONS:
        d = decide(people.judge, action, original, [], now)
        assert allowed(d) and rules.ART3_2 in d.rule, action
    for action in set(Action) - READ_ACTIONS:
        assert not decide(people.judge, action, original, [], now).allowed, action
    assert not decide(people.outsider, Action.READ_PAGES, original, [], now).allowed


def test_link_from_a_classified_case_opens_nothing_第十条(people, case_factory, now):
    """吉高法〔2020〕11号 第十条: a 涉密 later case is handled outside this system; its link reads nothing here."""
    original = linked_original(case_factory, classified=True)
    for action in READ_ACTIONS:
        assert not decide(people.judge, action, original, [], now).allowed, action


def test_link_team_of_another_court_opens_nothing(people, case_factory, now):
    """第三条(二): the link names the later case's court; a namesake in another court gains nothing."""
    original = linked_original(case_factory, court="白山市中级人民法院")
    assert not decide(people.judge, Action.READ_ARCHIVE, original, [], now).allowed


# -- unknown cases and the resource ------------------------------------------------------------------
@pytest.mark.parametrize("action", list(Action))
def test_unknown_case_is_a_deny_naming_the_missing_registration(action, now):
    """吉高法〔2020〕11号 第三条(三): a case never registered here has no dossier; nothing is allowed on it. Adding
    pages names 第三条(三); any other question gets the answer a 涉密 case gives outsiders (第十条: a caller 404s)."""
    d = decide_unknown_case(action, now)
    assert not d.allowed and "未登记" in d.reason_zh and d.obligations == () and d.valid_until == now
    if action is Action.ADD_PAGES:
        assert d.rule == rules.ART3_3
    else:
        assert rules.ART10 in d.rule


@pytest.mark.parametrize("action", sorted(set(Action) - {Action.ADD_PAGES}))
def test_classified_case_is_an_unknown_case_to_those_outside_it_第十条(people, case_factory, person_factory, now,
                                                                    action):
    """吉高法〔2020〕11号 第十条: to anyone outside a 涉密 case's team and its court's 立案庭 — a judge of the
    department, its head and leader, a grant holder, a service with every scope, a representative — the decision
    on it is word for word the decision on a case number never registered: asking access-control directly does
    not tell which cases are 涉密."""
    secret = case_factory(classified=True, finished=True, archived=True)
    unknown = decide_unknown_case(action, now)
    svc = person_factory("svc-all", Role.SERVICE_ACCOUNT, kind=PrincipalKind.SERVICE,
                         scopes=tuple(a.scope for a in Action))
    for who, grants in ((people.outsider, [grant(now, actions=READ_ACTIONS)]), (people.head, []),
                        (people.leader, []), (people.archivist, []), (people.lawyer, []), (svc, [])):
        d = decide(who, action, secret, grants, now)
        assert (d.allowed, d.rule, d.reason_zh, d.valid_until, d.obligations) == (
            False, unknown.rule, unknown.reason_zh, unknown.valid_until, unknown.obligations), who.id


def test_classified_case_team_is_told_why_its_dossier_is_closed_第十条(people, case_factory, now):
    """第十条: the case's own team and 立案庭 know the case is 涉密; they are told so, not that it does not exist."""
    secret = case_factory(classified=True)
    for who in (people.judge, people.clerk, people.filing):
        d = decide(who, Action.READ_PAGES, secret, [], now)
        assert not d.allowed and rules.ART10 in d.rule and "涉国家秘密" in d.reason_zh, who.id
    d = decide(people.clerk, Action.CLOSE_CASE, secret, [], now)  # on the team, not a closer
    assert not d.allowed and d.rule == rules.ART3_6


def test_every_action_has_a_scope_and_a_name():
    for action in Action:
        assert action.scope and action.zh
    assert {Action.READ_CASE.scope, Action.UPDATE_CASE.scope, Action.ADD_PAGES.scope,
            Action.TRANSFER_ARCHIVE.scope} == {"case:read", "case:update", "dossier:add_pages", "archive:transfer"}
    assert CASE_RECORD_ACTIONS.isdisjoint(READ_ACTIONS)


def test_resource_is_parsed_leniently():
    r = ResourceRef.parse("station:station-01;scan_task:st-1;page:p-9;whatever")
    assert (r.station_id, r.scan_task_id, r.material, r.ambiguous) == ("station-01", "st-1", None, False)
    assert ResourceRef.parse("scan_task: st-1 ").scan_task_id == "st-1"
    assert ResourceRef.parse("station:a;station:b").ambiguous
    assert not ResourceRef.parse("station:a;station:a").ambiguous
    assert ResourceRef.parse(None) == ResourceRef.parse("") == ResourceRef()
    m = ResourceRef.parse("page:p-1;volume=sub").material
    assert m is not None and m.volume is Volume.SUB and m.disclosable
    m = ResourceRef.parse("page:p-1, undisclosable").material
    assert m is not None and m.volume is Volume.MAIN and not m.disclosable
    assert ResourceRef.parse("station:").station_id == ""  # named, empty: no such station
