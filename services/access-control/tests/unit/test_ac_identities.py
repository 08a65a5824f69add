"""Roles and principals."""

from __future__ import annotations

import pytest
from juanzong_access_control.domain.identities import Principal, PrincipalKind, Role
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def test_every_role_has_a_chinese_name():
    names = {role: role.zh for role in Role}
    assert len(set(names.values())) == len(Role)
    assert (
        Role.SUPERVISING_LEADER.zh == "分管院领导" and Role.ADJUDICATION_COMMITTEE_MEMBER.zh == "审委会委员"
    )


@pytest.mark.parametrize(
    ("kind", "roles"),
    [
        (PrincipalKind.USER, {Role.JUDGE, Role.SCANNING_STATION}),
        (PrincipalKind.USER, {Role.SERVICE_ACCOUNT}),
        (PrincipalKind.STATION, {Role.JUDGE}),
        (PrincipalKind.SERVICE, {Role.SCANNING_STATION}),
    ],
)
def test_kind_and_roles_must_agree(kind, roles):
    with pytest.raises(ValidationError):
        Principal(id="x", name="x", kind=kind, roles=frozenset(roles))


def test_principal_is_a_frozen_value(people):
    with pytest.raises(ValidationError):
        people.judge.court = "elsewhere"  # type: ignore[misc]
    assert Principal.model_validate_json(people.leader.model_dump_json()) == people.leader


def test_department_head_and_supervising_leader_are_per_department(people):
    assert people.head.heads(people.head.court, "民一庭")
    assert not people.head.heads(people.head.court, "民二庭")
    assert not people.head.heads("长春市中级人民法院", "民一庭")
    assert people.leader.supervises(people.leader.court, "民一庭")
    assert not people.leader.supervises(people.leader.court, "民二庭")
    assert not people.head.supervises(people.head.court, "民一庭")
    assert not people.leader.supervises(people.leader.court, None)


def test_only_a_pure_representative_is_external(people, person_factory):
    assert people.lawyer.is_external
    assert not people.judge.is_external
    assert not person_factory("u-x", Role.LITIGANT_REPRESENTATIVE, Role.JUDGE).is_external
