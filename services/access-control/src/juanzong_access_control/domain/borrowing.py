"""Paper borrowing (纸质材料线下借阅), 吉高法〔2020〕11号 第八条: online is the rule, paper the exception.

Four kinds, each with its approver and limits:

===================== ============== ================= ====================== =========================
kind                  article        approver          per case               days each
===================== ============== ================= ====================== =========================
original_trial_paper  第八条(一)     分管院领导        2 ("一般不超过2次")    ≤ 30
current_case_paper    第八条(二)     部门负责人        2                      ≤ 10
emergency             第八条(三)     审判长            —                      house setting (3)
verification          第八条(四)     分管院领导        —                      house setting (60)
===================== ============== ================= ====================== =========================

Emergency borrowing needs an explanation afterwards (事后提供材料予以说明); it is chased until given.
The paper is kept, lent and taken back by 立案庭 (第四条(一)5). Every refusal raises
``BorrowingRefused`` naming the article.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict

from . import rules
from .cases import CaseFacts
from .events import DomainEvent
from .identities import Principal, PrincipalKind, Role


class BorrowingKind(StrEnum):
    ORIGINAL_TRIAL_PAPER = "original_trial_paper"  # 原审纸质档案线下借阅
    CURRENT_CASE_PAPER = "current_case_paper"  # 本案纸质诉讼材料线下借阅
    EMERGENCY = "emergency"  # 紧急情形线下借阅
    VERIFICATION = "verification"  # 特定情形线下借阅（核对原件、鉴定）

    @property
    def zh(self) -> str:
        return _KIND_ZH[self]


_KIND_ZH = {
    BorrowingKind.ORIGINAL_TRIAL_PAPER: "原审纸质档案借阅",
    BorrowingKind.CURRENT_CASE_PAPER: "本案纸质诉讼材料借阅",
    BorrowingKind.EMERGENCY: "紧急情形借阅",
    BorrowingKind.VERIFICATION: "核对原件、鉴定借阅",
}


class PaperMaterial(StrEnum):
    ORIGINAL_TRIAL_ARCHIVE = "original_trial_archive"  # 原审纸质档案
    CURRENT_CASE_MATERIALS = "current_case_materials"  # 本案纸质诉讼材料


_MATERIAL_ZH = {
    PaperMaterial.ORIGINAL_TRIAL_ARCHIVE: "原审纸质档案",
    PaperMaterial.CURRENT_CASE_MATERIALS: "本案纸质诉讼材料",
}


class SessionKind(StrEnum):
    """The running proceedings an emergency borrowing rescues (第八条(三))."""

    HEARING = "hearing"  # 庭审（听证）
    RECEPTION = "reception"  # 接待
    DELIBERATION = "deliberation"  # 合议
    JUDGES_MEETING = "judges_meeting"  # 法官会议
    ADJUDICATION_COMMITTEE = "adjudication_committee"  # 审判委员会


class VerificationPurpose(StrEnum):
    CHECK_ORIGINAL = "check_original"  # 核对原件材料
    APPRAISAL = "appraisal"  # 鉴定
    OTHER = "other"  # 其他确需原件的情形 ("等情形"), described in purpose_zh


class BorrowingStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    LENT = "lent"
    RETURNED = "returned"
    DENIED = "denied"


class BorrowingPolicy(BaseModel):
    """House settings for what 第八条 leaves open. Not regulation; refusals under them say so."""

    model_config = ConfigDict(frozen=True)

    emergency_max_days: int = 3
    verification_max_days: int = 60
    explanation_within: timedelta = timedelta(days=3)
    reminder_every: timedelta = timedelta(days=1)


DEFAULT_POLICY = BorrowingPolicy()


class BorrowingRule(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: BorrowingKind
    rule: str
    approver: Role
    materials: frozenset[PaperMaterial]
    max_per_case: int | None
    max_days: int
    days_set_by_house: bool
    judges_only: bool  # "法官可借阅"; emergency borrowing is open to the whole case team
    explanation_required: bool


def rule_for(kind: BorrowingKind, policy: BorrowingPolicy = DEFAULT_POLICY) -> BorrowingRule:
    """The limits of 吉高法〔2020〕11号 第八条(一)-(四) for ``kind``."""
    both = frozenset(PaperMaterial)
    if kind is BorrowingKind.ORIGINAL_TRIAL_PAPER:
        return BorrowingRule(
            kind=kind,
            rule=rules.ART8_1,
            approver=Role.SUPERVISING_LEADER,
            materials=frozenset({PaperMaterial.ORIGINAL_TRIAL_ARCHIVE}),
            max_per_case=2,
            max_days=30,
            days_set_by_house=False,
            judges_only=True,
            explanation_required=False,
        )
    if kind is BorrowingKind.CURRENT_CASE_PAPER:
        return BorrowingRule(
            kind=kind,
            rule=rules.ART8_2,
            approver=Role.DEPARTMENT_HEAD,
            materials=frozenset({PaperMaterial.CURRENT_CASE_MATERIALS}),
            max_per_case=2,
            max_days=10,
            days_set_by_house=False,
            judges_only=True,
            explanation_required=False,
        )
    if kind is BorrowingKind.EMERGENCY:
        return BorrowingRule(
            kind=kind,
            rule=rules.ART8_3,
            approver=Role.PRESIDING_JUDGE,
            materials=both,
            max_per_case=None,
            max_days=policy.emergency_max_days,
            days_set_by_house=True,
            judges_only=False,
            explanation_required=True,
        )
    return BorrowingRule(
        kind=kind,
        rule=rules.ART8_4,
        approver=Role.SUPERVISING_LEADER,
        materials=both,
        max_per_case=None,
        max_days=policy.verification_max_days,
        days_set_by_house=True,
        judges_only=True,
        explanation_required=False,
    )


class BorrowingRefused(Exception):
    """A borrowing step refused; ``rule`` names the article of 第八条 (or 第四条(一)5) that decided."""

    def __init__(self, rule: str, reason_zh: str, detail_en: str = "") -> None:
        super().__init__(f"{reason_zh}（{rule}）")
        self.rule, self.reason_zh, self.detail_en = rule, reason_zh, detail_en


class Borrowing(BaseModel):
    model_config = ConfigDict(frozen=True)

    borrowing_id: str
    case_id: str
    court: str
    kind: BorrowingKind
    materials: frozenset[PaperMaterial]
    borrower_id: str
    purpose_zh: str
    days: int
    requested_at: AwareDatetime
    session: SessionKind | None = None
    cause_zh: str | None = None
    verification_purpose: VerificationPurpose | None = None
    status: BorrowingStatus = BorrowingStatus.REQUESTED
    approver_id: str | None = None
    decided_at: AwareDatetime | None = None
    denial_reason_zh: str | None = None
    lent_at: AwareDatetime | None = None
    lent_by: str | None = None
    due_at: AwareDatetime | None = None
    returned_at: AwareDatetime | None = None
    received_by: str | None = None
    explanation_due_at: AwareDatetime | None = None
    explanation_zh: str | None = None
    explained_at: AwareDatetime | None = None
    overdue_notices: int = 0
    last_overdue_notice_at: AwareDatetime | None = None
    explanation_chases: int = 0
    last_chased_at: AwareDatetime | None = None

    @property
    def rule(self) -> str:
        return rule_for(self.kind).rule

    def is_overdue(self, now: datetime) -> bool:
        return self.status is BorrowingStatus.LENT and self.due_at is not None and now > self.due_at

    def explanation_overdue(self, now: datetime) -> bool:
        """An emergency borrowing whose explanation (第八条(三) 事后说明) is late."""
        return (
            self.kind is BorrowingKind.EMERGENCY
            and self.explained_at is None
            and self.explanation_due_at is not None
            and now > self.explanation_due_at
        )


# -- events ---------------------------------------------------------------------------------------
class _BorrowingEvent(DomainEvent):
    borrowing_id: str
    kind: BorrowingKind


class BorrowingRequested(_BorrowingEvent):
    event_type: Literal["borrowing.requested"] = "borrowing.requested"
    approver_role: Role


class BorrowingApproved(_BorrowingEvent):
    event_type: Literal["borrowing.approved"] = "borrowing.approved"


class BorrowingDenied(_BorrowingEvent):
    event_type: Literal["borrowing.denied"] = "borrowing.denied"
    reason_zh: str


class BorrowingLent(_BorrowingEvent):
    event_type: Literal["borrowing.lent"] = "borrowing.lent"
    borrower_id: str
    due_at: AwareDatetime


class BorrowingReturned(_BorrowingEvent):
    event_type: Literal["borrowing.returned"] = "borrowing.returned"
    late: bool


class BorrowingOverdue(_BorrowingEvent):
    event_type: Literal["borrowing.overdue"] = "borrowing.overdue"
    borrower_id: str
    due_at: AwareDatetime
    notice: int


class EmergencyExplanationGiven(_BorrowingEvent):
    event_type: Literal["borrowing.explanation_given"] = "borrowing.explanation_given"


class EmergencyExplanationChased(_BorrowingEvent):
    event_type: Literal["borrowing.explanation_chased"] = "borrowing.explanation_chased"
    borrower_id: str
    presiding_judge_id: str | None
    explanation_due_at: AwareDatetime
    chase: int


class BorrowingStep(NamedTuple):
    borrowing: Borrowing
    event: DomainEvent


_COUNTED_AT_REQUEST = frozenset(
    {BorrowingStatus.REQUESTED, BorrowingStatus.APPROVED, BorrowingStatus.LENT, BorrowingStatus.RETURNED}
)
_COUNTED_AT_APPROVAL = frozenset({BorrowingStatus.APPROVED, BorrowingStatus.LENT, BorrowingStatus.RETURNED})


def _used(
    history: Iterable[Borrowing], case_id: str, kind: BorrowingKind, counted: frozenset, skip: str
) -> int:
    return sum(
        1
        for b in history
        if b.case_id == case_id and b.kind is kind and b.status in counted and b.borrowing_id != skip
    )


def counted_at_request(history: Iterable[Borrowing], case_id: str, kind: BorrowingKind, *, skip: str = "") -> int:
    """How many of the case's borrowings of ``kind`` count against 第八条's per-case limit (all but refused ones)."""
    return _used(history, case_id, kind, _COUNTED_AT_REQUEST, skip)


def over_limit(kind: BorrowingKind, used: int, policy: BorrowingPolicy = DEFAULT_POLICY) -> BorrowingRefused:
    """The refusal of one borrowing more than 第八条(一)/(二) allow per case."""
    r = rule_for(kind, policy)
    return BorrowingRefused(
        r.rule,
        f"{kind.zh}每案不超过{r.max_per_case}次，本案已申请或借阅{used}次，第{used + 1}次借阅被拒绝。",
        f"at most {r.max_per_case} borrowings per case",
    )


def _event_base(b: Borrowing, actor_id: str, now: datetime) -> dict:
    return {
        "occurred_at": now,
        "case_id": b.case_id,
        "actor_id": actor_id,
        "borrowing_id": b.borrowing_id,
        "kind": b.kind,
    }


# -- request --------------------------------------------------------------------------------------
def request_borrowing(
    borrowing_id: str,
    kind: BorrowingKind | str,
    case: CaseFacts,
    borrower: Principal,
    materials: Iterable[PaperMaterial | str],
    days: int,
    purpose_zh: str,
    now: datetime,
    history: Sequence[Borrowing] = (),
    *,
    session: SessionKind | None = None,
    cause_zh: str | None = None,
    verification_purpose: VerificationPurpose | None = None,
    policy: BorrowingPolicy = DEFAULT_POLICY,
) -> BorrowingStep:
    """Ask to borrow paper; refused at once if 第八条 rules it out. ``history``: the case's borrowings."""
    kind = BorrowingKind(kind)
    r = rule_for(kind, policy)
    wanted = frozenset(PaperMaterial(m) for m in materials)
    if borrower.kind is not PrincipalKind.USER or borrower.court != case.court:
        raise BorrowingRefused(
            r.rule, "只有本院办案人员可借阅纸质材料。", "borrower must be court staff of the case's court"
        )
    team = case.panel.judges if r.judges_only else case.panel.everyone
    if borrower.id not in team:
        who = "本案承办法官、合议庭成员" if r.judges_only else "本案办案团队成员"
        raise BorrowingRefused(r.rule, f"{kind.zh}限于{who}。", "borrower is not on the case's panel")
    if not wanted or not wanted <= r.materials:
        allowed = "、".join(_MATERIAL_ZH[m] for m in sorted(r.materials))
        raise BorrowingRefused(r.rule, f"{kind.zh}只能借阅{allowed}。", "materials outside this kind")
    if not purpose_zh.strip():
        raise BorrowingRefused(r.rule, "请说明借阅事由。", "purpose required")
    if days < 1:
        raise BorrowingRefused(r.rule, "借阅天数至少为1天。", "days must be >= 1")
    if days > r.max_days:
        source = "（本院设置）" if r.days_set_by_house else ""
        raise BorrowingRefused(
            r.rule,
            f"{kind.zh}每次不超过{r.max_days}天{source}，申请{days}天被拒绝。",
            f"at most {r.max_days} days per borrowing",
        )
    if kind is BorrowingKind.EMERGENCY and (session is None or not (cause_zh or "").strip()):
        raise BorrowingRefused(
            r.rule,
            "紧急借阅限于因网络故障、技术等原因致正在进行的庭审、接待、合议、法官会议、审判委员会无法运转，"
            "须写明所处流程和原因。",
            "emergency borrowing needs the running session and the failure cause",
        )
    if kind is BorrowingKind.EMERGENCY and not case.panel.presiding_judge:
        raise BorrowingRefused(
            r.rule, "本案未确定审判长，无法审批紧急借阅。", "no presiding judge on the case"
        )
    if kind is BorrowingKind.VERIFICATION and verification_purpose is None:
        raise BorrowingRefused(
            r.rule, "特定情形借阅须写明核对原件或鉴定等用途。", "verification purpose required"
        )
    if r.max_per_case is not None:
        used = counted_at_request(history, case.case_id, kind, skip=borrowing_id)
        if used >= r.max_per_case:
            raise over_limit(kind, used, policy)
    b = Borrowing(
        borrowing_id=borrowing_id,
        case_id=case.case_id,
        court=case.court,
        kind=kind,
        materials=wanted,
        borrower_id=borrower.id,
        purpose_zh=purpose_zh.strip(),
        days=days,
        requested_at=now,
        session=session if kind is BorrowingKind.EMERGENCY else None,
        cause_zh=(cause_zh or "").strip() or None,
        verification_purpose=verification_purpose if kind is BorrowingKind.VERIFICATION else None,
    )
    return BorrowingStep(b, BorrowingRequested(**_event_base(b, borrower.id, now), approver_role=r.approver))


