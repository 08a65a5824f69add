"""The notifier's composition root: configuration from the settings, the use cases, the one bus handler and the two
background loops (scheduler, deliveries), made from the runtime's clients (no I/O here)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from juanzong_shared.bus import Subscription
from juanzong_shared.logging import get_logger
from juanzong_shared.runtime import Runtime, Wiring

from juanzong_notifier.adapters.channels import SmtpSender, WebhookSender
from juanzong_notifier.adapters.repository import INDEXES, Repositories, repositories
from juanzong_notifier.config import NotifierConfig, ServiceSettings
from juanzong_notifier.domain.calendar import load_holiday_tables
from juanzong_notifier.domain.preferences import Channel
from juanzong_notifier.domain.rules import load_rules
from juanzong_notifier.service_layer.clocks import ClockService
from juanzong_notifier.service_layer.directory import DirectoryService
from juanzong_notifier.service_layer.indicators import IndicatorService
from juanzong_notifier.service_layer.preferences import PreferenceService
from juanzong_notifier.service_layer.reminders import ReminderService

__all__ = ["INDEXES", "bootstrap", "build_config", "repositories"]
log = get_logger(__name__)


def build_config(settings: ServiceSettings) -> NotifierConfig:
    """Rules, policy and holiday tables (packaged data, plus the settings' file), directory and channels."""
    tables = {t.year: t for t in load_holiday_tables()}
    if settings.notifier_holiday_tables_file:
        text = Path(settings.notifier_holiday_tables_file).read_text("utf-8")
        tables.update({t.year: t for t in load_holiday_tables(text)})
    senders = {}
    if settings.notifier_smtp_host:
        senders[Channel.EMAIL] = SmtpSender(
            settings.notifier_smtp_host, settings.notifier_smtp_port, settings.notifier_smtp_from,
            user=settings.notifier_smtp_user or None, password=settings.notifier_smtp_password or None,
            starttls=settings.notifier_smtp_starttls)
    if settings.notifier_webhook_secret:
        senders[Channel.WEBHOOK] = WebhookSender(settings.notifier_webhook_secret,
                                                 timeout=settings.notifier_webhook_timeout_seconds)
    return NotifierConfig(
        rules=load_rules(),
        policy=settings.notifier_reminder_policy,
        packaged_tables=list(tables.values()),
        department_heads=dict(settings.notifier_department_heads),
        role_holders=dict(settings.notifier_role_holders),
        retry_delays_seconds=list(settings.notifier_retry_delays_seconds),
        max_attempts=settings.notifier_max_attempts,
        directory_grace_seconds=settings.notifier_directory_grace_seconds,
        senders=senders,
        indicator_reporters={k: tuple(v) for k, v in settings.notifier_indicator_reporters.items()},
    )


def _every(seconds: float, what: str, action: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def loop() -> None:
        while True:
            try:
                await action()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - keep the loop alive; the next pass retries
                log.warning(f"{what} pass failed", error=f"{type(error).__name__}: {error}")
            await asyncio.sleep(seconds)
    return loop


async def bootstrap(runtime: Runtime[Repositories]) -> Wiring:
    settings: ServiceSettings = runtime.settings
    cfg = build_config(settings)
    reads = repositories(runtime.mongo.db, None)
    clocks = ClockService(cfg, runtime.transact, reads)
    reminders = ReminderService(cfg, reads)
    indicators = IndicatorService(cfg, runtime.transact, reads)

    async def scheduler_pass() -> None:
        """Reminders, overdue notices, escalations, the overdue gauge and the report on the 3rd."""
        await clocks.process_due()
        if settings.notifier_monthly_reports:
            await indicators.monthly_job()

    interval = settings.notifier_scheduler_interval_seconds
    return Wiring(
        subscriptions=[Subscription(handlers=[clocks.handler()], concurrency=1)],
        background=[_every(interval, "scheduler", scheduler_pass),
                    _every(min(interval, 5.0), "delivery", reminders.deliver_pending)],
        services={"notifier": cfg, "clocks": clocks, "reminders": reminders, "indicators": indicators,
                  "preferences": PreferenceService(reads), "directory": DirectoryService(cfg, reads)})
