"""The notifier's Prometheus gauges (exposed on /metrics with the shared ones)."""

from __future__ import annotations

from prometheus_client import Gauge

DEADLINE_OVERDUE = Gauge(
    "jz_deadline_overdue", "Running deadline clocks past their due moment (吉高法〔2020〕11号 第七条).",
    ["court", "rule"],
)
INDICATOR_RATE = Gauge(
    "jz_indicator_rate", "Monthly indicator rate of the last reported month (吉高院通报29期).",
    ["court", "indicator"],
)
INDICATOR_NUMERATOR = Gauge("jz_indicator_numerator", "Numerator of the monthly indicator.", ["court", "indicator"])
INDICATOR_DENOMINATOR = Gauge("jz_indicator_denominator", "Denominator of the monthly indicator.",
                              ["court", "indicator"])
DELIVERIES_FAILED = Gauge("jz_notifier_deliveries_failed", "Push deliveries given up after the last retry.",
                          ["channel"])