# -- decide ---------------------------------------------------------------------------------------
def approver_zh(kind: BorrowingKind, case: CaseFacts) -> str:
    r = rule_for(kind)
    if r.approver is Role.PRESIDING_JUDGE:
        return f"审判长（{case.panel.presiding_judge or '未确定'}）"
    if r.approver is Role.DEPARTMENT_HEAD:
        return f"{case.department or ''}部门负责人"
    return f"分管{case.department or ''}的院领导"


def may_approve(b: Borrowing, approver: Principal, case: CaseFacts) -> bool:
    """The approver 第八条 names for this kind; nobody approves their own borrowing but the 审判长 in an
    emergency (the rule lets the presiding judge act at once)."""
    r = rule_for(b.kind)
    if approver.kind is not PrincipalKind.USER:
        return False
    if approver.id == b.borrower_id and b.kind is not BorrowingKind.EMERGENCY:
        return False
    if r.approver is Role.PRESIDING_JUDGE:
        return approver.id == case.panel.presiding_judge and approver.court == case.court
    if r.approver is Role.DEPARTMENT_HEAD:
        return approver.heads(case.court, case.department)
    return approver.supervises(case.court, case.department)


def _check_decider(b: Borrowing, approver: Principal, case: CaseFacts) -> None:
    if b.case_id != case.case_id or b.court != case.court:
        raise ValueError("case facts do not belong to this borrowing")
    if b.status is not BorrowingStatus.REQUESTED:
        raise BorrowingRefused(b.rule, f"借阅状态为{b.status.value}，不能再审批。", "not awaiting approval")
    if not may_approve(b, approver, case):
        raise BorrowingRefused(
            b.rule,
            f"{b.kind.zh}须经{approver_zh(b.kind, case)}审批（本人不得审批自己的借阅）。",
            f"approver must be the {rule_for(b.kind).approver.value}",
        )


