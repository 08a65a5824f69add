"""Factories for access-control unit tests: a court, its people and cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from juanzong_access_control.domain.cases import CaseFacts, Panel
from juanzong_access_control.domain.identities import Principal, PrincipalKind, Role

HIGH = "吉林省高级人民法院"
LOWER = "长春市中级人民法院"
CIVIL1 = "民一庭"
CIVIL2 = "民二庭"


def person(
    pid: str,
    *roles: Role,
    court: str = HIGH,
    department: str | None = CIVIL1,
    supervises: tuple[str, ...] = (),
    kind: PrincipalKind = PrincipalKind.USER,
    scopes: tuple[str, ...] = (),
) -> Principal:
    return Principal(
        id=pid,
        name=f"name-{pid}",
        court=court,
        department=department,
        roles=frozenset(roles),
        kind=kind,
        scopes=frozenset(scopes),
        supervised_departments=frozenset(supervises),
    )


@dataclass(frozen=True)
class People:
    judge: Principal  # 承办法官
    member: Principal  # 合议庭成员
    presiding: Principal  # 审判长
    assistant: Principal
    clerk: Principal
    outsider: Principal  # a judge of the same court and department, not on the panel
    head: Principal  # 民一庭 部门负责人
    other_head: Principal  # 民二庭 部门负责人
    leader: Principal  # 分管民一庭的院领导
    other_leader: Principal  # 分管民二庭的院领导
    committee: Principal  # 审委会委员
    meeting: Principal  # 法官会议成员
    archivist: Principal
    filing: Principal
    tech: Principal
    lawyer: Principal
    station: Principal
    service: Principal
    lower_judge: Principal  # a judge of the lower court
    lower_leader: Principal  # 分管院领导 of the lower court


def make_people() -> People:
    return People(
        judge=person("u-judge", Role.JUDGE),
        member=person("u-member", Role.JUDGE),
        presiding=person("u-presiding", Role.JUDGE, Role.PRESIDING_JUDGE),
        assistant=person("u-assistant", Role.JUDGE_ASSISTANT),
        clerk=person("u-clerk", Role.CLERK),
        outsider=person("u-outsider", Role.JUDGE),
        head=person("u-head", Role.DEPARTMENT_HEAD, Role.JUDGE),
        other_head=person("u-head2", Role.DEPARTMENT_HEAD, Role.JUDGE, department=CIVIL2),
        leader=person("u-leader", Role.SUPERVISING_LEADER, department="院领导", supervises=(CIVIL1,)),
        other_leader=person("u-leader2", Role.SUPERVISING_LEADER, department="院领导", supervises=(CIVIL2,)),
        committee=person("u-committee", Role.ADJUDICATION_COMMITTEE_MEMBER, Role.JUDGE, department=CIVIL2),
        meeting=person("u-meeting", Role.JUDGES_MEETING_MEMBER, Role.JUDGE),
        archivist=person("u-archivist", Role.ARCHIVES_OFFICE_STAFF, department="办公室"),
        filing=person("u-filing", Role.FILING_DIVISION_STAFF, department="立案庭"),
        tech=person("u-tech", Role.TECHNOLOGY_OFFICE_STAFF, department="技术处"),
        lawyer=person("u-lawyer", Role.LITIGANT_REPRESENTATIVE, court="", department=None),
        station=person(
            "st-01",
            Role.SCANNING_STATION,
            kind=PrincipalKind.STATION,
            department="立案庭",
            scopes=("dossier:read_pages",),
        ),
        service=person(
            "svc-catalog",
            Role.SERVICE_ACCOUNT,
            kind=PrincipalKind.SERVICE,
            department=None,
            scopes=("dossier:read_text",),
        ),
        lower_judge=person("u-lower-judge", Role.JUDGE, court=LOWER),
        lower_leader=person(
            "u-lower-leader", Role.SUPERVISING_LEADER, court=LOWER, department="院领导", supervises=(CIVIL1,)
        ),
    )


def make_case(**overrides: Any) -> CaseFacts:
    values: dict[str, Any] = {
        "case_id": "（2026）吉民终12号",
        "court": HIGH,
        "department": CIVIL1,
        "registered": True,
        "paperless": True,
        "panel": Panel(
            undertaking_judge="u-judge",
            presiding_judge="u-presiding",
            members=frozenset({"u-member"}),
            judge_assistants=frozenset({"u-assistant"}),
            clerks=frozenset({"u-clerk"}),
        ),
        "litigant_representatives": frozenset({"u-lawyer"}),
    }
    values.update(overrides)
    return CaseFacts(**values)


@pytest.fixture
def people() -> People:
    return make_people()


@pytest.fixture
def case_factory() -> Callable[..., CaseFacts]:
    return make_case


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def person_factory() -> Callable[..., Principal]:
    return person
