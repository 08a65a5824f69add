"""Wiring of the catalog service: runtime (storage, classifier), handler map, start-up and shut-down."""

from __future__ import annotations

from fastapi import FastAPI

from juanzong_catalog.service_layer.handlers import CatalogHandlers
from juanzong_catalog.service_layer.runtime import CatalogRuntime


def bootstrap(runtime: CatalogRuntime | None = None) -> tuple[CatalogRuntime, CatalogHandlers]:
    runtime = runtime or CatalogRuntime()
    return runtime, CatalogHandlers(runtime)


def startup_hook(runtime: CatalogRuntime):
    async def start(app: FastAPI) -> None:
        runtime.store = app.state.store
        app.state.catalog = runtime
        settings = app.state.settings
        runtime.search_cache.configure(getattr(settings, "search_cache_dossiers", 8),
                                       warm=getattr(settings, "search_warm", True))
        runtime.start_loading(getattr(settings, "catalog_page_model", None))  # in a thread
    return start


def shutdown_hook(runtime: CatalogRuntime):
    async def stop(app: FastAPI) -> None:
        runtime.close()
    return stop
