"""Case-level decisions on intake's records and changes, asked of access-control for each case.

Reading a case record (parties, panel, cause, stage, hearings, links, scan tasks, completeness) is
``read_case``; changing the stage or the hearings, creating or moving scan tasks and declaring materials is
``update_case``; 结案 is ``close_case``; the 原审 work (报送清单, manual link and unlink, return to the lower
court) is ``link_original`` — each decided by access-control on the case (吉高法〔2020〕11号 第九条: need to know),
which also audits every answer (全程留痕).

A 涉密 case (第十条) the caller may not read is answered exactly like a case that does not exist: 404, the
same body, so that its number tells nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from juanzong_shared.auth import AccessDecider, Decision, Identity

from juanzong_intake.domain import articles
from juanzong_intake.domain.errors import AccessRefused, NotFound

READ_CASE: Final = "read_case"
UPDATE_CASE: Final = "update_case"
CLOSE_CASE: Final = "close_case"
LINK_ORIGINAL: Final = "link_original"

STATION_SCOPE: Final = "scan:submit"
# access-control hears of a case through ``case.registered``; for this long after the registration a "no"
# may only mean it has not heard yet, so a single case's question is asked again for ``SETTLE_WAIT`` seconds
SETTLE_WINDOW: Final = 10.0
SETTLE_WAIT: Final = 3.0
CONCURRENCY: Final = 8


def case_not_found(key: str) -> NotFound:
    """The one answer for a case that is not there — and for a 涉密 case the caller may not know of."""
    return NotFound("case_number", f"案件{key}不存在 (case not registered)")


def task_not_found(task_id: str) -> NotFound:
    return NotFound("task_id", f"扫描任务{task_id}不存在 (scan task not found)")


class AllowAll:
    """The decider of a service started without authentication (``JZ_AUTH_REQUIRED=false``, development)."""

    async def decide(self, identity: Identity, action: str, case_number: str, *,
                     resource: str | None = None) -> Decision:
        return Decision(allowed=True, reason="未启用认证 (authentication off)")


class _Settling:
    """Asks again, for a short while, when a case registered moments ago is refused (see ``SETTLE_WINDOW``)."""

    def __init__(self, decider: AccessDecider, registered_at: datetime | None, *, window: float, wait: float,
                 sleep: Callable[[float], Awaitable[Any]]) -> None:
        self.decider, self.registered_at, self.window, self.wait, self.sleep = decider, registered_at, window, wait, sleep

    def _recent(self) -> bool:
        at = self.registered_at
        if at is None or self.wait <= 0:
            return False
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return (datetime.now(UTC) - at).total_seconds() < self.window

    async def decide(self, identity: Identity, action: str, case_number: str, *,
                     resource: str | None = None) -> Decision:
        decision = await self.decider.decide(identity, action, case_number, resource=resource)
        if decision.allowed or not self._recent():
            return decision
        deadline, delay = time.monotonic() + self.wait, 0.05
        while not decision.allowed and time.monotonic() < deadline:
            await self.sleep(delay)
            delay = min(delay * 2, 0.4)
            decision = await self.decider.decide(identity, action, case_number, resource=resource)
        return decision


class CaseAccess:
    """The caller and the way to ask about them, one per request: ``await access.require(UPDATE_CASE, doc)``."""

    def __init__(self, decider: AccessDecider, identity: Identity, *, settle_window: float = SETTLE_WINDOW,
                 settle_wait: float = SETTLE_WAIT, concurrency: int = CONCURRENCY,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.decider, self.identity = decider, identity
        self.settle_window, self.settle_wait, self.sleep = settle_window, settle_wait, sleep
        self._limit = asyncio.Semaphore(concurrency)
        self._readable: dict[str, bool] = {}

    @property
    def is_station(self) -> bool:
        return self.identity.kind == "station"

    def _settling(self, case_doc: Mapping[str, Any]) -> _Settling:
        return _Settling(self.decider, case_doc.get("registered_at"), window=self.settle_window,
                         wait=self.settle_wait, sleep=self.sleep)

    async def require(self, action: str, case_doc: Mapping[str, Any], *, resource: str | None = None) -> Decision:
        """The decision on ``action`` for the case, or a refusal: :class:`AccessRefused` naming the rule; 404
        for a 涉密 case the caller may not even read (第十条), exactly as for an unknown case."""
        key = case_doc["_id"]
        decision = await self._settling(case_doc).decide(self.identity, action, key, resource=resource)
        if decision.allowed and not (unknown := decision.unknown()):
            return decision
        if case_doc.get("secret") and (action == READ_CASE or not await self.may_read(case_doc, settle=True)):
            raise case_not_found(key)
        reason = decision.reason if not decision.allowed else (
            f"授权附带本服务无法履行的义务 ({', '.join(unknown)}): refused rather than served unfiltered")
        raise AccessRefused("", reason, rule=decision.rule)

    async def may_read(self, case_doc: Mapping[str, Any], *, settle: bool = False) -> bool:
        """May the caller read the case record? Asked once per case and request."""
        key = case_doc["_id"]
        if key not in self._readable:
            decider = self._settling(case_doc) if settle else self.decider
            async with self._limit:
                decision = await decider.decide(self.identity, READ_CASE, key)
            self._readable[key] = decision.allowed and not decision.unknown()
        return self._readable[key]

    async def readable(self, case_docs: Iterable[Mapping[str, Any]]) -> list[bool]:
        """``may_read`` for several cases at once, at most ``concurrency`` questions in flight."""
        return list(await asyncio.gather(*(self.may_read(doc) for doc in case_docs)))

    # -- scan tasks -------------------------------------------------------------------------------
    def station_may_see_tasks(self, case_doc: Mapping[str, Any]) -> bool:
        """A scanning station sees the scan tasks of its own court's cases, which it scans (第三条(三)2) — the
        task, never the case record (第四条(一)3: a station scans and does not read)."""
        ident = self.identity
        return (self.is_station and STATION_SCOPE in ident.scopes and ident.court is not None
                and ident.court == case_doc.get("court") and not case_doc.get("secret"))

    async def require_tasks(self, case_doc: Mapping[str, Any], *, task_id: str | None = None) -> None:
        """The caller may read the scan tasks of the case: a station of the court, or whoever may read the case
        record. Refused: 403 naming the rule; 404 when the case is 涉密 (or, for one task, as an unknown task)."""
        if self.is_station:
            if self.station_may_see_tasks(case_doc):
                return
            if case_doc.get("secret"):
                raise (task_not_found(task_id) if task_id else case_not_found(case_doc["_id"]))
            raise AccessRefused("", "扫描工位只能查看本院案件的扫描任务，且须具有扫描提交权限 (scan:submit)",
                                article=articles.ART4_1_3)
        try:
            await self.require(READ_CASE, case_doc)
        except NotFound:
            raise (task_not_found(task_id) if task_id else case_not_found(case_doc["_id"])) from None

    async def require_task_move(self, case_doc: Mapping[str, Any]) -> None:
        """Moving a scan task: a station of the case's court (it takes out and scans, 第五条(三)); anyone else
        as a change to the case (``update_case``)."""
        if self.is_station:
            await self.require_tasks(case_doc)
            return
        await self.require(UPDATE_CASE, case_doc)
