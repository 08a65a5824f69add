"""Access requests (阅览申请) and their ordered approval chain (吉高法〔2020〕11号 第九条).

Each function takes a request and returns a ``Transition``: the new request and the domain event
that records the step. Nothing is mutated; a refused step raises ``ApprovalRefused`` naming who must
act next.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict

from . import rules
from .cases import READ_ACTIONS, Action, CaseFacts
from .events import DomainEvent
from .grants import Approval, ApprovalRoute, ApprovalStep, Grant, approval_route
from .identities import Principal, PrincipalKind
from .policy import decide

# House settings, not regulation: how long a grant lasts, and how long a request waits for approvers.
DEFAULT_GRANT_DURATION = timedelta(days=7)
MAX_GRANT_DURATION = timedelta(days=30)
DEFAULT_DECISION_WINDOW = timedelta(days=3)


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


class AccessRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: str
    case_id: str
    case_court: str
    case_department: str | None
    undertaking_judge_id: str
    requester_id: str
    requester_court: str
    requester_department: str | None
    actions: frozenset[Action]
    purpose_zh: str
    route: ApprovalRoute
    approvals: tuple[Approval, ...] = ()
    status: RequestStatus = RequestStatus.PENDING
    requested_at: AwareDatetime
    decide_by: AwareDatetime
    duration: timedelta
    grant_id: str | None = None
    granted_at: AwareDatetime | None = None
    expires_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    closed_by: str | None = None
    close_reason_zh: str | None = None

    @property
    def next_step(self) -> ApprovalStep | None:
        if self.status is not RequestStatus.PENDING:
            return None
        done = len(self.approvals)
        return self.route.steps[done] if done < len(self.route.steps) else None


# -- errors ---------------------------------------------------------------------------------------
class AccessRequestRefused(Exception):
    """The request cannot be opened at all."""

    def __init__(self, rule: str, reason_zh: str, detail_en: str = "") -> None:
        super().__init__(f"{reason_zh}（{rule}）")
        self.rule, self.reason_zh, self.detail_en = rule, reason_zh, detail_en


class ApprovalRefused(Exception):
    """An approve/deny/revoke step refused. ``next_step``/``next_actor_zh`` say who must act next."""

    def __init__(
        self,
        rule: str,
        reason_zh: str,
        *,
        next_step: ApprovalStep | None = None,
        next_actor_zh: str | None = None,
        detail_en: str = "",
    ) -> None:
        text = reason_zh if next_actor_zh is None else f"{reason_zh}现应由{next_actor_zh}审批。"
        super().__init__(f"{text}（{rule}）")
        self.rule, self.reason_zh, self.detail_en = rule, text, detail_en
        self.next_step, self.next_actor_zh = next_step, next_actor_zh


# -- events ---------------------------------------------------------------------------------------
class AccessRequested(DomainEvent):
    event_type: Literal["access.requested"] = "access.requested"
    request_id: str
    steps: tuple[ApprovalStep, ...]
    next_step: ApprovalStep


class AccessStepApproved(DomainEvent):
    event_type: Literal["access.step_approved"] = "access.step_approved"
    request_id: str
    step: ApprovalStep
    next_step: ApprovalStep


class AccessGranted(DomainEvent):
    event_type: Literal["access.granted"] = "access.granted"
    request_id: str
    grant: Grant


class AccessRequestDenied(DomainEvent):
    event_type: Literal["access.request_denied"] = "access.request_denied"
    request_id: str
    step: ApprovalStep
    reason_zh: str


class AccessRequestExpired(DomainEvent):
    event_type: Literal["access.request_expired"] = "access.request_expired"
    request_id: str
    waiting_for: ApprovalStep | None


class AccessGrantExpired(DomainEvent):
    event_type: Literal["access.grant_expired"] = "access.grant_expired"
    request_id: str
    grant_id: str


class AccessRevoked(DomainEvent):
    event_type: Literal["access.revoked"] = "access.revoked"
    request_id: str
    grant_id: str
    reason_zh: str


class AccessRequestWithdrawn(DomainEvent):
    event_type: Literal["access.request_withdrawn"] = "access.request_withdrawn"
    request_id: str


class Transition(NamedTuple):
    request: AccessRequest
    event: DomainEvent


# -- who may act ----------------------------------------------------------------------------------
def may_act(step: ApprovalStep, approver: Principal, request: AccessRequest) -> bool:
    """Whether ``approver`` is the person 第九条 names for ``step`` of ``request``."""
    if approver.kind is not PrincipalKind.USER:
        return False
    if step is ApprovalStep.UNDERTAKING_JUDGE:
        return approver.id == request.undertaking_judge_id and approver.court == request.case_court
    if step is ApprovalStep.DEPARTMENT_HEAD:
        return approver.heads(request.case_court, request.case_department)
    return approver.supervises(request.route.leader_court, request.route.leader_department)


def actor_zh(step: ApprovalStep, request: AccessRequest) -> str:
    """Who must act for ``step``, in words court staff read."""
    if step is ApprovalStep.UNDERTAKING_JUDGE:
        return f"承办法官（{request.undertaking_judge_id}）"
    if step is ApprovalStep.DEPARTMENT_HEAD:
        return f"{request.case_court}{request.case_department or ''}部门负责人"
    return f"{request.route.leader_court}分管{request.route.leader_department or ''}的院领导"


# -- transitions ----------------------------------------------------------------------------------
def open_request(
    request_id: str,
    requester: Principal,
    case: CaseFacts,
    actions: Iterable[Action | str],
    purpose_zh: str,
    now: datetime,
    *,
    duration: timedelta = DEFAULT_GRANT_DURATION,
    decision_window: timedelta = DEFAULT_DECISION_WINDOW,
) -> Transition:
    """Ask to read a case one may not read by rule; the route follows 吉高法〔2020〕11号 第九条."""
    wanted = frozenset(Action(a) for a in actions)
    if requester.kind is not PrincipalKind.USER:
        raise AccessRequestRefused(
            rules.ART9, "仅法院工作人员可申请阅览授权。", "only court staff request access"
        )
    if requester.is_external:
        raise AccessRequestRefused(
            rules.SPC_3_6,
            "当事人、律师通过诉讼服务平台查阅本案卷宗，无需审批。",
            "representatives use the portal",
        )
    if case.classified:
        raise AccessRequestRefused(
            f"{rules.ART10}; {rules.SPC_2_3}", "涉国家秘密案件不在本系统阅览。", "classified"
        )
    if not wanted or not wanted <= READ_ACTIONS:
        raise AccessRequestRefused(
            rules.ART9, "只能申请阅览电子卷宗、电子档案。", "grants open reading actions only"
        )
    if not purpose_zh.strip():
        raise AccessRequestRefused(rules.ART9, "请说明查阅事由。", "purpose required")
    if not timedelta(0) < duration <= MAX_GRANT_DURATION:
        raise AccessRequestRefused(
            rules.ART9,
            f"授权期限须在{MAX_GRANT_DURATION.days}天以内（本院设置）。",
            "grant duration out of the house limit",
        )
    if all(decide(requester, a, case, (), now).allowed for a in wanted):
        raise AccessRequestRefused(rules.ART9_2, "您已有权查阅本案，无需申请。", "already allowed by rule")
    route = approval_route(requester, case)
    if route.leader_department is None:
        raise AccessRequestRefused(
            route.rule,
            "未登记所属部门，无法确定审批的分管院领导。",
            "department unknown: no approver can be named",
        )
    request = AccessRequest(
        request_id=request_id,
        case_id=case.case_id,
        case_court=case.court,
        case_department=case.department,
        undertaking_judge_id=case.panel.undertaking_judge,
        requester_id=requester.id,
        requester_court=requester.court,
        requester_department=requester.department,
        actions=wanted,
        purpose_zh=purpose_zh.strip(),
        route=route,
        requested_at=now,
        decide_by=now + decision_window,
        duration=duration,
    )
    event = AccessRequested(
        occurred_at=now,
        case_id=case.case_id,
        actor_id=requester.id,
        request_id=request_id,
        steps=route.steps,
        next_step=route.steps[0],
    )
    return Transition(request, event)


def _due_step(request: AccessRequest, actor: Principal, now: datetime) -> ApprovalStep:
    """The step ``actor`` may act on now, or ApprovalRefused naming who must act."""
    rule = request.route.rule
    if request.status is not RequestStatus.PENDING:
        raise ApprovalRefused(
            rule, f"申请状态为{request.status.value}，不能再审批。", detail_en="not pending"
        )
    step = request.next_step
    assert step is not None  # a pending request always waits for a step
    who = actor_zh(step, request)
    if now >= request.decide_by:
        raise ApprovalRefused(
            rule, f"申请已于{request.decide_by.isoformat()}过期，请重新申请。", detail_en="request expired"
        )
    if actor.id == request.requester_id:
        raise ApprovalRefused(
            rule, "申请人不得审批本人的申请。", next_step=step, next_actor_zh=who, detail_en="self-approval"
        )
    if not may_act(step, actor, request):
        raise ApprovalRefused(
            rule,
            f"{actor.name or actor.id}不是本步骤的审批人，审批须按{_chain_zh(request.route)}的顺序进行。",
            next_step=step,
            next_actor_zh=who,
            detail_en=f"waiting for {step.value}",
        )
    return step


def approve(request: AccessRequest, approver: Principal, now: datetime) -> Transition:
    """Record the next approval; the last one issues the grant (吉高法〔2020〕11号 第九条)."""
    step = _due_step(request, approver, now)
    approvals = (*request.approvals, Approval(step=step, approver_id=approver.id, at=now))
    if len(approvals) < len(request.route.steps):
        updated = request.model_copy(update={"approvals": approvals})
        next_step = request.route.steps[len(approvals)]
        return Transition(
            updated,
            AccessStepApproved(
                occurred_at=now,
                case_id=request.case_id,
                actor_id=approver.id,
                request_id=request.request_id,
                step=step,
                next_step=next_step,
            ),
        )
    updated = request.model_copy(
        update={
            "approvals": approvals,
            "status": RequestStatus.APPROVED,
            "grant_id": f"grant-{request.request_id}",
            "granted_at": now,
            "expires_at": now + request.duration,
        }
    )
    return Transition(
        updated,
        AccessGranted(
            occurred_at=now,
            case_id=request.case_id,
            actor_id=approver.id,
            request_id=request.request_id,
            grant=grant_of(updated),
        ),
    )


def deny(request: AccessRequest, approver: Principal, reason_zh: str, now: datetime) -> Transition:
    """The approver now due refuses; the request ends (吉高法〔2020〕11号 第九条)."""
    step = _due_step(request, approver, now)
    if not reason_zh.strip():
        raise ApprovalRefused(request.route.rule, "不同意须注明原因。", detail_en="reason required")
    updated = request.model_copy(
        update={
            "status": RequestStatus.DENIED,
            "closed_at": now,
            "closed_by": approver.id,
            "close_reason_zh": reason_zh.strip(),
        }
    )
    return Transition(
        updated,
        AccessRequestDenied(
            occurred_at=now,
            case_id=request.case_id,
            actor_id=approver.id,
            request_id=request.request_id,
            step=step,
            reason_zh=reason_zh.strip(),
        ),
    )


def expire(request: AccessRequest, now: datetime) -> Transition | None:
    """Lapse a request nobody decided in time, or a grant past its end. None if nothing is due."""
    if request.status is RequestStatus.PENDING and now >= request.decide_by:
        updated = request.model_copy(update={"status": RequestStatus.EXPIRED, "closed_at": now})
        return Transition(
            updated,
            AccessRequestExpired(
                occurred_at=now,
                case_id=request.case_id,
                actor_id="system",
                request_id=request.request_id,
                waiting_for=request.next_step,
            ),
        )
    if (
        request.status is RequestStatus.APPROVED
        and request.expires_at is not None
        and now >= request.expires_at
    ):
        updated = request.model_copy(update={"status": RequestStatus.EXPIRED, "closed_at": now})
        assert request.grant_id is not None
        return Transition(
            updated,
            AccessGrantExpired(
                occurred_at=now,
                case_id=request.case_id,
                actor_id="system",
                request_id=request.request_id,
                grant_id=request.grant_id,
            ),
        )
    return None


def revoke(request: AccessRequest, by: Principal, reason_zh: str, now: datetime) -> Transition:
    """End a grant early: the grantee gives it up, or one of its approvers withdraws it."""
    rule = request.route.rule
    if request.status is not RequestStatus.APPROVED or request.grant_id is None:
        raise ApprovalRefused(
            rule, f"申请状态为{request.status.value}，没有可撤销的授权。", detail_en="no grant"
        )
    if by.id != request.requester_id and not any(may_act(s, by, request) for s in request.route.steps):
        raise ApprovalRefused(
            rule,
            f"撤销授权限于被授权人或{_chain_zh(request.route)}。",
            detail_en="only the grantee or an approver revokes",
        )
    if not reason_zh.strip():
        raise ApprovalRefused(rule, "撤销授权须注明原因。", detail_en="reason required")
    updated = request.model_copy(
        update={
            "status": RequestStatus.REVOKED,
            "closed_at": now,
            "closed_by": by.id,
            "close_reason_zh": reason_zh.strip(),
        }
    )
    return Transition(
        updated,
        AccessRevoked(
            occurred_at=now,
            case_id=request.case_id,
            actor_id=by.id,
            request_id=request.request_id,
            grant_id=request.grant_id,
            reason_zh=reason_zh.strip(),
        ),
    )


def withdraw(request: AccessRequest, by: Principal, now: datetime) -> Transition:
    """The requester drops a pending request."""
    if request.status is not RequestStatus.PENDING:
        raise ApprovalRefused(request.route.rule, "只能撤回待审批的申请。", detail_en="not pending")
    if by.id != request.requester_id:
        raise ApprovalRefused(request.route.rule, "只有申请人可以撤回申请。", detail_en="only the requester")
    updated = request.model_copy(
        update={"status": RequestStatus.WITHDRAWN, "closed_at": now, "closed_by": by.id}
    )
    return Transition(
        updated,
        AccessRequestWithdrawn(
            occurred_at=now, case_id=request.case_id, actor_id=by.id, request_id=request.request_id
        ),
    )


def grant_of(request: AccessRequest) -> Grant:
    """The grant an approved request issued, with its revocation if any, for the decision point."""
    if request.grant_id is None or request.granted_at is None or request.expires_at is None:
        raise ValueError(f"request {request.request_id} was never approved")
    return Grant(
        grant_id=request.grant_id,
        request_id=request.request_id,
        case_id=request.case_id,
        case_court=request.case_court,
        grantee_id=request.requester_id,
        actions=request.actions,
        basis=request.route.basis,
        route=request.route.steps,
        approvals=request.approvals,
        granted_at=request.granted_at,
        expires_at=request.expires_at,
        revoked_at=request.closed_at if request.status is RequestStatus.REVOKED else None,
    )


def _chain_zh(route: ApprovalRoute) -> str:
    return "→".join(step.zh for step in route.steps)
