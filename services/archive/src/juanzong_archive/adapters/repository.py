"""The archive's MongoDB collections, their indexes and every query — the only place that names them.

``repositories(db, session)`` is what each unit of work holds (the session stays inside); made with
``session=None`` the same repositories read and write outside a transaction (reports, conversion locks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

ARCHIVES = "archives"
REPORTS = "reports"
SERIALS = "serials"
TRANSFERS = "transfers"

INDEXES = {
    ARCHIVES: [IndexModel([("state", ASCENDING)], name="state"),
               IndexModel([("archival_code", ASCENDING)], name="archival_code", unique=True,
                          partialFilterExpression={"archival_code": {"$type": "string"}}),
               IndexModel([("fixity.checked_at", ASCENDING)], name="fixity_checked")],
    REPORTS: [IndexModel([("case_number", ASCENDING), ("checked_at", DESCENDING)], name="case_checked")],
    TRANSFERS: [IndexModel([("archival_code", ASCENDING)], name="archival_code")],
}


class _Collection:
    name = ""

    def __init__(self, db: AsyncDatabase, session: AsyncClientSession | None) -> None:
        self.coll = db[self.name]
        self.session = session


class ArchiveRecords(_Collection):
    """One record per case (``_id`` = 案号): intake's facts, the workflow state and history, packages, fixity."""

    name = ARCHIVES

    async def get(self, case_number: str) -> dict | None:
        return await self.coll.find_one({"_id": case_number}, session=self.session)

    async def insert(self, record: dict) -> None:
        await self.coll.insert_one(record, session=self.session)

    async def update(self, case_number: str, fields: dict[str, Any], *, push: dict[str, Any] | None = None,
                     unset: tuple[str, ...] = (), set_on_insert: dict[str, Any] | None = None) -> None:
        """``$set`` the fields (and ``$push``/``$unset``); with ``set_on_insert`` an upsert."""
        update: dict[str, Any] = {"$set": fields}
        if push:
            update["$push"] = push
        if unset:
            update["$unset"] = {name: "" for name in unset}
        if set_on_insert:
            update["$setOnInsert"] = set_on_insert
        await self.coll.update_one({"_id": case_number}, update, upsert=set_on_insert is not None,
                                   session=self.session)

    async def code_taken(self, archival_code: str) -> bool:
        return await self.coll.find_one({"archival_code": archival_code}, projection={"_id": 1},
                                        session=self.session) is not None

    async def claim_conversion(self, case_number: str, state: str, now: dt.datetime, stale_before: dt.datetime) -> bool:
        """Mark the case as converting unless a conversion newer than ``stale_before`` already runs."""
        result = await self.coll.update_one(
            {"_id": case_number, "state": state,
             "$or": [{"converting": {"$ne": True}}, {"converting_since": {"$lt": stale_before}}]},
            {"$set": {"converting": True, "converting_since": now}}, session=self.session)
        return result.modified_count == 1

    async def due_for_fixity(self, checked_before: dt.datetime, limit: int) -> list[str]:
        """Cases with a stored package, checked longest ago (or never) first."""
        cursor = self.coll.find(
            {"package": {"$exists": True},
             "$or": [{"fixity.checked_at": {"$lt": checked_before}}, {"fixity": {"$exists": False}}]},
            projection={"_id": 1}, session=self.session).sort("fixity.checked_at", 1).limit(limit)
        return [doc["_id"] async for doc in cursor]


class Serials(_Collection):
    """Counters of 案卷号 per 全宗号-年度-保管期限."""

    name = SERIALS

    async def next(self, counter: str) -> int:
        doc = await self.coll.find_one_and_update({"_id": counter}, {"$inc": {"seq": 1}}, upsert=True,
                                                  return_document=ReturnDocument.AFTER, session=self.session)
        return int(doc["seq"])


class Reports(_Collection):
    """四性检测报告 (JSON, text and HTML renderings), one per check."""

    name = REPORTS

    async def add(self, report: dict) -> None:
        await self.coll.insert_one(report, session=self.session)

    async def latest_id(self, case_number: str, report_id: str | None = None) -> str | None:
        query: dict[str, Any] = {"case_number": case_number}
        if report_id:
            query["_id"] = report_id
        doc = await self.coll.find_one(query, sort=[("checked_at", -1)], projection={"_id": 1}, session=self.session)
        return doc["_id"] if doc else None

    async def get(self, report_id: str) -> dict | None:
        return await self.coll.find_one({"_id": report_id}, session=self.session)

    async def summaries(self, case_number: str, *, limit: int, offset: int) -> list[dict]:
        """The case's reports, newest first, without their bodies; ``limit + 1`` fetched to tell a next page."""
        cursor = self.coll.find({"case_number": case_number}, projection={"report": 0, "text": 0, "html": 0},
                                session=self.session).sort("checked_at", -1).skip(offset).limit(limit + 1)
        return [doc async for doc in cursor]


class Transfers(_Collection):
    """Received transfer packages (移交 接收) and their check."""

    name = TRANSFERS

    async def add(self, entry: dict) -> None:
        await self.coll.insert_one(entry, session=self.session)

    async def get(self, transfer_id: str) -> dict | None:
        return await self.coll.find_one({"_id": transfer_id}, session=self.session)


@dataclass
class Repositories:
    archives: ArchiveRecords
    serials: Serials
    reports: Reports
    transfers: Transfers


def repositories(db: AsyncDatabase, session: AsyncClientSession | None = None) -> Repositories:
    return Repositories(ArchiveRecords(db, session), Serials(db, session), Reports(db, session),
                        Transfers(db, session))
