"""What the decision point knows about a case, and the actions asked about it.

These facts come from the case's owner (intake) and the catalogue; access control keeps no copy of
the dossier itself, only what it needs to decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from juanzong_shared.case_numbers import CaseNumber
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .identities import Principal

UNASSIGNED = "(未分配)"  # placeholder undertaking judge that matches nobody


class Target(StrEnum):
    DOSSIER = "dossier"  # 电子卷宗
    ARCHIVE = "archive"  # 电子档案


class Action(StrEnum):
    READ_PAGES = "read_pages"
    READ_TEXT = "read_text"
    SEARCH = "search"
    READ_ARCHIVE = "read_archive"  # e-archive packages, four-property reports, borrowing records
    WRITE = "write"  # catalogue corrections (编目更正)
    MANAGE = "manage"  # the case's access administration: grants, audit trail
    READ_CASE = "read_case"  # the case record: parties, panel, cause, stage, hearings, deadlines, transfers
    UPDATE_CASE = "update_case"  # change the stage, schedule or hold hearings
    CLOSE_CASE = "close_case"  # 结案
    LINK_ORIGINAL = "link_original"  # manual 原审 link / unlink (第三条(二))
    ADD_PAGES = "add_pages"  # put scanned pages into the case's dossier (第三条(三))
    TRANSFER_ARCHIVE = "transfer_archive"  # create or read a 移交 record of an archived case

    @property
    def target(self) -> Target:
        return Target.ARCHIVE if self in ARCHIVE_ACTIONS else Target.DOSSIER

    @property
    def scope(self) -> str:
        """The OAuth scope a service account needs for this action."""
        return _SCOPES[self]

    @property
    def zh(self) -> str:
        return _ACTION_ZH[self]


# What a grant (第九条) can open: reading a dossier or an e-archive.
READ_ACTIONS: frozenset[Action] = frozenset(
    {Action.READ_PAGES, Action.READ_TEXT, Action.SEARCH, Action.READ_ARCHIVE}
)
DOSSIER_READS: frozenset[Action] = frozenset({Action.READ_PAGES, Action.READ_TEXT, Action.SEARCH})
ARCHIVE_ACTIONS: frozenset[Action] = frozenset({Action.READ_ARCHIVE, Action.TRANSFER_ARCHIVE})
# What a 原审 link lets the later case's team do on the original: read its e-dossier and e-archive (第三条(二)(四)).
# Searching inside the linked dossier is reading it.
LINK_READS: frozenset[Action] = READ_ACTIONS
# The case record itself (owned by intake), decided per case: need to know (第九条) and the case's own team.
CASE_RECORD_ACTIONS: frozenset[Action] = frozenset(
    {Action.READ_CASE, Action.UPDATE_CASE, Action.CLOSE_CASE, Action.LINK_ORIGINAL}
)

_SCOPES: dict[Action, str] = {
    Action.READ_PAGES: "dossier:read_pages",
    Action.READ_TEXT: "dossier:read_text",
    Action.SEARCH: "dossier:search",
    Action.READ_ARCHIVE: "archive:read",
    Action.WRITE: "dossier:write",
    Action.MANAGE: "access:manage",
    Action.READ_CASE: "case:read",
    Action.UPDATE_CASE: "case:update",
    Action.CLOSE_CASE: "case:close",  # held by no service: a person closes a case
    Action.LINK_ORIGINAL: "case:link_original",  # held by no service: 立案庭 or the judges link by hand
    Action.ADD_PAGES: "dossier:add_pages",
    Action.TRANSFER_ARCHIVE: "archive:transfer",
}

_ACTION_ZH: dict[Action, str] = {
    Action.READ_PAGES: "阅览卷宗页面",
    Action.READ_TEXT: "阅览卷宗文字",
    Action.SEARCH: "检索卷宗",
    Action.READ_ARCHIVE: "查阅电子档案",
    Action.WRITE: "更正编目",
    Action.MANAGE: "管理阅览权限",
    Action.READ_CASE: "查看案件信息",
    Action.UPDATE_CASE: "变更案件进程",
    Action.CLOSE_CASE: "结案",
    Action.LINK_ORIGINAL: "关联或解除关联原审案件",
    Action.ADD_PAGES: "向电子卷宗添加页面",
    Action.TRANSFER_ARCHIVE: "办理电子档案移交",
}


class Panel(BaseModel):
    """The case team: the collegial panel (合议庭) plus the assistants and clerks assigned to it.

    第九条第2项 names 合议庭成员; the 法官助理 and 书记员 assigned to the case are counted with them
    because 第三条(四)(六) give them the dossier work (online reading in hearings, 结案立卷).
    """

    model_config = ConfigDict(frozen=True)

    undertaking_judge: str = Field(min_length=1)  # 承办法官
    presiding_judge: str | None = None  # 审判长
    members: frozenset[str] = frozenset()  # 合议庭成员 (judges and assessors)
    judge_assistants: frozenset[str] = frozenset()  # 法官助理
    clerks: frozenset[str] = frozenset()  # 书记员

    @property
    def judges(self) -> frozenset[str]:
        ids = {self.undertaking_judge, *self.members}
        if self.presiding_judge:
            ids.add(self.presiding_judge)
        return frozenset(ids)

    @property
    def everyone(self) -> frozenset[str]:
        return self.judges | self.judge_assistants | self.clerks


def panel_of_registration(members: Sequence[tuple[str, str]]) -> Panel:
    """intake's panel list, (role, user id) each → the case team. The 承办法官 defaults to the 审判长, then the
    first judge; none: :data:`UNASSIGNED` (matches nobody)."""
    by_role: dict[str, list[str]] = {}
    for role, user_id in members:
        by_role.setdefault(role, []).append(user_id)
    undertaking = (by_role.get("undertaking_judge") or by_role.get("presiding_judge")
                   or by_role.get("panel_member") or [UNASSIGNED])[0]
    return Panel(undertaking_judge=undertaking, presiding_judge=(by_role.get("presiding_judge") or [None])[0],
                 members=frozenset({*by_role.get("panel_member", []), *by_role.get("undertaking_judge", [])[1:],
                                    *by_role.get("presiding_judge", [])[1:]}),
                 judge_assistants=frozenset(by_role.get("judge_assistant", [])),
                 clerks=frozenset(by_role.get("clerk", [])))


class DeliberativeBody(StrEnum):
    JUDGES_MEETING = "judges_meeting"  # 法官会议
    ADJUDICATION_COMMITTEE = "adjudication_committee"  # 审判委员会

    @property
    def zh(self) -> str:
        return "法官会议" if self is DeliberativeBody.JUDGES_MEETING else "审判委员会"


class Submission(BaseModel):
    """The case is submitted to a 法官会议 or the 审委会 for discussion.

    ``member_ids`` lists who sits on it for this case. ``None`` means the body as constituted in
    the court: anyone of that court holding its role.
    """

    model_config = ConfigDict(frozen=True)

    body: DeliberativeBody
    member_ids: frozenset[str] | None = None


class LinkedCase(BaseModel):
    """A later case (appeal, retrial) that linked this one as its 原审 (吉高法〔2020〕11号 第三条(二))."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    court: str
    team: frozenset[str]  # the later case's Panel.everyone
    finished: bool = False
    classified: bool = False  # a 涉密 later case has no e-dossier work here (第十条): its link opens nothing


