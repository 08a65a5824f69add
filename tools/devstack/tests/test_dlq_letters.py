"""How a dead letter reads to an operator and what a replayed copy carries (no broker)."""

import json
from types import SimpleNamespace

import pytest

from juanzong_devstack.dlq import DeadLetter, replay_copy, subscription_queues
from juanzong_shared.bus import ATTEMPT_HEADER, ATTEMPTS_HEADER, PUBLISHER_HEADER, REASON_HEADER

pytestmark = pytest.mark.unit


def message(headers):
    body = json.dumps({"case_id": "（2025）吉01民终7号", "type": "scan.job.submitted"}).encode()
    return SimpleNamespace(headers=headers, body=body, message_id="e-1", type="scan.job.submitted",
                           correlation_id="c-1", content_type="application/json", timestamp=None)


def test_a_letter_the_consumer_dead_lettered_shows_its_reason_attempts_and_routing_key():
    letter = DeadLetter.of(message({REASON_HEADER: b"PermanentError: \xe6\xa1\x88\xe5\x8f\xb7", ATTEMPTS_HEADER: 5,
                                    ATTEMPT_HEADER: 5, "x-jz-original-routing-key": "scan.job.submitted",
                                    "event_type": "scan.job.submitted"}))
    assert letter == DeadLetter("e-1", "scan.job.submitted", "（2025）吉01民终7号", "PermanentError: 案号", 5,
                                "scan.job.submitted", "c-1")


def test_a_letter_the_broker_dead_lettered_after_its_delivery_limit_says_so():
    death = {"reason": "delivery_limit", "queue": "juanzong.scan-ocr.pages", "count": 1,
             "routing-keys": ["juanzong.scan-ocr.pages"]}
    letter = DeadLetter.of(message({"x-death": [death], "x-delivery-count": 7}))
    assert letter.reason == "broker: delivery_limit (queue juanzong.scan-ocr.pages)"
    assert letter.attempts == 7 and letter.routing_key == "juanzong.scan-ocr.pages"


def test_a_replayed_copy_starts_its_attempts_again_and_keeps_id_body_and_publisher():
    original = message({REASON_HEADER: "RuntimeError: x", ATTEMPTS_HEADER: 5, ATTEMPT_HEADER: 5,
                        "x-death": [{"reason": "rejected"}], "x-delivery-count": 3, PUBLISHER_HEADER: "station-01",
                        "x-jz-original-routing-key": "scan.job.submitted", "version": 1})
    copy = replay_copy(original)
    assert copy.body == original.body and copy.message_id == "e-1" and copy.correlation_id == "c-1"
    for gone in (REASON_HEADER, ATTEMPTS_HEADER, ATTEMPT_HEADER, "x-death", "x-delivery-count"):
        assert gone not in copy.headers
    assert copy.headers[PUBLISHER_HEADER] == "station-01"
    assert copy.headers["x-jz-original-routing-key"] == "scan.job.submitted" and copy.headers["version"] == 1
    assert "x-jz-replayed-at" in copy.headers


def test_a_service_names_all_its_subscriptions():
    assert subscription_queues("jz", "intake") == ["jz.intake"]
    assert subscription_queues("jz", "scan-ocr") == ["jz.scan-ocr", "jz.scan-ocr.pages"]
    assert subscription_queues("jz", "scan-ocr.pages") == ["jz.scan-ocr.pages"]
