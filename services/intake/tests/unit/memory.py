"""In-memory twins of ``adapters.repository`` for service-layer unit tests (the same methods, dicts instead of
collections), and the use cases wired on ``juanzong_shared.testing.FakeUnitOfWork``."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from juanzong_intake.adapters.repository import case_document, task_document
from juanzong_intake.domain.case import Case
from juanzong_intake.domain.original_trial import (
    FoundRecord,
    OriginalTrialLinks,
    RecordKind,
    SubmissionManifest,
)
from juanzong_intake.domain.scan_task import ScanTask
from juanzong_intake.service_layer.cases import Cases
from juanzong_intake.service_layer.originals import OriginalTrial
from juanzong_intake.service_layer.scan_tasks import ScanTasks
from juanzong_shared.testing import FakeUnitOfWork
from pymongo.errors import DuplicateKeyError


def _copy(doc: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return copy.deepcopy(dict(doc)) if doc is not None else None


async def _each(docs: list[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    for doc in docs:
        yield _copy(doc)


class MemoryCases:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def case_doc(self, case_number: str) -> dict[str, Any] | None:
        return _copy(self.docs.get(case_number))

    async def add_case(self, case: Case, *, registered_at: datetime, registered_by: str,
                       extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if case.key in self.docs:
            raise DuplicateKeyError(case.key)
        doc = case_document(case, registered_at=registered_at, registered_by=registered_by, extra=extra)
        self.docs[case.key] = _copy(doc)
        return doc

    async def update_case(self, case_number: str, values: Mapping[str, Any],
                          push: Mapping[str, Any] | None = None) -> None:
        doc = self.docs.get(case_number)
        if doc is None:
            return
        doc.update(copy.deepcopy(dict(values)))
        for key, value in (push or {}).items():
            doc.setdefault(key, []).append(copy.deepcopy(value))

    async def save_case(self, case: Case, **values: Any) -> None:
        await self.update_case(case.key, {"case": case.model_dump(mode="json"), "stage": case.stage.value, **values})

    def iter_cases(self, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        docs = [d for d in self.docs.values() if all(v is None or d.get(k) == v for k, v in filters.items())]
        return _each(sorted(docs, key=lambda d: (d["registered_at"], d["_id"]), reverse=True))

    async def case_docs(self, case_numbers: Sequence[str]) -> list[dict[str, Any]]:
        return [_copy(self.docs[n]) for n in case_numbers if n in self.docs]

    async def cases_with_original(self, original_key: str) -> list[dict[str, Any]]:
        return [_copy(d) for d in self.docs.values() if original_key in d["original_keys"] and not d["secret"]]

    async def add_overdue_clock(self, case_number: str, clock: Mapping[str, Any]) -> bool:
        doc = self.docs.get(case_number)
        if doc is None or any(c["clock_id"] == clock["clock_id"] for c in doc["overdue_clocks"]):
            return False
        doc["overdue_clocks"].append(dict(clock))
        doc["overdue"] = True
        return True

    async def clear_overdue_clocks(self, case_number: str, contains: str) -> None:
        doc = self.docs.get(case_number)
        if doc is not None and doc.get("overdue_clocks"):
            doc["overdue_clocks"] = [c for c in doc["overdue_clocks"] if contains not in str(c.get("clock_id", ""))]
            doc["overdue"] = bool(doc["overdue_clocks"])


class MemoryOriginals:
    def __init__(self) -> None:
        self.links_of: dict[str, OriginalTrialLinks] = {}
        self.submissions: dict[str, dict[str, Any]] = {}
        self.records: dict[str, FoundRecord] = {}

    async def links(self, case: Case) -> OriginalTrialLinks:
        return self.links_of.get(case.key) or OriginalTrialLinks.empty(case)

    async def save_links(self, links: OriginalTrialLinks) -> None:
        self.links_of[links.case_number.canonical] = links

    async def add_submission(self, manifest: SubmissionManifest, *, received_at: datetime, received_by: str) -> None:
        self.submissions[manifest.manifest_id] = {"_id": manifest.manifest_id, "manifest": manifest,
                                                  "case_number": manifest.case_number.canonical,
                                                  "received_at": received_at, "received_by": received_by}

    async def submission_doc(self, manifest_id: str) -> dict[str, Any] | None:
        return self.submissions.get(manifest_id)

    async def latest_manifest(self, case_number: str) -> SubmissionManifest | None:
        docs = [d for d in self.submissions.values() if d["case_number"] == case_number]
        return max(docs, key=lambda d: d["received_at"])["manifest"] if docs else None

    async def remember_record(self, original_case_number: str, kind: RecordKind, ref: str, source: str,
                              at: datetime) -> None:
        self.records.setdefault(f"{kind.value}|{original_case_number}|{ref}", FoundRecord(
            original_case_number=original_case_number, kind=kind, ref=ref, source=source))

    async def known_records(self, original_keys: Sequence[str]) -> list[FoundRecord]:
        return [r for key, r in sorted(self.records.items()) if key.split("|")[1] in set(original_keys)]


class MemoryScanTasks:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def task_doc(self, task_id: str) -> dict[str, Any] | None:
        return _copy(self.docs.get(task_id))

    async def add_task(self, task: ScanTask, court: str) -> dict[str, Any]:
        doc = task_document(task, court)
        self.docs[task.task_id] = _copy(doc)
        return doc

    async def save_task(self, task: ScanTask, **values: Any) -> None:
        self.docs[task.task_id].update({"state": task.state.value, "updated_at": task.updated_at,
                                        "task": task.model_dump(mode="json"), **copy.deepcopy(values)})

    async def tasks_of_case(self, case_number: str) -> list[dict[str, Any]]:
        docs = [d for d in self.docs.values() if d["case_number"] == case_number]
        return [_copy(d) for d in sorted(docs, key=lambda d: (d["created_at"], d["_id"]))]

    def iter_tasks(self, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        docs = [d for d in self.docs.values() if all(v is None or d.get(k) == v for k, v in filters.items())]
        return _each(sorted(docs, key=lambda d: (d["created_at"], d["_id"]), reverse=True))


class MemoryRepositories:
    def __init__(self) -> None:
        self.cases = MemoryCases()
        self.originals = MemoryOriginals()
        self.tasks = MemoryScanTasks()


class World:
    """Intake's use cases on one in-memory unit of work: ``world.uow.published_types()`` says what was emitted."""

    def __init__(self) -> None:
        self.uow = FakeUnitOfWork(MemoryRepositories())
        ports = (self.uow.transact, lambda: self.uow.repos)
        self.cases = Cases(*ports)
        self.originals = OriginalTrial(*ports)
        self.tasks = ScanTasks(*ports)

    @property
    def repos(self) -> MemoryRepositories:
        return self.uow.repos
