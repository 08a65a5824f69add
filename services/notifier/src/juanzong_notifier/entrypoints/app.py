"""HTTP entry point of the notifier: deadlines, notifications, channels and the six monthly indicators."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.bus import Subscription
from juanzong_shared.logging import get_logger
from juanzong_shared.settings import Settings, load_settings
from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from juanzong_notifier.adapters.mongo import INDEXES
from juanzong_notifier.bootstrap import build_config, build_handlers
from juanzong_notifier.domain.access import DEFAULT_REPORTERS
from juanzong_notifier.domain.clocks import NotificationPolicy
from juanzong_notifier.entrypoints.api import router
from juanzong_notifier.service_layer import services

SERVICE = "notifier"
log = get_logger(__name__)


class ServiceSettings(Settings):
    service_name: str = SERVICE
    notifier_smtp_host: str = Field("", description="SMTP server; e-mail is off when empty.")
    notifier_smtp_port: int = Field(25, ge=1, le=65535)
    notifier_smtp_user: str = ""
    notifier_smtp_password: str = ""
    notifier_smtp_from: str = "juanzong-notifier@localhost"
    notifier_smtp_starttls: bool = False
    notifier_webhook_secret: str = Field("", description="HMAC-SHA256 signing secret; webhooks are off when empty.")
    notifier_webhook_timeout_seconds: float = Field(10.0, gt=0, le=120)
    notifier_retry_delays_seconds: Annotated[list[float], NoDecode] = Field(
        default=[5, 30, 120, 600], description="Back-off between push attempts (comma-separated seconds).")
    notifier_max_attempts: int = Field(5, ge=1, le=50, description="Push attempts before a delivery fails.")
    notifier_scheduler_interval_seconds: float = Field(30.0, gt=0, le=3600)
    notifier_reminder_policy: NotificationPolicy = Field(
        default_factory=NotificationPolicy,
        description='JSON, e.g. {"escalate_after": "PT4H", "workday_start": "09:00:00", '
                    '"reminders": {"working_days": [{"amount": 1, "unit": "working_days"}]}}')
    notifier_department_heads: dict[str, str] = Field(
        default_factory=dict, description='JSON {"<court>/<department>": "<user id>"}; the admin API overrides.')
    notifier_role_holders: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='JSON {"<court>/<role>": {"user_id": "...", "department": "..."}} for office roles.')
    notifier_holiday_tables_file: str | None = Field(None, description="Extra holiday-table data file (JSON).")
    notifier_directory_grace_seconds: float = Field(
        120.0, ge=0, description="How long a clock of a case whose panel is unknown waits for case.registered.")
    notifier_monthly_reports: bool = Field(True, description="Make the indicator report on the 3rd.")
    notifier_indicator_reporters: dict[str, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_REPORTERS.items()},
        description='JSON {"<client id>": ["<event type>", ...]}: the systems outside the suite that report '
                    'indicator facts (POST /v1/external-events, with scope indicators:report, for their court).')

    @field_validator("notifier_retry_delays_seconds", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [float(p) for p in value.split(",") if p.strip()]
        return value


async def scheduler_loop(app: FastAPI) -> None:
    """Reminders, overdue notices, escalations, the overdue gauge and the report on the 3rd."""
    settings, cfg = app.state.settings, app.state.notifier
    while True:
        try:
            await services.process_due_clocks(app.state.mongo, cfg, on_commit=app.state.outbox.notify)
            if settings.notifier_monthly_reports:
                await services.monthly_job(app.state.mongo, cfg)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep the loop alive; the next pass retries
            log.warning("scheduler pass failed", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(settings.notifier_scheduler_interval_seconds)


async def delivery_loop(app: FastAPI) -> None:
    """E-mail and webhook deliveries, retried with back-off."""
    interval = min(app.state.settings.notifier_scheduler_interval_seconds, 5.0)
    while True:
        try:
            await services.deliver_pending(app.state.mongo, app.state.notifier)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - keep the loop alive; the next pass retries
            log.warning("delivery pass failed", error=f"{type(error).__name__}: {error}")
        await asyncio.sleep(interval)


def create_app() -> FastAPI:
    settings = load_settings(ServiceSettings)
    cfg = build_config(settings)
    app = create_service_app(
        settings, title="卷宗 期限与通知服务 (notifier)",
        description="Working-day deadline clocks (吉高法〔2020〕11号 第五条、第七条; 长中法〔2018〕129号 第六条、第七条; "
                    "法〔2016〕264号 三(五)), reminders and escalation, inbox / e-mail / signed webhooks, "
                    "and the six monthly indicators (吉高院通报29期).",
        parts=ServiceParts(routers=[router], subscriptions=[Subscription(build_handlers(cfg), concurrency=1)], indexes=INDEXES,
                           background=[scheduler_loop, delivery_loop], uses_storage=False))
    app.state.notifier = cfg
    return app
