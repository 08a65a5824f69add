"""Wiring of the catalog service: built by ``bootstrap(runtime)`` once the clients exist."""

from __future__ import annotations

from juanzong_shared.bus import Subscription
from juanzong_shared.runtime import Runtime, Wiring

from juanzong_catalog.adapters.repository import INDEXES, Repository, repositories
from juanzong_catalog.config import ServiceSettings
from juanzong_catalog.service_layer.cataloguing import Cataloguing
from juanzong_catalog.service_layer.corrections import Corrections
from juanzong_catalog.service_layer.queries import Dossiers
from juanzong_catalog.service_layer.reading import Reading
from juanzong_catalog.service_layer.runtime import CatalogRuntime
from juanzong_catalog.service_layer.search_cache import DossierSearchCache

__all__ = ["INDEXES", "bootstrap", "repositories"]


def bootstrap(runtime: Runtime) -> Wiring:
    settings = runtime.settings
    assert isinstance(settings, ServiceSettings)
    db = runtime.mongo.db
    cache = DossierSearchCache(settings.search_cache_dossiers, warm=settings.search_warm)
    catalog = CatalogRuntime(search=cache)  # the page model, loaded in a thread from start-up on
    cataloguing = Cataloguing(runtime.store, catalog.classifier,
                              catalogued=lambda case_number, version: cache.warm_after(db, case_number, version))

    async def load_model() -> None:
        catalog.start_loading(settings.catalog_page_model)

    async def close() -> None:
        catalog.close()
    return Wiring(
        subscriptions=[Subscription(handlers=cataloguing.handlers)],
        background=[load_model], on_shutdown=[close],
        # not ready without the page model: /readyz names the command that builds it
        checks={"page_model": catalog.classifier},
        services={"catalog": catalog, "dossiers": Dossiers(db, cache), "corrections": Corrections(runtime.transact),
                  "reading": Reading(runtime.transact, Repository(db), runtime.store)})
