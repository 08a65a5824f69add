"""MongoDB repositories of intake's own collections: cases, original-trial links, submissions, scan tasks.

Each document keeps the domain model's JSON under one key (``case``, ``links``, ``manifest``, ``task``) and
the fields queries need at the top level. A repository holds the unit of work's session (None outside one):
callers never pass it. :func:`repositories` is the factory the unit of work makes them with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from juanzong_intake.domain.case import Case
from juanzong_intake.domain.original_trial import (
    FoundRecord,
    OriginalTrialLinks,
    RecordKind,
    SubmissionManifest,
)
from juanzong_intake.domain.scan_task import ScanTask

CASES: Final = "cases"
LINKS: Final = "original_links"
SUBMISSIONS: Final = "submissions"
SCAN_TASKS: Final = "scan_tasks"
KNOWN_RECORDS: Final = "known_records"  # e-dossiers / e-archives this system has seen, for automatic linking

INDEXES: Final[Mapping[str, Sequence[IndexModel]]] = {
    CASES: [
        IndexModel([("case_number", ASCENDING)], unique=True, name="case_number_unique"),
        IndexModel([("court", ASCENDING), ("stage", ASCENDING), ("registered_at", DESCENDING)], name="court_stage"),
        IndexModel([("status", ASCENDING)], name="status"),
        IndexModel([("overdue", ASCENDING)], name="overdue"),
        IndexModel([("original_keys", ASCENDING)], name="original_keys"),
    ],
    LINKS: [IndexModel([("case_number", ASCENDING)], unique=True, name="case_number_unique")],
    SUBMISSIONS: [
        IndexModel([("manifest_id", ASCENDING)], unique=True, name="manifest_id_unique"),
        IndexModel([("case_number", ASCENDING), ("received_at", DESCENDING)], name="case_number"),
    ],
    SCAN_TASKS: [
        IndexModel([("task_id", ASCENDING)], unique=True, name="task_id_unique"),
        IndexModel([("case_number", ASCENDING), ("created_at", ASCENDING)], name="case_number"),
        IndexModel([("court", ASCENDING), ("state", ASCENDING)], name="court_state"),
    ],
    KNOWN_RECORDS: [IndexModel([("original_case_number", ASCENDING)], name="original_case_number")],
}


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json")


def case_document(case: Case, *, registered_at: datetime, registered_by: str,
                  extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "_id": case.key, "case_number": case.key, "case": _dump(case), "court": case.court_code,
        "case_type": case.case_number.type_code, "category": case.category.value, "stage": case.stage.value,
        "status": "open", "secret": case.secret, "paperless": case.scope.in_flow and not case.secret,
        "original_keys": sorted(case.original_keys()), "registered_at": registered_at,
        "registered_by": registered_by, "hearings": [], "overdue": False, "overdue_clocks": [],
        "returned": None, "closed_at": None, "result": None, **(extra or {}),
    }


def task_document(task: ScanTask, court: str) -> dict[str, Any]:
    return {"_id": task.task_id, "task_id": task.task_id, "case_number": task.case_number.canonical,
            "court": court, "department": task.department, "state": task.state.value,
            "created_at": task.created_at, "updated_at": task.updated_at, "task": _dump(task),
            "batches": [], "scanned_pages": 0, "post_scan_check": None}


class _Repository:
    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None = None) -> None:
        self.db = db
        self.session = session


class CaseRepository(_Repository):
    """立案 records (``cases``)."""

    async def case_doc(self, case_number: str) -> dict[str, Any] | None:
        return await self.db[CASES].find_one({"_id": case_number}, session=self.session)

    async def add_case(self, case: Case, *, registered_at: datetime, registered_by: str,
                       extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        doc = case_document(case, registered_at=registered_at, registered_by=registered_by, extra=extra)
        await self.db[CASES].insert_one(doc, session=self.session)
        return doc

    async def update_case(self, case_number: str, values: Mapping[str, Any],
                          push: Mapping[str, Any] | None = None) -> None:
        update: dict[str, Any] = {"$set": dict(values)}
        if push:
            update["$push"] = dict(push)
        await self.db[CASES].update_one({"_id": case_number}, update, session=self.session)

    async def save_case(self, case: Case, **values: Any) -> None:
        await self.update_case(case.key, {"case": _dump(case), "stage": case.stage.value, **values})

    async def iter_cases(self, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        """Every case whose top-level fields equal ``filters`` (None: any), newest first."""
        query = {k: v for k, v in filters.items() if v is not None}
        cursor = self.db[CASES].find(query, session=self.session).sort(
            [("registered_at", DESCENDING), ("_id", ASCENDING)])
        async for doc in cursor:
            yield doc

    async def case_docs(self, case_numbers: Sequence[str]) -> list[dict[str, Any]]:
        if not case_numbers:
            return []
        cursor = self.db[CASES].find({"_id": {"$in": list(case_numbers)}}, session=self.session)
        return [doc async for doc in cursor]

    async def cases_with_original(self, original_key: str) -> list[dict[str, Any]]:
        cursor = self.db[CASES].find({"original_keys": original_key, "secret": False}, session=self.session)
        return [doc async for doc in cursor]

    async def add_overdue_clock(self, case_number: str, clock: Mapping[str, Any]) -> bool:
        result = await self.db[CASES].update_one(
            {"_id": case_number, "overdue_clocks.clock_id": {"$ne": clock["clock_id"]}},
            {"$push": {"overdue_clocks": dict(clock)}, "$set": {"overdue": True}}, session=self.session)
        return result.modified_count == 1

    async def clear_overdue_clocks(self, case_number: str, contains: str) -> None:
        doc = await self.case_doc(case_number)
        if doc is None or not doc.get("overdue_clocks"):
            return
        kept = [c for c in doc["overdue_clocks"] if contains not in str(c.get("clock_id", ""))]
        if len(kept) != len(doc["overdue_clocks"]):
            await self.update_case(case_number, {"overdue_clocks": kept, "overdue": bool(kept)})


class OriginalRepository(_Repository):
    """Original-trial links, the lower courts' 报送清单 and the records known for automatic linking."""

    async def links(self, case: Case) -> OriginalTrialLinks:
        doc = await self.db[LINKS].find_one({"_id": case.key}, session=self.session)
        return OriginalTrialLinks.model_validate(doc["links"]) if doc else OriginalTrialLinks.empty(case)

    async def save_links(self, links: OriginalTrialLinks) -> None:
        key = links.case_number.canonical
        await self.db[LINKS].replace_one({"_id": key}, {"_id": key, "case_number": key, "links": _dump(links)},
                                         upsert=True, session=self.session)

    async def add_submission(self, manifest: SubmissionManifest, *, received_at: datetime,
                             received_by: str) -> None:
        await self.db[SUBMISSIONS].insert_one({
            "_id": manifest.manifest_id, "manifest_id": manifest.manifest_id,
            "case_number": manifest.case_number.canonical, "manifest": _dump(manifest),
            "received_at": received_at, "received_by": received_by}, session=self.session)

    async def submission_doc(self, manifest_id: str) -> dict[str, Any] | None:
        return await self.db[SUBMISSIONS].find_one({"_id": manifest_id}, session=self.session)

    async def latest_manifest(self, case_number: str) -> SubmissionManifest | None:
        doc = await self.db[SUBMISSIONS].find_one({"case_number": case_number}, sort=[("received_at", DESCENDING)],
                                                  session=self.session)
        return SubmissionManifest.model_validate(doc["manifest"]) if doc else None

    async def remember_record(self, original_case_number: str, kind: RecordKind, ref: str, source: str,
                              at: datetime) -> None:
        key = f"{kind.value}|{original_case_number}|{ref}"
        await self.db[KNOWN_RECORDS].update_one(
            {"_id": key}, {"$setOnInsert": {"original_case_number": original_case_number, "kind": kind.value,
                                            "ref": ref, "source": source, "seen_at": at}},
            upsert=True, session=self.session)

    async def known_records(self, original_keys: Sequence[str]) -> list[FoundRecord]:
        if not original_keys:
            return []
        cursor = self.db[KNOWN_RECORDS].find({"original_case_number": {"$in": list(original_keys)}},
                                             session=self.session).sort("_id", ASCENDING)
        return [FoundRecord(original_case_number=d["original_case_number"], kind=d["kind"], ref=d["ref"],
                            source=d.get("source")) async for d in cursor]


