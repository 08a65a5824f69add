"""HTTP entry point of the archive service."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.logging import get_logger
from juanzong_shared.runtime import Runtime, Wiring
from juanzong_shared.settings import SettingsError, load_settings

from juanzong_archive.adapters.seal import SealConfigError
from juanzong_archive.bootstrap import BUCKETS, INDEXES, bootstrap, repositories, seal_loader
from juanzong_archive.config import ServiceSettings
from juanzong_archive.entrypoints.api import router

log = get_logger(__name__)

DESCRIPTION = """结案立卷 → 核查 → 组卷质检 → 一键转为电子档案 → 审核归档 (吉高法〔2020〕11号 第三条(六)-(九)),
signed e-archive packages (PDF/A volumes, 元数据.xml, BagIt manifest, court e-seal), the DA/T 70-2018
four-property check, write-once storage, fixity audit, offline backup and transfer packages."""


def create_app(http_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """``http_transport``: a test's stand-in for catalog and access-control's token endpoint."""
    settings = load_settings(ServiceSettings)

    async def start(runtime: Runtime) -> Wiring:
        """What a start needs beyond the settings — this service's own client secret (issue 20 item 3: no shared
        development secret) and a loadable court seal — then the wiring."""
        if settings.client_secret is None:
            raise SettingsError("invalid setting JZ_CLIENT_SECRET_FILE: required (or JZ_ARCHIVE_CLIENT_SECRET): "
                                "the secret of this service's own client at access-control")
        seal = seal_loader(settings)
        try:
            material = await asyncio.to_thread(seal)
        except SealConfigError as error:
            raise SettingsError(str(error)) from None
        log.info("archive seal loaded", source=material.source, subject=material.credentials.subject)
        return await bootstrap(runtime, seal=seal, http_transport=http_transport)

    return create_service_app(
        settings, title="卷宗 电子档案服务 (archive)", description=DESCRIPTION,
        parts=ServiceParts(routers=[router], indexes=INDEXES, buckets=BUCKETS, repositories=repositories,
                           bootstrap=start))
