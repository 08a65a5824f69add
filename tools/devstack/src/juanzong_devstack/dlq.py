"""Dead-letter queues for operators: list, show, replay, discard (``juanzong-stack dlq``).

A subscription ``<ns>.<service>[.<name>]`` dead-letters into ``<ns>.<service>[.<name>].dlq`` (see
:mod:`juanzong_shared.bus`): after its last attempt or at once when it cannot be decoded, with
``x-jz-failure-reason`` and ``x-jz-attempts``; a message that kept killing its consumer arrives from the broker
itself with ``x-death``. Looking is harmless — messages are fetched without an ack and handed back (nack,
requeue). Replay republishes through the default exchange into the service's own queue with the attempt counter
reset, and removes the dead letter only once the broker has confirmed the copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from aiormq.exceptions import ChannelNotFoundEntity
from juanzong_shared.bus import ATTEMPT_HEADER, ATTEMPTS_HEADER, REASON_HEADER

ORIGINAL_ROUTING_KEY_HEADER = "x-jz-original-routing-key"
REPLAYED_AT_HEADER = "x-jz-replayed-at"
# the subscriptions besides each service's main one (``Subscription(name=...)``)
EXTRA_SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {"scan-ocr": ("pages",)}
# headers a replayed copy must not carry: its attempt count starts again at 1, the broker's own history goes
_RESET_HEADERS = (ATTEMPT_HEADER, ATTEMPTS_HEADER, REASON_HEADER, "x-delivery-count", "x-first-death-exchange",
                  "x-first-death-queue", "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue",
                  "x-last-death-reason")


class DeadLetterError(Exception):
    """What the operator is told (no traceback)."""


def subscription_queues(namespace: str, service: str) -> list[str]:
    """The consumer queues of a service: ``SERVICE`` → its main queue and its named ones; ``SERVICE.NAME`` → that one."""
    if "." in service:
        return [f"{namespace}.{service}"]
    return [f"{namespace}.{service}"] + [f"{namespace}.{service}.{n}" for n in EXTRA_SUBSCRIPTIONS.get(service, ())]


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class DeadLetter:
    """One message waiting in a DLQ, as an operator sees it."""

    message_id: str
    event_type: str
    case_id: str
    reason: str
    attempts: int | None
    routing_key: str
    correlation_id: str

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> DeadLetter:
        headers = dict(message.headers or {})
        deaths = headers.get("x-death") or []
        death = dict(deaths[0]) if deaths else {}
        reason = _text(headers.get(REASON_HEADER))
        if not reason and death:  # the broker dead-lettered it (x-delivery-limit): a consumer kept dying on it
            reason = f"broker: {_text(death.get('reason'))} (queue {_text(death.get('queue'))})"
        attempts = headers.get(ATTEMPTS_HEADER) or headers.get("x-delivery-count") or death.get("count")
        routing_key = _text(headers.get(ORIGINAL_ROUTING_KEY_HEADER))
        if not routing_key and death.get("routing-keys"):
            routing_key = _text(death["routing-keys"][0])
        case_id = ""
        try:
            body = json.loads(message.body)
            case_id = _text(body.get("case_id")) if isinstance(body, dict) else ""
        except ValueError:
            pass
        return cls(message_id=_text(message.message_id), event_type=_text(headers.get("event_type") or message.type),
                   case_id=case_id, reason=reason, attempts=int(attempts) if attempts is not None else None,
                   routing_key=routing_key, correlation_id=_text(message.correlation_id))


def replay_copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    """The message as its service's queue should see it again: same body, id and publisher, attempt count reset."""
    headers = {k: v for k, v in (message.headers or {}).items() if k not in _RESET_HEADERS and k != "x-death"}
    headers[REPLAYED_AT_HEADER] = datetime.now(UTC).isoformat()
    return aio_pika.Message(message.body, headers=headers, content_type=message.content_type,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=message.message_id,
                            correlation_id=message.correlation_id, type=message.type, timestamp=message.timestamp)


