"""``juanzong-stack dlq`` on the real broker: messages dead-lettered by a real consumer are listed, shown (and stay),
replayed to the fixed handler with their attempt count reset, and discarded only with --yes."""

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from juanzong_devstack.dlq import DeadLetters
from juanzong_shared.bus import Bus, PermanentError, Subscription, handles
from juanzong_shared.db import Mongo
from juanzong_shared.events import REGISTRY

pytestmark = pytest.mark.integration

CLI = str(Path(sys.executable).parent / "juanzong-stack")


def closed_event(number):
    case = f"（2025）吉01民终{number}号"
    return REGISTRY.create("case.closed", {"case_number": case, "closed_at": datetime.now(UTC)}, court="吉01",
                           case_id=case)


async def stack_cli(embedded_stack, *args):
    env = {**os.environ, "JZ_AMQP_URL": embedded_stack.config.amqp_url,
           "JZ_BUS_NAMESPACE": embedded_stack.config.namespace, "COLUMNS": "250"}
    proc = await asyncio.create_subprocess_exec(CLI, "dlq", *args, env=env, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


async def eventually(predicate, timeout=20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.fixture
async def mongo(embedded_stack):
    m = Mongo(embedded_stack.config.mongo_url, "t_" + uuid.uuid4().hex[:10])
    yield m
    await m.client.drop_database(m.db.name)
    await m.close()


async def test_list_show_replay_and_discard_dead_letters(embedded_stack, mongo):
    config = embedded_stack.config
    service = f"intake-{uuid.uuid4().hex[:6]}"
    queue, dlq = f"{config.namespace}.{service}", f"{config.namespace}.{service}.dlq"
    broken = {"（2025）吉01民终1号": "permanent", "（2025）吉01民终2号": "permanent", "（2025）吉01民终3号": "retry"}
    failures_after_replay = {"（2025）吉01民终3号": 1}
    handled = []

    @handles("case.closed")
    async def handle(payload, delivery):
        case = payload.case_number
        if broken.get(case) == "permanent":
            raise PermanentError(f"案号 {case} 与扫描任务不符")
        if broken.get(case) == "retry":
            raise RuntimeError("数据库暂不可用")
        if failures_after_replay.get(case):
            failures_after_replay[case] -= 1
            raise RuntimeError("replayed, fails once more")
        handled.append(str(delivery.event.event_id))

    bus = Bus(config.amqp_url, config.namespace, service, mongo=mongo, max_attempts=2, retry_delays_ms=[50])
    producer = Bus(config.amqp_url, config.namespace, f"producer-{service}")
    await bus.connect()
    await producer.connect()
    try:
        await bus.subscribe(Subscription([handle]))
        events = [closed_event(n) for n in (1, 2, 3)]
        ids = [str(e.event_id) for e in events]
        for event in events:
            await producer.publish(event)

        async with DeadLetters(config.amqp_url) as letters:
            async def dlq_depth_is(n):
                return await letters.depth(dlq) == n
            assert await eventually(lambda: dlq_depth_is(3)), "three messages should be dead-lettered"

            code, out, err = await stack_cli(embedded_stack, "list", service)
            assert code == 0, err
            assert dlq in out and " 3 " in out.split(dlq, 1)[1].splitlines()[0] + " "

            code, out, err = await stack_cli(embedded_stack, "show", service, "--limit", "10")
            assert code == 0, err
            for event_id in ids:
                assert event_id in out
            assert "PermanentError: 案号 （2025）吉01民终1号 与扫描任务不符" in out
            assert "RuntimeError: 数据库暂不可用" in out and "case.closed" in out
            shown = {letter.message_id: letter for letter in await letters.show(dlq, 10)}
            assert shown[ids[2]].attempts == 2 and shown[ids[0]].attempts == 1
            assert shown[ids[0]].routing_key == "case.closed"
            assert await letters.depth(dlq) == 3, "looking leaves every message in the DLQ"

            # the handler is fixed; #3 (which had used up its attempts) fails once more after the replay and must
            # still get its retry: its attempt count starts again
            broken.clear()
            code, out, err = await stack_cli(embedded_stack, "replay", service, "--id", ids[0], "--id", ids[2])
            assert code == 0, err
            assert await eventually(lambda: asyncio.sleep(0, result=set(handled) >= {ids[0], ids[2]})), handled
            assert failures_after_replay["（2025）吉01民终3号"] == 0
            assert await letters.depth(dlq) == 1 and await letters.depth(queue) == 0
            assert [letter.message_id for letter in await letters.show(dlq)] == [ids[1]]

            code, out, err = await stack_cli(embedded_stack, "discard", service, "--id", ids[1])
            assert code == 2 and "--yes" in err
            assert await letters.depth(dlq) == 1

            code, out, err = await stack_cli(embedded_stack, "discard", service, "--id", "no-such-id", "--yes")
            assert code == 1 and "no-such-id" in err
            assert await letters.depth(dlq) == 1, "a message not chosen is handed back"

            code, out, err = await stack_cli(embedded_stack, "discard", service, "--all", "--yes")
            assert code == 0, err
            assert ids[1] in out
            assert await letters.depth(dlq) == 0
            await asyncio.sleep(0.5)
            assert ids[1] not in handled and len(handled) == 2

            code, out, err = await stack_cli(embedded_stack, "list", service)
            assert code == 0 and " 0 " in out.split(dlq, 1)[1].splitlines()[0] + " "
    finally:
        await bus.close(drain_timeout=5)
        await producer.close()
