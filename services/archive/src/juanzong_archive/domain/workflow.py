"""The close-to-archive workflow (结案立卷 → 核查 → 组卷/质检 → 一键转换 → 审核归档) as a state machine.

吉高法〔2020〕11号 第三条:

- (六) 结案立卷: after 结案 the 法官助理 (书记员) files the e-dossier (立卷责任人) and the 承办法官
  confirms it (审核责任人);
- (七) 电子卷宗核查: the 立案庭智能办案辅助中心 checks it; a failure is returned to the judge with its
  reasons and comes back after the judge re-confirms;
- (八) 组卷装订: the centre compiles and quality-checks (组卷质检), then 系统点击归档 converts the
  e-dossier into an e-archive in one click;
- (九) 审核归档: the 办公室档案科 audits; a failure goes back to the centre, a pass completes archiving.

第五条(四)-(七) set the working-day limits of each step and 第七条 one natural month from 结案 to 归档;
the notifier keeps those clocks from the events this workflow emits. Pure: no I/O.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from juanzong_shared.errors import DomainError
from pydantic import BaseModel, ConfigDict, Field


class ArchiveState(StrEnum):
    """Where a case stands on its way to the archive."""

    OPEN = "open"  # 审理中（已立案，未结案）
    CLOSED = "closed"  # 已结案，待立卷
    FILING_SUBMITTED = "filing_submitted"  # 已立卷，待承办法官确认
    FILING_CONFIRMED = "filing_confirmed"  # 承办法官已确认，待核查
    REVIEW_RETURNED = "review_returned"  # 核查不合格，退回承办法官
    REVIEW_PASSED = "review_passed"  # 核查合格，待组卷质检
    COMPILED = "compiled"  # 组卷质检完成，待一键转换
    CONVERTED = "converted"  # 已转为电子档案，待档案科审核
    AUDIT_RETURNED = "audit_returned"  # 审核不合格，退回辅助中心
    ARCHIVED = "archived"  # 审核合格，归档完成

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    ArchiveState.OPEN: "审理中",
    ArchiveState.CLOSED: "已结案，待立卷",
    ArchiveState.FILING_SUBMITTED: "已立卷，待承办法官确认",
    ArchiveState.FILING_CONFIRMED: "已确认，待核查",
    ArchiveState.REVIEW_RETURNED: "核查不合格，已退回承办法官",
    ArchiveState.REVIEW_PASSED: "核查合格，待组卷质检",
    ArchiveState.COMPILED: "组卷质检完成，待转换",
    ArchiveState.CONVERTED: "已转为电子档案，待审核归档",
    ArchiveState.AUDIT_RETURNED: "审核不合格，已退回辅助中心",
    ArchiveState.ARCHIVED: "已归档",
}


class Step(StrEnum):
    """A workflow step; the value is the last segment of its REST path."""

    SUBMIT = "submit"  # 结案立卷（提交）
    CONFIRM = "confirm"  # 承办法官确认立卷
    PASS_REVIEW = "review-pass"  # 核查合格
    RETURN_REVIEW = "review-return"  # 核查不合格退回
    COMPILE = "compile"  # 组卷质检
    CONVERT = "convert"  # 一键转为电子档案
    PASS_AUDIT = "audit-pass"  # 审核归档
    RETURN_AUDIT = "audit-return"  # 审核不合格退回


@dataclass(frozen=True)
class StepRule:
    name_zh: str
    sources: frozenset[ArchiveState]
    target: ArchiveState
    roles: frozenset[str]
    rule: str  # the article the step serves
    event_type: str
    needs_reasons: bool = False


_S = ArchiveState
RULES: dict[Step, StepRule] = {
    Step.SUBMIT: StepRule(
        "结案立卷", frozenset({_S.CLOSED, _S.REVIEW_RETURNED}), _S.FILING_SUBMITTED,
        frozenset({"judge_assistant", "clerk"}), "吉高法〔2020〕11号 第三条(六)、第五条(四)",
        "archive.filing.submitted"),
    Step.CONFIRM: StepRule(
        "承办法官确认立卷", frozenset({_S.FILING_SUBMITTED, _S.REVIEW_RETURNED}), _S.FILING_CONFIRMED,
        frozenset({"judge"}), "吉高法〔2020〕11号 第三条(六)(七)、第五条(五)", "archive.filing.confirmed"),
    Step.PASS_REVIEW: StepRule(
        "电子卷宗核查合格", frozenset({_S.FILING_CONFIRMED}), _S.REVIEW_PASSED,
        frozenset({"filing_division_staff"}), "吉高法〔2020〕11号 第三条(七)、第五条(五)",
        "archive.review.passed"),
    Step.RETURN_REVIEW: StepRule(
        "电子卷宗核查不合格退回", frozenset({_S.FILING_CONFIRMED}), _S.REVIEW_RETURNED,
        frozenset({"filing_division_staff"}), "吉高法〔2020〕11号 第三条(七)、第五条(五)",
        "archive.review.returned", needs_reasons=True),
    Step.COMPILE: StepRule(
        "组卷质检", frozenset({_S.REVIEW_PASSED, _S.AUDIT_RETURNED}), _S.COMPILED,
        frozenset({"filing_division_staff"}), "吉高法〔2020〕11号 第三条(八)、第五条(六)", "archive.compiled"),
    Step.CONVERT: StepRule(
        "一键转为电子档案", frozenset({_S.COMPILED}), _S.CONVERTED,
        frozenset({"filing_division_staff", "service_account"}), "吉高法〔2020〕11号 第三条(八)、第五条(六)",
        "archive.converted"),
    Step.PASS_AUDIT: StepRule(
        "审核归档", frozenset({_S.CONVERTED}), _S.ARCHIVED,
        frozenset({"archives_office_staff"}), "吉高法〔2020〕11号 第三条(九)、第五条(七)；长中法〔2018〕129号 第九条",
        "archive.archived"),
    Step.RETURN_AUDIT: StepRule(
        "审核不合格退回", frozenset({_S.CONVERTED}), _S.AUDIT_RETURNED,
        frozenset({"archives_office_staff"}), "吉高法〔2020〕11号 第三条(九)、第五条(七)",
        "archive.audit.returned", needs_reasons=True),
}


class WorkflowError(DomainError):
    """Base of the workflow's refusals; ``rule`` names the article (answered as the problem's ``rule``)."""

    kind = "conflict"
    code = "workflow"
    title = "流程错误"

    def __init__(self, message: str, rule: str, field: str = "", reason: str | None = None, **extra) -> None:
        super().__init__(field, reason or message, detail=message, rule=rule, **extra)
        self.message = message
        self.rule = rule


class StepNotAllowed(WorkflowError):
    """The step cannot be taken from the current state; ``allowed`` lists the steps that can."""

    code = "step-not-allowed"
    title = "当前状态不能进行该操作"

    def __init__(self, state: ArchiveState | None, step: Step) -> None:
        self.state = state
        self.step = step
        self.allowed = allowed_steps(state)
        where = state.label if state else "本院尚未收到结案信息"
        names = "、".join(f"{RULES[s].name_zh}（{s.value}）" for s in self.allowed) or "无"
        super().__init__(f"当前状态“{where}”不能进行“{RULES[step].name_zh}”；可进行的操作：{names}",
                         RULES[step].rule, state=state.value if state else None,
                         allowed=[s.value for s in self.allowed])


class RoleNotAllowed(WorkflowError):
    kind = "forbidden"
    code = "forbidden"
    title = "无权办理"

    def __init__(self, step: Step, required: frozenset[str]) -> None:
        self.required = sorted(required)
        super().__init__(f"“{RULES[step].name_zh}”须由 {'、'.join(self.required)} 办理", RULES[step].rule,
                         required_roles=self.required)


class NotResponsiblePerson(WorkflowError):
    """The caller has the role but is not the person of this case who carries the responsibility."""

    kind = "forbidden"
    code = "forbidden"
    title = "非本案责任人"


class ReasonsRequired(WorkflowError):
    kind = "invalid"
    code = "validation"
    title = "须注明原因"

    def __init__(self, step: Step) -> None:
        super().__init__(f"“{RULES[step].name_zh}”须注明退回原因", RULES[step].rule, "reasons", "退回须注明原因")


def allowed_steps(state: ArchiveState | None) -> list[Step]:
    if state is None:
        return []
    return [step for step, rule in RULES.items() if state in rule.sources]


class Actor(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    name: str | None = None
    roles: tuple[str, ...] = ()


class HistoryEntry(BaseModel):
    """One timestamped step of the workflow (全程留痕)."""

    model_config = ConfigDict(frozen=True)

    step: str
    step_zh: str
    from_state: ArchiveState | None
    to_state: ArchiveState
    at: dt.datetime
    actor: str
    actor_name: str | None = None
    role: str | None = None
    reasons: tuple[str, ...] = ()
    detail: str = ""
    rule: str = ""


@dataclass(frozen=True)
class Responsibles:
    """Who of this case carries a responsibility (from 立案's panel); empty = unknown, not enforced."""

    filers: frozenset[str] = frozenset()  # 法官助理 / 书记员 (立卷责任人)
    undertaking_judges: frozenset[str] = frozenset()  # 承办法官 (审核责任人)


def decide(state: ArchiveState | None, step: Step, actor: Actor, reasons: list[str] | tuple[str, ...] = (),
           *, at: dt.datetime, responsibles: Responsibles = Responsibles(), detail: str = "") -> HistoryEntry:
    """Check one step and return the history entry it produces; raise a :class:`WorkflowError` if refused."""
    rule = RULES[step]
    if state is None or state not in rule.sources:
        raise StepNotAllowed(state, step)
    role = next((r for r in actor.roles if r in rule.roles), None)
    if role is None:
        raise RoleNotAllowed(step, rule.roles)
    if step is Step.SUBMIT and responsibles.filers and actor.subject not in responsibles.filers:
        raise NotResponsiblePerson("电子卷宗立卷责任人为本案法官助理（书记员）", rule.rule)
    if step is Step.CONFIRM and responsibles.undertaking_judges and actor.subject not in responsibles.undertaking_judges:
        raise NotResponsiblePerson("电子卷宗审核责任人为本案承办法官", rule.rule)
    cleaned = tuple(r.strip() for r in reasons if r and r.strip())
    if rule.needs_reasons and not cleaned:
        raise ReasonsRequired(step)
    return HistoryEntry(step=step.value, step_zh=rule.name_zh, from_state=state, to_state=rule.target, at=at,
                        actor=actor.subject, actor_name=actor.name, role=role, reasons=cleaned, detail=detail,
                        rule=rule.rule)


def add_natural_month(moment: dt.datetime) -> dt.datetime:
    """One natural month later (the same day next month, or its last day when shorter)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def archive_due(closed_at: dt.datetime) -> dt.datetime:
    """吉高法〔2020〕11号 第七条: from 结案 to 归档 at most one natural month."""
    return add_natural_month(closed_at)


class Timeline(BaseModel):
    """Durations the notifier and the status view show (第七条)."""

    closed_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    archived_at: dt.datetime | None = None
    overdue: bool = False
    returns: int = Field(0, description="how many times the case was returned (核查 or 审核)")


def timeline(closed_at: dt.datetime | None, history: list[HistoryEntry], now: dt.datetime) -> Timeline:
    archived = next((h.at for h in reversed(history) if h.to_state is ArchiveState.ARCHIVED), None)
    due = archive_due(closed_at) if closed_at else None
    end = archived or now
    returns = sum(1 for h in history if h.to_state in (ArchiveState.REVIEW_RETURNED, ArchiveState.AUDIT_RETURNED))
    return Timeline(closed_at=closed_at, due_at=due, archived_at=archived,
                    overdue=bool(due and end > due), returns=returns)
