from __future__ import annotations

import pytest
from juanzong_shared.bus import Bus


@pytest.fixture(scope="module")
async def publisher(embedded_stack):
    """A bus client on the test stack that publishes the events other services would."""
    bus = Bus(embedded_stack.config.amqp_url, embedded_stack.config.namespace, "ac-test-publisher")
    await bus.connect()
    yield bus
    await bus.close(drain_timeout=2)
