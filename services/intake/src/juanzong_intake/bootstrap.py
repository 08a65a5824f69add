"""Intake's composition root: the use cases and handlers, made from the runtime's clients (no I/O here)."""

from __future__ import annotations

from juanzong_shared.auth import HttpAccessDecider
from juanzong_shared.logging import get_logger
from juanzong_shared.runtime import Runtime, Wiring

from juanzong_intake.adapters.repository import INDEXES, Repositories, repositories
from juanzong_intake.domain.case_types import CaseTypeTable
from juanzong_intake.domain.courts import CourtRegistry
from juanzong_intake.domain.staged_materials import StagedMaterialCatalog
from juanzong_intake.service_layer.cases import Cases
from juanzong_intake.service_layer.handlers import SUBSCRIPTION
from juanzong_intake.service_layer.originals import OriginalTrial
from juanzong_intake.service_layer.scan_tasks import ScanTasks

__all__ = ["INDEXES", "bootstrap", "repositories"]

log = get_logger(__name__)


async def bootstrap(runtime: Runtime[Repositories]) -> Wiring:
    # Courts, case types and staged-material lists are packaged data: parsed at start-up, so a broken table stops
    # the service before it takes requests.
    courts, types, staged = CourtRegistry.load(), CaseTypeTable.load(), StagedMaterialCatalog.load()
    log.info("reference data loaded", courts=len(courts), case_types=len(types), staged_stages=len(list(staged)))
    # Intake does not reuse access-control's answers: a case record is shown, and a case changed, only under the
    # decision of the moment (a closed link, a revoked grant or a new registration counts at once).
    if isinstance(runtime.decider, HttpAccessDecider):
        runtime.decider.ttl = 0.0

    def read() -> Repositories:
        return repositories(runtime.mongo.db)

    ports = (runtime.transact, read)
    return Wiring(subscriptions=[SUBSCRIPTION],
                  services={"cases": Cases(*ports), "originals": OriginalTrial(*ports), "scan_tasks": ScanTasks(*ports)})
