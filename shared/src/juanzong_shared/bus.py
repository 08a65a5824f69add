"""The RabbitMQ adapter (aio-pika): one topic exchange, one quorum queue per consumer, retries, DLQ.

Topology for a subscription whose queue is ``Q``:

* ``Q`` — durable quorum queue bound to the exchange with one routing key per event type in the
  handler map; ``x-delivery-limit`` dead-letters a message that keeps killing its consumer.
* ``Q.retry.<n>`` — one delay queue per back-off level; a failed message is re-published there with
  its attempt count and expires back into ``Q`` through the default exchange.
* ``Q.dlq`` — where a message goes after the last attempt, or at once when it cannot be decoded, with
  ``x-jz-failure-reason`` and ``x-jz-attempts`` headers.

A message is acknowledged only after its effect is committed (see :mod:`juanzong_shared.outbox`).

Per-process broadcast (:class:`Broadcast`, :meth:`Bus.broadcast`) — for in-memory state every replica keeps
(caches): ``<ns>.<service>.<name>.<random>``, an exclusive, auto-delete, non-durable classic queue bound to the
same exchange, so every process of the service gets its own copy of each matching event. No ledger, no
retries: a handler's error is logged and the message acknowledged. The queue lives as long as the channel
that consumes it; after a reconnection (or a channel recovery) a fresh one is declared and ``on_connect``
runs, so the service can drop what it may have missed.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from juanzong_shared.db import Mongo
from juanzong_shared.errors import DomainError
from juanzong_shared.events import REGISTRY, Event, EventRegistry, Payload, UnknownEventType
from juanzong_shared.logging import bind_correlation_id, get_logger, reset_correlation_id
from juanzong_shared.metrics import CONSUMER_MESSAGES, CONSUMER_SECONDS, DEAD_LETTER_DEPTH, QUEUE_DEPTH
from juanzong_shared.outbox import AlreadyProcessed, RepositoriesFactory, UnitOfWork, already_processed, transact

log = get_logger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What a handler gets beside the payload: the envelope it came in and the unit of work its effect joins
    (the ledger entry that makes a redelivery change nothing is written in the same transaction)."""

    event: Event
    uow: UnitOfWork

    @property
    def case_number(self) -> str | None:
        return self.event.case_number

    @property
    def court(self) -> str | None:
        return self.event.court


# A handler takes the payload as its event type's newest model (older versions are upgraded by the registry)
# and the delivery; a broadcast handler takes the payload and the envelope.
Handler = Callable[[Payload, Delivery], Awaitable[None]]
BroadcastHandler = Callable[[Payload, Event], Awaitable[None]]
HandlerMap = Mapping[str, Sequence[Handler]]
BroadcastHandlerMap = Mapping[str, Sequence[BroadcastHandler]]

_HANDLES = "__jz_handles__"


def handles(*event_types: str) -> Callable[[Callable], Callable]:
    """Mark a handler with the event types it handles: ``Subscription(handlers=[on_registered, ...])`` binds
    its queue to them, so what a service consumes is read from its handlers, not listed twice."""
    if not event_types:
        raise ValueError("name at least one event type")

    def mark(function: Callable) -> Callable:
        setattr(function, _HANDLES, tuple(event_types))
        return function
    return mark


def _typed(function: Callable) -> bool:
    return bool(getattr(function, _HANDLES, None))


def handler_map(handlers: Mapping[str, Sequence[Callable]] | Sequence[Callable]) -> dict[str, tuple[Callable, ...]]:
    """Event type → handlers, from handlers marked with :func:`handles` (or a mapping of marked handlers)."""
    mapping = isinstance(handlers, Mapping)
    for function in [f for value in handlers.values() for f in value] if mapping else handlers:
        if not _typed(function):
            raise ValueError(f"handler {getattr(function, '__qualname__', function)!r} is not marked: mark it with "
                             "@handles(...); a handler takes (payload, delivery), a broadcast one (payload, event)")
    if mapping:
        return {key: tuple(value) for key, value in handlers.items()}
    out: dict[str, tuple[Callable, ...]] = {}
    for function in handlers:
        for event_type in getattr(function, _HANDLES):
            out[event_type] = (*out.get(event_type, ()), function)
    return out

