"""docs/asyncapi.yaml: up to date with the shared event registry, and a well-formed AsyncAPI 3.0 document.

Regenerate with ``.venv/bin/python -m juanzong_devstack.asyncapi``.
"""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from juanzong_devstack import asyncapi
from juanzong_devstack.asyncapi import sample_event
from juanzong_shared.events import REGISTRY
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

pytestmark = pytest.mark.unit

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
KEY = re.compile(r"^[A-Za-z0-9.\-_]+$")


@pytest.fixture(scope="module")
def document() -> dict:
    assert DOC_PATH.exists(), "docs/asyncapi.yaml missing: run python -m juanzong_devstack.asyncapi"
    return yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))


def resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"dangling $ref {ref}"
        node = node[part]
    return node


def test_committed_document_is_not_stale():
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    assert current == asyncapi.render(), (
        "docs/asyncapi.yaml is stale: run .venv/bin/python -m juanzong_devstack.asyncapi and commit it"
    )


def test_required_asyncapi3_fields(document):
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert document["defaultContentType"] == "application/json"
    for name, server in document["servers"].items():
        assert KEY.match(name)
        assert server["host"] and server["protocol"] == "amqp"
    for section in ("channels", "operations"):
        assert document[section], section
        for key in document[section]:
            assert KEY.match(key), f"{section} key {key!r} not allowed"
    for key in document["components"]["messages"]:
        assert KEY.match(key), key


def test_one_channel_per_routing_key_and_every_message_registered(document):
    addresses = {c["address"]: c for c in document["channels"].values()}
    assert set(addresses) == set(REGISTRY.event_types())
    documented = set()
    for channel_id, channel in document["channels"].items():
        assert channel["bindings"]["amqp"]["is"] == "routingKey"
        assert channel["bindings"]["amqp"]["exchange"]["type"] == "topic"
        for message_id, ref in channel["messages"].items():
            message = resolve(document, ref["$ref"])
            assert message["name"] == channel["address"]
            spec = REGISTRY.spec(message["name"], message["x-version"])
            assert message["x-producer"] == spec.producer
            assert message["x-kind"] in ("event", "command") and message["x-kind"] == spec.kind
            documented.add((spec.event_type, spec.version))
    assert documented == {(s.event_type, s.version) for s in REGISTRY}


def test_operations_send_on_existing_channels_with_their_messages(document):
    channels_with_op = set()
    for op_id, op in document["operations"].items():
        assert op["action"] in ("send", "receive"), op_id
        channel = resolve(document, op["channel"]["$ref"])
        channels_with_op.add(channel["address"])
        assert op["x-producer"]
        for ref in op["messages"]:
            # AsyncAPI 3: an operation's messages must be a subset of its channel's messages
            prefix = op["channel"]["$ref"] + "/messages/"
            assert ref["$ref"].startswith(prefix), (op_id, ref)
            resolve(document, ref["$ref"])
    assert channels_with_op == set(REGISTRY.event_types())


def test_every_ref_in_the_document_resolves(document):
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    resolve(document, value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


def test_every_payload_is_a_valid_json_schema_that_accepts_a_sample(document):
    # Refs inside payloads point into the document (#/components/messages/<id>/payload/schema/$defs/...),
    # so validate through a registry holding the whole document.
    registry = Registry().with_resource(
        "urn:asyncapi", Resource(contents=document, specification=DRAFT202012)
    )
    for message_id, message in document["components"]["messages"].items():
        payload = message["payload"]
        assert payload["schemaFormat"].startswith("application/schema+json")
        schema = payload["schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["event_type"]["const"] == message["name"]
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"urn:asyncapi#/components/messages/{message_id}/payload/schema"}, registry=registry
        )
        sample = sample_event(message["name"], message["x-version"]).model_dump(mode="json")
        errors = sorted(validator.iter_errors(sample), key=str)
        assert not errors, f"{message_id}: {errors[0].message}"
        wrong = {**sample, "event_type": "no.such.type"}
        assert not validator.is_valid(wrong), message_id