class LinkRecord(BaseModel):
    """One linked record of a 原审 (an e-dossier or e-archive reference) as last heard of, and when."""

    model_config = ConfigDict(frozen=True)

    ref: str  # "e_dossier:<ref>" | "e_archive:<ref>" | "case" (a link naming no record)
    active: bool
    at: AwareDatetime


def link_records_after(
    records: Sequence[LinkRecord], refs: Sequence[str], active: bool, at: datetime
) -> tuple[LinkRecord, ...]:
    """The records of one (original, later case) pair after a link (``active``) or an unlink of ``refs``.

    Intake links an original record by record; an unlink removes the named records only, and the original stays
    open while any record is linked (第三条(二)). An unlink naming no record (a return to the lower court) ends
    them all; a link that named no record ("case") ends with any unlink of the pair. Events may arrive out of order (a retried delivery): a record keeps the later word on it.
    """
    by_ref = {r.ref: r for r in records}
    if active:
        targets = list(refs) or ["case"]
    else:  # "case" (a link naming no record) falls with any unlink of the pair
        targets = [*refs, *(["case"] if "case" in by_ref else [])] if refs else list(by_ref)
    for ref in targets:
        current = by_ref.get(ref)
        if current is None or current.at <= at:
            by_ref[ref] = LinkRecord(ref=ref, active=active, at=at)
    return tuple(by_ref.values())


class CaseFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str = Field(min_length=1)
    court: str = Field(min_length=1)
    department: str | None = None
    registered: bool = False  # 立案 here (case.registered heard); False: known only through a link or a close
    paperless: bool = False  # inside the paperless flow (第十四条); unknown counts as outside
    finished: bool = False  # 已审结
    archived: bool = False  # 电子档案已生成 (第三条(八))
    classified: bool = False  # 涉国家秘密 (第十条)
    panel: Panel
    submitted_to: tuple[Submission, ...] = ()
    litigant_representatives: frozenset[str] = frozenset()
    linked_by: tuple[LinkedCase, ...] = ()

    @model_validator(mode="after")
    def _archived_means_finished(self) -> CaseFacts:
        if self.archived and not self.finished:
            raise ValueError("an archived case is finished")
        return self


def court_of_case_number(case_number: str) -> str:
    """The 法院代字 written in the 案号 (``（2024）吉0102民初45号`` → ``吉0102``), "unknown" when it names none."""
    parsed = CaseNumber.read(case_number)
    return parsed.court if parsed is not None else "unknown"


def known_only_by_link(case_number: str, linked_by: Sequence[LinkedCase]) -> CaseFacts:
    """An original-trial case this court never registered (another court's, or from before the system), known
    only through a later case's link: it is treated as finished (第三条(二))."""
    return CaseFacts(case_id=case_number, court=court_of_case_number(case_number), finished=True,
                     panel=Panel(undertaking_judge=UNASSIGNED), linked_by=tuple(linked_by))


class Volume(StrEnum):
    MAIN = "main"  # 正卷
    SUB = "sub"  # 副卷 (合议庭评议、审委会讨论记录等)


class MaterialFacts(BaseModel):
    """What the enforcing service knows about the one document asked for, when it asks about one."""

    model_config = ConfigDict(frozen=True)

    volume: Volume = Volume.MAIN
    disclosable: bool = True  # False: 依法不公开 (秘密、隐私、其他当事人不予公开的材料)


class ResourceRef(BaseModel):
    """What a decision request's ``resource`` names, parsed leniently: ``;``- (or ``,``-) separated parts,
    ``key:value`` pairs and flags. Unknown parts are ignored; a key named twice with different values is
    ``ambiguous`` (a page-adding question that names two stations or two tasks is refused)."""

    model_config = ConfigDict(frozen=True)

    station_id: str | None = None
    scan_task_id: str | None = None
    material: MaterialFacts | None = None
    ambiguous: bool = False

    @classmethod
    def parse(cls, resource: str | None) -> ResourceRef:
        if not resource:
            return cls()
        parts = [p.strip() for chunk in resource.split(";") for p in chunk.split(",")]
        values: dict[str, set[str]] = {"station": set(), "scan_task": set()}
        for part in parts:
            key, sep, value = part.partition(":")
            if sep and key.strip() in values:
                values[key.strip()].add(value.strip())
        sub, closed = "volume=sub" in parts, "undisclosable" in parts
        material = (MaterialFacts(volume=Volume.SUB if sub else Volume.MAIN, disclosable=not closed)
                    if sub or closed else None)
        return cls(station_id=_one(values["station"]), scan_task_id=_one(values["scan_task"]), material=material,
                   ambiguous=any(len(v) > 1 for v in values.values()))


def _one(values: set[str]) -> str | None:
    return min(values) if values else None


class PageSource(BaseModel):
    """What the service layer found for the station and scan task a page-adding question names
    (``station:<id>;scan_task:<id>``): the station's active client (None: no such active client) and the
    case the scan task belongs to (None: no such task)."""

    model_config = ConfigDict(frozen=True)

    station_id: str | None = None
    station: Principal | None = None
    scan_task_id: str | None = None
    scan_task_case: str | None = None
    ambiguous: bool = False
