"""The policy decision point (PDP): may this principal do this action on this case? Pure, default deny.

Every other service asks this before serving pages, text, search hits or archives, and carries out
the obligations that come with a yes (record the read; filter out what a litigant may not see).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict

from . import rules
from .cases import (
    CASE_RECORD_ACTIONS,
    DOSSIER_READS,
    LINK_READS,
    Action,
    CaseFacts,
    DeliberativeBody,
    MaterialFacts,
    PageSource,
    Volume,
)
from .grants import ApprovalRoute, Grant, GrantBasis, approval_route
from .identities import Principal, PrincipalKind, Role

# House setting: how long a caller may cache a decision. Never beyond a grant's expiry.
DECISION_TTL = timedelta(seconds=30)


class ObligationKind(StrEnum):
    RECORD_ACCESS = "record_access"  # 全程留痕: write an audit record for the read or change
    EXCLUDE_SUB_VOLUME = "exclude_sub_volume"  # serve no 副卷 material
    EXCLUDE_UNDISCLOSABLE = "exclude_undisclosable"  # serve no material closed by law (不公开材料)


class Obligation(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ObligationKind
    rule: str


RECORD_ACCESS = Obligation(kind=ObligationKind.RECORD_ACCESS, rule=f"{rules.ART9}; {rules.SPC_1_3}")
EXCLUDE_SUB_VOLUME = Obligation(kind=ObligationKind.EXCLUDE_SUB_VOLUME, rule=rules.SPC_3_6)
EXCLUDE_UNDISCLOSABLE = Obligation(kind=ObligationKind.EXCLUDE_UNDISCLOSABLE, rule=rules.SPC_3_6)


class Decision(BaseModel):
    """The answer. ``reason_zh`` is shown to court staff; ``rule`` is the article that decided."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason_zh: str
    rule: str
    detail_en: str = ""
    obligations: tuple[Obligation, ...] = ()
    grant_id: str | None = None
    valid_until: AwareDatetime


