"""Settings of the notifier (``JZ_NOTIFIER_*``) and the configuration its use cases read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from juanzong_shared.settings import Settings
from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from juanzong_notifier.adapters.channels import Sender
from juanzong_notifier.domain.access import DEFAULT_REPORTERS
from juanzong_notifier.domain.calendar import HolidayTable
from juanzong_notifier.domain.clocks import NotificationPolicy
from juanzong_notifier.domain.preferences import Channel
from juanzong_notifier.domain.rules import RuleBook

SERVICE = "notifier"


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


@dataclass
class NotifierConfig:
    """What the use cases need besides the database: rules, policy, directory settings, channel settings."""

    rules: RuleBook
    policy: NotificationPolicy
    packaged_tables: Sequence[HolidayTable] = ()
    department_heads: Mapping[str, str] = field(default_factory=dict)
    role_holders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    retry_delays_seconds: Sequence[float] = (5, 30, 120, 600)
    max_attempts: int = 5
    directory_grace_seconds: float = 120.0
    senders: dict[Channel, Sender] = field(default_factory=dict)
    # client id → the external event types that system reports (domain/access.py: who may post indicator facts)
    indicator_reporters: Mapping[str, Sequence[str]] = field(default_factory=dict)