Progress = Callable[[DeadLetter], None]


class DeadLetters:
    """A connection to the broker for looking at and acting on dead-letter queues."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.connection: AbstractConnection | None = None

    async def __aenter__(self) -> DeadLetters:
        try:
            self.connection = await aio_pika.connect(self.amqp_url, client_properties={
                "connection_name": "juanzong-dlq-tool"})
        except Exception as error:
            raise DeadLetterError(f"broker not reachable: {error}") from error
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.connection is not None:
            await self.connection.close()

    async def depth(self, queue: str) -> int | None:
        """Messages ready in ``queue``; None when it was never declared (the service has not run yet)."""
        channel = await self.connection.channel()
        try:
            declared = await (await channel.get_underlay_channel()).queue_declare(queue, passive=True)
            return declared.message_count or 0
        except ChannelNotFoundEntity:
            return None
        finally:
            if not channel.is_closed:
                await channel.close()

    async def _existing(self, queue: str) -> int:
        depth = await self.depth(queue)
        if depth is None:
            raise DeadLetterError(f"queue {queue} does not exist (wrong service, namespace or broker?)")
        return depth

    async def show(self, dlq: str, limit: int = 20) -> list[DeadLetter]:
        """Up to ``limit`` dead letters from the head of ``dlq``; every one is handed back (nack, requeue)."""
        await self._existing(dlq)
        channel = await self.connection.channel()
        held: list[AbstractIncomingMessage] = []
        try:
            queue = await channel.get_queue(dlq, ensure=False)
            while len(held) < limit:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                held.append(message)
            return [DeadLetter.of(m) for m in held]
        finally:
            for message in held:
                await message.nack(requeue=True)
            await channel.close()

    async def replay(self, dlq: str, ids: Sequence[str] = (), *, every: bool = False,
                     progress: Progress | None = None) -> list[DeadLetter]:
        """Republish the chosen dead letters into their service's queue (attempt count reset) and remove them."""
        target = dlq.removesuffix(".dlq")
        await self._existing(target)

        async def republish(channel: AbstractChannel, message: AbstractIncomingMessage) -> None:
            # raises unless the broker confirms; the dead letter is acked only after that
            await channel.default_exchange.publish(replay_copy(message), routing_key=target, timeout=30)

        return await self._take(dlq, ids, every, republish, progress)

    async def discard(self, dlq: str, ids: Sequence[str] = (), *, every: bool = False,
                      progress: Progress | None = None) -> list[DeadLetter]:
        """Remove the chosen dead letters for good."""
        return await self._take(dlq, ids, every, None, progress)

    async def _take(self, dlq: str, ids: Sequence[str], every: bool, action, progress: Progress | None
                    ) -> list[DeadLetter]:
        if not every and not ids:
            raise DeadLetterError("name the messages (--id) or take them all (--all)")
        budget = await self._existing(dlq)  # --all takes what is there now, not what keeps arriving
        wanted = set(ids)
        channel = await self.connection.channel(publisher_confirms=True)
        kept: list[AbstractIncomingMessage] = []
        taken: list[DeadLetter] = []
        try:
            queue = await channel.get_queue(dlq, ensure=False)
            # a pass over the queue as it is now: what is not chosen is held until the end, then handed back
            while (every and len(taken) < budget) or (not every and wanted):
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    break
                letter = DeadLetter.of(message)
                if not every and letter.message_id not in wanted:
                    kept.append(message)
                    continue
                if action is not None:
                    await action(channel, message)
                await message.ack()
                wanted.discard(letter.message_id)
                taken.append(letter)
                if progress is not None:
                    progress(letter)
        finally:
            for message in kept:
                await message.nack(requeue=True)
            await channel.close()
        if wanted:
            raise DeadLetterError(f"not in {dlq}: {', '.join(sorted(wanted))}"
                                  + (f" (done: {', '.join(t.message_id for t in taken)})" if taken else ""))
        return taken
