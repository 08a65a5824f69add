"""HTTP and bus entry point of the intake service: ``create_app()`` wires everything (no clients at import)."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.settings import load_settings

from juanzong_intake.bootstrap import INDEXES, bootstrap, repositories
from juanzong_intake.config import ServiceSettings
from juanzong_intake.entrypoints.api import router


def create_app() -> FastAPI:
    return create_service_app(
        load_settings(ServiceSettings), title="卷宗 立案服务 (intake)",
        description="立案登记、原审电子卷宗关联与退回、扫描任务（云柜）、分段扫描材料齐全度。"
                    "吉高法〔2020〕11号 第三条、第五条、第十条、第十四条；长中法〔2018〕129号 第六条、第七条。",
        parts=ServiceParts(routers=[router], indexes=INDEXES, uses_storage=False, bootstrap=bootstrap,
                           repositories=repositories))
