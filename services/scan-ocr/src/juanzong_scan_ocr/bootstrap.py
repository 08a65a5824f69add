"""Wiring of scan-ocr: the API's handler map and queues, the worker's pipeline and subscription."""

from __future__ import annotations

import aio_pika
from fastapi import FastAPI
from juanzong_shared.bus import Bus, HandlerMap, Subscription

from juanzong_scan_ocr.settings import ServiceSettings

PAGES_SUBSCRIPTION_NAME = "pages"
PAGE_COMMAND = "scan-ocr.page.process"


def pages_subscription(handlers: HandlerMap, prefetch: int = 1) -> Subscription:
    """``<ns>.scan-ocr.pages``: ``prefetch`` unacknowledged pages per worker, handled concurrently;
    the worker runs the engine for one at a time and decodes, renders, stores and records the other meanwhile."""
    return Subscription(handlers, name=PAGES_SUBSCRIPTION_NAME, prefetch=prefetch, concurrency=prefetch)


async def declare_pages_queue(app: FastAPI) -> None:
    """Declare and bind the pages queue from the API too, so pages fanned out before any worker has
    ever started wait in the queue instead of being dropped by the exchange. Same arguments as the
    consumer declares them (a mismatch would be refused by the broker)."""
    bus: Bus = app.state.bus
    name = pages_subscription({}).queue_name(bus.namespace, bus.service)
    channel = await bus.connection.channel()
    try:
        exchange = await channel.declare_exchange(bus.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        dlq = f"{name}.dlq"
        await channel.declare_queue(dlq, durable=True, arguments={"x-queue-type": "quorum"})
        for level, delay in enumerate(bus.retry_delays_ms):
            await channel.declare_queue(f"{name}.retry.{level}", durable=True, arguments={
                "x-message-ttl": int(delay), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": name})
        queue = await channel.declare_queue(name, durable=True, arguments={
            "x-queue-type": "quorum", "x-delivery-limit": bus.max_attempts + 2,
            "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
        await queue.bind(exchange, routing_key=PAGE_COMMAND)
    finally:
        await channel.close()


async def wire_station_job_access(app: FastAPI) -> None:
    """How station jobs on the bus are decided: access-control's ``add_pages`` on scan-ocr's own service token
    (``JZ_CLIENT_ID`` with ``JZ_CLIENT_SECRET_FILE`` or ``JZ_CLIENT_SECRET``). A test may set
    ``app.state.station_job_access`` before start-up."""
    from juanzong_shared.logging import get_logger

    from juanzong_shared.service_token import ServiceToken, token_url

    from juanzong_scan_ocr.service_layer.station_jobs import StationJobAccess

    if getattr(app.state, "station_job_access", None) is not None:
        return
    settings: ServiceSettings = app.state.settings
    secret = settings.resolved_client_secret()
    if not settings.access_control_url or not secret:
        if settings.auth_required:
            get_logger(__name__).error(
                "station jobs cannot be decided: set JZ_ACCESS_CONTROL_URL, JZ_CLIENT_ID and JZ_CLIENT_SECRET_FILE "
                "(or JZ_CLIENT_SECRET); every job will be retried, then dead-lettered")
        return
    tokens = ServiceToken(token_url(settings.access_control_url), settings.client_id, secret)
    app.state.service_tokens = tokens
    app.state.station_job_access = StationJobAccess(lambda: getattr(app.state, "decider", None), tokens.identity,
                                                    tokens.forget)


async def close_station_job_access(app: FastAPI) -> None:
    tokens = getattr(app.state, "service_tokens", None)
    if tokens is not None:
        await tokens.close()


def build_pipeline(settings: ServiceSettings):
    """The OCR engine (created once per process) and the page pipeline around it."""
    from juanzong_scan_ocr.adapters.ocr import OcrSettings, get_engine
    from juanzong_scan_ocr.adapters.pipeline import PagePipeline
    from juanzong_scan_ocr.domain.qc import QcThresholds

    engine = get_engine(settings.ocr_engine, OcrSettings())
    thresholds = QcThresholds(dpi_floor=settings.rescan_dpi_floor, dpi_recommended=settings.rescan_dpi_recommended,
                              clarity_min=settings.rescan_clarity_min)
    return PagePipeline(engine, thresholds=thresholds)


def load(settings_cls: type[ServiceSettings] = ServiceSettings) -> ServiceSettings:
    from juanzong_shared.settings import load_settings

    return load_settings(settings_cls)
