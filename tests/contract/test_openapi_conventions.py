"""Conventions for the people who call the APIs (issue 21), read from each service's OpenAPI document:

- every operation shows an example (of a parameter, its request body or its success answer), so an integrator sees
  what to send and what comes back;
- no answer schema has a database ``_id``;
- every list answer has the one shape, ``juanzong_shared.pagination.Page`` (items, total, limit, offset, next_offset).
"""

from __future__ import annotations

import functools
import importlib

import pytest
from juanzong_devstack.stack import SERVICES

pytestmark = pytest.mark.unit

OPERATIONS_OUTSIDE = {"/healthz", "/readyz", "/metrics"}
PAGE_FIELDS = {"items", "total", "limit", "offset", "next_offset"}


@functools.cache
def _spec(service: str) -> dict:
    return importlib.import_module(SERVICES[service]).create_app().openapi()


def _resolve(node: dict, components: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        node = components.get(node["$ref"].split("/")[-1], {})
    return node


def _has_example(node, components: dict, seen: frozenset = frozenset()) -> bool:
    if isinstance(node, dict):
        if "example" in node or "examples" in node:
            return True
        if "$ref" in node:
            name = node["$ref"].split("/")[-1]
            return name not in seen and _has_example(components.get(name, {}), components, seen | {name})
        return any(_has_example(value, components, seen) for value in node.values())
    if isinstance(node, list):
        return any(_has_example(value, components, seen) for value in node)
    return False


def _operations(spec: dict):
    for path, operations in spec["paths"].items():
        if path in OPERATIONS_OUTSIDE:
            continue
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_operation_shows_an_example(service):
    spec = _spec(service)
    components = spec.get("components", {}).get("schemas", {})
    missing = []
    for name, operation in _operations(spec):
        parts = [operation.get("parameters", []), operation.get("requestBody", {})]
        parts += [answer for code, answer in operation.get("responses", {}).items() if code.startswith("2")]
        if not _has_example(parts, components):
            missing.append(name)
    assert not missing, f"operations without any example: {missing}"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_no_answer_carries_a_database_id(service):
    components = _spec(service).get("components", {}).get("schemas", {})
    with_id = sorted(name for name, schema in components.items() if "_id" in schema.get("properties", {}))
    assert not with_id, f"schemas with a database _id: {with_id}"


def test_page_shape_is_the_shared_one():
    from juanzong_shared.pagination import Page

    page = Page[int].of([1, 2, 3], limit=2)
    assert set(page.model_dump()) == PAGE_FIELDS
    assert page.items == [1, 2] and page.next_offset == 2
    assert Page[int].of([1], limit=2, offset=4, total=5).next_offset is None
    assert Page[int].of([1, 2], limit=2, offset=0, total=5).next_offset == 2
