"""Who answers for a case's steps: the domain's :class:`~juanzong_notifier.domain.clocks.Directory`, from what the
notifier keeps (read before a domain call, which is sync).

Panel roles come from case.registered; office roles (立案窗口, 智能办案辅助中心, 档案科, 原审法院) from the role
holders (admin API or settings); department heads from the admin API over settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from juanzong_notifier.domain.clocks import Person
from juanzong_notifier.domain.events import InboundEvent
from juanzong_notifier.domain.rules import Role

# Panel roles of case.registered (shared events/intake.py) that hold a rule's role, in order of preference.
PANEL_ROLES: dict[Role, tuple[str, ...]] = {
    Role.JUDGE: ("undertaking_judge", "presiding_judge"),
    Role.JUDGE_ASSISTANT: ("judge_assistant", "clerk"),
}


class DirectorySnapshot:
    def __init__(self, cases: Mapping[str, Mapping[str, Any]], heads: Mapping[str, str],
                 role_holders: Mapping[str, Mapping[str, Any]]) -> None:
        self._cases = cases  # "court/case" → {"department", "panel": [{"user_id", "name", "role"}]}
        self._heads = heads  # "court/department" → user id
        self._roles = role_holders  # "court/role" → {"user_id", "department", "name"}

    def responsible_for(self, role: Role, event: InboundEvent) -> Person | None:
        case = self._cases.get(f"{event.court}/{event.case_id}")
        if case is not None and role in PANEL_ROLES:
            for wanted in PANEL_ROLES[role]:
                for member in case.get("panel", []):
                    if member.get("role") == wanted and member.get("user_id"):
                        return Person(person_id=member["user_id"], department_id=case.get("department"),
                                      name=member.get("name"))
        holder = self._roles.get(f"{event.court}/{role.value}")
        if holder is not None:
            return Person(person_id=holder["user_id"], department_id=holder.get("department"),
                          name=holder.get("name"))
        return None

    def knows_case(self, court: str, case_id: str) -> bool:
        return f"{court}/{case_id}" in self._cases

    def department_head(self, court: str, department_id: str) -> Person | None:
        user = self._heads.get(f"{court}/{department_id}")
        return None if user is None else Person(person_id=user, department_id=department_id)
