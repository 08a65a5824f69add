"""Who acts: roles, principals (users, service accounts, scanning stations)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Role(StrEnum):
    """A court role. Case-specific positions (承办法官, 合议庭成员) come from the case, not from here."""

    FILING_DIVISION_STAFF = "filing_division_staff"  # 立案庭工作人员 (incl. 智能办案辅助中心)
    JUDGE = "judge"  # 法官
    JUDGE_ASSISTANT = "judge_assistant"  # 法官助理
    CLERK = "clerk"  # 书记员
    DEPARTMENT_HEAD = "department_head"  # 部门负责人
    SUPERVISING_LEADER = "supervising_leader"  # 分管院领导
    PRESIDING_JUDGE = "presiding_judge"  # 审判长
    JUDGES_MEETING_MEMBER = "judges_meeting_member"  # 法官会议成员
    ADJUDICATION_COMMITTEE_MEMBER = "adjudication_committee_member"  # 审委会委员
    ARCHIVES_OFFICE_STAFF = "archives_office_staff"  # 档案科
    TECHNOLOGY_OFFICE_STAFF = "technology_office_staff"  # 技术处
    LITIGANT_REPRESENTATIVE = "litigant_representative"  # 当事人及其诉讼代理人、律师
    SERVICE_ACCOUNT = "service_account"  # 服务账户
    SCANNING_STATION = "scanning_station"  # 扫描工位

    @property
    def zh(self) -> str:
        return _ROLE_ZH[self]


_ROLE_ZH: dict[Role, str] = {
    Role.FILING_DIVISION_STAFF: "立案庭工作人员",
    Role.JUDGE: "法官",
    Role.JUDGE_ASSISTANT: "法官助理",
    Role.CLERK: "书记员",
    Role.DEPARTMENT_HEAD: "部门负责人",
    Role.SUPERVISING_LEADER: "分管院领导",
    Role.PRESIDING_JUDGE: "审判长",
    Role.JUDGES_MEETING_MEMBER: "法官会议成员",
    Role.ADJUDICATION_COMMITTEE_MEMBER: "审委会委员",
    Role.ARCHIVES_OFFICE_STAFF: "档案科工作人员",
    Role.TECHNOLOGY_OFFICE_STAFF: "技术处工作人员",
    Role.LITIGANT_REPRESENTATIVE: "诉讼代理人",
    Role.SERVICE_ACCOUNT: "服务账户",
    Role.SCANNING_STATION: "扫描工位",
}

# Roles a person cannot hold and machine accounts cannot hold anything else.
MACHINE_ROLES: frozenset[Role] = frozenset({Role.SERVICE_ACCOUNT, Role.SCANNING_STATION})


class PrincipalKind(StrEnum):
    USER = "user"
    SERVICE = "service"
    STATION = "station"


class Principal(BaseModel):
    """An authenticated caller.

    ``supervised_departments`` lists, for a 分管院领导, the departments they are in charge of: the
    approval rules ask for the leader *of a given department* (吉高法〔2020〕11号 第九条第2项
    "部门负责人及其分管院领导"). ``scopes`` matter for service accounts only.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    name: str
    court: str = ""
    department: str | None = None
    roles: frozenset[Role] = frozenset()
    kind: PrincipalKind = PrincipalKind.USER
    scopes: frozenset[str] = frozenset()
    supervised_departments: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _kind_matches_roles(self) -> Principal:
        if self.kind is PrincipalKind.USER and self.roles & MACHINE_ROLES:
            raise ValueError("a user cannot hold service_account or scanning_station roles")
        if self.kind is PrincipalKind.SERVICE and self.roles - {Role.SERVICE_ACCOUNT}:
            raise ValueError("a service account holds only the service_account role")
        if self.kind is PrincipalKind.STATION and self.roles - {Role.SCANNING_STATION}:
            raise ValueError("a scanning station holds only the scanning_station role")
        return self

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_external(self) -> bool:
        """A litigant's representative with no court role: reaches the dossier only as 三(六) allows."""
        return self.kind is PrincipalKind.USER and self.roles == {Role.LITIGANT_REPRESENTATIVE}

    def supervises(self, court: str, department: str | None) -> bool:
        """True for a 分管院领导 of ``court`` in charge of ``department``."""
        return (
            self.kind is PrincipalKind.USER
            and Role.SUPERVISING_LEADER in self.roles
            and self.court == court
            and department is not None
            and department in self.supervised_departments
        )

    def heads(self, court: str, department: str | None) -> bool:
        """True for the 部门负责人 of ``department`` in ``court``."""
        return (
            self.kind is PrincipalKind.USER
            and Role.DEPARTMENT_HEAD in self.roles
            and self.court == court
            and department is not None
            and self.department == department
        )
