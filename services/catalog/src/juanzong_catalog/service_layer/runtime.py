"""What catalog's handlers need beyond the unit of work: object storage and the classifier.

The classifier's statistical model is trained once per process on the generated corpus (a few
seconds, ``adapters/classifier_model.py``); training starts in a thread when the service starts so the
first batch does not wait for it, and a handler that arrives earlier awaits the same future.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from juanzong_catalog.domain.classifier import Classifier, PageModel
from juanzong_catalog.service_layer.search_cache import DossierSearchCache


def _default_model() -> PageModel:
    from juanzong_catalog.adapters.classifier_model import default_page_model

    return default_page_model()


@dataclass
class CatalogRuntime:
    """Filled in by the app's start-up hook; handlers read it at call time."""

    store: Any = None  # juanzong_shared.storage.ObjectStore (or FakeStore)
    model_factory: Callable[[], PageModel] = _default_model
    search: DossierSearchCache = field(default_factory=DossierSearchCache)  # in-memory dossier search
    _future: concurrent.futures.Future | None = field(default=None, repr=False)
    _executor: concurrent.futures.ThreadPoolExecutor | None = field(default=None, repr=False)

    def start_training(self) -> None:
        if self._future is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="catalog-model")
            self._future = self._executor.submit(self.model_factory)

    @property
    def model_ready(self) -> bool:
        return self._future is not None and self._future.done() and self._future.exception() is None

    async def classifier(self) -> Classifier:
        self.start_training()
        assert self._future is not None
        return Classifier(await asyncio.wrap_future(self._future))

    @property
    def search_cache(self) -> DossierSearchCache:
        return self.search

    def close(self) -> None:
        self.search.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
