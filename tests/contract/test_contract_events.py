"""Event contracts between services, checked without a broker.

Consumer side — for every service, the handler maps it actually wires (captured from its ``create_app``,
plus any module-level ``*HANDLERS`` map or ``Subscription`` in ``entrypoints``/``service_layer``): every bound
routing key is a documented event type, and for every documented version of each consumed type a sample
event built from the schema (required fields only, and all fields) is routed to a handler and accepted by
``REGISTRY.parse_payload`` (the check the consumer runs before its handlers).

Producer side — every ``REGISTRY.create("<type>", ...)`` literal in a service's source names a documented
type, and so does every literal reaching ``REGISTRY.create`` through a module-level mapping
(``EVENT_TYPES = {...: "<type>"}``) or a thin wrapper (``def _emit(uow, event_type, ...)``).
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from juanzong_devstack.asyncapi import sample_event
from juanzong_devstack.stack import SERVICES
from juanzong_shared.bus import Subscription
from juanzong_shared.events import REGISTRY
from jz_service_harness import wiring_of

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$")


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` one word, ``#`` zero or more words."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), routing_key.split("."))


@dataclass
class Wiring:
    service: str
    subscriptions: list[tuple[str, Subscription]] = field(default_factory=list)  # (where, subscription)
    notes: list[str] = field(default_factory=list)


def _package(service: str) -> str:
    return SERVICES[service].split(".")[0]


def _submodules(package: str, sub: str) -> list[str]:
    try:
        pkg = importlib.import_module(f"{package}.{sub}")
    except ImportError:
        return []
    return [f"{package}.{sub}"] + [
        m.name for m in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}.{sub}.")
    ]


@functools.cache
def wiring(service: str) -> Wiring:
    """The subscriptions a service's ``bootstrap(runtime)`` returns (called on a runtime that is never connected),
    plus module-level subscriptions of its other processes (the OCR worker's)."""
    found = Wiring(service)
    package = _package(service)
    try:
        wired = wiring_of(service)
    except Exception as error:
        found.notes.append(f"bootstrap failed: {type(error).__name__}: {error}")
        return found
    found.subscriptions += [("bootstrap", sub) for sub in wired.subscriptions]
    for modname in _submodules(package, "entrypoints") + _submodules(package, "service_layer"):
        try:
            module = importlib.import_module(modname)
        except Exception as error:
            found.notes.append(f"cannot import {modname}: {type(error).__name__}: {error}")
            continue
        for attr, value in vars(module).items():
            if isinstance(value, Subscription) and not any(value is sub for _, sub in found.subscriptions):
                found.subscriptions.append((f"{modname}.{attr}", value))
    return found


def _is_async_handler(handler) -> bool:
    target = handler.func if isinstance(handler, functools.partial) else handler
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)
    )


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_consumer_binds_only_documented_types_and_accepts_every_version(service):
    wired = wiring(service)
    if not wired.subscriptions:
        pytest.skip(f"{service}: no handler map found yet ({'; '.join(wired.notes) or 'no subscriptions'})")
    documented = REGISTRY.event_types()
    problems: list[str] = []
    queue_names: dict[str, str] = {}
    for where, sub in wired.subscriptions:
        if where == "bootstrap":
            queue = sub.queue_name("ns", service)
            if queue in queue_names:
                problems.append(f"two subscriptions of the app share the queue {queue}")
            queue_names[queue] = where
        for key in sub.routing_keys:
            if "*" in key or "#" in key:
                if not any(topic_matches(key, t) for t in documented):
                    problems.append(f"{where}: wildcard binding {key!r} matches no documented type")
                continue
            if key not in documented:
                problems.append(f"{where}: binds {key!r}, which is not in the shared registry")
        for event_type, handlers in sub.handlers.items():
            if not handlers:
                problems.append(f"{where}: {event_type!r} has an empty handler list")
            for handler in handlers:
                if not _is_async_handler(handler):
                    problems.append(f"{where}: handler {handler!r} for {event_type} is not async")
            if event_type not in documented:
                continue
            for version in REGISTRY.versions(event_type):
                for full in (False, True):
                    event = sample_event(event_type, version, full=full)
                    if not any(topic_matches(k, event.event_type) for k in sub.routing_keys):
                        problems.append(f"{where}: {event_type} v{version} would not be routed to the queue")
                    if not sub.handlers.get(event.event_type):
                        problems.append(f"{where}: {event_type} v{version} has no handler")
                    REGISTRY.read_payload(event)  # raises when the consumer's own check would refuse it
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_wires_its_consumers_through_bootstrap(service):
    wired = wiring(service)
    assert not wired.notes, wired.notes
    assert any(where == "bootstrap" for where, _ in wired.subscriptions), f"{service}: bootstrap wires no consumer"


