"""In-memory twins of ``adapters.repository`` for service-layer unit tests (the same methods, dicts instead of
collections), and the helpers to run a use case on ``juanzong_shared.testing.FakeUnitOfWork``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from juanzong_access_control.domain.approvals import AccessRequest
from juanzong_access_control.domain.borrowing import Borrowing
from juanzong_access_control.domain.cases import (
    UNASSIGNED,
    CaseFacts,
    LinkedCase,
    LinkRecord,
    Panel,
    Submission,
    court_of_case_number,
    known_only_by_link,
)
from juanzong_access_control.domain.grants import Grant
from juanzong_access_control.domain.identities import Principal, Role


class MemoryAccounts:
    def __init__(self, people: list[Principal] = ()) -> None:
        self.people = {p.id: p for p in people}

    async def approvers(self, role: Role, court: str, department: str | None, besides: str) -> list[str]:
        def heads_or_supervises(p: Principal) -> bool:
            if role is Role.DEPARTMENT_HEAD:
                return p.department == department
            return department in p.supervised_departments
        return sorted(p.id for p in self.people.values() if role in p.roles and p.court == court
                      and heads_or_supervises(p) and p.id != besides)

    async def client_principal(self, client_id: str) -> Principal | None:
        return self.people.get(client_id)


class MemoryCases:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.links: dict[tuple[str, str], list[LinkRecord]] = {}
        self.scan_tasks: dict[str, str] = {}

    async def registered(self, case_number: str, *, court: str, department: str | None, classified: bool,
                         panel: Panel, case_type: str, paperless: bool | None, registered_at: datetime) -> None:
        doc = self.docs.setdefault(case_number, {"finished": False, "archived": False, "submitted_to": []})
        doc |= {"court": court, "department": department, "classified": classified, "panel": panel,
                "registered": True, "paperless": paperless}

    async def closed(self, case_number: str, closed_at: datetime, court: str) -> None:
        self.docs.setdefault(case_number, {"court": court, "submitted_to": []})["finished"] = True

    async def stage_changed(self, case_number: str, stage: str) -> None:
        if case_number in self.docs:
            self.docs[case_number]["stage"] = stage

    async def submitted(self, case_number: str, submission: Submission) -> None:
        doc = self.docs.get(case_number)
        if doc is not None and submission not in doc["submitted_to"]:
            doc["submitted_to"].append(submission)

    async def archived(self, case_number: str, archival_code: str | None, at: datetime) -> None:
        if case_number in self.docs:
            self.docs[case_number] |= {"finished": True, "archived": True}

    async def link_records(self, original: str, later: str) -> list[LinkRecord]:
        return list(self.links.get((original, later), []))

    async def originals_of(self, later: str) -> list[tuple[str, list[LinkRecord]]]:
        return [(o, list(records)) for (o, lt), records in self.links.items() if lt == later]

    async def save_link(self, original: str, later: str, records, at: datetime, fields: dict[str, Any]) -> None:
        self.links[(original, later)] = list(records)

    async def scan_task_created(self, task_id: str, case_number: str, court: str | None, at: datetime) -> None:
        self.scan_tasks.setdefault(task_id, case_number)

    async def scan_task_case(self, task_id: str) -> str | None:
        return self.scan_tasks.get(task_id)

    def _panel(self, doc: dict[str, Any]) -> Panel:
        return doc.get("panel") or Panel(undertaking_judge=UNASSIGNED)

    async def facts(self, case_number: str) -> CaseFacts | None:
        linked = [LinkedCase(case_id=later, court=other["court"], team=self._panel(other).everyone,
                             finished=other["finished"], classified=other.get("classified", False))
                  for (original, later), records in self.links.items()
                  if original == case_number and any(r.active for r in records)
                  and (other := self.docs.get(later)) is not None and other.get("court")]
        doc = self.docs.get(case_number)
        if doc is None:
            return known_only_by_link(case_number, linked) if linked else None
        return CaseFacts(case_id=case_number, court=doc.get("court") or court_of_case_number(case_number),
                         department=doc.get("department"), registered=doc.get("registered", False),
                         paperless=doc.get("paperless") is True, finished=doc["finished"] or doc.get("archived"),
                         archived=doc.get("archived", False), classified=doc.get("classified", False),
                         panel=self._panel(doc), submitted_to=tuple(doc["submitted_to"]),
                         linked_by=tuple(linked))


class MemoryRequests:
    def __init__(self) -> None:
        self.requests: dict[str, AccessRequest] = {}
        self.grant_by_id: dict[str, Grant] = {}

    async def get(self, request_id: str) -> AccessRequest | None:
        return self.requests.get(request_id)

    async def save(self, r: AccessRequest, grant: Grant | None) -> None:
        self.requests[r.request_id] = r
        if grant is not None:
            self.grant_by_id[grant.grant_id] = grant

    async def due(self, now: datetime) -> list[str]:
        return [r.request_id for r in self.requests.values()
                if (r.status.value == "pending" and r.decide_by <= now)
                or (r.status.value == "approved" and r.expires_at is not None and r.expires_at <= now)]

    async def find(self, *, case_number=None, requester=None, status=None, limit, offset=0) -> list[AccessRequest]:
        found = [r for r in self.requests.values() if (not case_number or r.case_id == case_number)
                 and (not requester or r.requester_id == requester) and (not status or r.status.value == status)]
        return sorted(found, key=lambda r: r.requested_at, reverse=True)[offset:offset + limit]

    async def grants(self, case_number: str, grantee: str) -> list[Grant]:
        return [g for g in self.grant_by_id.values() if g.case_id == case_number and g.grantee_id == grantee]


class MemoryBorrowings:
    def __init__(self) -> None:
        self.items: dict[str, Borrowing] = {}
        self.counters: dict[str, int] = {}

    async def get(self, borrowing_id: str) -> Borrowing | None:
        return self.items.get(borrowing_id)

    async def save(self, b: Borrowing) -> None:
        self.items[b.borrowing_id] = b

    async def of_case(self, case_number: str) -> list[Borrowing]:
        return [b for b in self.items.values() if b.case_id == case_number]

    async def find(self, *, case_number=None, borrower=None, court=None, status=None, limit,
                   offset=0) -> list[Borrowing]:
        found = [b for b in self.items.values() if (not case_number or b.case_id == case_number)
                 and (not borrower or b.borrower_id == borrower) and (not court or b.court == court)
                 and (not status or b.status.value == status)]
        return sorted(found, key=lambda b: b.requested_at, reverse=True)[offset:offset + limit]

    async def reminders_due(self, now: datetime, emergency_kind: str) -> list[Borrowing]:
        return [b for b in self.items.values() if b.is_overdue(now) or b.explanation_overdue(now)]

    async def claim_slot(self, case_number: str, kind: str, *, limit: int, counted: int) -> int | None:
        key = f"{case_number}|{kind}"
        used = self.counters.get(key, counted)
        if used >= limit:
            return None
        self.counters[key] = used + 1
        return used + 1

    async def release_slot(self, case_number: str, kind: str) -> None:
        key = f"{case_number}|{kind}"
        if self.counters.get(key, 0) > 0:
            self.counters[key] -= 1


class MemoryRevoked:
    def __init__(self) -> None:
        self.until: dict[str, datetime] = {}

    async def add(self, jti: str, until: datetime) -> bool:
        if jti in self.until:
            return False
        self.until[jti] = until
        return True

    async def keep(self, jti: str, until: datetime, at: datetime) -> None:
        self.until.setdefault(jti, until)

    async def live(self, now: datetime) -> dict[str, datetime]:
        self.until = {k: v for k, v in self.until.items() if v > now}
        return dict(self.until)


class MemoryRevocationList:
    """A token service's revocation list, in memory only."""

    def __init__(self) -> None:
        self.until: dict[str, datetime] = {}

    def revoke(self, jti: str, until: datetime) -> None:
        self.until[jti] = max(until, self.until.get(jti, until))

    def is_revoked(self, jti: str) -> bool:
        return jti in self.until


