"""Per-user delivery preferences: channels and quiet hours (免打扰时段).

The in-app inbox always receives every notification at once: it is the record
of what was sent to whom (全程留痕), and reading it is the user's own choice.
E-mail and webhook push to the user; a push that falls inside the user's quiet
hours is deferred to their end, unless it is an escalation and the user chose
to let escalations through.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from juanzong_notifier.domain.calendar import SHANGHAI, to_shanghai
from juanzong_notifier.domain.clocks import Notification, NotificationKind


class Channel(StrEnum):
    INBOX = "inbox"  # 站内信
    EMAIL = "email"  # 电子邮件
    WEBHOOK = "webhook"  # 回调地址


PUSH_CHANNELS = frozenset({Channel.EMAIL, Channel.WEBHOOK})


class QuietHours(BaseModel):
    """A daily window in Asia/Shanghai time, ``start`` inclusive, ``end`` exclusive; may span midnight."""

    model_config = ConfigDict(frozen=True)

    start: time
    end: time
    escalations_bypass: bool = False

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("quiet hours start and end must differ")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are wall-clock times in Asia/Shanghai, without a zone")
        return self

    def contains(self, moment: datetime) -> bool:
        t = to_shanghai(moment).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def end_after(self, moment: datetime) -> datetime:
        """The first moment at or after ``moment`` outside the window."""
        local = to_shanghai(moment)
        if not self.contains(local):
            return local
        day = local.date()
        if self.start > self.end and local.time().replace(tzinfo=None) >= self.start:
            day += timedelta(days=1)  # evening part of an overnight window ends tomorrow
        return datetime.combine(day, self.end, tzinfo=SHANGHAI)


class UserPreferences(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: str = Field(min_length=1)
    channels: frozenset[Channel] = frozenset({Channel.INBOX})
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    webhook_url: AnyHttpUrl | None = None
    quiet_hours: QuietHours | None = None

    @model_validator(mode="after")
    def _addresses(self) -> UserPreferences:
        if Channel.EMAIL in self.channels and self.email is None:
            raise ValueError("the e-mail channel needs an e-mail address")
        if Channel.WEBHOOK in self.channels and self.webhook_url is None:
            raise ValueError("the webhook channel needs a URL")
        return self

    @classmethod
    def default(cls, user_id: str) -> UserPreferences:
        return cls(user_id=user_id)


class Delivery(BaseModel):
    """One notification on one channel, and when to send it."""

    model_config = ConfigDict(frozen=True)

    notification_id: str
    user_id: str
    channel: Channel
    address: str | None  # e-mail address or webhook URL; None for the inbox
    send_at: datetime
    deferred: bool  # moved to the end of quiet hours


def plan_deliveries(notification: Notification, prefs: UserPreferences, now: datetime) -> list[Delivery]:
    """Where and when to deliver ``notification`` to the user ``prefs`` belongs to.

    The inbox is always included and never deferred. A push that would go out
    inside quiet hours goes out when they end; escalations go out at once when
    ``quiet_hours.escalations_bypass`` is set.
    """
    at = max(to_shanghai(notification.send_at), to_shanghai(now))
    deliveries = [
        Delivery(
            notification_id=notification.notification_id,
            user_id=prefs.user_id,
            channel=Channel.INBOX,
            address=None,
            send_at=at,
            deferred=False,
        )
    ]
    quiet = prefs.quiet_hours
    bypass = (
        quiet is not None and quiet.escalations_bypass and notification.kind is NotificationKind.ESCALATION
    )
    for channel in sorted(prefs.channels & PUSH_CHANNELS):
        send_at, deferred = at, False
        if quiet is not None and not bypass and quiet.contains(at):
            send_at, deferred = quiet.end_after(at), True
        address = prefs.email if channel is Channel.EMAIL else str(prefs.webhook_url)
        deliveries.append(
            Delivery(
                notification_id=notification.notification_id,
                user_id=prefs.user_id,
                channel=channel,
                address=address,
                send_at=send_at,
                deferred=deferred,
            )
        )
    return deliveries
