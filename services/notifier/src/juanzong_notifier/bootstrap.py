"""Wiring: settings → NotifierConfig (rules, policy, tables, directory, channels) and the handler map."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from juanzong_shared.bus import HandlerMap

from juanzong_notifier.adapters.channels import SmtpSender, WebhookSender
from juanzong_notifier.domain.calendar import load_holiday_tables
from juanzong_notifier.domain.preferences import Channel
from juanzong_notifier.domain.rules import load_rules
from juanzong_notifier.service_layer.services import NotifierConfig, handle_event


def build_config(settings) -> NotifierConfig:
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


def build_handlers(cfg: NotifierConfig) -> HandlerMap:
    """One handler for every event type a rule reacts to or an indicator counts (bindings derive from it)."""
    handler = partial(handle_event, cfg)
    return {event_type: [handler] for event_type in cfg.subscribed_types()}