class MemoryRepositories:
    def __init__(self, people: list[Principal] = ()) -> None:
        self.accounts = MemoryAccounts(people)
        self.cases = MemoryCases()
        self.requests = MemoryRequests()
        self.borrowings = MemoryBorrowings()
        self.revoked = MemoryRevoked()


class Live:
    """A repository of the unit of work's, read outside it: ``FakeUnitOfWork`` rolls back by replacing the
    repositories, so a service holds this view instead of the object it saw first."""

    def __init__(self, repos: MemoryRepositories, name: str) -> None:
        self._repos, self._name = repos, name

    def __getattr__(self, attr: str) -> Any:
        return getattr(getattr(self._repos, self._name), attr)


class MemoryAudit:
    """The audit chain's interface as the service layer uses it: records kept in a list."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.backlog = 0

    def submit(self, **record: Any) -> asyncio.Future:
        self.records.append(record)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def append(self, **record: Any) -> dict[str, Any]:
        self.records.append(record | {"at": record.get("at") or datetime.now(UTC)})
        return record


class World:
    """access-control's services on in-memory repositories and a fake unit of work (as ``bootstrap.build`` wires
    them on MongoDB)."""

    def __init__(self, people: list[Principal]) -> None:
        from juanzong_access_control.service_layer.approvals import Approvals
        from juanzong_access_control.service_layer.borrowings import Borrowings
        from juanzong_access_control.service_layer.cases import CaseEvents
        from juanzong_access_control.service_layer.decisions import Decisions
        from juanzong_shared.testing import FakeUnitOfWork

        self.repos = MemoryRepositories(people)
        self.uow = FakeUnitOfWork(self.repos)
        self.audit = MemoryAudit()
        cases, requests = Live(self.repos, "cases"), Live(self.repos, "requests")
        accounts = Live(self.repos, "accounts")
        self.decisions = Decisions(cases, self.audit, cache_seconds=0, max_age=1,
                                   load_grants=lambda case_number, grantee: requests.grants(case_number, grantee),
                                   load_scan_task=lambda task_id: cases.scan_task_case(task_id),
                                   load_station=lambda client_id: accounts.client_principal(client_id))
        self.case_events = CaseEvents(self.decisions)
        self.approvals = Approvals(self.uow.transact, requests, accounts, self.decisions, self.audit)
        self.borrowings = Borrowings(self.uow.transact, Live(self.repos, "borrowings"), accounts, self.decisions,
                                     self.audit)

    async def deliver(self, handler, payload, *, court: str | None = None, case_number: str | None = None,
                      event_type: str | None = None) -> None:
        """One bus delivery of ``payload`` to ``handler``, in a unit of work, as the consumer makes it."""
        from juanzong_shared.bus import Delivery
        from juanzong_shared.events import REGISTRY

        event = REGISTRY.event(payload, court=court, case_number=case_number, event_type=event_type)
        async with self.uow as uow:
            await handler(payload, Delivery(event, uow))