def approve_borrowing(
    b: Borrowing,
    approver: Principal,
    case: CaseFacts,
    history: Sequence[Borrowing],
    now: datetime,
    *,
    policy: BorrowingPolicy = DEFAULT_POLICY,
) -> BorrowingStep:
    """Approve, re-checking the per-case count against borrowings approved meanwhile (第八条)."""
    _check_decider(b, approver, case)
    r = rule_for(b.kind, policy)
    if r.max_per_case is not None:
        used = _used(history, b.case_id, b.kind, _COUNTED_AT_APPROVAL, b.borrowing_id)
        if used >= r.max_per_case:
            raise BorrowingRefused(
                r.rule,
                f"{b.kind.zh}每案不超过{r.max_per_case}次，本案已批准{used}次。",
                f"at most {r.max_per_case} borrowings per case",
            )
    update: dict = {"status": BorrowingStatus.APPROVED, "approver_id": approver.id, "decided_at": now}
    if r.explanation_required:
        update["explanation_due_at"] = now + policy.explanation_within
    approved = b.model_copy(update=update)
    return BorrowingStep(approved, BorrowingApproved(**_event_base(b, approver.id, now)))


def deny_borrowing(
    b: Borrowing, approver: Principal, case: CaseFacts, reason_zh: str, now: datetime
) -> BorrowingStep:
    _check_decider(b, approver, case)
    if not reason_zh.strip():
        raise BorrowingRefused(b.rule, "不同意借阅须注明原因。", "reason required")
    denied = b.model_copy(
        update={
            "status": BorrowingStatus.DENIED,
            "approver_id": approver.id,
            "decided_at": now,
            "denial_reason_zh": reason_zh.strip(),
        }
    )
    return BorrowingStep(
        denied, BorrowingDenied(**_event_base(b, approver.id, now), reason_zh=reason_zh.strip())
    )


