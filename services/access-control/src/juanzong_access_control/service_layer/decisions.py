"""The decision point on the request path: case facts and grants from a short cache, the pure rule
(``domain.policy.decide``), and an audit record for every answer (全程留痕)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from ..adapters.audit_chain import AuditChain
from ..adapters.mongo import UNASSIGNED, CaseStore, court_of_case_number, grants_for
from ..domain import rules
from ..domain.cases import Action, CaseFacts, MaterialFacts, Panel, Volume
from ..domain.grants import Grant
from ..domain.identities import Principal, PrincipalKind
from ..domain.policy import Decision, decide

_MISSING = object()


class TtlCache:
    """A small per-process cache; entries live ``ttl`` seconds and are dropped on change in this process."""

    def __init__(self, ttl: float, max_entries: int = 20_000) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._data: dict[Any, tuple[float, Any]] = {}

    async def get(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self._data.get(key, _MISSING)
        now = time.monotonic()
        if hit is not _MISSING and now - hit[0] < self.ttl:  # type: ignore[index]
            return hit[1]  # type: ignore[index]
        value = await load()
        if self.ttl > 0 and value is not None:  # an unknown case is asked again: its registration may be arriving
            if len(self._data) >= self.max_entries:
                self._data.clear()
            self._data[key] = (now, value)
        return value

    def forget(self, match: Callable[[Any], bool]) -> None:
        for key in [k for k in self._data if match(k)]:
            self._data.pop(key, None)


def material_of(resource: str | None) -> MaterialFacts | None:
    """``resource`` may say which volume the asked document is in: ``volume=sub`` / ``undisclosable``."""
    if not resource:
        return None
    parts = {p.strip() for p in resource.replace(";", ",").split(",")}
    if "volume=sub" in parts or "undisclosable" in parts:
        return MaterialFacts(volume=Volume.SUB if "volume=sub" in parts else Volume.MAIN,
                             disclosable="undisclosable" not in parts)
    return None


class Decisions:
    def __init__(self, cases: CaseStore, audit: AuditChain, *, cache_seconds: float, max_age: int) -> None:
        self.cases, self.audit, self.max_age = cases, audit, max_age
        self.facts = TtlCache(cache_seconds)
        self.grants = TtlCache(cache_seconds)

    def forget_case(self, case_number: str) -> None:
        self.facts.forget(lambda k: k == case_number)
        self.grants.forget(lambda k: k[0] == case_number)

    async def case_facts(self, case_number: str) -> CaseFacts | None:
        return await self.facts.get(case_number, lambda: self.cases.facts(case_number))

    async def grants_of(self, case_number: str, grantee: str) -> list[Grant]:
        return await self.grants.get((case_number, grantee), lambda: grants_for(self.cases.db, case_number, grantee))

    async def decide(self, principal: Principal, action: Action, case_number: str, *,
                     resource: str | None = None, record: bool = True) -> tuple[Decision, int]:
        """The decision and how many seconds a caller may reuse it."""
        now = datetime.now(UTC)
        facts = await self.case_facts(case_number)
        if facts is None and principal.kind is not PrincipalKind.USER:
            # Machine accounts are judged by scope; the court is the one written in the case number.
            facts = CaseFacts(case_id=case_number, court=court_of_case_number(case_number) or "unknown",
                              panel=Panel(undertaking_judge=UNASSIGNED))
        if facts is None:
            decision = Decision(allowed=False, rule=rules.ART9,
                                reason_zh="本系统未登记该案件（案件信息尚未同步），不能查阅。",
                                detail_en="case not known to access control", valid_until=now)
        else:
            grants = await self.grants_of(case_number, principal.id) if principal.kind is PrincipalKind.USER else []
            decision = decide(principal, action, facts, grants, now, material=material_of(resource))
        max_age = max(0, min(self.max_age, int((decision.valid_until - now).total_seconds())))
        if record:
            self.audit.submit(actor=principal.id, action="decision", case_id=case_number, at=now, detail={
                "action": action.value, "allowed": decision.allowed, "rule": decision.rule,
                "reason": decision.reason_zh, "resource": resource, "grant_id": decision.grant_id,
                "kind": principal.kind.value})
        return decision, max_age
