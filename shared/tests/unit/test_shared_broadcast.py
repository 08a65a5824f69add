"""Broadcast subscriptions without a broker: naming, every message acknowledged whatever the handler does, and
only handlers marked with @handles taken (by a broadcast or a subscription)."""

from datetime import UTC, datetime

import pytest
from juanzong_shared.bus import Broadcast, Bus, Subscription, _BroadcastConsumer, handles
from juanzong_shared.events import REGISTRY


class Message:
    def __init__(self, body: bytes, type_: str | None = None) -> None:
        self.body, self.type, self.acked = body, type_, 0

    async def ack(self) -> None:
        self.acked += 1


def closed():
    return REGISTRY.create("case.closed", {"case_number": "（2025）吉01民终1号", "closed_at": datetime.now(UTC)})


def test_queue_prefix_and_routing_keys():
    b = Broadcast({"b.x": [], "a.y": []})
    assert b.queue_prefix("ns", "access-control") == "ns.access-control.broadcast"
    assert b.routing_keys == ["a.y", "b.x"]
    assert Broadcast({}, name="invalidate").queue_prefix("ns", "svc") == "ns.svc.invalidate"


async def test_handler_error_and_undecodable_body_are_acked_and_other_handlers_still_run():
    seen = []

    @handles("case.closed", "case.registered")
    async def broken(payload, event):
        raise RuntimeError("boom")

    @handles("case.closed")
    async def fine(payload, event):
        seen.append((payload.case_number, event.event_id))

    consumer = _BroadcastConsumer(Bus("amqp://unused", "ns", "svc"), Broadcast([fine, broken]))
    assert consumer.spec.handlers == {"case.closed": (fine, broken), "case.registered": (broken,)}
    event = closed()
    ok = Message(event.to_json(), event.event_type)
    await consumer._on_message(ok)
    assert ok.acked == 1 and seen == [("（2025）吉01民终1号", event.event_id)]
    garbage = Message(b"not json")
    await consumer._on_message(garbage)
    assert garbage.acked == 1


@pytest.mark.parametrize("kind", [Broadcast, Subscription])
def test_an_unmarked_handler_is_refused_by_name_in_a_list_or_a_mapping(kind):
    async def legacy(event, uow=None):
        pass

    @handles("case.closed")
    async def marked(payload, delivery):
        pass

    for handlers in ([marked, legacy], {"case.closed": [marked, legacy]}):
        with pytest.raises(ValueError, match=r"legacy.*@handles"):
            kind(handlers)
    assert kind({"case.closed": [marked]}).routing_keys == ["case.closed"]  # a mapping of marked ones goes
