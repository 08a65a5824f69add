"""Prometheus metrics every service exposes at ``/metrics``.

Names are part of the operations contract (Grafana dashboard, KEDA, alerts): change them only with the
dashboard in ``deploy/grafana``.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_LATENCY = Histogram(
    "jz_http_request_duration_seconds", "HTTP request latency by route.",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_MESSAGES = Counter(
    "jz_consumer_messages_total", "Messages handled by consumers, by outcome.",
    ["service", "queue", "outcome"],
)
CONSUMER_SECONDS = Histogram(
    "jz_consumer_handling_seconds", "Time to handle one message.", ["service", "queue"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
QUEUE_DEPTH = Gauge("jz_queue_depth", "Messages ready in a queue.", ["service", "queue"])
# ``queue`` is the dead-letter queue itself (``<ns>.<service>[.<name>].dlq``); anything above 0 needs an operator
# (``juanzong-stack dlq``)
DEAD_LETTER_DEPTH = Gauge("jz_dead_letter_depth", "Messages waiting in a dead-letter queue.", ["service", "queue"])
OUTBOX_PENDING = Gauge("jz_outbox_pending", "Events written but not yet published.", ["service"])
OUTBOX_PUBLISHED = Counter("jz_outbox_published_total", "Events relayed from the outbox.", ["service"])


def render_latest() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
