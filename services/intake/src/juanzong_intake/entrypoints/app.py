"""HTTP and bus entry point of the intake service: ``create_app()`` wires everything (no clients at import)."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.auth import HttpAccessDecider
from juanzong_shared.bus import Subscription
from juanzong_shared.logging import get_logger
from juanzong_shared.settings import Settings, load_settings

from juanzong_intake.adapters.repository import INDEXES
from juanzong_intake.domain.case_types import CaseTypeTable
from juanzong_intake.domain.courts import CourtRegistry
from juanzong_intake.domain.staged_materials import StagedMaterialCatalog
from juanzong_intake.entrypoints import errors
from juanzong_intake.entrypoints.api import router
from juanzong_intake.service_layer.handlers import HANDLERS

SERVICE = "intake"
log = get_logger(__name__)


class ServiceSettings(Settings):
    service_name: str = SERVICE


async def load_reference_data(app: FastAPI) -> None:
    """Courts, case types and staged-material lists are data: parse them at start-up so a broken table
    stops the service before it takes requests."""
    courts, types, staged = CourtRegistry.load(), CaseTypeTable.load(), StagedMaterialCatalog.load()
    app.state.courts = courts
    app.state.case_types = types
    log.info("reference data loaded", courts=len(courts), case_types=len(types),
             staged_stages=len(list(staged)))


async def fresh_decisions(app: FastAPI) -> None:
    """Intake does not reuse access-control's answers: a case record is shown, and a case changed, only under
    the decision of the moment (a closed link, a revoked grant or a new registration counts at once)."""
    decider = getattr(app.state, "decider", None)
    if isinstance(decider, HttpAccessDecider):
        decider.ttl = 0.0


def create_app() -> FastAPI:
    settings = load_settings(ServiceSettings)
    app = create_service_app(
        settings, title="卷宗 立案服务 (intake)",
        description="立案登记、原审电子卷宗关联与退回、扫描任务（云柜）、分段扫描材料齐全度。"
                    "吉高法〔2020〕11号 第三条、第五条、第十条、第十四条；长中法〔2018〕129号 第六条、第七条。",
        parts=ServiceParts(routers=[router], subscriptions=[Subscription(HANDLERS)], indexes=INDEXES,
                           on_startup=[load_reference_data, fresh_decisions], uses_storage=False))
    errors.install(app)
    return app