def decide(
    principal: Principal,
    action: Action | str,
    case: CaseFacts,
    grants: Sequence[Grant],
    now: datetime,
    *,
    material: MaterialFacts | None = None,
    source: PageSource | None = None,
    ttl: timedelta = DECISION_TTL,
) -> Decision:
    """Decide one request. ``material`` narrows the question to one document when the caller knows it;
    ``source`` is the station and scan task a page-adding question names.

    Order: adding pages (the case first, whoever asks), stations, the case record (its team before 涉密),
    then 涉密 cases, service accounts, litigants' representatives, and staff by action.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    action = Action(action)
    d = _Decider(principal, action, case, grants, now, material, ttl, source)
    return d.run()


def decide_unknown_case(action: Action | str, now: datetime) -> Decision:
    """A case this service never heard registered: nothing is allowed on it (a caller answers 404).

    Adding pages cites 第三条(三) (a dossier is created for a case the court registered). Any other question gets
    :func:`not_visible`, the very answer a 涉密 case gives those outside it, so that asking access-control directly
    tells nobody which case numbers are 涉密 (第十条).
    """
    action = Action(action)
    if action is Action.ADD_PAGES:
        return Decision(
            allowed=False,
            rule=rules.ART3_3,
            reason_zh="本系统未登记该案件（未立案或案件信息尚未同步），不能向其电子卷宗添加页面。",
            detail_en="case not registered here",
            valid_until=now,
        )
    return not_visible(action, now)


def not_visible(action: Action, now: datetime) -> Decision:
    """No such case here — or a 涉密 one the caller is outside of (第十条): the two answers are the same, word for
    word, and neither is cached (a registration may be arriving). A caller answers 404 (the rule names 第十条)."""
    return Decision(
        allowed=False,
        rule=f"{rules.ART9}; {rules.ART10}",
        reason_zh=f"本系统未登记该案件，或该案件不对您公开，不能{action.zh}。",
        detail_en="case not registered here, or not visible to the caller",
        valid_until=now,
    )


class _Decider:
    def __init__(
        self,
        principal: Principal,
        action: Action,
        case: CaseFacts,
        grants: Sequence[Grant],
        now: datetime,
        material: MaterialFacts | None,
        ttl: timedelta,
        source: PageSource | None = None,
    ) -> None:
        self.p, self.action, self.case, self.grants = principal, action, case, grants
        self.now, self.material, self.ttl = now, material, ttl
        self.source = source or PageSource()

    # -- outcomes --------------------------------------------------------------------------------
    def allow(
        self,
        rule: str,
        reason_zh: str,
        detail_en: str = "",
        *,
        obligations: tuple[Obligation, ...] = (RECORD_ACCESS,),
        grant: Grant | None = None,
    ) -> Decision:
        until = self.now + self.ttl
        if grant is not None:
            until = min(until, grant.expires_at)
        return Decision(
            allowed=True,
            reason_zh=reason_zh,
            rule=rule,
            detail_en=detail_en,
            obligations=obligations,
            grant_id=grant.grant_id if grant else None,
            valid_until=until,
        )

    def deny(self, rule: str, reason_zh: str, detail_en: str = "") -> Decision:
        return Decision(
            allowed=False,
            reason_zh=reason_zh,
            rule=rule,
            detail_en=detail_en,
            valid_until=self.now + self.ttl,
        )

    # -- dispatch --------------------------------------------------------------------------------
    def run(self) -> Decision:
        p, case, action = self.p, self.case, self.action
        if action is Action.ADD_PAGES:
            return self.add_pages()
        if p.kind is PrincipalKind.STATION:
            return self.station()
        if action in CASE_RECORD_ACTIONS:
            return self.case_record()
        if case.classified:
            if not self.inside_classified():
                return not_visible(action, self.now)
            return self.deny(
                f"{rules.ART10}; {rules.SPC_2_3}",
                "涉国家秘密案件不在本系统生成和阅览电子卷宗。",
                "classified case: handled only in the classified system",
            )
        if action is Action.TRANSFER_ARCHIVE and not case.archived:
            return self.deny(rules.ART3_8, "本案尚未归档，没有可移交的电子档案。", "no e-archive before archiving")
        if p.kind is PrincipalKind.SERVICE:
            return self.service()
        if p.is_external:
            return self.representative()
        if action is Action.WRITE:
            return self.write()
        if action is Action.MANAGE:
            return self.manage()
        if action is Action.TRANSFER_ARCHIVE:
            return self.transfer()
        return self.read()

    def station(self) -> Decision:
        """扫描工位 accounts scan; they never read or change a dossier (吉高法〔2020〕11号 第四条(一)3).
        Adding pages is decided in :meth:`add_pages`."""
        return self.deny(
            rules.ART4_1_3,
            "扫描工位账户只能提交扫描任务，不得阅览或更改电子卷宗、电子档案。",
            "scanning-station accounts never read dossiers",
        )

    # -- adding pages (第三条(三)) ------------------------------------------------------------------
    def add_pages(self) -> Decision:
        """Pages enter a dossier only of a case registered here, inside 第十四条 scope, not 涉密 (第十条), not
        archived (第三条(八): an e-archive is locked), from a scan task of this case (第三条(三)2) — whoever asks.
        Then: a station of the case's court; a service with ``dossier:add_pages`` (and, when it names the
        station it acts for, that station's active client of the case's court); the case team or 立案庭."""
        p, case, src = self.p, self.case, self.source
        if not case.registered:
            return self.deny(
                rules.ART3_3,
                "本院未立案登记该案件，不能向其电子卷宗添加页面。",
                "case not registered here",
            )
        if case.classified:
            return self.deny(
                f"{rules.ART10}; {rules.SPC_2_3}",
                "涉国家秘密案件不在本系统生成电子卷宗，不得扫描入卷。",
                "classified case: no e-dossier here",
            )
        if not case.paperless:
            return self.deny(
                rules.ART14,
                "本案不在全流程无纸化办案范围内（第十四条），不生成电子卷宗页面。",
                "case outside the paperless scope",
            )
        if case.archived:
            return self.deny(
                rules.ART3_8,
                "本案已归档，电子档案已锁定，不得添加、移动或更名页面。",
                "archived: the dossier is locked",
            )
        if src.ambiguous:
            return self.deny(
                rules.ART3_3_2,
                "请求同时指明了多个扫描工位或扫描任务，不予受理。",
                "resource names more than one station or scan task",
            )
        if src.scan_task_id is not None and src.scan_task_case is None:
            return self.deny(
                rules.ART3_3_2,
                f"扫描任务“{src.scan_task_id}”在本系统未登记（或信息尚未同步），不得据此添加页面。",
                "scan task unknown here",
            )
        if src.scan_task_id is not None and src.scan_task_case != case.case_id:
            return self.deny(
                rules.ART3_3_2,
                f"扫描任务“{src.scan_task_id}”不属于本案，不得将页面添加到本案。",
                "scan task of another case",
            )
        if p.kind is PrincipalKind.STATION:
            return self.station_adds_pages()
        if p.kind is PrincipalKind.SERVICE:
            return self.service_adds_pages()
        if not p.is_external and p.court == case.court:
            if p.id in case.panel.everyone:
                return self.allow(rules.ART3_3_2, "本案办案团队可向本案电子卷宗添加页面。", "case team adds pages")
            if p.has(Role.FILING_DIVISION_STAFF):
                return self.allow(
                    rules.ART3_3, "立案庭智能办案辅助中心可为本院案件扫描入卷。", "filing division scans"
                )
        return self.deny(
            rules.ART3_3,
            "向电子卷宗添加页面限于本院扫描工位、本案办案团队和本院立案庭。",
            "only this court's stations, the case team and the filing division add pages",
        )

    def station_adds_pages(self) -> Decision:
        p, case, src = self.p, self.case, self.source
        if "scan:submit" not in p.scopes:
            return self.deny(rules.ART4_1_3, "该扫描工位账户未获准提交扫描任务。", "station lacks scan:submit")
        if src.station_id is not None and src.station_id != p.id:
            return self.deny(
                rules.ART4_1_3, "扫描工位只能以自己的名义提交扫描页面。", "a station speaks for itself only"
            )
        if p.court != case.court:
            return self.deny(
                f"{rules.ART4_1_3}; {rules.ART3_3}",
                "扫描工位只能为本院受理的案件扫描入卷。",
                "station of another court",
            )
        return self.allow(rules.ART3_3, "本院扫描工位可为本案扫描入卷。", "station of the case's court")

    def service_adds_pages(self) -> Decision:
        case, src = self.case, self.source
        refused = self.lacks_scope()
        if refused is not None:
            return refused
        if src.station_id is not None:
            st = src.station
            if (st is None or st.kind is not PrincipalKind.STATION or st.id != src.station_id
                    or "scan:submit" not in st.scopes):
                return self.deny(
                    f"{rules.ART4_1_3}; {rules.ART3_3}",
                    f"扫描工位“{src.station_id}”未登记、已停用或未获准提交扫描任务。",
                    "named station is not an active station client",
                )
            if st.court != case.court:
                return self.deny(
                    f"{rules.ART4_1_3}; {rules.ART3_3}",
                    f"扫描工位“{src.station_id}”不属于本案所在法院，不得为本案扫描入卷。",
                    "station of another court",
                )
        return self.allow(
            rules.ART3_3,
            "服务账户具有“dossier:add_pages”权限，可为本案扫描入卷。",
            "service scope dossier:add_pages granted",
        )

    # -- the case record (need to know, 第九条; the case's own team) --------------------------------
    def case_record(self) -> Decision:
        """read_case / update_case / close_case / link_original. The case's own team and 立案庭 of its court
        keep their case (also a 涉密 one); for everyone else a 涉密 case does not exist (第十条)."""
        p, case, action = self.p, self.case, self.action
        if p.kind is not PrincipalKind.SERVICE and p.court == case.court:
            team = self.case_team_allows()
            if team is not None:
                return team
            if p.has(Role.FILING_DIVISION_STAFF):
                rule = rules.ART4_1_2 if action is Action.LINK_ORIGINAL else rules.ART3_3
                return self.allow(rule, f"本院立案庭可{action.zh}。", "filing division of the case's court")
        if case.classified and not self.inside_classified():
            return not_visible(action, self.now)
        if p.kind is PrincipalKind.SERVICE:
            return self.lacks_scope() or self.allow(
                rules.SPC_1_3, f"服务账户具有“{action.scope}”权限。", f"service scope {action.scope} granted"
            )
        if action is Action.READ_CASE:
            return self.read_case()
        if action is Action.UPDATE_CASE:
            return self.deny(
                f"{rules.ART3_3}; {rules.ART3_4}",
                "变更案件进程、安排庭审限于本案办案团队和本院立案庭。",
                "only the case team and the filing division change a case",
            )
        if action is Action.CLOSE_CASE:
            return self.deny(
                rules.ART3_6,
                "结案限于本案承办法官、审判长和本院立案庭。",
                "only the undertaking or presiding judge and the filing division close a case",
            )
        return self.deny(
            f"{rules.ART3_2}; {rules.ART4_1_2}",
            "关联或解除关联原审案件限于本案法官和本院立案庭。",
            "only the case's judges and the filing division link an original trial",
        )

    def inside_classified(self) -> bool:
        """Who knows of a 涉密 case (第十条): its team and 立案庭 of its court. To everyone else it does not exist."""
        p, case = self.p, self.case
        return (p.kind is PrincipalKind.USER and p.court == case.court
                and (p.id in case.panel.everyone or p.has(Role.FILING_DIVISION_STAFF)))

    def case_team_allows(self) -> Decision | None:
        p, panel, action = self.p, self.case.panel, self.action
        if action in (Action.READ_CASE, Action.UPDATE_CASE) and p.id in panel.everyone:
            rule = rules.ART9_2 if action is Action.READ_CASE else rules.ART3_4
            return self.allow(rule, f"本案办案团队可{action.zh}。", "member of the case team")
        if action is Action.CLOSE_CASE and p.id in {panel.undertaking_judge, panel.presiding_judge}:
            return self.allow(rules.ART3_6, "本案承办法官、审判长可结案。", "undertaking or presiding judge")
        if action is Action.LINK_ORIGINAL and p.id in panel.judges:
            return self.allow(
                f"{rules.ART3_2}; {rules.ART4_1_2}", "本案法官可关联或解除关联原审案件。", "judge of the case"
            )
        return None

    def read_case(self) -> Decision:
        """Need to know: the department's head and its supervising leader, 档案科 once the case is finished,
        and whoever holds an active read grant for the case (第九条)."""
        p, case = self.p, self.case
        if p.heads(case.court, case.department) or p.supervises(case.court, case.department):
            return self.allow(rules.ART9_2, "本案所在部门负责人、分管院领导可查看案件信息。", "case department's head or leader")
        if case.finished and p.court == case.court and p.has(Role.ARCHIVES_OFFICE_STAFF):
            return self.allow(rules.ART4_2, "档案科可查看本院已结案件信息。", "archives office, finished case")
        route = approval_route(p, case)
        for g in self.grants:
            if self.grant_valid(g, route):
                return self.allow(route.rule, "持有本案有效阅览授权，可查看案件信息。", f"approved grant {g.grant_id}",
                                  grant=g)
        return self.deny(
            route.rule,
            "案件信息限于本案办案团队、本院立案庭、部门负责人及分管院领导、档案科（已结案件）和经审批的阅览人查看。",
            "need to know: not of the case team, its approvers or a grant holder",
        )

    def grant_valid(self, g: Grant, route: ApprovalRoute) -> bool:
        p, case = self.p, self.case
        return (g.grantee_id == p.id and g.case_id == case.case_id and g.case_court == case.court
                and g.satisfies(route) and g.is_active(self.now))

    def transfer(self) -> Decision:
        """移交 records of an archived case: the archives office (办公室档案科) of its court (第四条(二))."""
        p, case = self.p, self.case
        if p.court == case.court and p.has(Role.ARCHIVES_OFFICE_STAFF):
            return self.allow(rules.ART4_2, "档案科负责本院电子档案的移交。", "archives office custody")
        return self.deny(rules.ART4_2, "电子档案移交限于本院办公室（档案科）办理。", "only the archives office transfers")

    def lacks_scope(self) -> Decision | None:
        scope = self.action.scope
        if scope in self.p.scopes or f"{scope}@{self.case.court}" in self.p.scopes:
            return None
        return self.deny(
            rules.SPC_1_3,
            f"服务账户未声明“{scope}”权限，不得{self.action.zh}。",
            f"service account lacks scope {scope}",
        )

    def service(self) -> Decision:
        """A service account acts within its declared scopes only; ``scope@court`` narrows to one court."""
        scope = self.action.scope
        return self.lacks_scope() or self.allow(
            rules.SPC_1_3, f"服务账户具有“{scope}”权限。", f"service scope {scope} granted"
        )

    def representative(self) -> Decision:
        """法〔2016〕264号 三(六): a litigant's representative browses their own case's e-dossier,
        without the 副卷 and without material closed by law; archives go through 档案科 (第四条(二))."""
        p, case, action = self.p, self.case, self.action
        if p.id not in case.litigant_representatives:
            return self.deny(
                rules.SPC_3_6,
                "非本案当事人或诉讼代理人，不得查阅本案卷宗。",
                "not a representative of this case",
            )
        if action is Action.READ_ARCHIVE or (action in DOSSIER_READS and case.archived):
            return self.deny(
                rules.ART4_2,
                "本案已归档，查阅电子档案请向办公室（档案科）提出申请。",
                "archived records are consulted through the archives office",
            )
        if action not in DOSSIER_READS:
            return self.deny(
                rules.SPC_3_6,
                f"当事人、律师仅可在线浏览本案电子卷宗，不得{action.zh}。",
                "representatives may only browse the dossier",
            )
        m = self.material
        if m is not None and m.volume is Volume.SUB:
            return self.deny(
                rules.SPC_3_6,
                "副卷（合议庭评议、审委会讨论记录等）不向当事人、律师开放。",
                "sub-volume (deliberation records) is closed to litigants",
            )
        if m is not None and not m.disclosable:
            return self.deny(rules.SPC_3_6, "该材料依法不予公开。", "material closed by law")
        return self.allow(
            rules.SPC_3_6,
            "本案诉讼代理人可在线浏览本案电子卷宗（不含副卷及依法不公开的材料）。",
            "representative of this case: main volume, disclosable material only",
            obligations=(RECORD_ACCESS, EXCLUDE_SUB_VOLUME, EXCLUDE_UNDISCLOSABLE),
        )

    def write(self) -> Decision:
        """Catalogue corrections: the case team (第三条(六) 立卷) and 立案庭's 智能办案辅助中心
        (第三条(三) 编目归目), in the same court, until the dossier becomes an e-archive (第三条(八))."""
        p, case = self.p, self.case
        if case.archived:
            return self.deny(rules.ART3_8, "本案已归档，电子档案不得更改。", "archived: write-once")
        if p.court == case.court and p.id in case.panel.everyone:
            return self.allow(
                rules.ART3_6, "本案办案团队可更正电子卷宗编目。", "case team may correct the catalogue"
            )
        if p.court == case.court and p.has(Role.FILING_DIVISION_STAFF):
            return self.allow(
                rules.ART3_3,
                "立案庭智能办案辅助中心可更正本院案件电子卷宗编目。",
                "filing division catalogues",
            )
        return self.deny(
            rules.ART3_6,
            "更正编目限于本案办案团队和本院立案庭（智能办案辅助中心）。",
            "only the case team and the filing division correct the catalogue",
        )

    def manage(self) -> Decision:
        """The approvers of 第九条第2项 administer the case's access (grants, its audit trail)."""
        p, case = self.p, self.case
        if p.court == case.court and (
            p.id == case.panel.undertaking_judge
            or p.heads(case.court, case.department)
            or p.supervises(case.court, case.department)
        ):
            return self.allow(
                rules.ART9_2, "本案阅览审批人可管理本案阅览权限。", "approver of this case's access"
            )
        return self.deny(
            rules.ART9_2,
            "管理本案阅览权限限于承办法官、部门负责人及分管院领导。",
            "only the case's approvers manage its access",
        )

    def read(self) -> Decision:
        p, case, action = self.p, self.case, self.action
        if action is Action.READ_ARCHIVE and not case.archived:
            return self.deny(
                rules.ART3_8, "本案尚未归档，电子档案尚未生成。", "no e-archive before archiving"
            )
        if p.court == case.court:
            if p.id in case.panel.everyone:
                return self.allow(rules.ART9_2, "合议庭成员可查阅本案电子卷宗。", "member of the case team")
            body = self.sitting_body()
            if body is not None:
                rule = (
                    rules.ART9_2
                    if body is DeliberativeBody.JUDGES_MEETING
                    else f"{rules.ART9_2}; {rules.SPC_3_3}"
                )
                return self.allow(
                    rule, f"本案已提交{body.zh}讨论，{body.zh}成员可查阅。", f"member of the {body.value}"
                )
            if action is Action.READ_ARCHIVE and p.has(Role.ARCHIVES_OFFICE_STAFF):
                return self.allow(
                    rules.ART4_2, "档案科负责本院电子档案的管理和调阅。", "archives office custody"
                )
            duty = self.duty_read()
            if duty is not None:
                return duty
        # 第三条(二)(四): a 原审 link lets the later case's team read the original's e-dossier and e-archive (a
        # search inside it is reading it) — nothing else; a 涉密 later case works outside this system (第十条).
        if action in LINK_READS and any(
            p.court == link.court and p.id in link.team and not link.classified for link in case.linked_by
        ):
            return self.allow(
                f"{rules.ART3_2}; {rules.ART3_4}",
                "本案为所办案件关联的原审案件，办案团队可查阅其电子档案、电子卷宗。",
                "team of a case that linked this one as its original trial",
            )
        return self.by_grant(approval_route(p, case))

    def duty_read(self) -> Decision | None:
        """Duty reads of a dossier (page, text, search) by the principal's own court, audited as any read:
        立案庭 (智能办案辅助中心) 编目、核查 and matches the paper material against the e-dossier of every case not
        yet archived (第三条(三)(七)(八), 第四条(一)4); 档案科 audits the closed cases before archiving and keeps
        the archive (第四条(二)1). A 涉密 case never gets here (第十条: no e-dossier in this system)."""
        p, case, action = self.p, self.case, self.action
        if action not in DOSSIER_READS:
            return None
        if p.has(Role.FILING_DIVISION_STAFF) and not case.archived:
            return self.allow(
                f"{rules.ART3_3}; {rules.ART3_7}; {rules.ART3_8}; {rules.ART4_1_4}",
                "立案庭智能办案辅助中心为编目、核查和依据电子卷宗匹配纸质材料组卷，可阅览本院未归档案件的电子卷宗（全程留痕）。",
                "duty read: filing division catalogues, checks and matches the dossier",
            )
        if p.has(Role.ARCHIVES_OFFICE_STAFF) and case.finished:
            return self.allow(
                rules.ART4_2_1,
                "办公室档案科为审核归档，可阅览本院已结案件的电子卷宗（全程留痕）。",
                "duty read: archives office audits a closed case",
            )
        return None

    def sitting_body(self) -> DeliberativeBody | None:
        """The 法官会议 or 审委会 the case is submitted to, if the principal sits on it (第九条第2项)."""
        p = self.p
        for sub in self.case.submitted_to:
            if sub.member_ids is not None:
                if p.id in sub.member_ids:
                    return sub.body
                continue
            role = (
                Role.JUDGES_MEETING_MEMBER
                if sub.body is DeliberativeBody.JUDGES_MEETING
                else Role.ADJUDICATION_COMMITTEE_MEMBER
            )
            if p.has(role):
                return sub.body
        return None

    def by_grant(self, route: ApprovalRoute) -> Decision:
        """Anyone else reads only under an active grant whose approvals satisfy ``route`` (第九条)."""
        p, case, action, now = self.p, self.case, self.action, self.now
        problems: list[str] = []
        for g in self.grants:
            if g.grantee_id != p.id or g.case_id != case.case_id or g.case_court != case.court:
                continue
            if action not in g.actions:
                problems.append(f"授权{g.grant_id}不含“{action.zh}”")
            elif not g.chain_complete:
                problems.append(f"授权{g.grant_id}审批未完成")
            elif not g.satisfies(route):
                problems.append(f"授权{g.grant_id}的审批未经{_route_zh(route)}")
            elif g.revoked_at is not None:
                problems.append(f"授权{g.grant_id}已撤销")
            elif now >= g.expires_at:
                problems.append(f"授权{g.grant_id}已于{g.expires_at.isoformat()}过期")
            elif now < g.granted_at:
                problems.append(f"授权{g.grant_id}尚未生效")
            else:
                return self.allow(
                    route.rule,
                    f"已经{_route_zh(route)}审批同意，授权有效至{g.expires_at.isoformat()}。",
                    f"approved grant {g.grant_id}",
                    grant=g,
                )
        if route.basis is GrantBasis.UNFINISHED_CASE:
            reason = "本案尚未审结，电子卷宗限于合议庭成员查阅；其他人员须经承办法官、部门负责人及分管院领导依次审批后阅览。"
            detail = "unfinished case: panel only; others need judge -> department head -> supervising leader"
        else:
            reason = "查阅其他法院案件或本院其他已审结案件的电子档案、电子卷宗，须经分管院领导审批。"
            detail = "another court's or a finished case: supervising leader approval required"
        if problems:
            reason = f"{reason}（{'；'.join(problems)}）"
        return self.deny(route.rule, reason, detail)


def _route_zh(route: ApprovalRoute) -> str:
    return "、".join(step.zh for step in route.steps)
