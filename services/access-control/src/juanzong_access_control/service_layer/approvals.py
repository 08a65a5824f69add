"""Access requests (阅览申请): open, approve or deny in the order 第九条 sets, revoke, withdraw, expire.

Each step loads the request inside a transaction, applies the domain transition, stores the request
(and the grant it issues or ends) with its integration event through the outbox, then appends the
step to the audit chain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from juanzong_shared.errors import Conflict, Forbidden, Invalid, NotFound
from juanzong_shared.events.access_control import AccessRequestChanged
from juanzong_shared.outbox import UnitOfWork

from ..adapters.audit_chain import AuditChain
from ..adapters.repository import Accounts, Requests
from ..domain import approvals as ap
from ..domain.cases import Action
from ..domain.grants import ApprovalStep
from ..domain.identities import Principal, Role
from .decisions import Decisions
from .identities import Transact

EVENT_TYPES: dict[type, str] = {
    ap.AccessRequested: "access.request.created",
    ap.AccessStepApproved: "access.request.step_approved",
    ap.AccessGranted: "access.request.approved",
    ap.AccessRequestDenied: "access.request.denied",
    ap.AccessRequestExpired: "access.request.expired",
    ap.AccessGrantExpired: "access.request.expired",
    ap.AccessRevoked: "access.request.revoked",
    ap.AccessRequestWithdrawn: "access.request.withdrawn",
}


class InvalidRequest(Invalid, code="validation"): ...


class ApprovalRefused(Forbidden, code="approval-refused", title="不符合审批规定"): ...


class NoAccess(Forbidden, title="无权访问"):
    """A refusal of the decision point (its rule named in ``rule``)."""


def not_found(what: str, key: str) -> NotFound:
    return NotFound("", f"{what} {key} 不存在 (not found)")


def refused(error: ap.ApprovalRefused | ap.AccessRequestRefused) -> Invalid | Conflict | Forbidden:
    detail = error.detail_en
    if detail in ("reason required", "purpose required"):
        return InvalidRequest("reason" if detail == "reason required" else "purpose", error.reason_zh, rule=error.rule)
    if detail in ("not pending", "no grant", "request expired", "only the requester"):
        return Conflict("", error.reason_zh, rule=error.rule)
    if detail == "grant duration out of the house limit":
        return InvalidRequest("days", error.reason_zh, rule=error.rule)
    extra = {}
    if isinstance(error, ap.ApprovalRefused) and error.next_step is not None:
        extra = {"next_step": error.next_step.value, "next_actor": error.next_actor_zh}
    return ApprovalRefused("", error.reason_zh, rule=error.rule, **extra)


class Approvals:
    """``transact`` runs a unit of work (again on a transient conflict); ``requests`` and ``accounts`` read
    outside one."""

    def __init__(self, transact: Transact, requests: Requests, accounts: Accounts, decisions: Decisions,
                 audit: AuditChain) -> None:
        self.transact, self.requests, self.accounts = transact, requests, accounts
        self.decisions, self.audit = decisions, audit

    async def approver_ids(self, request: ap.AccessRequest) -> list[str]:
        """Who may take the next step: addressees of the notification."""
        step = request.next_step
        if step is None:
            return []
        if step is ApprovalStep.UNDERTAKING_JUDGE:
            return [request.undertaking_judge_id]
        if step is ApprovalStep.DEPARTMENT_HEAD:
            return await self.accounts.approvers(Role.DEPARTMENT_HEAD, request.case_court, request.case_department,
                                                 request.requester_id)
        return await self.accounts.approvers(Role.SUPERVISING_LEADER, request.route.leader_court,
                                             request.route.leader_department, request.requester_id)

    async def _emit(self, uow: UnitOfWork, t: ap.Transition) -> None:
        r, e = t.request, t.event
        step = getattr(e, "step", None)
        reason = getattr(e, "reason_zh", None) or r.close_reason_zh
        uow.emit(AccessRequestChanged(
            request_id=r.request_id, case_number=r.case_id, requester=r.requester_id, state=r.status.value,
            next_approver_role=r.next_step.value if r.next_step else None, at=e.occurred_at,
            next_approver_ids=await self.approver_ids(r), actor=e.actor_id, step=step.value if step else None,
            reason=reason, rule=r.route.rule, grant_id=r.grant_id, grant_expires_at=r.expires_at),
            event_type=EVENT_TYPES[type(e)], court=r.case_court, case_number=r.case_id)

    async def _store(self, uow: UnitOfWork, t: ap.Transition) -> None:
        grant = ap.grant_of(t.request) if t.request.grant_id is not None else None
        await uow.repos.requests.save(t.request, grant)
        await self._emit(uow, t)

    async def _after(self, t: ap.Transition) -> None:
        self.decisions.forget_case(t.request.case_id)
        e = t.event
        await self.audit.append(actor=e.actor_id, action=e.event_type, case_id=e.case_id, at=e.occurred_at, detail={
            "request_id": t.request.request_id, "requester": t.request.requester_id,
            "status": t.request.status.value, "step": getattr(getattr(e, "step", None), "value", None),
            "actions": sorted(a.value for a in t.request.actions), "rule": t.request.route.rule,
            "reason": getattr(e, "reason_zh", None), "grant_id": t.request.grant_id})

    async def open(self, principal: Principal, case_number: str, actions: list[Action], purpose: str,
                   days: int | None) -> ap.AccessRequest:
        facts = await self.decisions.cases.facts(case_number)
        if facts is None or (facts.classified and principal.id not in facts.panel.everyone):
            # a 涉密 case is, to those outside its team, a case that does not exist here (第十条): naming 第十条
            # in the refusal would tell any requester which case numbers are 涉密
            raise not_found("案件", case_number)
        now = datetime.now(UTC)
        duration = timedelta(days=days) if days is not None else ap.DEFAULT_GRANT_DURATION
        try:
            t = ap.open_request(f"ar-{uuid.uuid4().hex[:12]}", principal, facts, actions, purpose, now,
                                duration=duration)
        except ap.AccessRequestRefused as error:
            raise refused(error) from None

        async def work(uow: UnitOfWork) -> ap.Transition:
            await self._store(uow, t)
            return t
        await self.transact(work)
        await self._after(t)
        return t.request

    async def _step(self, request_id: str, change: Callable[[ap.AccessRequest, datetime], ap.Transition | None]
                    ) -> ap.AccessRequest:
        async def work(uow: UnitOfWork) -> ap.Transition | None:
            request = await uow.repos.requests.get(request_id)
            if request is None:
                raise not_found("阅览申请", request_id)
            try:
                t = change(request, datetime.now(UTC))
            except ap.ApprovalRefused as error:
                raise refused(error) from None
            if t is not None:
                await self._store(uow, t)
            return t
        t = await self.transact(work)
        if t is None:
            return await self.get(request_id)
        await self._after(t)
        return t.request

    async def approve(self, principal: Principal, request_id: str) -> ap.AccessRequest:
        return await self._step(request_id, lambda r, now: ap.approve(r, principal, now))

    async def deny(self, principal: Principal, request_id: str, reason: str) -> ap.AccessRequest:
        return await self._step(request_id, lambda r, now: ap.deny(r, principal, reason, now))

    async def revoke(self, principal: Principal, request_id: str, reason: str) -> ap.AccessRequest:
        return await self._step(request_id, lambda r, now: ap.revoke(r, principal, reason, now))

    async def withdraw(self, principal: Principal, request_id: str) -> ap.AccessRequest:
        return await self._step(request_id, lambda r, now: ap.withdraw(r, principal, now))

    async def expire_due(self, now: datetime | None = None) -> int:
        """Lapse requests nobody decided in time and grants past their end; returns how many."""
        now = now or datetime.now(UTC)
        count = 0
        for request_id in await self.requests.due(now):
            before = await self.get(request_id)
            after = await self._step(request_id, lambda r, at: ap.expire(r, max(at, now)))
            count += after.status is not before.status
        return count

    async def get(self, request_id: str) -> ap.AccessRequest:
        request = await self.requests.get(request_id)
        if request is None:
            raise not_found("阅览申请", request_id)
        return request

    async def list(self, *, case_number: str | None = None, requester: str | None = None,
                   status: str | None = None, limit: int = 50, offset: int = 0) -> list[ap.AccessRequest]:
        """The page from ``offset``, newest first, with one request more when another page follows."""
        return await self.requests.find(case_number=case_number, requester=requester, status=status,
                                        limit=limit + 1, offset=offset)

    async def awaiting(self, principal: Principal, limit: int = 50, offset: int = 0) -> list[ap.AccessRequest]:
        """Pending requests whose next step ``principal`` may take: the page from ``offset``, as :meth:`list`."""
        out = []
        for r in await self.requests.find(status="pending", limit=2000):
            step = r.next_step
            if step is not None and principal.id != r.requester_id and ap.may_act(step, principal, r):
                out.append(r)
                if len(out) > offset + limit:
                    break
        return out[offset:]
