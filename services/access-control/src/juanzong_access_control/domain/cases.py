"""What the decision point knows about a case, and the actions asked about it.

These facts come from the case's owner (intake) and the catalogue; access control keeps no copy of
the dossier itself, only what it needs to decide.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Target(StrEnum):
    DOSSIER = "dossier"  # 电子卷宗
    ARCHIVE = "archive"  # 电子档案


class Action(StrEnum):
    READ_PAGES = "read_pages"
    READ_TEXT = "read_text"
    SEARCH = "search"
    READ_ARCHIVE = "read_archive"
    WRITE = "write"  # catalogue corrections (编目更正)
    MANAGE = "manage"  # the case's access administration: grants, audit trail

    @property
    def target(self) -> Target:
        return Target.ARCHIVE if self is Action.READ_ARCHIVE else Target.DOSSIER

    @property
    def is_read(self) -> bool:
        return self in READ_ACTIONS

    @property
    def scope(self) -> str:
        """The OAuth scope a service account needs for this action."""
        return _SCOPES[self]

    @property
    def zh(self) -> str:
        return _ACTION_ZH[self]


READ_ACTIONS: frozenset[Action] = frozenset(
    {Action.READ_PAGES, Action.READ_TEXT, Action.SEARCH, Action.READ_ARCHIVE}
)
DOSSIER_READS: frozenset[Action] = frozenset({Action.READ_PAGES, Action.READ_TEXT, Action.SEARCH})

_SCOPES: dict[Action, str] = {
    Action.READ_PAGES: "dossier:read_pages",
    Action.READ_TEXT: "dossier:read_text",
    Action.SEARCH: "dossier:search",
    Action.READ_ARCHIVE: "archive:read",
    Action.WRITE: "dossier:write",
    Action.MANAGE: "access:manage",
}

_ACTION_ZH: dict[Action, str] = {
    Action.READ_PAGES: "阅览卷宗页面",
    Action.READ_TEXT: "阅览卷宗文字",
    Action.SEARCH: "检索卷宗",
    Action.READ_ARCHIVE: "查阅电子档案",
    Action.WRITE: "更正编目",
    Action.MANAGE: "管理阅览权限",
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


class CaseFacts(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str = Field(min_length=1)
    court: str = Field(min_length=1)
    department: str | None = None
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


class Volume(StrEnum):
    MAIN = "main"  # 正卷
    SUB = "sub"  # 副卷 (合议庭评议、审委会讨论记录等)


class MaterialFacts(BaseModel):
    """What the enforcing service knows about the one document asked for, when it asks about one."""

    model_config = ConfigDict(frozen=True)

    volume: Volume = Volume.MAIN
    disclosable: bool = True  # False: 依法不公开 (秘密、隐私、其他当事人不予公开的材料)
