"""Paper borrowing (吉高法〔2020〕11号 第八条): request, approve/deny, lend, return, explain; reminders.

Requests and approvals re-read the case's borrowings inside the transaction; the per-case limits of 第八条(一)(二)
also take a slot of a (case, kind) counter by a conditional update in the same transaction, so parallel requests
cannot all pass a count each of them read before the others were stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from juanzong_shared.errors import Conflict, Forbidden, Invalid
from juanzong_shared.events.access_control import BorrowingChanged

from ..adapters.audit_chain import AuditChain
from ..adapters.repository import Accounts, CounterRace
from ..adapters.repository import Borrowings as BorrowingRepository
from ..domain import borrowing as bw
from ..domain import rules
from ..domain.cases import Action, CaseFacts
from ..domain.identities import Principal, PrincipalKind, Role
from .approvals import NoAccess, not_found
from .decisions import Decisions
from .identities import Transact

EVENT_TYPES: dict[type, str] = {
    bw.BorrowingRequested: "borrowing.requested",
    bw.BorrowingApproved: "borrowing.approved",
    bw.BorrowingDenied: "borrowing.denied",
    bw.BorrowingLent: "borrowing.lent",
    bw.BorrowingReturned: "borrowing.returned",
    bw.BorrowingOverdue: "borrowing.overdue",
    bw.EmergencyExplanationGiven: "borrowing.explained",
    bw.EmergencyExplanationChased: "borrowing.explanation_overdue",
}

# Which request field a refusal is about (the domain says why in English; the API names the field).
_FIELDS = {"at most": "days", "days must be": "days", "materials outside": "materials", "purpose required": "purpose",
           "emergency borrowing needs": "session", "verification purpose": "verification_purpose",
           "explanation text": "explanation", "reason required": "reason"}


class OverLimit(Conflict, code="borrowing-limit", title="超出借阅次数限制"): ...


class InvalidBorrowing(Invalid, code="borrowing-invalid", title="借阅申请不符合规定"): ...


class BorrowingNotAllowed(Forbidden, code="borrowing-refused", title="不符合借阅规定"): ...


def refused(error: bw.BorrowingRefused) -> Conflict | Invalid | Forbidden:
    """A refusal naming its article: 409 for the per-case count and state, 422 for a bad field, else 403."""
    detail = error.detail_en
    if "per case" in detail:
        return OverLimit("case_number", error.reason_zh, rule=error.rule)
    if detail in ("not approved", "not lent", "not awaiting approval", "already explained"):
        return Conflict("", error.reason_zh, rule=error.rule)
    for key, field in _FIELDS.items():
        if detail.startswith(key):
            return InvalidBorrowing(field, error.reason_zh, rule=error.rule)
    return BorrowingNotAllowed("", error.reason_zh, rule=error.rule)


# Who handles paper for the whole court: 立案庭 keeps and lends it (第四条(一)5), the approvers of 第八条, 档案科.
PAPER_STAFF = frozenset({Role.FILING_DIVISION_STAFF, Role.DEPARTMENT_HEAD, Role.SUPERVISING_LEADER,
                         Role.PRESIDING_JUDGE, Role.ARCHIVES_OFFICE_STAFF})


def _refuse_station(caller: Principal) -> None:
    if caller.kind is PrincipalKind.STATION:
        raise NoAccess("", "扫描工位只负责扫描，不能查阅或申请借阅纸质材料。", rule=rules.ART4_1_3)


class Borrowings:
    """``transact`` runs a unit of work (again on a transient conflict); ``borrowings`` and ``accounts`` read
    outside one."""

    def __init__(self, transact: Transact, borrowings: BorrowingRepository, accounts: Accounts,
                 decisions: Decisions, audit: AuditChain) -> None:
        self.transact, self.borrowings, self.accounts = transact, borrowings, accounts
        self.decisions, self.audit = decisions, audit

    async def _case(self, case_number: str) -> CaseFacts:
        facts = await self.decisions.cases.facts(case_number)
        if facts is None:
            raise not_found("案件", case_number)
        return facts

    async def approver_ids(self, b: bw.Borrowing, case: CaseFacts) -> list[str]:
        role = bw.rule_for(b.kind).approver
        if role is Role.PRESIDING_JUDGE:
            return [case.panel.presiding_judge] if case.panel.presiding_judge else []
        return await self.accounts.approvers(role, case.court, case.department, b.borrower_id)

    async def _store(self, uow, step: bw.BorrowingStep, case: CaseFacts | None) -> None:
        b, e = step
        await uow.repos.borrowings.save(b)
        r = bw.rule_for(b.kind)
        approver = isinstance(e, bw.BorrowingRequested) and case is not None
        uow.emit(BorrowingChanged(
            borrowing_id=b.borrowing_id, case_number=b.case_id, borrower=b.borrower_id, kind=b.kind.value,
            state=b.status.value, due=b.due_at, at=e.occurred_at, actor=e.actor_id, rule=r.rule,
            reason=getattr(e, "reason_zh", None) or b.denial_reason_zh,
            notice=getattr(e, "notice", None) or getattr(e, "chase", None), explanation_due=b.explanation_due_at,
            presiding_judge=case.panel.presiding_judge if case else None,
            approver_role=r.approver.value if approver else None,
            approver_ids=await self.approver_ids(b, case) if approver else []),
            event_type=EVENT_TYPES[type(e)], court=b.court, case_number=b.case_id)

    async def _audit(self, step: bw.BorrowingStep) -> None:
        b, e = step
        await self.audit.append(actor=e.actor_id, action=e.event_type, case_id=b.case_id, at=e.occurred_at, detail={
            "borrowing_id": b.borrowing_id, "kind": b.kind.value, "borrower": b.borrower_id, "days": b.days,
            "status": b.status.value, "rule": b.rule, "due": b.due_at.isoformat() if b.due_at else None,
            "reason": getattr(e, "reason_zh", None)})

    async def request(self, principal: Principal, *, case_number: str, kind: bw.BorrowingKind,
                      materials: list[bw.PaperMaterial], days: int, purpose: str,
                      session: bw.SessionKind | None = None, cause: str | None = None,
                      verification_purpose: bw.VerificationPurpose | None = None) -> bw.Borrowing:
        _refuse_station(principal)
        case = await self._case(case_number)
        if case.classified:  # 第十条: outside its team a 涉密 case does not exist, not even to be refused
            decision, _ = await self.decisions.decide(principal, Action.READ_CASE, case_number, record=False)
            if not decision.allowed:
                raise not_found("案件", case_number)

        async def work(uow) -> bw.BorrowingStep:
            history = await uow.repos.borrowings.of_case(case_number)
            try:
                step = bw.request_borrowing(f"bw-{uuid.uuid4().hex[:12]}", kind, case, principal, materials, days,
                                            purpose, datetime.now(UTC), history, session=session, cause_zh=cause,
                                            verification_purpose=verification_purpose)
            except bw.BorrowingRefused as error:
                raise refused(error) from None
            limit = bw.rule_for(step.borrowing.kind).max_per_case
            if limit is not None:
                # The history read above may miss a parallel request not yet committed: the counter decides.
                counted = bw.counted_at_request(history, case_number, step.borrowing.kind)
                if await uow.repos.borrowings.claim_slot(case_number, step.borrowing.kind.value, limit=limit,
                                                         counted=counted) is None:
                    raise refused(bw.over_limit(step.borrowing.kind, max(counted, limit)))
            await self._store(uow, step, case)
            return step
        for attempt in range(10):
            try:
                step = await self.transact(work)
                break
            except CounterRace:  # a parallel request started the same counter: read everything again
                if attempt == 9:
                    raise
        await self._audit(step)
        return step.borrowing

    async def _step(self, borrowing_id: str,
                    change: Callable[[bw.Borrowing, CaseFacts, list[bw.Borrowing], datetime], bw.BorrowingStep]
                    ) -> bw.Borrowing:
        current = await self.get(borrowing_id)
        case = await self._case(current.case_id)

        async def work(uow) -> bw.BorrowingStep:
            history = await uow.repos.borrowings.of_case(current.case_id)
            b = next((h for h in history if h.borrowing_id == borrowing_id), None)
            if b is None:
                raise not_found("借阅", borrowing_id)
            try:
                step = change(b, case, history, datetime.now(UTC))
            except bw.BorrowingRefused as error:
                raise refused(error) from None
            if (step.borrowing.status is bw.BorrowingStatus.DENIED and b.status is not bw.BorrowingStatus.DENIED
                    and bw.rule_for(b.kind).max_per_case is not None):
                await uow.repos.borrowings.release_slot(b.case_id, b.kind.value)
            await self._store(uow, step, case)
            return step
        step = await self.transact(work)
        await self._audit(step)
        return step.borrowing

    async def approve(self, principal: Principal, borrowing_id: str) -> bw.Borrowing:
        return await self._step(borrowing_id, lambda b, c, h, now: bw.approve_borrowing(b, principal, c, h, now))

    async def deny(self, principal: Principal, borrowing_id: str, reason: str) -> bw.Borrowing:
        return await self._step(borrowing_id, lambda b, c, h, now: bw.deny_borrowing(b, principal, c, reason, now))

    async def lend(self, principal: Principal, borrowing_id: str) -> bw.Borrowing:
        return await self._step(borrowing_id, lambda b, c, h, now: bw.hand_over(b, principal, now))

    async def give_back(self, principal: Principal, borrowing_id: str) -> bw.Borrowing:
        return await self._step(borrowing_id, lambda b, c, h, now: bw.return_borrowing(b, principal, now))

    async def explain(self, principal: Principal, borrowing_id: str, text: str) -> bw.Borrowing:
        return await self._step(borrowing_id, lambda b, c, h, now: bw.explain_emergency(b, principal, c, text, now))

    # -- reading (need to know: 吉高法〔2020〕11号 第九条; every read leaves a trace: 法〔2016〕264号 一(三)) ----------
    async def _need_to_know(self, caller: Principal, case_number: str) -> None:
        """The ``read_case`` decision for the case (recorded in the audit chain). A case that is not registered, or
        a 涉密 one the caller is outside of (第十条), does not exist for the caller: 404, as for any unknown case."""
        _refuse_station(caller)
        decision, _ = await self.decisions.decide(caller, Action.READ_CASE, case_number)
        if decision.allowed:
            return
        facts = await self.decisions.case_facts(case_number)
        if facts is None or (facts.classified and rules.ART10 in decision.rule):
            raise not_found("案件", case_number)
        raise NoAccess("", f"查看本案借阅记录：{decision.reason_zh}", rule=decision.rule)

    async def _trace(self, caller: Principal, case_number: str, found: list[bw.Borrowing]) -> None:
        await self.audit.append(actor=caller.id, action="read.borrowings", case_id=case_number, detail={
            "borrowings": [b.borrowing_id for b in found], "kind": caller.kind.value})

    async def read_of_case(self, caller: Principal, case_number: str, *, status: str | None = None,
                           limit: int = 50, offset: int = 0) -> list[bw.Borrowing]:
        """The case's borrowings, for whoever may read the case: the page from ``offset``, newest first, with one
        more when another page follows (not traced: it is not shown)."""
        await self._need_to_know(caller, case_number)
        found = await self.borrowings.find(case_number=case_number, status=status, limit=limit + 1, offset=offset)
        await self._trace(caller, case_number, found[:limit])
        return found

    async def read_visible(self, caller: Principal, *, status: str | None = None, limit: int = 50,
                           offset: int = 0) -> list[bw.Borrowing]:
        """Without a case: the caller's own borrowings, and for the staff who handle paper (立案庭, approvers,
        档案科) those of their court — each case's only if the caller may read that case. Paged as
        :meth:`read_of_case`."""
        _refuse_station(caller)
        staff = caller.kind is PrincipalKind.USER and caller.roles & PAPER_STAFF
        candidates = await self.borrowings.find(**({"court": caller.court} if staff else {"borrower": caller.id}),
                                                status=status, limit=2000)
        readable: dict[str, bool] = {}
        shown: list[bw.Borrowing] = []
        for b in candidates:
            if b.case_id not in readable:
                decision, _ = await self.decisions.decide(caller, Action.READ_CASE, b.case_id)
                readable[b.case_id] = decision.allowed
            if readable[b.case_id] or b.borrower_id == caller.id:
                shown.append(b)
                if len(shown) > offset + limit:
                    break
        page = shown[offset:offset + limit]
        for case_number in dict.fromkeys(b.case_id for b in page):
            await self._trace(caller, case_number, [b for b in page if b.case_id == case_number])
        return shown[offset:]

    async def read_one(self, caller: Principal, borrowing_id: str) -> bw.Borrowing:
        """One borrowing: its borrower, or whoever may read its case (else 404/403 as for the case)."""
        _refuse_station(caller)
        b = await self.get(borrowing_id)
        if b.borrower_id != caller.id:
            await self._need_to_know(caller, b.case_id)
        await self._trace(caller, b.case_id, [b])
        return b

    async def get(self, borrowing_id: str) -> bw.Borrowing:
        b = await self.borrowings.get(borrowing_id)
        if b is None:
            raise not_found("借阅", borrowing_id)
        return b

    async def chase(self, now: datetime | None = None) -> int:
        """Overdue notices for unreturned paper, and chases of missing emergency explanations
        (吉高法〔2020〕11号 第八条(三)): one event each, again every reminder period."""
        now = now or datetime.now(UTC)
        candidates = await self.borrowings.reminders_due(now, bw.BorrowingKind.EMERGENCY.value)
        cases: dict[str, CaseFacts] = {}
        for b in candidates:
            facts = await self.decisions.cases.facts(b.case_id)
            if facts is not None:
                cases[b.case_id] = facts
        steps = [*bw.overdue_notices(candidates, now), *bw.chase_explanations(candidates, cases, now)]
        for step in steps:
            # Both reminder kinds may touch the same borrowing: re-read and apply the counter change only.
            async def work(uow, step: bw.BorrowingStep = step) -> None:
                current = await uow.repos.borrowings.get(step.borrowing.borrowing_id)
                fields = ({"overdue_notices", "last_overdue_notice_at"}
                          if isinstance(step.event, bw.BorrowingOverdue)
                          else {"explanation_chases", "last_chased_at"})
                merged = current.model_copy(update={f: getattr(step.borrowing, f) for f in fields})
                await self._store(uow, bw.BorrowingStep(merged, step.event), cases.get(merged.case_id))
            await self.transact(work)
            await self._audit(step)
        return len(steps)