# -- lend, return ---------------------------------------------------------------------------------
def _filing_staff(who: Principal, court: str) -> bool:
    return who.kind is PrincipalKind.USER and who.has(Role.FILING_DIVISION_STAFF) and who.court == court


def hand_over(b: Borrowing, by: Principal, now: datetime) -> BorrowingStep:
    """立案庭 hands the paper over (第四条(一)5); the days run from here."""
    if b.status is not BorrowingStatus.APPROVED:
        raise BorrowingRefused(b.rule, "借阅未经批准，不能出借。", "not approved")
    if not _filing_staff(by, b.court):
        raise BorrowingRefused(
            rules.ART4_1_5, "纸质材料由本院立案庭出借和收回。", "filing division lends paper"
        )
    due = now + timedelta(days=b.days)
    lent = b.model_copy(
        update={"status": BorrowingStatus.LENT, "lent_at": now, "lent_by": by.id, "due_at": due}
    )
    return BorrowingStep(
        lent, BorrowingLent(**_event_base(b, by.id, now), borrower_id=b.borrower_id, due_at=due)
    )


def return_borrowing(b: Borrowing, received_by: Principal, now: datetime) -> BorrowingStep:
    """立案庭 takes the paper back (第四条(一)5)."""
    if b.status is not BorrowingStatus.LENT:
        raise BorrowingRefused(b.rule, "该借阅未处于出借状态。", "not lent")
    if not _filing_staff(received_by, b.court):
        raise BorrowingRefused(
            rules.ART4_1_5, "纸质材料由本院立案庭收回。", "filing division takes paper back"
        )
    late = b.is_overdue(now)
    back = b.model_copy(
        update={"status": BorrowingStatus.RETURNED, "returned_at": now, "received_by": received_by.id}
    )
    return BorrowingStep(back, BorrowingReturned(**_event_base(b, received_by.id, now), late=late))


