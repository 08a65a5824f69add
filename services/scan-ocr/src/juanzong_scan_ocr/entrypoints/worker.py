"""OCR worker process: ``python -m juanzong_scan_ocr.entrypoints.worker``.

Consumes ``<ns>.scan-ocr.pages`` with prefetch ``JZ_WORKER_PREFETCH`` (2): the engine-bound work
(clean-up, OCR) runs one page at a time, and the other page's loading and decoding, or its QC,
rendering, storing and recording, overlaps it (each page is acknowledged after its own effects are
committed); loads the engine once, and serves Prometheus metrics on ``JZ_WORKER_METRICS_PORT`` (bound to
``JZ_WORKER_METRICS_HOST``, loopback by default).
SIGTERM stops taking pages, finishes the pages in hand, relays its events and exits. A worker whose
broker connection stays down longer than ``JZ_WORKER_BUS_GRACE_SECONDS`` exits non-zero so the
orchestrator restarts it. KEDA scales the workers on the depth of the pages queue.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time

from juanzong_shared.logging import configure_logging, get_logger
from juanzong_shared.settings import load_settings

from juanzong_scan_ocr.config import ServiceSettings

log = get_logger(__name__)


async def run(settings: ServiceSettings) -> int:
    from juanzong_shared.runtime import Runtime

    from juanzong_scan_ocr.adapters.allocator import cap_arenas
    from juanzong_scan_ocr.adapters.metrics import WORKER_BUS_CONNECTED
    from juanzong_scan_ocr.bootstrap import (
        INDEXES,
        PAGES_SUBSCRIPTION_NAME,
        buckets,
        build_pipeline,
        repositories,
        worker_wiring,
    )
    from juanzong_scan_ocr.service_layer.pages import PageWorker

    worker_id = f"{socket.gethostname()}:{os.getpid()}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    t0 = time.perf_counter()
    # Freed page buffers spread over many threads' arenas pushed peak memory up page after page.
    if settings.worker_malloc_arenas:
        cap_arenas(settings.worker_malloc_arenas)
    if settings.worker_cv_threads:
        import cv2

        cv2.setNumThreads(settings.worker_cv_threads)
    pipeline = build_pipeline(settings)
    await asyncio.to_thread(pipeline.warm_up)
    log.info("ocr engine loaded", engine=pipeline.engine.name, version=pipeline.engine.version,
             seconds=round(time.perf_counter() - t0, 2))
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)

    runtime = await Runtime.open(settings, indexes=INDEXES, buckets=buckets(settings), repositories=repositories)
    bus = runtime.bus
    worker = PageWorker(repositories(runtime.mongo.db), runtime.store, settings, pipeline, worker_id)
    await runtime.start(worker_wiring(runtime, worker), own_verifier=False)
    log.info("ocr worker consuming", worker=worker_id, subscription=PAGES_SUBSCRIPTION_NAME)

    code = 0
    down_since: float | None = None
    while not stop.is_set():
        connected = bus.connected
        WORKER_BUS_CONNECTED.set(1 if connected else 0)
        if connected:
            down_since = None
        else:
            down_since = down_since or time.monotonic()
            if time.monotonic() - down_since > settings.worker_bus_grace_seconds:
                log.error("broker unreachable; exiting so the worker is restarted",
                          seconds=settings.worker_bus_grace_seconds)
                code = 3
                break
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            pass
    log.info("ocr worker stopping: finishing the page in hand", worker=worker_id)
    await runtime.close(drain_timeout=settings.worker_drain_seconds)
    worker.close()
    log.info("ocr worker stopped", worker=worker_id)
    return code


def main() -> None:
    settings = load_settings(ServiceSettings)
    configure_logging(settings.service_name + "-worker", settings.log_level, settings.log_json)
    sys.exit(asyncio.run(run(settings)))


if __name__ == "__main__":
    main()
