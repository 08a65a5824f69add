"""Grants (阅览授权): the result of an approved access request, and which approvals a reader needs."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from . import rules
from .cases import READ_ACTIONS, Action, CaseFacts
from .identities import Principal


class ApprovalStep(StrEnum):
    UNDERTAKING_JUDGE = "undertaking_judge"  # 承办法官
    DEPARTMENT_HEAD = "department_head"  # 部门负责人
    SUPERVISING_LEADER = "supervising_leader"  # 分管院领导

    @property
    def zh(self) -> str:
        return _STEP_ZH[self]


_STEP_ZH = {
    ApprovalStep.UNDERTAKING_JUDGE: "承办法官",
    ApprovalStep.DEPARTMENT_HEAD: "部门负责人",
    ApprovalStep.SUPERVISING_LEADER: "分管院领导",
}


class GrantBasis(StrEnum):
    UNFINISHED_CASE = "unfinished_case"  # 第九条第2项: someone outside the panel, unfinished case
    RELATED_CASE = "related_case"  # 第九条第1项: another court's case, or a finished case of this court


class ApprovalRoute(BaseModel):
    """Who must approve, in order, for ``requester`` to read ``case``.

    ``leader_court``/``leader_department`` say whose 分管院领导 signs: the case department's leader
    for 第九条第2项 ("部门负责人及其分管院领导"), the reader's own leader for 第九条第1项 (the
    reader borrows another court's or another case's records through their own leadership).
    """

    model_config = ConfigDict(frozen=True)

    basis: GrantBasis
    steps: tuple[ApprovalStep, ...]
    rule: str
    leader_court: str
    leader_department: str | None


def approval_route(requester: Principal, case: CaseFacts) -> ApprovalRoute:
    """The approvals 吉高法〔2020〕11号 第九条 asks of a reader outside the case team.

    - another court's case, or a finished case of this court: 分管院领导 (第九条第1项);
    - an unfinished case of this court: 承办法官 → 部门负责人 → 分管院领导 (第九条第2项).
    """
    if requester.court != case.court or case.finished:
        return ApprovalRoute(
            basis=GrantBasis.RELATED_CASE,
            steps=(ApprovalStep.SUPERVISING_LEADER,),
            rule=rules.ART9_1,
            leader_court=requester.court,
            leader_department=requester.department,
        )
    return ApprovalRoute(
        basis=GrantBasis.UNFINISHED_CASE,
        steps=(ApprovalStep.UNDERTAKING_JUDGE, ApprovalStep.DEPARTMENT_HEAD, ApprovalStep.SUPERVISING_LEADER),
        rule=rules.ART9_2,
        leader_court=case.court,
        leader_department=case.department,
    )


class Approval(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: ApprovalStep
    approver_id: str
    at: AwareDatetime


class Grant(BaseModel):
    """Permission for one person to read one case's dossier or archive until ``expires_at``."""

    model_config = ConfigDict(frozen=True)

    grant_id: str = Field(min_length=1)
    request_id: str
    case_id: str
    case_court: str
    grantee_id: str
    actions: frozenset[Action]
    basis: GrantBasis
    route: tuple[ApprovalStep, ...]
    approvals: tuple[Approval, ...]
    granted_at: AwareDatetime
    expires_at: AwareDatetime
    revoked_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _reads_only(self) -> Grant:
        if not self.actions or not self.actions <= READ_ACTIONS:
            raise ValueError("a grant opens reading actions only")
        if self.expires_at <= self.granted_at:
            raise ValueError("a grant must expire after it is granted")
        return self

    @property
    def approved_steps(self) -> tuple[ApprovalStep, ...]:
        return tuple(a.step for a in self.approvals)

    @property
    def chain_complete(self) -> bool:
        return self.approved_steps == self.route and len(self.route) > 0

    def satisfies(self, route: ApprovalRoute) -> bool:
        """True if the approvals include every step ``route`` asks for, in its order."""
        if not self.chain_complete:
            return False
        it = iter(self.approved_steps)
        return all(step in it for step in route.steps)

    def is_active(self, now: AwareDatetime) -> bool:
        return self.revoked_at is None and self.granted_at <= now < self.expires_at
