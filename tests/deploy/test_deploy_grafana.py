"""deploy/grafana/juanzong-dashboard.json: valid JSON, sane layout, and every query names only the
services' own Prometheus metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "juanzong-dashboard.json"

# The metrics the shared library and the services export (name -> type).
METRICS = {
    "jz_http_request_duration_seconds": "histogram",
    "jz_consumer_messages_total": "counter",
    "jz_consumer_handling_seconds": "histogram",
    "jz_queue_depth": "gauge",
    "jz_ocr_pages_total": "counter",
    "jz_ocr_stage_seconds": "histogram",
    "jz_deadline_overdue": "gauge",
    "jz_outbox_pending": "gauge",
}
LABELS = {
    "jz_http_request_duration_seconds": {"service", "method", "route", "status"},
    "jz_consumer_messages_total": {"service", "queue", "outcome"},
    "jz_consumer_handling_seconds": {"service", "queue"},
    "jz_queue_depth": {"service", "queue"},
    "jz_ocr_pages_total": {"engine", "outcome"},
    "jz_ocr_stage_seconds": {"engine", "stage"},
    "jz_deadline_overdue": {"court", "rule"},
    "jz_outbox_pending": {"service"},
}
OUTCOMES = {"processed", "failed", "retried", "dead_lettered", "duplicate"}
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "inf",
    "nan",
    "le",
}


def series_names() -> dict[str, str]:
    """Every series name a query may use, mapped to its base metric."""
    names = {}
    for metric, kind in METRICS.items():
        names[metric] = metric
        if kind == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                names[metric + suffix] = metric
    return names


def metric_selectors(expr: str) -> list[tuple[str, str]]:
    """(metric name, label matcher text) for each series selector in a PromQL expression."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string contents cannot look like names
    text = re.sub(r"\[[^\]]*\]", "", text)  # range and subquery durations
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", text)
    found = []
    for match in re.finditer(r"(?<![\w$.])([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})?", text):
        name, matchers = match.group(1), match.group(2) or ""
        # A function call, or an aggregation followed by its "by (...)", is not a series.
        call = not matchers and re.match(r"\s*\(|\s*(by|without)\b", text[match.end(1) :])
        if call or name in PROMQL_WORDS or name.startswith("__"):
            continue
        found.append((name, matchers))
    # Label matchers of the original text, for checking label names and values.
    originals = re.findall(r"([a-zA-Z_:][\w:]*)\s*(\{[^}]*\})", expr)
    lookup = {name: matchers for name, matchers in originals}
    return [(name, lookup.get(name, matchers)) for name, matchers in found]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def all_panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def expressions(dashboard):
    for panel in all_panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def test_parser_finds_metrics_and_skips_functions():
    expr = (
        "histogram_quantile(0.95, sum by (service, le) (rate(jz_http_request_duration_seconds_bucket"
        '{service=~"$service", route="/x"}[$__rate_interval]))) / on() group_left sum(up)'
    )
    assert [n for n, _ in metric_selectors(expr)] == ["jz_http_request_duration_seconds_bucket", "up"]
    assert metric_selectors('sum(jz_queue_depth{queue="jz_fake_total"})') == [
        ("jz_queue_depth", '{queue="jz_fake_total"}')
    ]


def test_dashboard_is_a_grafana_dashboard(dashboard):
    assert dashboard["title"] and dashboard["uid"] and isinstance(dashboard["schemaVersion"], int)
    ids = [p["id"] for p in all_panels(dashboard)]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in all_panels(dashboard):
        grid = panel["gridPos"]
        assert {"h", "w", "x", "y"} <= set(grid) and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel.get("targets"), f"{panel['title']} has no query"
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs))
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    used = set(re.findall(r"\$(\w+)", json.dumps([e for _, e in expressions(dashboard)])))
    assert used - {"__rate_interval", "__interval", "__range"} <= variables, "every $variable is defined"


def test_every_query_names_only_the_services_metrics(dashboard):
    names = series_names()
    queries = list(expressions(dashboard))
    queries += [
        (f"variable {v['name']}", re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", v["query"]["query"]))
        for v in dashboard["templating"]["list"]
        if v["type"] == "query"
    ]
    seen = set()
    for title, expr in queries:
        selectors = metric_selectors(expr)
        assert selectors, f"{title}: no metric in {expr!r}"
        for name, matchers in selectors:
            assert name in names, f"{title}: unknown metric {name!r}"
            metric = names[name]
            seen.add(metric)
            allowed = LABELS[metric] | ({"le"} if name.endswith("_bucket") else set())
            for label, op, value in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', matchers):
                assert label in allowed, f"{title}: {metric} has no label {label!r}"
                if (
                    label == "outcome"
                    and metric == "jz_consumer_messages_total"
                    and not value.startswith("$")
                ):
                    assert set(value.split("|")) <= OUTCOMES, f"{title}: outcome {value!r}"
        for metric in {names[n] for n, _ in selectors}:
            if METRICS[metric] == "histogram":
                assert not re.search(rf"\b{metric}\b(?!_)", expr), f"{title}: use {metric}_bucket/_sum/_count"
            if METRICS[metric] == "counter" and not title.startswith("variable "):
                assert re.search(rf"(rate|increase)\(\s*{metric}\b", expr), f"{title}: {metric} is a counter"
    assert seen == set(METRICS), f"metrics without a panel: {sorted(set(METRICS) - seen)}"


def test_the_operational_questions_have_panels(dashboard):
    text = {
        p["title"].lower(): " ".join(t["expr"] for t in p.get("targets", [])) for p in all_panels(dashboard)
    }

    def panel_with(title_word, expr_part):
        return any(title_word in title and expr_part in expr for title, expr in text.items())

    assert panel_with("queue depth", "jz_queue_depth")
    assert panel_with("pages per second", "rate(jz_ocr_pages_total")
    assert panel_with("seconds per page", "jz_ocr_stage_seconds") and any(
        "by (stage" in e for t, e in text.items() if "seconds per page" in t
    )
    assert panel_with(
        "p95", "histogram_quantile(0.95, sum by (service, le) (rate(jz_http_request_duration_seconds_bucket"
    )
    assert panel_with("error", 'status=~"5..') and panel_with("fail", "dead_lettered")
    assert panel_with("overdue", "jz_deadline_overdue")
    assert panel_with("outbox", "jz_outbox_pending")
