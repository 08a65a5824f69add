"""Which roles may ask for which kind of change in intake (roles from access-control's tokens).

This is the first, coarse door only: every read and change of a case is then decided by access-control on
that case (吉高法〔2020〕11号 第九条; ``service_layer.access``). Service accounts pass this door and are judged by
their scopes there.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from juanzong_intake.domain.errors import NotPermitted

FILING = "filing_division_staff"  # 立案庭 / 智能办案辅助中心
JUDGE_SIDE: Final = frozenset({"judge", "judge_assistant", "clerk", "presiding_judge", "department_head"})
SERVICE_ROLES: Final = frozenset({"service_account"})


class Operation(StrEnum):
    REGISTER = "register"  # 立案登记
    UPDATE_CASE = "update_case"  # 阶段、开庭、结案
    ORIGINALS = "originals"  # 报送清单、退回
    LINK_ORIGINAL = "link_original"  # 手动关联、解除关联
    CREATE_SCAN_TASK = "create_scan_task"  # 审判部门生成材料清单
    MOVE_SCAN_TASK = "move_scan_task"  # 入柜、取件、核对、扫描

    @property
    def zh(self) -> str:
        return {"register": "立案登记", "update_case": "变更案件信息", "originals": "办理原审材料",
                "link_original": "关联原审案件", "create_scan_task": "创建扫描任务",
                "move_scan_task": "办理扫描任务"}[self.value]


_ALLOWED: Final[dict[Operation, frozenset[str]]] = {
    Operation.REGISTER: frozenset({FILING}),
    Operation.UPDATE_CASE: frozenset({FILING, *JUDGE_SIDE}),
    Operation.ORIGINALS: frozenset({FILING}),
    Operation.LINK_ORIGINAL: frozenset({FILING, "judge", "presiding_judge"}),
    Operation.CREATE_SCAN_TASK: frozenset({FILING, *JUDGE_SIDE}),
    Operation.MOVE_SCAN_TASK: frozenset({FILING, *JUDGE_SIDE, "scanning_station"}),
}


# 立案登记 creates the case, so no decision on it can be asked first: a service account registers only with this
# scope (the case-management system's client); none of the suite's own services registers cases.
REGISTER_SCOPE: Final = "case:register"


def ensure_permitted(roles: Iterable[str], kind: str, operation: Operation, scopes: Iterable[str] = ()) -> None:
    """Raise :class:`NotPermitted` unless one of ``roles`` (or a service account) may do ``operation``."""
    roles = set(roles)
    if kind == "service" or roles & SERVICE_ROLES:
        if operation is Operation.REGISTER and REGISTER_SCOPE not in set(scopes):
            raise NotPermitted("scope", f"服务账号须具有“{REGISTER_SCOPE}”权限方可立案登记 "
                                        f"(a service account registers cases only with scope {REGISTER_SCOPE})")
        return
    if roles & _ALLOWED[operation]:
        return
    allowed = "、".join(sorted(_ALLOWED[operation]))
    raise NotPermitted("roles", f"无权{operation.zh}：需要以下角色之一：{allowed}，或服务账号 "
                                f"(role not permitted for {operation.value})")