ATTEMPT_HEADER = "x-jz-attempt"
REASON_HEADER = "x-jz-failure-reason"
ATTEMPTS_HEADER = "x-jz-attempts"
CORRELATION_HEADER = "x-correlation-id"
PUBLISHER_HEADER = "x-jz-publisher"

# The broker user that published the message being handled, as RabbitMQ vouches for it (``user_id``, which the
# broker refuses unless it equals the connection's user). A retry keeps it in PUBLISHER_HEADER, trusted only on a
# message that came back through the default exchange (the retry queues), which no station may write to.
_PUBLISHER: contextvars.ContextVar[str | None] = contextvars.ContextVar("jz_publisher", default=None)


def current_publisher() -> str | None:
    """Inside a handler: the broker-verified user that published this message (None when it set no user_id)."""
    return _PUBLISHER.get()


def _publisher_of(message: AbstractIncomingMessage, events_exchange: str) -> str | None:
    if message.exchange == events_exchange:
        return message.user_id or None
    value = (message.headers or {}).get(PUBLISHER_HEADER)
    if isinstance(value, bytes):
        value = value.decode()
    return str(value) if value else None


class PermanentError(Exception):
    """A handler raises this when retrying cannot help (bad data): the message goes to the DLQ at once."""


@dataclass
class Subscription:
    """A queue this service consumes, and what handles each event type arriving on it."""

    handlers: HandlerMap | Sequence[Handler]
    name: str = ""  # "" → <ns>.<service>; "pages" → <ns>.<service>.pages
    prefetch: int | None = None
    concurrency: int | None = None
    extra_bindings: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        self.handlers = handler_map(self.handlers)

    def queue_name(self, namespace: str, service: str) -> str:
        return f"{namespace}.{service}" + (f".{self.name}" if self.name else "")

    @property
    def routing_keys(self) -> list[str]:
        return sorted({*self.handlers.keys(), *self.extra_bindings})


@dataclass
class Broadcast:
    """A per-process subscription: every process of the service receives every event of these types.

    For invalidating in-memory state (caches) that each replica keeps. Handlers take the payload and the event
    (no unit of work): they must be idempotent and quick. ``on_connect`` runs once the queue is consuming, at
    first and after every reconnection — events published while this process was disconnected are lost, so it
    should drop everything that depends on them.
    """

    handlers: BroadcastHandlerMap | Sequence[BroadcastHandler]
    on_connect: Callable[[], Awaitable[None]] | None = None
    name: str = "broadcast"  # → <ns>.<service>.broadcast.<random>
    prefetch: int = 64
    # called (synchronously) as soon as the queue's channel is known to be closed or reopening: from then until
    # the next ``on_connect`` this process may miss events (a revocation list stops trusting itself, say)
    on_disconnect: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.handlers = handler_map(self.handlers)

    def queue_prefix(self, namespace: str, service: str) -> str:
        return f"{namespace}.{service}.{self.name}"

    @property
    def routing_keys(self) -> list[str]:
        return sorted(self.handlers.keys())


