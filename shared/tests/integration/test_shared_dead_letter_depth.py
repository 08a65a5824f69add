"""jz_dead_letter_depth: the bus's depth watcher reports each subscription's DLQ depth from the real broker, so an
alert can fire when a message is waiting for an operator."""

import asyncio
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY as METRICS

from juanzong_shared.bus import PermanentError, Subscription, handles
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.integration


def closed_event(n):
    case = f"（2025）吉01民终{n}号"
    return REGISTRY.create("case.closed", {"case_number": case, "closed_at": datetime.now(UTC)}, court="吉01",
                           case_id=case)


def gauge(name, service, queue):
    return METRICS.get_sample_value(name, {"service": service, "queue": queue})


async def until(predicate, timeout=20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_dead_letter_depth_gauge_follows_the_dlq(make_bus):
    @handles("case.closed")
    async def refuse(payload, delivery):
        raise PermanentError("案号与扫描任务不符")

    consumer = await make_bus("dlq-depth")
    consumer.depth_interval = 0.2
    queue = await consumer.subscribe(Subscription([refuse]))
    dlq = f"{queue}.dlq"
    assert await until(lambda: gauge("jz_dead_letter_depth", consumer.service, dlq) == 0), \
        "the watcher reports an empty DLQ as 0"

    producer = await make_bus("dlq-depth-producer")
    for n in range(3):
        await producer.publish(closed_event(n))
    assert await until(lambda: gauge("jz_dead_letter_depth", consumer.service, dlq) == 3), \
        f"gauge stayed at {gauge('jz_dead_letter_depth', consumer.service, dlq)}"
    assert gauge("jz_queue_depth", consumer.service, queue) == 0
    assert await consumer.dead_letter_depths() == {dlq: 3}
    await consumer.report_depths()  # also on demand

    # an operator takes one out: the gauge follows
    channel = await consumer.connection.channel()
    message = await (await channel.declare_queue(dlq, passive=True)).get()
    await message.ack()
    assert await until(lambda: gauge("jz_dead_letter_depth", consumer.service, dlq) == 2)
    await channel.close()
