"""Notifications (通知): each stored once, put in the recipient's inbox (站内信) and pushed by e-mail or signed webhook
as the recipient's preferences say, with retries and a delivery log."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from juanzong_shared.events.notifier import DeadlineChanged
from juanzong_shared.logging import get_logger

from juanzong_notifier.adapters.channels import DeliveryFailed, OutgoingMessage
from juanzong_notifier.adapters.metrics import DELIVERIES_FAILED
from juanzong_notifier.adapters.repository import Repositories
from juanzong_notifier.config import NotifierConfig
from juanzong_notifier.domain.clocks import Notification, NotificationKind
from juanzong_notifier.domain.preferences import Channel, UserPreferences, plan_deliveries

log = get_logger(__name__)

_EVENT_FOR_KIND = {
    NotificationKind.OVERDUE: "notify.deadline.overdue",
    NotificationKind.ESCALATION: "notify.deadline.escalated",
    NotificationKind.DUE_CHANGED: "notify.deadline.changed",
}
# what the log keeps of a delivery whose case the caller may not see: how the push went, nothing of the notice
_DELIVERY_OPERATIONS = ("user_id", "channel", "address", "state", "attempts", "deferred", "send_at",
                        "next_attempt_at", "sent_at", "created_at", "log")


async def record_notification(uow, cfg: NotifierConfig, n: Notification, now: datetime) -> bool:
    """Store ``n`` once (its id is unique), put it in the recipient's inbox, plan the pushes.

    Returns False when the notification existed already (a repeat never sends twice).
    """
    repos: Repositories = uow.repos
    if not await repos.notices.add_notification(n.notification_id, {**n.model_dump(mode="json"), "created_at": now}):
        return False
    if n.recipient_id is None:
        log.warning("notification without a known recipient", notification=n.notification_id,
                    role=n.recipient_role.value)
    else:
        prefs = await repos.preferences.get(n.recipient_id) or UserPreferences.default(n.recipient_id)
        for d in plan_deliveries(n, prefs, now):
            common = {"notification_id": n.notification_id, "user_id": d.user_id, "kind": n.kind.value,
                      "title": n.title, "body": n.body, "court": n.court, "case_id": n.case_id,
                      "rule_id": n.rule_id, "citation": n.citation, "due": n.due, "provisional": n.provisional,
                      "created_at": now}
            if d.channel is Channel.INBOX:
                await repos.notices.add_inbox_item(f"{n.notification_id}|{d.user_id}", {**common, "read_at": None})
                continue
            send_at = d.send_at.astimezone(UTC)
            enabled = d.channel in cfg.senders
            await repos.notices.add_delivery(f"{n.notification_id}|{d.user_id}|{d.channel.value}", {
                **common, "channel": d.channel.value, "address": d.address, "deferred": d.deferred,
                "send_at": send_at, "next_attempt_at": send_at, "attempts": 0,
                "state": "pending" if enabled else "skipped",
                "log": [] if enabled else [{"at": now, "ok": False, "result": f"channel {d.channel.value} is off"}],
            })
    event_type = _EVENT_FOR_KIND.get(n.kind)
    if event_type:
        uow.emit(DeadlineChanged(
            clock_id=f"{n.court}/{n.case_id}/{n.rule_id}/{n.subject_id}", case_number=n.case_id, rule=n.rule_id,
            due=n.due, responsible=n.responsible_id, provisional=n.provisional, citation=n.citation,
            recipient=n.recipient_id), event_type=event_type, court=n.court, case_number=n.case_id)
    return True


def _outgoing(doc: Mapping[str, Any]) -> OutgoingMessage:
    body = {
        "delivery_id": doc["id"], "notification_id": doc["notification_id"], "kind": doc["kind"],
        "recipient": doc["user_id"], "court": doc["court"], "case_number": doc["case_id"],
        "rule": doc["rule_id"], "citation": doc["citation"],
        "due": doc["due"] if isinstance(doc["due"], str) else doc["due"].isoformat(),
        "provisional": doc["provisional"], "title": doc["title"], "body": doc["body"],
    }
    return OutgoingMessage(delivery_id=doc["id"], address=doc["address"], subject=doc["title"],
                           text=doc["body"], json_body=json.dumps(body, ensure_ascii=False).encode())


def _delivery_out(doc: dict[str, Any], case_visible: bool) -> dict[str, Any]:
    if case_visible:
        return doc
    # the id names the notification, and so the case: an opaque stand-in (stable, so rows can be told apart)
    opaque = "withheld-" + hashlib.sha256(doc["id"].encode()).hexdigest()[:24]
    return {**{k: doc[k] for k in _DELIVERY_OPERATIONS if k in doc}, "id": opaque, "withheld": True}


class ReminderService:
    def __init__(self, cfg: NotifierConfig, reads: Repositories) -> None:
        self.cfg, self.reads = cfg, reads

    async def inbox(self, user_id: str, *, unread_only: bool, limit: int) -> tuple[list[dict[str, Any]], int]:
        return await self.reads.notices.inbox(user_id, unread_only=unread_only, limit=limit)

    async def mark_read(self, user_id: str, ids: Sequence[str] | None) -> int:
        return await self.reads.notices.mark_read(user_id, ids, datetime.now(UTC))

    async def delivery_log(self, *, user_id: str | None, state: str | None, limit: int,
                           visible: Callable[[Iterable[str]], Awaitable[set[str]]]) -> list[dict[str, Any]]:
        """The log, newest first; a delivery of a case the caller may not see shows how the push went only."""
        docs = await self.reads.notices.deliveries(user_id=user_id, state=state, limit=limit)
        shown = await visible({d["case_id"] for d in docs})
        return [_delivery_out(d, d["case_id"] in shown) for d in docs]

    async def deliver_pending(self, now: datetime | None = None, limit: int = 50) -> int:
        """Send due push deliveries; failures retry with back-off, the last one marks the delivery failed."""
        cfg, notices = self.cfg, self.reads.notices
        sent = 0
        for doc in await notices.deliveries(state="pending", due_by=now or datetime.now(UTC), limit=limit):
            channel = Channel(doc["channel"])
            sender = cfg.senders.get(channel)
            attempt = doc["attempts"] + 1
            at = datetime.now(UTC)
            if sender is None:
                await notices.update_delivery(doc["id"], {"state": "skipped"})
                continue
            try:
                try:
                    result = await sender.send(_outgoing(doc))
                except DeliveryFailed:
                    raise
                except Exception as error:  # a bad address or message must not stall the other deliveries
                    raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
            except DeliveryFailed as error:
                failed = attempt >= cfg.max_attempts
                delay = cfg.retry_delays_seconds[min(attempt - 1, len(cfg.retry_delays_seconds) - 1)]
                await notices.update_delivery(
                    doc["id"], {"attempts": attempt, "state": "failed" if failed else "pending",
                                "next_attempt_at": at + timedelta(seconds=delay)},
                    {"at": at, "attempt": attempt, "ok": False, "result": str(error)})
                if failed:
                    DELIVERIES_FAILED.labels(channel.value).inc()
                log.warning("delivery failed", delivery=doc["id"], attempt=attempt, error=str(error), final=failed)
                continue
            await notices.update_delivery(doc["id"], {"attempts": attempt, "state": "sent", "sent_at": at},
                                          {"at": at, "attempt": attempt, "ok": True, "result": result})
            sent += 1
        return sent
