"""The directory the notifier addresses its notices with: department heads (escalations go to them) and the holders
of office roles (立案窗口, 智能办案辅助中心, 档案科…). Settings give the defaults, the admin API overrides them."""

from __future__ import annotations

from typing import Any

from juanzong_notifier.adapters.repository import Repositories
from juanzong_notifier.config import NotifierConfig


class DirectoryService:
    def __init__(self, cfg: NotifierConfig, reads: Repositories) -> None:
        self.cfg, self.reads = cfg, reads

    async def set_department_head(self, court: str, department: str, user_id: str) -> None:
        await self.reads.directory.put_head(court, department, user_id)

    async def department_heads(self) -> list[tuple[str, str, str]]:
        """(court, department, user id), settings overridden by the admin API."""
        heads = {**self.cfg.department_heads, **await self.reads.directory.heads()}
        return [(*key.split("/", 1), user) for key, user in sorted(heads.items())]

    async def set_role_holder(self, court: str, role: str, holder: dict[str, Any]) -> None:
        await self.reads.directory.put_role_holder(court, role, holder)