# -- emergency explanation ------------------------------------------------------------------------
def explain_emergency(
    b: Borrowing, by: Principal, case: CaseFacts, explanation_zh: str, now: datetime
) -> BorrowingStep:
    """The after-the-fact explanation 第八条(三) asks for, from the borrower or the 审判长."""
    if b.kind is not BorrowingKind.EMERGENCY:
        raise BorrowingRefused(
            b.rule, "只有紧急借阅需要事后说明。", "only emergency borrowings are explained"
        )
    if b.status in (BorrowingStatus.REQUESTED, BorrowingStatus.DENIED):
        raise BorrowingRefused(b.rule, "借阅未经批准，无需说明。", "not approved")
    if b.explained_at is not None:
        raise BorrowingRefused(b.rule, "已提交过说明。", "already explained")
    if by.id not in (b.borrower_id, case.panel.presiding_judge):
        raise BorrowingRefused(b.rule, "说明由借阅人或审判长提交。", "borrower or presiding judge explains")
    if not explanation_zh.strip():
        raise BorrowingRefused(b.rule, "说明内容不能为空。", "explanation text required")
    done = b.model_copy(update={"explanation_zh": explanation_zh.strip(), "explained_at": now})
    return BorrowingStep(done, EmergencyExplanationGiven(**_event_base(b, by.id, now)))


