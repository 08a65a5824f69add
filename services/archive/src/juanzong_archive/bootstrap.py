"""The archive's composition root: the workflow, the catalog client and the court seal, made from the runtime's
clients. Nothing connects here: the seal is loaded when first needed (the app loads it before, see
``entrypoints.app``), the HTTP client opens its connections on its first request."""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx
from juanzong_shared.runtime import BucketSpec, Runtime, Wiring
from juanzong_shared.service_token import ServiceToken

from juanzong_archive.adapters.catalog import CatalogClient
from juanzong_archive.adapters.repository import INDEXES, Repositories, repositories
from juanzong_archive.adapters.seal import SealMaterial, load_seal
from juanzong_archive.config import ServiceSettings
from juanzong_archive.service_layer.archiving import ARCHIVE_BUCKET, ArchiveService
from juanzong_archive.service_layer.workflow import SUBSCRIPTION

__all__ = ["BUCKETS", "INDEXES", "bootstrap", "repositories", "seal_loader"]

BUCKETS = [BucketSpec(ARCHIVE_BUCKET, object_lock=True), BucketSpec("juanzong-pages")]


def seal_loader(settings: ServiceSettings) -> Callable[[], SealMaterial]:
    """The court seal from the settings, loaded once on the first call (raises SealConfigError)."""
    return functools.cache(functools.partial(
        load_seal, p12_file=settings.archive_seal_p12_file, p12_password=settings.archive_seal_p12_password,
        trust_roots_file=settings.archive_trust_roots_file, data_dir=settings.data_dir,
        environment=settings.environment, court_name=settings.archive_court_name))


async def bootstrap(runtime: Runtime[Repositories], *, seal: Callable[[], SealMaterial] | None = None,
                    http_transport: httpx.AsyncBaseTransport | None = None) -> Wiring:
    """``http_transport``: a test's stand-in for catalog and the token endpoint."""
    settings: ServiceSettings = runtime.settings  # type: ignore[assignment]
    http = httpx.AsyncClient(timeout=30, transport=http_transport)
    token = ServiceToken(settings.token_url or "", settings.client_id, settings.client_secret or "", client=http)
    archive = ArchiveService(settings, runtime.transact, repositories(runtime.mongo.db), runtime.store,
                             CatalogClient(settings.catalog_url, token, http), seal or seal_loader(settings))
    return Wiring(subscriptions=[SUBSCRIPTION], services={"archive": archive},
                  background=[archive.fixity_audit], on_shutdown=[http.aclose])
