"""Per-user channels and quiet hours."""

from __future__ import annotations

from datetime import datetime, time

import pytest
from juanzong_notifier.domain.calendar import SHANGHAI
from juanzong_notifier.domain.clocks import Notification, NotificationKind
from juanzong_notifier.domain.preferences import Channel, QuietHours, UserPreferences, plan_deliveries
from juanzong_notifier.domain.rules import Role
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def at(d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, d, hh, mm, tzinfo=SHANGHAI)


def notification(kind: NotificationKind, send_at: datetime) -> Notification:
    return Notification(
        notification_id=f"n-{kind.value}",
        kind=kind,
        court="吉林高院",
        case_id="c1",
        rule_id="filing_review",
        subject_id="c1",
        citation="吉高法〔2020〕11号 第五条(五)",
        recipient_id="zhao.liu",
        recipient_role=Role.DEPARTMENT_HEAD,
        responsible_id="wang.wu",
        due=at(4, 23, 59),
        provisional=False,
        send_at=send_at,
        title="【超期督办】电子卷宗核查",
        body="……",
    )


OVERNIGHT = QuietHours(start=time(22, 0), end=time(7, 30))
PREFS = UserPreferences(
    user_id="zhao.liu",
    channels=frozenset({Channel.INBOX, Channel.EMAIL, Channel.WEBHOOK}),
    email="zhao.liu@court.example",
    webhook_url="https://im.court.example/hook/zhao",
    quiet_hours=OVERNIGHT,
)


def by_channel(deliveries):
    return {d.channel: d for d in deliveries}


def test_push_in_quiet_hours_waits_until_they_end_but_inbox_does_not():
    plan = by_channel(
        plan_deliveries(notification(NotificationKind.REMINDER, at(5, 23, 30)), PREFS, at(5, 23, 30))
    )
    assert plan[Channel.INBOX].send_at == at(5, 23, 30) and not plan[Channel.INBOX].deferred
    assert plan[Channel.EMAIL].send_at == at(6, 7, 30) and plan[Channel.EMAIL].deferred
    assert plan[Channel.WEBHOOK].send_at == at(6, 7, 30)
    assert plan[Channel.EMAIL].address == "zhao.liu@court.example"


def test_after_midnight_part_of_quiet_hours_ends_the_same_morning():
    plan = by_channel(
        plan_deliveries(notification(NotificationKind.OVERDUE, at(6, 1, 0)), PREFS, at(6, 1, 0))
    )
    assert plan[Channel.EMAIL].send_at == at(6, 7, 30)


def test_outside_quiet_hours_sends_at_once_and_never_before_now():
    n = notification(NotificationKind.REMINDER, at(5, 9, 0))
    plan = by_channel(plan_deliveries(n, PREFS, at(5, 10, 0)))  # catching up after a restart
    assert plan[Channel.EMAIL].send_at == at(5, 10, 0) and not plan[Channel.EMAIL].deferred


def test_escalation_bypasses_quiet_hours_only_when_configured():
    """吉高法〔2020〕11号 第七条 escalations may reach a department head at night if they opted in."""
    n = notification(NotificationKind.ESCALATION, at(5, 23, 0))
    held = by_channel(plan_deliveries(n, PREFS, at(5, 23, 0)))
    assert held[Channel.EMAIL].send_at == at(6, 7, 30)
    urgent = PREFS.model_copy(
        update={"quiet_hours": OVERNIGHT.model_copy(update={"escalations_bypass": True})}
    )
    now = by_channel(plan_deliveries(n, urgent, at(5, 23, 0)))
    assert now[Channel.EMAIL].send_at == at(5, 23, 0) and not now[Channel.EMAIL].deferred
    reminder = by_channel(
        plan_deliveries(notification(NotificationKind.REMINDER, at(5, 23, 0)), urgent, at(5, 23, 0))
    )
    assert reminder[Channel.EMAIL].deferred


def test_daytime_quiet_window():
    lunch = QuietHours(start=time(12, 0), end=time(13, 30))
    assert lunch.contains(at(5, 12, 0)) and not lunch.contains(at(5, 13, 30))
    assert lunch.end_after(at(5, 12, 45)) == at(5, 13, 30)


def test_default_preferences_use_the_inbox_only():
    plan = plan_deliveries(
        notification(NotificationKind.REMINDER, at(5, 23, 0)), UserPreferences.default("u"), at(5, 23)
    )
    assert [d.channel for d in plan] == [Channel.INBOX]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"channels": {"inbox", "email"}}, "e-mail address"),
        ({"channels": {"inbox", "webhook"}}, "URL"),
        ({"email": "not-an-address"}, "pattern"),
        ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "must differ"),
    ],
)
def test_invalid_preferences_are_refused(data, message):
    with pytest.raises(ValidationError, match=message):
        UserPreferences(user_id="u", **data)
