"""Who may hand pages to a case, and who may follow a batch: access-control decides, a station sees its own."""

from __future__ import annotations

from collections.abc import Callable

from juanzong_shared.auth import AccessDecider, Decision, Identity
from juanzong_shared.errors import Forbidden, Unavailable

ADD_PAGES = "add_pages"


class Unconfigured(Unavailable, code="access-control-unconfigured", title="权限服务未配置"): ...


class NotAllowed(Forbidden, title="无权访问"): ...


class CaseGate:
    """``decider``: the access decider now (None without JZ_ACCESS_CONTROL_URL: everything is allowed when
    authentication is off, nothing when it is on)."""

    def __init__(self, decider: Callable[[], AccessDecider | None], auth_required: bool) -> None:
        self._decider = decider
        self.auth_required = auth_required

    def _current(self) -> AccessDecider | None:
        decider = self._decider()
        if decider is None and self.auth_required:
            raise Unconfigured("", "set JZ_ACCESS_CONTROL_URL")
        return decider

    async def _enforce(self, identity: Identity, action: str, case_number: str, resource: str | None) -> Decision:
        decision = await self._current().decide(identity, action, case_number, resource=resource)
        if not decision.allowed:
            raise NotAllowed("", decision.reason, rule=decision.rule)
        if unknown := decision.unknown():
            raise NotAllowed("", f"授权附带本服务无法履行的义务 ({', '.join(unknown)}): refused rather than served "
                                 "unfiltered", rule=decision.rule)
        return decision

    async def add_pages(self, identity: Identity, case_number: str, scan_task_id: str | None) -> Decision | None:
        """Every page, whoever hands it in (a person, a service or a station), goes to a case that may take it:
        access-control decides ``add_pages`` for the caller's own token — case registered, of the caller's court,
        inside 第十四条 scope, not 涉密 (第十条), not archived (第三条(八)), and the scan task, when one is named,
        belongs to the case. Asked before anything is read or stored. None: authentication is off."""
        if self._current() is None:
            return None
        return await self._enforce(identity, ADD_PAGES, case_number,
                                   f"scan_task:{scan_task_id}" if scan_task_id else None)

    async def read(self, identity: Identity, batch: dict) -> None:
        """A station follows its own batches' progress and never reads dossiers; others ask access-control."""
        if identity.kind == "station":
            if identity.subject in (batch.get("station_id"), batch.get("created_by")):
                return
            raise NotAllowed("", "扫描工位只能查看本工位提交批次的进度 (a station sees only its own batches)",
                             rule="扫描工位不得阅卷")
        if self._current() is None:
            return
        await self._enforce(identity, "read_pages", batch["case_number"], f"batch:{batch['_id']}")
