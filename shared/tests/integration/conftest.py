import uuid

import pytest

from juanzong_shared.bus import Bus
from juanzong_shared.db import Mongo


@pytest.fixture
async def mongo(embedded_stack):
    m = Mongo(embedded_stack.config.mongo_url, "t_" + uuid.uuid4().hex[:10])
    yield m
    await m.client.drop_database(m.db.name)
    await m.close()


@pytest.fixture
async def make_bus(embedded_stack, mongo):
    buses = []

    async def make(service: str = "svc", amqp_url: str | None = None, **kwargs) -> Bus:
        bus = Bus(amqp_url or embedded_stack.config.amqp_url, embedded_stack.config.namespace,
                  f"{service}-{uuid.uuid4().hex[:6]}", mongo=mongo, **kwargs)
        await bus.connect()
        buses.append(bus)
        return bus
    yield make
    for bus in buses:
        try:
            await bus.close(drain_timeout=5)
        except Exception:
            pass
