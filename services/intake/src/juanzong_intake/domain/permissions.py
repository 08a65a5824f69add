"""Who may do what in intake (roles from access-control's tokens).

Case-level reading of pages, text and archives is decided by access-control (吉高法〔2020〕11号 第九条);
intake holds case records, links and task states, so it only checks the caller's role for each kind of
request. Service accounts (the case-management system, other services) may do everything but are named.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from juanzong_intake.domain.errors import IntakeError

FILING = "filing_division_staff"  # 立案庭 / 智能办案辅助中心
JUDGE_SIDE: Final = frozenset({"judge", "judge_assistant", "clerk", "presiding_judge", "department_head"})
SERVICE_ROLES: Final = frozenset({"service_account"})


class Operation(StrEnum):
    REGISTER = "register"  # 立案登记
    UPDATE_CASE = "update_case"  # 阶段、开庭、结案
    ORIGINALS = "originals"  # 报送清单、关联、退回
    CREATE_SCAN_TASK = "create_scan_task"  # 审判部门生成材料清单
    MOVE_SCAN_TASK = "move_scan_task"  # 入柜、取件、核对、扫描
    READ = "read"

    @property
    def zh(self) -> str:
        return {"register": "立案登记", "update_case": "变更案件信息", "originals": "办理原审材料",
                "create_scan_task": "创建扫描任务", "move_scan_task": "办理扫描任务", "read": "查询"}[self.value]


_ALLOWED: Final[dict[Operation, frozenset[str]]] = {
    Operation.REGISTER: frozenset({FILING}),
    Operation.UPDATE_CASE: frozenset({FILING, *JUDGE_SIDE}),
    Operation.ORIGINALS: frozenset({FILING}),
    Operation.CREATE_SCAN_TASK: frozenset({FILING, *JUDGE_SIDE}),
    Operation.MOVE_SCAN_TASK: frozenset({FILING, *JUDGE_SIDE, "scanning_station"}),
    Operation.READ: frozenset({FILING, *JUDGE_SIDE, "supervising_leader", "judges_meeting_member",
                               "adjudication_committee_member", "archives_office_staff",
                               "technology_office_staff", "scanning_station"}),
}


class NotPermitted(IntakeError):
    code = "forbidden"


def ensure_permitted(roles: Iterable[str], kind: str, operation: Operation) -> None:
    """Raise :class:`NotPermitted` unless one of ``roles`` (or a service account) may do ``operation``."""
    roles = set(roles)
    if kind == "service" or roles & SERVICE_ROLES:
        return
    if roles & _ALLOWED[operation]:
        return
    allowed = "、".join(sorted(_ALLOWED[operation]))
    raise NotPermitted("roles", f"无权{operation.zh}：需要以下角色之一：{allowed}，或服务账号 "
                                f"(role not permitted for {operation.value})")
