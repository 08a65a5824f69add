"""Per-process broadcast on the real RabbitMQ: every process gets each event, errors are not retried, and a
fresh queue (plus ``on_connect``) follows a dropped broker connection."""

import asyncio
import uuid
from datetime import UTC, datetime

import aio_pika
import aiormq
import pytest
from juanzong_shared.bus import Broadcast, Bus, handles
from juanzong_shared.events import REGISTRY
from juanzong_shared.testing import FlakyProxy

pytestmark = pytest.mark.integration


def closed_event(case="（2025）吉01民终1号"):
    return REGISTRY.create("case.closed", {"case_number": case, "closed_at": datetime.now(UTC)}, court="吉01",
                           case_id=case)


async def wait_for(predicate, timeout=15.0, interval=0.05):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return False


@pytest.fixture
async def buses(embedded_stack):
    """Connected buses of one service (replicas) in the test namespace, closed afterwards."""
    made: list[Bus] = []

    async def make(service: str, amqp_url: str | None = None) -> Bus:
        bus = Bus(amqp_url or embedded_stack.config.amqp_url, embedded_stack.config.namespace, service)
        await bus.connect()
        made.append(bus)
        return bus
    yield make
    for bus in made:
        await bus.close(drain_timeout=2)


class Recorder:
    def __init__(self, fail_first: int = 0) -> None:
        self.events = []
        self.connects = 0
        self.fail_first = fail_first

    async def handle(self, payload, event) -> None:
        assert payload.case_number == event.case_number  # the payload as its model, beside the envelope
        self.events.append(event)
        if len(self.events) <= self.fail_first:
            raise RuntimeError("handler broke")

    async def on_connect(self) -> None:
        self.connects += 1

    def broadcast(self, *keys: str) -> Broadcast:
        return Broadcast([handles(*keys)(lambda payload, event: self.handle(payload, event))],
                         on_connect=self.on_connect)

    def ids(self):
        return [e.event_id for e in self.events]


async def test_two_subscribers_of_one_service_both_receive_one_event(buses, embedded_stack):
    service = f"cache-{uuid.uuid4().hex[:6]}"
    one, two = Recorder(), Recorder()
    first, second = await buses(service), await buses(service)
    q1 = await first.broadcast(one.broadcast("case.closed"))
    q2 = await second.broadcast(two.broadcast("case.closed"))
    prefix = f"{embedded_stack.config.namespace}.{service}.broadcast."
    assert q1.startswith(prefix) and q2.startswith(prefix) and q1 != q2
    assert one.connects == 1 and two.connects == 1  # on_connect runs once the queue consumes

    producer = await buses("broadcast-producer")
    event = closed_event()
    await producer.publish(event)
    other = REGISTRY.create("case.stage.changed", {"case_number": "（2025）吉01民终1号", "stage": "trial",
                                                   "at": datetime.now(UTC)}, court="吉01")
    await producer.publish(other)  # not bound: nobody gets it

    assert await wait_for(lambda: one.ids() == [event.event_id] and two.ids() == [event.event_id])
    await asyncio.sleep(0.3)
    assert one.ids() == [event.event_id] and two.ids() == [event.event_id]

    # exclusive to its connection, not durable, gone with its process
    connection = await aio_pika.connect(embedded_stack.config.amqp_url)
    try:
        channel = await connection.channel()
        with pytest.raises(aiormq.exceptions.ChannelLockedResource):
            await channel.declare_queue(q1, passive=True)
    finally:
        await connection.close()
    await first.close(drain_timeout=1)
    connection = await aio_pika.connect(embedded_stack.config.amqp_url)
    try:
        channel = await connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(q1, passive=True)
    finally:
        await connection.close()


async def test_handler_error_is_logged_and_acked_not_retried(buses):
    service = f"cache-{uuid.uuid4().hex[:6]}"
    rec = Recorder(fail_first=1)
    bus = await buses(service)
    await bus.broadcast(rec.broadcast("case.closed"))
    producer = await buses("broadcast-producer")
    bad, good = closed_event(), closed_event("（2025）吉01民终2号")
    await producer.publish(bad)
    await producer.publish(good)
    assert await wait_for(lambda: len(rec.events) >= 2)
    await asyncio.sleep(0.5)
    assert rec.ids() == [bad.event_id, good.event_id]  # the failed one is not delivered again


async def test_reconnection_declares_a_fresh_queue_and_calls_on_connect(buses, embedded_stack):
    service = f"cache-{uuid.uuid4().hex[:6]}"
    rec = Recorder()
    _, port = embedded_stack.config.amqp_host_port
    proxy = FlakyProxy(port)
    proxy_port = await proxy.start()
    try:
        bus = await buses(service, amqp_url=f"amqp://guest:guest@127.0.0.1:{proxy_port}/")
        first_queue = await bus.broadcast(rec.broadcast("case.closed"))
        assert rec.connects == 1
        producer = await buses("broadcast-producer")

        proxy.cut()
        await asyncio.sleep(0.5)
        missed = closed_event()
        await producer.publish(missed)  # published while the subscriber is away: lost for it
        proxy.restore()
        assert await wait_for(lambda: rec.connects == 2, timeout=30), "on_connect not called after reconnecting"
        current = bus._broadcasts[0].queue_name
        assert current != first_queue and current.startswith(f"{embedded_stack.config.namespace}.{service}.")

        after = closed_event("（2025）吉01民终3号")
        await producer.publish(after)
        assert await wait_for(lambda: after.event_id in rec.ids())
        assert missed.event_id not in rec.ids()
    finally:
        await proxy.close()