# -- reminders ------------------------------------------------------------------------------------
def _due_again(last: datetime | None, now: datetime, every: timedelta) -> bool:
    return last is None or now - last >= every


def overdue_notices(
    borrowings: Iterable[Borrowing], now: datetime, *, every: timedelta = DEFAULT_POLICY.reminder_every
) -> list[BorrowingStep]:
    """One notice per overdue, unreturned borrowing, at most once per ``every``."""
    out: list[BorrowingStep] = []
    for b in borrowings:
        if b.is_overdue(now) and _due_again(b.last_overdue_notice_at, now, every):
            n = b.overdue_notices + 1
            assert b.due_at is not None
            updated = b.model_copy(update={"overdue_notices": n, "last_overdue_notice_at": now})
            event = BorrowingOverdue(
                **_event_base(b, "system", now), borrower_id=b.borrower_id, due_at=b.due_at, notice=n
            )
            out.append(BorrowingStep(updated, event))
    return out


def chase_explanations(
    borrowings: Iterable[Borrowing],
    cases: dict[str, CaseFacts],
    now: datetime,
    *,
    every: timedelta = DEFAULT_POLICY.reminder_every,
) -> list[BorrowingStep]:
    """Chase every emergency borrowing whose explanation is late, again each ``every``, until given
    (吉高法〔2020〕11号 第八条(三))."""
    out: list[BorrowingStep] = []
    for b in borrowings:
        if b.explanation_overdue(now) and _due_again(b.last_chased_at, now, every):
            n = b.explanation_chases + 1
            assert b.explanation_due_at is not None
            case = cases.get(b.case_id)
            updated = b.model_copy(update={"explanation_chases": n, "last_chased_at": now})
            event = EmergencyExplanationChased(
                **_event_base(b, "system", now),
                borrower_id=b.borrower_id,
                presiding_judge_id=case.panel.presiding_judge if case else None,
                explanation_due_at=b.explanation_due_at,
                chase=n,
            )
            out.append(BorrowingStep(updated, event))
    return out
