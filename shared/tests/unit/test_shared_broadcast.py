"""Broadcast subscriptions without a broker: naming, and every message acknowledged whatever the handler does."""

from datetime import UTC, datetime

from juanzong_shared.bus import Broadcast, Bus, _BroadcastConsumer
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

    async def broken(event):
        raise RuntimeError("boom")

    async def fine(event):
        seen.append(event.event_id)

    consumer = _BroadcastConsumer(Bus("amqp://unused", "ns", "svc"),
                                  Broadcast({"case.closed": [fine, broken], "case.registered": [broken]}))
    event = closed()
    ok = Message(event.to_json(), event.event_type)
    await consumer._on_message(ok)
    assert ok.acked == 1 and seen == [event.event_id]
    garbage = Message(b"not json")
    await consumer._on_message(garbage)
    assert garbage.acked == 1
