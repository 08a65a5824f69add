"""Case facts from intake's and archive's events: the panel, the stage, closing and archiving, the 原审 links
and the scan tasks.

Each handler writes in the consumer's unit of work (ledger entry in the same transaction, so a
redelivered event changes nothing) and tells the decision cache that the case is changing in that
transaction: the cache keeps the case out until the transaction has ended, then forgets it again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from juanzong_shared.bus import Delivery, handles
from juanzong_shared.events.archive import Archived
from juanzong_shared.events.intake import (
    CaseClosed,
    CaseRegistered,
    CaseReturnedToLowerCourt,
    CaseStageChanged,
    CaseSubmittedForDeliberation,
    OriginalLinked,
    OriginalUnlinked,
    ScanTaskChanged,
)

from ..domain.cases import DeliberativeBody, Submission, link_records_after, panel_of_registration
from .decisions import Decisions


class CaseEvents:
    """The durable handlers of the case events (one replica applies each; ``invalidation`` tells the others)."""

    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    def _changing(self, case_number: str, delivery: Delivery) -> None:
        self.decisions.changing(case_number, delivery.uow.session)

    @handles("case.registered")
    async def on_registered(self, p: CaseRegistered, delivery: Delivery) -> None:
        self._changing(p.case_number, delivery)
        await delivery.uow.repos.cases.registered(
            p.case_number, court=p.court, department=p.department, classified=p.secret,
            panel=panel_of_registration([(m.role, m.user_id) for m in p.panel]), case_type=p.case_type,
            paperless=p.paperless, registered_at=p.registered_at)

    @handles("case.closed")
    async def on_closed(self, p: CaseClosed, delivery: Delivery) -> None:
        self._changing(p.case_number, delivery)
        await delivery.uow.repos.cases.closed(p.case_number, p.closed_at, delivery.court or "")

    @handles("case.stage.changed")
    async def on_stage_changed(self, p: CaseStageChanged, delivery: Delivery) -> None:
        self._changing(p.case_number, delivery)
        await delivery.uow.repos.cases.stage_changed(p.case_number, p.stage)

    @handles("case.submitted_for_deliberation")
    async def on_submitted_for_deliberation(self, p: CaseSubmittedForDeliberation, delivery: Delivery) -> None:
        """提交法官会议/审委会: its members read the case from then on (吉高法〔2020〕11号 第九条第2项)."""
        self._changing(p.case_number, delivery)
        await delivery.uow.repos.cases.submitted(p.case_number, Submission(
            body=DeliberativeBody(p.body),
            member_ids=frozenset(p.member_ids) if p.member_ids is not None else None))

    @handles("archive.archived")
    async def on_archived(self, p: Archived, delivery: Delivery) -> None:
        self._changing(p.case_number, delivery)
        await delivery.uow.repos.cases.archived(p.case_number, p.archival_code, p.at)

    @handles("case.original.linked")
    async def on_original_linked(self, p: OriginalLinked, delivery: Delivery) -> None:
        self._changing(p.original_case_number, delivery)
        await _change_link(delivery, p.original_case_number, p.case_number, _refs(p), True,
                           {"manual": p.manual, "by": p.by, "reason": p.reason})

    @handles("case.original.unlinked")
    async def on_original_unlinked(self, p: OriginalUnlinked, delivery: Delivery) -> None:
        """第三条(二): a wrong link removed by a person closes the later team's way into the original (once no
        record of that original is linked any more)."""
        self._changing(p.original_case_number, delivery)
        await _change_link(delivery, p.original_case_number, p.case_number, _refs(p), False,
                           {"ended_by": "unlinked", "by": p.by, "reason": p.reason})

    @handles("case.returned_to_lower_court")
    async def on_returned_to_lower_court(self, p: CaseReturnedToLowerCourt, delivery: Delivery) -> None:
        """第三条(二): a case returned to the lower court works on no original here: all its links end."""
        self._changing(p.case_number, delivery)  # forgets, on every replica, the originals whose facts name it
        cases = delivery.uow.repos.cases
        for original, records in await cases.originals_of(p.case_number):
            await _change_link(delivery, original, p.case_number, [], False,
                               {"ended_by": "returned_to_lower_court", "reason": p.reason}, records)

    @handles("scan.task.created")
    async def on_scan_task_created(self, p: ScanTaskChanged, delivery: Delivery) -> None:
        self._changing(p.case_number, delivery)
        await delivery.uow.repos.cases.scan_task_created(p.scan_task_id, p.case_number, p.court, p.at)

    @property
    def handlers(self) -> list:
        return [self.on_registered, self.on_closed, self.on_stage_changed, self.on_submitted_for_deliberation,
                self.on_archived,
                self.on_original_linked, self.on_original_unlinked, self.on_returned_to_lower_court,
                self.on_scan_task_created]


def _refs(p: OriginalLinked | OriginalUnlinked) -> list[str]:
    return [f"{kind}:{ref}" for kind, ref in (("e_dossier", p.e_dossier_ref), ("e_archive", p.e_archive_ref)) if ref]


async def _change_link(delivery: Delivery, original: str, later: str, refs: list[str], active: bool,
                       fields: dict[str, Any], records: list | None = None) -> None:
    cases = delivery.uow.repos.cases
    at: datetime = delivery.event.occurred_at
    if records is None:
        records = await cases.link_records(original, later)
    await cases.save_link(original, later, link_records_after(records, refs, active, at), at, fields)
