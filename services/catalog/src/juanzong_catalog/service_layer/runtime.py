"""What catalog's handlers need beyond the unit of work: the classifier (and the process's dossier views).

The classifier's statistical model is fitted ahead of time (``juanzong-train page-model``) and loaded from
the file the ``JZ_CATALOG_PAGE_MODEL`` setting names (``adapters/classifier_model.py``). Loading starts in a
thread when the service starts; a handler that arrives earlier awaits the same future, and one that finds
the load failed (no artifact yet) tries again, so building the model needs no restart.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field
from pathlib import Path

from juanzong_shared.logging import get_logger

from juanzong_catalog.domain.classifier import Classifier, PageModel
from juanzong_catalog.service_layer.search_cache import DossierSearchCache

log = get_logger(__name__)


def _load_model(path: Path | None) -> PageModel:
    from juanzong_catalog.adapters.classifier_model import (  # imports scikit-learn
        DEFAULT_PATH,
        load_page_model,
    )

    return load_page_model(path or DEFAULT_PATH)


def _log_failure(future: concurrent.futures.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("page model not loaded", error=str(future.exception()))


@dataclass
class CatalogRuntime:
    """Made by ``bootstrap``; the model loads in a thread from start-up on."""

    model_path: Path | None = None  # the JZ_CATALOG_PAGE_MODEL setting
    search: DossierSearchCache = field(default_factory=DossierSearchCache)  # in-memory dossier search
    _future: concurrent.futures.Future | None = field(default=None, repr=False)
    _executor: concurrent.futures.ThreadPoolExecutor | None = field(default=None, repr=False)

    def start_loading(self, path: Path | None = None) -> None:
        self.model_path = path or self.model_path
        if self._future is None or (self._future.done() and self._future.exception() is not None):
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="catalog-model")
            self._future = self._executor.submit(_load_model, self.model_path)
            self._future.add_done_callback(_log_failure)

    @property
    def model_ready(self) -> bool:
        return self._future is not None and self._future.done() and self._future.exception() is None

    async def classifier(self) -> Classifier:
        self.start_loading()
        assert self._future is not None
        return Classifier(await asyncio.wrap_future(self._future))

    @property
    def search_cache(self) -> DossierSearchCache:
        return self.search

    def close(self) -> None:
        self.search.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
