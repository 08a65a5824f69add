"""Notices, preferences and indicator facts on an in-memory unit of work: a notice goes to the inbox and, as its
recipient chose, by e-mail — retried with back-off, given up after the last attempt; addresses are their owner's;
a fact from a system outside the suite counts in the month's indicators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from juanzong_notifier.adapters.channels import DeliveryFailed, OutgoingMessage
from juanzong_notifier.domain.calendar import SHANGHAI
from juanzong_notifier.domain.clocks import Notification, NotificationKind
from juanzong_notifier.domain.errors import AccessRefused
from juanzong_notifier.domain.indicators import IndicatorKey
from juanzong_notifier.domain.preferences import Channel, UserPreferences
from juanzong_notifier.domain.rules import Role
from juanzong_notifier.service_layer.reminders import record_notification
from juanzong_shared.events.notifier import ExternalUsage

from .memory import World

pytestmark = pytest.mark.unit

CASE = "（2026）吉01民终9号"


class FlakySender:
    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    async def send(self, message: OutgoingMessage) -> str:
        if len(self.sent) < self.failures:
            self.sent.append(None)
            raise DeliveryFailed("421 try later")
        self.sent.append(message)
        return "250 accepted"


def overdue(now: datetime) -> Notification:
    return Notification(notification_id=f"吉01/{CASE}/closing_filing/{CASE}/e1/overdue/0",
                        kind=NotificationKind.OVERDUE, court="吉01", case_id=CASE, rule_id="closing_filing",
                        subject_id=CASE, citation="吉高法〔2020〕11号 第五条(四)", recipient_id="u-asst",
                        recipient_role=Role.JUDGE_ASSISTANT, responsible_id="u-asst", due=now - timedelta(days=1),
                        provisional=False, send_at=now, title="【超期】电子卷宗结案立卷", body=f"案件{CASE}：…")


async def notify(w: World, now: datetime) -> bool:
    return await w.uow.transact(lambda uow: record_notification(uow, w.cfg, overdue(now), now))


async def test_a_notice_is_stored_once_and_pushed_by_email_with_retries():
    sender = FlakySender(failures=1)
    w = World(senders={Channel.EMAIL: sender}, retry_delays_seconds=[0], max_attempts=3)
    await w.preferences.set(UserPreferences(user_id="u-asst", channels=frozenset({Channel.INBOX, Channel.EMAIL}),
                                            email="li@court.test"), by="u-asst")
    now = datetime.now(UTC)
    assert await notify(w, now) and not await notify(w, now)  # its id is unique: a repeat never sends twice
    assert w.uow.published_types() == ["notify.deadline.overdue"]
    items, unread = await w.reminders.inbox("u-asst", unread_only=True, limit=10)
    assert unread == 1 and items[0]["kind"] == "overdue"
    assert await w.reminders.mark_read("u-asst", [items[0]["notification_id"]]) == 1

    assert await w.reminders.deliver_pending() == 0  # the first attempt fails and is retried
    assert await w.reminders.deliver_pending() == 1
    [delivery] = await w.repos.notices.deliveries(user_id="u-asst")
    assert delivery["state"] == "sent" and [a["ok"] for a in delivery["log"]] == [False, True]
    assert sender.sent[-1].address == "li@court.test"


async def test_a_delivery_is_given_up_after_the_last_attempt():
    w = World(senders={Channel.EMAIL: FlakySender(failures=99)}, retry_delays_seconds=[0], max_attempts=2)
    await w.preferences.set(UserPreferences(user_id="u-asst", channels=frozenset({Channel.EMAIL}),
                                            email="li@court.test"), by="u-asst")
    await notify(w, datetime.now(UTC))
    for _ in range(3):
        await w.reminders.deliver_pending()
    [delivery] = await w.repos.notices.deliveries(user_id="u-asst")
    assert delivery["state"] == "failed" and delivery["attempts"] == 2


async def test_only_their_owner_sets_the_addresses_a_notice_goes_to():
    w = World()
    mine = UserPreferences(user_id="u-head", channels=frozenset({Channel.EMAIL}), email="head@court.test")
    with pytest.raises(AccessRefused):
        await w.preferences.set(mine, by="u-tech")
    await w.preferences.set(mine, by="u-head")
    quiet = mine.model_copy(update={"channels": frozenset({Channel.INBOX})})
    assert (await w.preferences.set(quiet, by="u-tech")).channels == {Channel.INBOX}  # channels others may set


async def test_an_external_fact_counts_in_the_month_it_happened():
    """吉高院通报29期: a hearing with 智能庭审 counts for the 智能庭审使用率 of its month."""
    w = World()
    at = datetime(2026, 10, 12, 9, 30, tzinfo=SHANGHAI)
    usage = ExternalUsage(case_number=CASE, system="智能庭审系统", at=at)
    event_id, duplicate = await w.indicators.accept_external("trial.smart_session.held", usage, court="吉01",
                                                             source_id="ts-1")
    assert not duplicate
    [fact] = await w.repos.indicators.events("吉01")
    assert fact.id == event_id and fact.hearing_id == "2026-10-12" and fact.occurred_at == at
    report = await w.indicators.monthly_report("吉01", 2026, 10, datetime.now(UTC))
    assert report.value(IndicatorKey.SMART_TRIAL).numerator == 1