# -- producer side --------------------------------------------------------------------------------
def _payload_specs() -> dict[str, list]:
    """Payload model name → the specs (event type, version) it is the payload of."""
    out: dict[str, list] = {}
    for spec in REGISTRY:
        out.setdefault(spec.payload.__name__, []).append(spec)
    return out


def produced_types(source: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(line, event type) of every ``.emit(Model(...))`` / ``.emit(model, event_type="...")`` in ``source``, and
    (line, why) of those that cannot be resolved to exactly one documented type."""
    specs = _payload_specs()
    found, unresolved = [], []
    for call in ast.walk(ast.parse(source)):
        if not (isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "emit" and call.args):
            continue
        named = next((k.value.value for k in call.keywords if k.arg == "event_type"
                      and isinstance(k.value, ast.Constant)), None)
        if named is not None:
            found.append((call.lineno, named))
            continue
        first = call.args[0]
        model = first.func.id if isinstance(first, ast.Call) and isinstance(first.func, ast.Name) else None
        types = {spec.event_type for spec in specs.get(model or "", [])}
        if len(types) == 1:
            found.append((call.lineno, types.pop()))
        elif any(k.arg == "event_type" for k in call.keywords):
            unresolved.append((call.lineno, "event_type computed"))
        else:
            unresolved.append((call.lineno, f"emits {ast.unparse(first)[:60]}"))
    return found, unresolved


def test_producer_scan_resolves_models_and_named_types():
    source = """
def go(uow, kind):
    uow.emit(CaseClosed(case_number="x"), case_number="x")
    uow.emit(HearingEvent(case_number="x"), event_type="case.hearing.held")
    uow.emit(HearingEvent(case_number="x"), event_type=kind)
    uow.emit(payload)
"""
    found, unresolved = produced_types(source)
    assert sorted(t for _, t in found) == ["case.closed", "case.hearing.held"]
    assert [why for _, why in unresolved] == ["event_type computed", "emits payload"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_producer_emits_only_its_documented_types(service):
    src = REPO / "services" / service / "src"
    documented = set(REGISTRY.event_types())
    wrong, produced, unresolved = [], set(), []
    for path in sorted(src.rglob("*.py")):
        found, left = produced_types(path.read_text(encoding="utf-8"))
        unresolved += [f"{path.relative_to(REPO)}:{line}: {why}" for line, why in left]
        for line, event_type in found:
            produced.add(event_type)
            producers = ({REGISTRY.spec(event_type, v).producer for v in REGISTRY.versions(event_type)}
                         if event_type in documented else set())
            if not producers:
                wrong.append(f"{path.relative_to(REPO)}:{line}: emits {event_type!r} — not documented")
            elif service not in producers and not producers & {"external", "scanning-station"}:
                wrong.append(f"{path.relative_to(REPO)}:{line}: emits {event_type!r}, documented as produced by "
                             f"{sorted(producers)}")
    print(f"\n{service} produces {sorted(produced)}; unresolved: {unresolved}")
    assert not wrong, "\n".join(wrong)
    assert produced or unresolved or service not in {spec.producer for spec in REGISTRY}, f"{service}: no emit found"


def test_topic_matching():
    assert topic_matches("case.*", "case.closed") and not topic_matches("case.*", "case.stage.changed")
    assert topic_matches("case.#", "case.stage.changed") and topic_matches("#", "a.b")
    assert not topic_matches("scan.page.processed", "scan.page.failed")
