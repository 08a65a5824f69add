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
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from juanzong_devstack.asyncapi import sample_event
from juanzong_devstack.stack import SERVICES
from juanzong_shared.bus import Subscription
from juanzong_shared.events import REGISTRY

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
    """The subscriptions a service's app wires, captured by spying on ``create_service_app``."""
    found = Wiring(service)
    package = _package(service)
    try:
        app_module = importlib.import_module(SERVICES[service])
    except Exception as error:  # a service being rebuilt right now
        found.notes.append(f"cannot import {SERVICES[service]}: {type(error).__name__}: {error}")
        return found
    captured: list = []
    patched: list[tuple[object, Callable]] = []
    for name, module in list(sys.modules.items()):
        real = getattr(module, "create_service_app", None) if name.startswith(package) else None
        if callable(real):

            def spy(settings, *args, _real=real, **kwargs):
                captured.append(kwargs.get("parts"))
                return _real(settings, *args, **kwargs)

            patched.append((module, real))
            module.create_service_app = spy
    try:
        app_module.create_app()
    except Exception as error:
        found.notes.append(f"create_app() failed: {type(error).__name__}: {error}")
    finally:
        for module, real in patched:
            module.create_service_app = real
    for parts in captured:
        for sub in getattr(parts, "subscriptions", ()) or ():
            found.subscriptions.append(("create_app", sub))
    # module-level maps and subscriptions (e.g. an OCR worker's, or a map not wired yet)
    for modname in _submodules(package, "entrypoints") + _submodules(package, "service_layer"):
        try:
            module = importlib.import_module(modname)
        except Exception as error:
            found.notes.append(f"cannot import {modname}: {type(error).__name__}: {error}")
            continue
        for attr, value in vars(module).items():
            if isinstance(value, Subscription):
                found.subscriptions.append((f"{modname}.{attr}", value))
            elif attr.isupper() and attr.endswith("HANDLERS") and isinstance(value, Mapping):
                found.subscriptions.append((f"{modname}.{attr}", Subscription(value)))
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
        if where == "create_app":
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
                    REGISTRY.parse_payload(event)  # raises when the consumer's own check would refuse it
    assert not problems, "\n".join(problems)


def test_app_handler_maps_found_for_services():
    """Which services expose a handler map today (informational; fails only if none at all)."""
    summary = {s: [w for w, _ in wiring(s).subscriptions] for s in SERVICES}
    print("\nhandler maps:", summary)
    assert any(summary.values())


# -- producer side --------------------------------------------------------------------------------
def _is_registry_create(call: ast.Call) -> bool:
    f = call.func
    return (
        isinstance(f, ast.Attribute)
        and f.attr == "create"
        and isinstance(f.value, ast.Name)
        and f.value.id == "REGISTRY"
    )


def produced_literals(source: str) -> tuple[list[tuple[int, str]], int]:
    """(line, event type) literals that reach ``REGISTRY.create``; and the count of calls left unresolved."""
    tree = ast.parse(source)
    mappings: dict[str, list[tuple[int, str]]] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0].id, node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            target, value = node.target.id, node.value
        if target and isinstance(value, ast.Dict):
            mappings[target] = [
                (v.lineno, v.value)
                for v in value.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
    found: list[tuple[int, str]] = []
    unresolved = 0
    wrappers: dict[str, int] = {}  # function name → index of the parameter passed to REGISTRY.create
    for func in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        params = [a.arg for a in func.args.args]
        used_maps = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and n.id in mappings}
        for call in [n for n in ast.walk(func) if isinstance(n, ast.Call) and _is_registry_create(n)]:
            if not call.args:
                continue
            first = call.args[0]
            if isinstance(first, ast.Constant):
                continue  # counted below, once, for the whole module
            if isinstance(first, ast.Name) and first.id in params:
                wrappers[func.name] = params.index(first.id)
            elif used_maps:
                for name in used_maps:
                    found.extend(mappings[name])
            else:
                unresolved += 1
    for call in [n for n in ast.walk(tree) if isinstance(n, ast.Call)]:
        if _is_registry_create(call) and call.args and isinstance(call.args[0], ast.Constant):
            found.append((call.lineno, call.args[0].value))
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        if name in wrappers and len(call.args) > wrappers[name]:
            arg = call.args[wrappers[name]]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((call.lineno, arg.value))
    return found, unresolved


def test_producer_scan_finds_literals_through_maps_and_wrappers():
    source = """
EVENT_TYPES = {A: "x.made", B: "x.gone"}
def emit(uow, e):
    uow.emit(REGISTRY.create(EVENT_TYPES[type(e)], {}))
def _emit(uow, event_type, payload):
    uow.emit(REGISTRY.create(event_type, payload))
def go(uow):
    _emit(uow, "x.wrapped", {})
    REGISTRY.create("x.literal", {})
def dyn(t):
    REGISTRY.create(t.lower(), {})
"""
    found, unresolved = produced_literals(source)
    assert sorted(t for _, t in found) == ["x.gone", "x.literal", "x.made", "x.wrapped"]
    assert unresolved == 1  # dyn computes its type: counted, reported, not checked


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_producer_creates_only_documented_types(service):
    src = REPO / "services" / service / "src"
    files = sorted(src.rglob("*.py"))
    if not files:
        pytest.skip(f"{service}: no source yet")
    documented = set(REGISTRY.event_types())
    unknown, produced, unresolved = [], set(), 0
    for path in files:
        found, left = produced_literals(path.read_text(encoding="utf-8"))
        unresolved += left
        for line, event_type in found:
            produced.add(event_type)
            if event_type not in documented:
                unknown.append(
                    f"{path.relative_to(REPO)}:{line}: REGISTRY.create({event_type!r}) — not documented"
                )
    print(f"\n{service} produces {sorted(produced)}; {unresolved} create() call(s) with a computed type")
    assert not unknown, "\n".join(unknown)
    for event_type in produced:  # a service should only produce what the registry says it produces
        producers = {REGISTRY.spec(event_type, v).producer for v in REGISTRY.versions(event_type)}
        assert service in producers or producers & {"external", "scanning-station"}, (
            f"{service} creates {event_type}, documented as produced by {sorted(producers)}"
        )


def test_topic_matching():
    assert topic_matches("case.*", "case.closed") and not topic_matches("case.*", "case.stage.changed")
    assert topic_matches("case.#", "case.stage.changed") and topic_matches("#", "a.b")
    assert not topic_matches("scan.page.processed", "scan.page.failed")