class ScanTaskRepository(_Repository):
    """扫描任务 (``scan_tasks``)."""

    async def task_doc(self, task_id: str) -> dict[str, Any] | None:
        return await self.db[SCAN_TASKS].find_one({"_id": task_id}, session=self.session)

    async def add_task(self, task: ScanTask, court: str) -> dict[str, Any]:
        doc = task_document(task, court)
        await self.db[SCAN_TASKS].insert_one(doc, session=self.session)
        return doc

    async def save_task(self, task: ScanTask, **values: Any) -> None:
        await self.db[SCAN_TASKS].update_one(
            {"_id": task.task_id},
            {"$set": {"state": task.state.value, "updated_at": task.updated_at, "task": _dump(task), **values}},
            session=self.session)

    async def tasks_of_case(self, case_number: str) -> list[dict[str, Any]]:
        cursor = self.db[SCAN_TASKS].find({"case_number": case_number}, session=self.session).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)])
        return [doc async for doc in cursor]

    async def iter_tasks(self, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        """Every scan task whose top-level fields equal ``filters`` (None: any), newest first."""
        query = {k: v for k, v in filters.items() if v is not None}
        cursor = self.db[SCAN_TASKS].find(query, session=self.session).sort(
            [("created_at", DESCENDING), ("_id", ASCENDING)])
        async for doc in cursor:
            yield doc


@dataclass(frozen=True)
class Repositories:
    cases: CaseRepository
    originals: OriginalRepository
    tasks: ScanTaskRepository


def repositories(db: AsyncDatabase, session: AsyncClientSession | None = None) -> Repositories:
    return Repositories(CaseRepository(db, session), OriginalRepository(db, session), ScanTaskRepository(db, session))


def case_from_doc(doc: Mapping[str, Any]) -> Case:
    return Case.model_validate(doc["case"])


def task_from_doc(doc: Mapping[str, Any]) -> ScanTask:
    return ScanTask.model_validate(doc["task"])
