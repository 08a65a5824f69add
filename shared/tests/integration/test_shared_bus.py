"""The bus on the real RabbitMQ and SecantusDB: round trip, redelivery, retries, dead letters, outbox."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta

import aio_pika
import pytest

from juanzong_shared.bus import ATTEMPTS_HEADER, REASON_HEADER, Delivery, Subscription, handles
from juanzong_shared.events import REGISTRY
from juanzong_shared.outbox import OUTBOX, OutboxRelay, UnitOfWork
from juanzong_shared.testing import FlakyProxy

pytestmark = pytest.mark.integration


def closed_event(case="（2025）吉01民终1号"):
    return REGISTRY.create("case.closed", {"case_number": case, "closed_at": datetime.now(UTC)}, court="吉01",
                           case_id=case)


async def emit_each(mongo, count, first_number):
    """``count`` case.closed events, each written in a transaction of its own; their ids in order."""
    ids = []
    for i in range(count):
        async with UnitOfWork(mongo) as uow:
            event = closed_event(f"（2025）吉01民终{first_number + i}号")
            uow.emit(event)
        ids.append(str(event.event_id))
    return ids


async def wait_for(predicate, timeout=20.0, interval=0.1):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(interval)
    return False


async def test_publish_consume_round_trip_stores_effect_and_keeps_correlation(make_bus, mongo):
    seen = []

    @handles("case.closed")
    async def handle(payload, delivery: Delivery):
        seen.append(delivery.event)
        await delivery.uow.db["effects"].insert_one(
            {"_id": str(delivery.event.event_id), "case": payload.case_number}, session=delivery.uow.session)

    consumer = await make_bus("consumer")
    await consumer.subscribe(Subscription([handle]))
    producer = await make_bus("producer")
    event = closed_event().model_copy(update={"correlation_id": "corr-42"})
    await producer.publish(event)

    assert await wait_for(lambda: _count(mongo, "effects", {"_id": str(event.event_id)}, 1))
    assert seen[0] == event
    assert seen[0].correlation_id == "corr-42"


async def _count(mongo, collection, query, expected):
    return await mongo.db[collection].count_documents(query) == expected


async def test_duplicate_delivery_changes_nothing(make_bus, mongo):
    """A redelivered event (same event_id) is a no-op thanks to the idempotency ledger."""
    @handles("case.closed")
    async def handle(payload, delivery):
        await delivery.uow.db["counter"].update_one({"_id": "n"}, {"$inc": {"n": 1}}, upsert=True,
                                                    session=delivery.uow.session)

    consumer = await make_bus("dup")
    await consumer.subscribe(Subscription([handle]))
    producer = await make_bus("dup-producer")
    event = closed_event()
    for _ in range(3):
        await producer.publish(event)
    other = closed_event("（2025）吉01民终2号")
    await producer.publish(other)

    assert await wait_for(lambda: _count(mongo, "processed_messages", {}, 2))
    await asyncio.sleep(0.5)
    assert (await mongo.db["counter"].find_one({"_id": "n"}))["n"] == 2


async def test_poison_message_reaches_dlq_with_reason_after_retry_limit(make_bus, embedded_stack):
    attempts = []

    @handles("case.closed")
    async def always_fails(payload, delivery):
        attempts.append(datetime.now(UTC))
        raise RuntimeError("卷宗数据不完整 boom")

    consumer = await make_bus("poison", max_attempts=3, retry_delays_ms=[100, 200])
    queue = await consumer.subscribe(Subscription([always_fails]))
    producer = await make_bus("poison-producer")
    event = closed_event()
    await producer.publish(event)

    channel = await consumer.connection.channel()
    dlq = await channel.declare_queue(f"{queue}.dlq", passive=True)
    message = None
    for _ in range(100):
        message = await dlq.get(fail=False)
        if message:
            break
        await asyncio.sleep(0.1)
    assert message is not None, "the poison message never reached the dead-letter queue"
    await message.ack()
    assert len(attempts) == 3
    assert message.headers[ATTEMPTS_HEADER] == 3
    assert "RuntimeError: 卷宗数据不完整 boom" in message.headers[REASON_HEADER]
    assert message.message_id == str(event.event_id)
    assert attempts[1] - attempts[0] >= __import__("datetime").timedelta(milliseconds=90)  # back-off applied


async def test_undecodable_message_dead_lettered_at_once(make_bus):
    @handles("case.closed")
    async def handle(payload, delivery):
        raise AssertionError("must not be called")

    consumer = await make_bus("garbage")
    queue = await consumer.subscribe(Subscription([handle]))
    channel = await consumer.connection.channel()
    exchange = await channel.get_exchange(consumer.exchange_name)
    await exchange.publish(aio_pika.Message(b"{not json", message_id="m1"), routing_key="case.closed")
    await exchange.publish(aio_pika.Message(
        b'{"event_type":"case.closed","version":1,"payload":{"case_number":5}}', message_id="m2"),
        routing_key="case.closed")
    dlq = await channel.declare_queue(f"{queue}.dlq", passive=True)
    got = {}
    for _ in range(100):
        message = await dlq.get(fail=False)
        if message:
            got[message.message_id] = message.headers[REASON_HEADER]
            await message.ack()
        if len(got) == 2:
            break
        await asyncio.sleep(0.1)
    assert set(got) == {"m1", "m2"}
    assert "undecodable" in got["m1"]
    assert "case_number" in got["m2"] or "closed_at" in got["m2"]


CONSUMER_SCRIPT = textwrap.dedent('''
    import asyncio, os, sys
    from juanzong_shared.bus import Bus, Subscription, handles
    from juanzong_shared.db import Mongo

    async def main():
        mongo = Mongo(os.environ["T_MONGO"], os.environ["T_DB"])
        bus = Bus(os.environ["T_AMQP"], os.environ["T_NS"], os.environ["T_SERVICE"], mongo=mongo, prefetch=1)
        await bus.connect()

        @handles("case.closed")
        async def handle(payload, delivery):
            await delivery.uow.db["effects"].insert_one({"event_id": str(delivery.event.event_id),
                                                         "pid": os.getpid()}, session=delivery.uow.session)
            if os.environ.get("T_HANG"):
                print("HANDLING", flush=True)
                await asyncio.sleep(3600)   # killed here: effect not committed, message not acked

        await bus.subscribe(Subscription([handle]))
        print("READY", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
''')


async def test_consumer_killed_before_ack_redelivers_and_effect_is_stored_once(embedded_stack, mongo, make_bus):
    service = "killme-" + uuid.uuid4().hex[:6]
    env = {**os.environ, "T_MONGO": embedded_stack.config.mongo_url, "T_DB": mongo.db.name,
           "T_AMQP": embedded_stack.config.amqp_url, "T_NS": embedded_stack.config.namespace, "T_SERVICE": service}

    def spawn(hang: bool):
        return subprocess.Popen([sys.executable, "-c", CONSUMER_SCRIPT], env={**env, **({"T_HANG": "1"} if hang else {})},
                                stdout=subprocess.PIPE, stderr=open(f"/tmp/consumer-{int(hang)}.log", "w"), text=True)

    async def expect(proc, marker):
        while True:
            line = await asyncio.to_thread(proc.stdout.readline)
            assert line, f"consumer exited before printing {marker}"
            if line.strip() == marker:
                return

    first = spawn(hang=True)
    try:
        await expect(first, "READY")
        producer = await make_bus("kill-producer")
        event = closed_event()
        await producer.publish(event)
        await expect(first, "HANDLING")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert await mongo.db["effects"].count_documents({}) == 0  # the transaction never committed

    second = spawn(hang=False)
    try:
        await expect(second, "READY")
        assert await wait_for(lambda: _count(mongo, "effects", {"event_id": str(event.event_id)}, 1), timeout=120)
        await asyncio.sleep(1.0)
        effects = await mongo.db["effects"].find({}).to_list()
        assert len(effects) == 1 and effects[0]["pid"] == second.pid
    finally:
        second.kill()
        second.wait(10)


async def test_broker_connection_dropped_mid_run_loses_no_event(embedded_stack, mongo, make_bus):
    """Events written while the broker is unreachable stay in the outbox and are relayed after recovery."""
    received: list[str] = []

    @handles("case.closed")
    async def collect(payload, delivery):
        received.append(str(delivery.event.event_id))

    consumer = await make_bus("outbox-consumer")
    await consumer.subscribe(Subscription([collect]))

    host, port = embedded_stack.config.amqp_host_port
    proxy = FlakyProxy(port)
    proxy_port = await proxy.start()
    producer = await make_bus("outbox-producer", amqp_url=f"amqp://guest:guest@127.0.0.1:{proxy_port}/")
    relay = OutboxRelay(mongo, producer.publish, "outbox-producer", poll_seconds=0.2)
    relay.start()
    written = []
    try:
        async def write_one(i):
            async with UnitOfWork(mongo, on_commit=relay.notify) as uow:
                await uow.db["cases"].insert_one({"n": i}, session=uow.session)
                event = closed_event(f"（2025）吉01民终{i + 1}号")
                uow.emit(event)
            written.append(str(event.event_id))

        for i in range(10):
            await write_one(i)
        assert await wait_for(lambda: _len_at_least(received, 10))
        proxy.cut()
        for i in range(10, 30):
            await write_one(i)
        await asyncio.sleep(1.0)
        assert await relay.pending() > 0  # held back while the broker is unreachable
        proxy.restore()
        assert await wait_for(lambda: _len_at_least(received, 30), timeout=60), \
            f"only {len(set(received))} of 30 events arrived"
        assert set(received) == set(written)
        assert await relay.pending() == 0
    finally:
        await relay.stop()
        await proxy.close()


async def _len_at_least(items, n):
    return len(set(items)) >= n


async def test_two_relays_on_one_outbox_publish_each_event_once(mongo):
    """Several processes of a service relay the same outbox; an entry claimed by one is not sent by another."""
    published: list[str] = []

    async def publish(event, routing_key):
        published.append(str(event.event_id))
        await asyncio.sleep(0.001)  # leave room for the other relay to interleave

    written = await emit_each(mongo, 60, 100)
    first, second = OutboxRelay(mongo, publish, "twins"), OutboxRelay(mongo, publish, "twins")
    sent = await asyncio.gather(first.relay_once(), second.relay_once(), first.relay_once(), second.relay_once())
    assert sum(sent) == 60
    assert sorted(published) == sorted(written)  # every event, none twice
    assert await first.pending() == 0


async def test_an_entry_held_by_a_relay_that_died_goes_out_once_its_lease_lapses(mongo):
    """A relay that died holding an entry delays it (and the entries after it) until its lease
    lapses; then another relay publishes it, once."""
    published: list[str] = []

    async def publish(event, routing_key):
        published.append(str(event.event_id))

    (entry,) = await emit_each(mongo, 1, 250)
    held_until = datetime.now(UTC) + timedelta(seconds=30)
    await mongo.db[OUTBOX].update_one({"_id": entry},
                                      {"$set": {"claimed_until": held_until, "claimed_by": "a-relay-that-died"}})
    relay = OutboxRelay(mongo, publish, "lease")
    assert await relay.relay_once() == 0 and published == []  # held: not sent, not skipped past
    await mongo.db[OUTBOX].update_one({"_id": entry},
                                      {"$set": {"claimed_until": datetime.now(UTC) - timedelta(seconds=1)}})
    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    assert published == [entry]


async def test_published_entries_past_their_retention_are_pruned_and_pending_ones_kept(mongo):
    """The outbox holds what is not yet published; what went out longer ago than the retention is
    deleted, so the collection does not grow with every event ever written."""
    async def publish(event, routing_key):
        return None

    old, recent, pending = await emit_each(mongo, 3, 260)
    now = datetime.now(UTC)
    await mongo.db[OUTBOX].update_one({"_id": old}, {"$set": {"published_at": now - timedelta(days=8)}})
    await mongo.db[OUTBOX].update_one({"_id": recent}, {"$set": {"published_at": now - timedelta(days=6)}})
    relay = OutboxRelay(mongo, publish, "retention", retention=timedelta(days=7))
    assert await relay.prune() == 1
    assert sorted([d["_id"] async for d in mongo.db[OUTBOX].find({})]) == sorted([recent, pending])
    assert await OutboxRelay(mongo, publish, "keep-all", retention=None).prune() == 0
    assert await relay.pending() == 1


async def test_a_transactions_events_are_relayed_in_the_order_they_were_emitted(mongo):
    """A batch emits its page commands in page order in one transaction (one ``created_at``); two
    processes relay the outbox at once (the scan-ocr API and a worker): workers still receive the
    commands in that order."""
    published: list[str] = []
    async with UnitOfWork(mongo) as uow:
        emitted = [closed_event(f"（2025）吉01民终{i + 300}号") for i in range(40)]
        for event in emitted:
            uow.emit(event)
    slow = {str(e.event_id) for e in emitted[::3]}  # some sends take longer: the other relay runs meanwhile

    async def publish(event, routing_key):
        await asyncio.sleep(0.02 if str(event.event_id) in slow else 0.001)
        published.append(str(event.event_id))

    first, second = OutboxRelay(mongo, publish, "in-order", batch=15), OutboxRelay(mongo, publish, "in-order", batch=15)

    async def drain(relay):
        while await relay.pending():
            await relay.relay_once()
            await asyncio.sleep(0)

    await asyncio.gather(drain(first), drain(second))
    assert published == [str(e.event_id) for e in emitted]
