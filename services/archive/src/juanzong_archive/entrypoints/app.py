"""HTTP entry point of the archive service: wiring of settings, seal, catalog client and the workflow."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from juanzong_shared.app import BucketSpec, ServiceParts, create_service_app
from juanzong_shared.bus import Subscription
from juanzong_shared.logging import get_logger
from juanzong_shared.settings import SettingsError, load_settings
from pymongo import ASCENDING, DESCENDING, IndexModel

from juanzong_archive.adapters.catalog import CatalogClient, ServiceToken
from juanzong_archive.adapters.seal import SealConfigError, load_seal
from juanzong_archive.config import ServiceSettings
from juanzong_archive.entrypoints.api import router
from juanzong_archive.service_layer.archiving import ARCHIVE_BUCKET, ArchiveService
from juanzong_archive.service_layer.workflow import ARCHIVES, HANDLERS, REPORTS, TRANSFERS

log = get_logger(__name__)

INDEXES = {
    ARCHIVES: [IndexModel([("state", ASCENDING)], name="state"),
               IndexModel([("archival_code", ASCENDING)], name="archival_code", unique=True,
                          partialFilterExpression={"archival_code": {"$type": "string"}}),
               IndexModel([("fixity.checked_at", ASCENDING)], name="fixity_checked")],
    REPORTS: [IndexModel([("case_number", ASCENDING), ("checked_at", DESCENDING)], name="case_checked")],
    TRANSFERS: [IndexModel([("archival_code", ASCENDING)], name="archival_code")],
}

DESCRIPTION = """结案立卷 → 核查 → 组卷质检 → 一键转为电子档案 → 审核归档 (吉高法〔2020〕11号 第三条(六)-(九)),
signed e-archive packages (PDF/A volumes, 元数据.xml, BagIt manifest, court e-seal), the DA/T 70-2018
four-property check, write-once storage, fixity audit, offline backup and transfer packages."""


async def start_archive(app: FastAPI) -> None:
    settings: ServiceSettings = app.state.settings
    try:
        seal = await asyncio.to_thread(
            load_seal, p12_file=settings.archive_seal_p12_file, p12_password=settings.archive_seal_p12_password,
            trust_roots_file=settings.archive_trust_roots_file, data_dir=settings.data_dir,
            environment=settings.environment, court_name=settings.archive_court_name)
    except SealConfigError as error:
        raise SettingsError(str(error)) from None
    secret = settings.client_secret  # this service's own (issue 20 item 3: no shared development secret)
    if secret is None:
        raise SettingsError("invalid setting JZ_CLIENT_SECRET_FILE: required (or JZ_ARCHIVE_CLIENT_SECRET): "
                            "the secret of this service's own client at access-control")
    # a test may plant its own transport (fake catalog and token endpoint) before start-up
    transport = getattr(app.state, "http_transport", None)
    client = httpx.AsyncClient(timeout=30, transport=transport)
    app.state.http_client = client
    token = ServiceToken(settings.token_url or "", settings.client_id, secret, client)
    catalog = CatalogClient(settings.catalog_url, token, client)
    app.state.archive = ArchiveService(settings, app.state.mongo, app.state.store, catalog, seal,
                                       on_commit=app.state.outbox.notify)
    log.info("archive seal loaded", source=seal.source, subject=seal.credentials.subject)


async def stop_archive(app: FastAPI) -> None:
    client = getattr(app.state, "http_client", None)
    if client is not None:
        await client.aclose()


async def fixity_audit(app: FastAPI) -> None:
    """Scheduled fixity audit over stored archives (DA/T 70-2018 长期保存; 青法〔2021〕116号)."""
    settings: ServiceSettings = app.state.settings
    interval = settings.archive_fixity_interval_seconds
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(min(interval, 3600.0) if interval > 60 else interval)
        try:
            checked = await app.state.archive.fixity_round()
            if checked:
                log.info("fixity audit round", checked=checked)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep auditing
            log.warning("fixity audit failed", error=str(error))


def create_app() -> FastAPI:
    settings = load_settings(ServiceSettings)
    return create_service_app(
        settings, title="卷宗 电子档案服务 (archive)", description=DESCRIPTION,
        parts=ServiceParts(routers=[router], subscriptions=[Subscription(HANDLERS)], indexes=INDEXES,
                           buckets=[BucketSpec(ARCHIVE_BUCKET, object_lock=True), BucketSpec("juanzong-pages")],
                           on_startup=[start_archive], on_shutdown=[stop_archive], background=[fixity_audit]))