class Bus:
    """Connection, publishing with confirms, and consumers for one service."""

    def __init__(self, url: str, namespace: str, service: str, *, mongo: Mongo | None = None,
                 registry: EventRegistry = REGISTRY, prefetch: int = 32, max_attempts: int = 5,
                 retry_delays_ms: Sequence[int] = (500, 2_000, 10_000, 30_000),
                 transaction_budget: float = 90.0, passive_exchange: bool = False,
                 repositories: RepositoriesFactory | None = None) -> None:
        self.transaction_budget = transaction_budget
        self.repositories = repositories  # the service's repositories, for the units of work handlers get
        # a publish-only client (a scanning station) may not declare the exchange, only check that it exists
        self.passive_exchange = passive_exchange
        self.url = url
        self.namespace = namespace
        self.service = service
        self.mongo = mongo
        self.registry = registry
        self.prefetch = prefetch
        self.max_attempts = max_attempts
        self.retry_delays_ms = list(retry_delays_ms) or [1000]
        self.exchange_name = f"{namespace}.events"
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumers: list[_Consumer] = []
        self._broadcasts: list[_BroadcastConsumer] = []
        self._publish_lock = asyncio.Lock()
        self._depth_task: asyncio.Task | None = None
        self.depth_interval = 10.0  # seconds between two readings of the queue depths
        self.on_commit: Callable[[], None] | None = None  # the outbox relay's wake-up

    # -- connection ---------------------------------------------------------------------------
    async def connect(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.connection = await aio_pika.connect_robust(
                    self.url, client_properties={"connection_name": f"juanzong-{self.service}"},
                    reconnect_interval=1.0, fail_fast=True)
                break
            except (OSError, aio_pika.exceptions.AMQPConnectionError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        self._publish_channel = await self.connection.channel(publisher_confirms=True)
        if self.passive_exchange:
            self._exchange = await self._publish_channel.get_exchange(self.exchange_name, ensure=True)
        else:
            self._exchange = await self._publish_channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed and \
            self._publish_channel is not None and not self._publish_channel.is_closed

    async def close(self, drain_timeout: float = 30.0) -> None:
        """Stop taking messages, let in-flight ones finish, then close."""
        if self._depth_task:
            self._depth_task.cancel()
        for broadcast in self._broadcasts:
            await broadcast.stop()
        for consumer in self._consumers:
            await consumer.stop(drain_timeout)
        if self.connection and not self.connection.is_closed:
            await self.connection.close()

    # -- publishing ----------------------------------------------------------------------------
    async def publish(self, event: Event, routing_key: str | None = None, *, user_id: str | None = None) -> None:
        """Publish persistently and wait for the broker's confirm (raises if it is not confirmed).

        ``user_id``: the broker user this connection logged in as; RabbitMQ refuses the message unless it matches,
        so a consumer can rely on :func:`current_publisher` (a scanning station's job names its station this way)."""
        if self._exchange is None:
            raise RuntimeError("bus not connected")
        problems = self.registry.validate(event)
        if problems:
            raise ValueError(f"event {event.event_type} does not match its schema: {problems}")
        message = aio_pika.Message(
            event.to_json(), content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(event.event_id), correlation_id=event.correlation_id, type=event.event_type,
            timestamp=event.occurred_at,
            headers={"event_type": event.event_type, "version": event.version,
                     CORRELATION_HEADER: event.correlation_id or ""}, user_id=user_id)
        await self._exchange.publish(message, routing_key=routing_key or event.event_type, timeout=30)

    # -- consuming -----------------------------------------------------------------------------
    async def declare(self, subscription: Subscription, *, channel: AbstractChannel | None = None) -> AbstractQueue:
        """Declare a subscription's topology — the quorum queue bound to its event types, its retry ladder and
        its dead-letter queue — without consuming (a producer of work items declares its workers' queue so
        that nothing it sends is lost before the first worker starts). Idempotent."""
        if self.connection is None:
            raise RuntimeError("connect first")
        own = channel is None
        channel = channel or await self.connection.channel()
        try:
            name = subscription.queue_name(self.namespace, self.service)
            exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
            dlq = f"{name}.dlq"
            await channel.declare_queue(dlq, durable=True, arguments={"x-queue-type": "quorum"})
            for level, delay in enumerate(self.retry_delays_ms):
                await channel.declare_queue(f"{name}.retry.{level}", durable=True, arguments={
                    "x-message-ttl": int(delay), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": name})
            queue = await channel.declare_queue(name, durable=True, arguments={
                "x-queue-type": "quorum", "x-delivery-limit": self.max_attempts + 2,
                "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
            for key in subscription.routing_keys:
                await queue.bind(exchange, routing_key=key)
            return queue
        finally:
            if own:
                await channel.close()

    async def subscribe(self, subscription: Subscription) -> str:
        if self.connection is None or self.mongo is None:
            raise RuntimeError("connect first, with a Mongo for the idempotency ledger")
        consumer = _Consumer(self, subscription)
        await consumer.start()
        self._consumers.append(consumer)
        if self._depth_task is None:
            self._depth_task = asyncio.create_task(self._watch_depth())
        return consumer.queue_name

    async def broadcast(self, broadcast: Broadcast) -> str:
        """Start a per-process broadcast subscription; returns the name of its (current) queue."""
        if self.connection is None:
            raise RuntimeError("connect first")
        consumer = _BroadcastConsumer(self, broadcast)
        await consumer.start()
        self._broadcasts.append(consumer)
        return consumer.queue_name

    async def queue_depths(self) -> dict[str, int]:
        out = {}
        for consumer in self._consumers:
            out[consumer.queue_name] = await consumer.depth()
        return out

    async def dead_letter_depths(self) -> dict[str, int]:
        """Messages waiting in each subscription's ``.dlq``, by the DLQ's name."""
        out = {}
        for consumer in self._consumers:
            out[consumer.dlq_name] = await consumer.depth(consumer.dlq_name)
        return out

    async def report_depths(self) -> None:
        """Set ``jz_queue_depth`` and ``jz_dead_letter_depth`` from the broker (the watcher does it every
        ``depth_interval`` seconds)."""
        for name, depth in (await self.queue_depths()).items():
            QUEUE_DEPTH.labels(self.service, name).set(depth)
        for name, depth in (await self.dead_letter_depths()).items():
            DEAD_LETTER_DEPTH.labels(self.service, name).set(depth)

    async def _watch_depth(self) -> None:
        while True:
            await asyncio.sleep(self.depth_interval)
            try:
                await self.report_depths()
            except Exception:  # reconnecting; try again next round
                pass


class _Consumer:
    def __init__(self, bus: Bus, subscription: Subscription) -> None:
        self.bus = bus
        self.sub = subscription
        self.queue_name = subscription.queue_name(bus.namespace, bus.service)
        self.dlq_name = f"{self.queue_name}.dlq"
        self.channel: AbstractChannel | None = None
        self.queue: AbstractQueue | None = None
        self.tag: str | None = None
        self.inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._limit = asyncio.Semaphore(subscription.concurrency or subscription.prefetch or bus.prefetch)

    async def start(self) -> None:
        bus = self.bus
        self.channel = await bus.connection.channel(publisher_confirms=True)
        await self.channel.set_qos(prefetch_count=self.sub.prefetch or bus.prefetch)
        self.queue = await bus.declare(self.sub, channel=self.channel)
        self.tag = await self.queue.consume(self._on_message, no_ack=False)
        log.info("consuming", queue=self.queue_name, routing_keys=self.sub.routing_keys)

    async def depth(self, queue: str | None = None) -> int:
        # asked of the AMQP channel itself: aio-pika's robust channel answers a repeated declare_queue with the
        # queue object it already holds, whose declaration_result is the count at the first declaration
        channel = await self.channel.get_underlay_channel()
        declared = await channel.queue_declare(queue or self.queue_name, passive=True)
        return declared.message_count or 0

    async def stop(self, timeout: float) -> None:
        if self.queue and self.tag:
            try:
                await self.queue.cancel(self.tag)
            except Exception:
                pass
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("in-flight messages not finished at shutdown; they will be redelivered",
                        queue=self.queue_name, inflight=self.inflight)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        async with self._limit:
            self.inflight += 1
            self._idle.clear()
            try:
                await self._handle(message)
            finally:
                self.inflight -= 1
                if self.inflight == 0:
                    self._idle.set()

    async def _handle(self, message: AbstractIncomingMessage) -> None:
        bus, queue = self.bus, self.queue_name
        started = time.perf_counter()
        headers = dict(message.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1) or 1)
        if message.redelivered:
            CONSUMER_MESSAGES.labels(bus.service, queue, "redelivered").inc()
        try:
            event = Event.from_json(message.body)
            payload = bus.registry.read_payload(event)
        except (ValidationError, UnknownEventType, ValueError) as error:
            await self._dead_letter(message, f"undecodable or off-schema message: {error}"[:1000], attempt)
            return
        token = bind_correlation_id(event.correlation_id)
        publisher = _PUBLISHER.set(_publisher_of(message, bus.exchange_name))
        try:
            handlers = self.sub.handlers.get(event.event_type, ())
            if not handlers:
                await message.ack()
                return
            ledger_id = f"{queue}:{event.event_id}"
            try:
                if await already_processed(bus.mongo, ledger_id):
                    raise AlreadyProcessed(ledger_id)
                async def work(uow: UnitOfWork) -> None:
                    delivery = Delivery(event, uow)
                    for handler in handlers:
                        await handler(payload, delivery)
                    uow.mark_processed(ledger_id)
                await transact(bus.mongo, work, on_commit=bus.on_commit, budget_seconds=bus.transaction_budget,
                               repositories=bus.repositories)
            except AlreadyProcessed:
                CONSUMER_MESSAGES.labels(bus.service, queue, "duplicate").inc()
                log.info("duplicate message ignored", event_id=str(event.event_id), event_type=event.event_type)
                await message.ack()
                return
            except (PermanentError, DomainError) as error:
                if isinstance(error, DomainError) and error.kind == "unavailable":  # a dependency is down: retry
                    await self._retry_or_dead_letter(message, error, attempt)
                else:  # retrying cannot change a refusal
                    await self._dead_letter(message, f"{type(error).__name__}: {error}", attempt)
                return
            except Exception as error:
                await self._retry_or_dead_letter(message, error, attempt)
                return
            await message.ack()
            CONSUMER_MESSAGES.labels(bus.service, queue, "processed").inc()
        finally:
            CONSUMER_SECONDS.labels(bus.service, queue).observe(time.perf_counter() - started)
            _PUBLISHER.reset(publisher)
            reset_correlation_id(token)

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, error: Exception, attempt: int) -> None:
        reason = f"{type(error).__name__}: {error}"[:1000]
        CONSUMER_MESSAGES.labels(self.bus.service, self.queue_name, "failed").inc()
        if attempt >= self.bus.max_attempts:
            await self._dead_letter(message, reason, attempt)
            return
        level = min(attempt - 1, len(self.bus.retry_delays_ms) - 1)
        log.warning("handler failed; retrying", queue=self.queue_name, attempt=attempt, error=reason)
        await self._republish(message, f"{self.queue_name}.retry.{level}",
                              {ATTEMPT_HEADER: attempt + 1, REASON_HEADER: reason})
        await message.ack()
        CONSUMER_MESSAGES.labels(self.bus.service, self.queue_name, "retried").inc()

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str, attempt: int) -> None:
        log.error("message dead-lettered", queue=self.queue_name, attempts=attempt, reason=reason)
        await self._republish(message, f"{self.queue_name}.dlq",
                              {ATTEMPTS_HEADER: attempt, REASON_HEADER: reason, ATTEMPT_HEADER: attempt})
        await message.ack()
        CONSUMER_MESSAGES.labels(self.bus.service, self.queue_name, "dead_lettered").inc()

    async def _republish(self, message: AbstractIncomingMessage, queue: str, extra: dict[str, Any]) -> None:
        headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-death")}
        headers.update(extra)
        headers.setdefault("x-jz-original-routing-key", message.routing_key or "")
        headers.pop(PUBLISHER_HEADER, None)
        if (publisher := _PUBLISHER.get()) is not None:
            headers[PUBLISHER_HEADER] = publisher
        copy = aio_pika.Message(message.body, headers=headers, content_type=message.content_type,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=message.message_id,
                                correlation_id=message.correlation_id, type=message.type)
        await self.channel.default_exchange.publish(copy, routing_key=queue, timeout=30)


class _BroadcastConsumer:
    """One exclusive queue per process; a fresh one (new name) after every reopening of the channel."""

    def __init__(self, bus: Bus, broadcast: Broadcast) -> None:
        self.bus = bus
        self.spec = broadcast
        self.prefix = broadcast.queue_prefix(bus.namespace, bus.service)
        self.queue_name = ""
        self.channel: AbstractRobustChannel | None = None
        self.queue: AbstractQueue | None = None
        self.tag: str | None = None
        self._stopped = False
        self._redeclaring: asyncio.Task | None = None

    async def start(self) -> None:
        self.channel = await self.bus.connection.channel(publisher_confirms=False)
        # aio-pika reopens the channel after a reconnection or a channel error; the exclusive queue went with
        # the old connection/consumer, so each reopening declares a new one (never restored by name: the
        # broker may still hold the old exclusive queue for the dead connection).
        self.channel.reopen_callbacks.add(self._on_reopen)
        self.channel.close_callbacks.add(self._on_close)
        await self._declare()

    async def _declare(self) -> None:
        channel = self.channel
        await channel.set_qos(prefetch_count=self.spec.prefetch)
        exchange = await channel.declare_exchange(self.bus.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True,
                                                  robust=False)
        name = f"{self.prefix}.{uuid.uuid4().hex[:12]}"
        queue = await channel.declare_queue(name, durable=False, exclusive=True, auto_delete=True,
                                            arguments={"x-queue-type": "classic"}, robust=False)
        for key in self.spec.routing_keys:
            await queue.bind(exchange, routing_key=key, robust=False)
        self.tag = await queue.consume(self._on_message, no_ack=False, robust=False)
        self.queue, self.queue_name = queue, name
        log.info("broadcast consuming", queue=name, routing_keys=self.spec.routing_keys)
        if self.spec.on_connect is not None:
            try:
                await self.spec.on_connect()
            except Exception as error:  # noqa: BLE001 — the subscription stays up; the service logs why
                log.error("broadcast on_connect failed", queue=name, error=f"{type(error).__name__}: {error}")

    def _lost(self) -> None:
        if self.spec.on_disconnect is not None:
            try:
                self.spec.on_disconnect()
            except Exception as error:  # noqa: BLE001 — the subscription recovers regardless
                log.error("broadcast on_disconnect failed", queue=self.prefix, error=f"{type(error).__name__}: {error}")

    def _on_close(self, *_: Any) -> None:
        # the channel (and with it the exclusive queue) is gone: events published from now on are not ours
        self._lost()

    def _on_reopen(self, *_: Any) -> None:
        # called inside aio-pika's restore (the channel is not ready yet): declare from a task
        self._lost()  # the new queue is not bound yet
        if self._stopped or (self._redeclaring is not None and not self._redeclaring.done()):
            return
        self._redeclaring = asyncio.get_running_loop().create_task(self._redeclare(),
                                                                   name=f"redeclare:{self.prefix}")

    async def _redeclare(self) -> None:
        delay = 0.5
        while not self._stopped:
            try:
                await self._declare()
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 — broker still away: try again
                log.warning("broadcast queue not declared; retrying", queue=self.prefix, error=str(error))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def stop(self) -> None:
        self._stopped = True
        if self._redeclaring is not None:
            self._redeclaring.cancel()
        if self.channel is not None:
            self.channel.reopen_callbacks.discard(self._on_reopen)
            self.channel.close_callbacks.discard(self._on_close)
            try:
                await self.channel.close()
            except Exception as error:  # noqa: BLE001 — closing anyway
                log.debug("broadcast channel close failed", queue=self.queue_name, error=str(error))

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        bus, queue = self.bus, self.prefix  # the metric label: the prefix (the random part would never repeat)
        started = time.perf_counter()
        token = None
        try:
            event = Event.from_json(message.body)
            token = bind_correlation_id(event.correlation_id)
            handlers = self.spec.handlers.get(event.event_type, ())
            payload = self.bus.registry.read_payload(event) if handlers else None
            for handler in handlers:
                await handler(payload, event)
            CONSUMER_MESSAGES.labels(bus.service, queue, "processed").inc()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 — no retries: invalidations are idempotent, the next one will do
            CONSUMER_MESSAGES.labels(bus.service, queue, "failed").inc()
            log.error("broadcast handler failed", queue=queue, event_type=message.type,
                      error=f"{type(error).__name__}: {error}"[:1000])
        finally:
            if token is not None:
                reset_correlation_id(token)
            CONSUMER_SECONDS.labels(bus.service, queue).observe(time.perf_counter() - started)
            try:
                await message.ack()
            except Exception as error:  # noqa: BLE001 — channel gone: the queue went with it
                log.debug("broadcast ack failed", queue=queue, error=str(error))
