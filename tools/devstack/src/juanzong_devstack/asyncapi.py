"""The AsyncAPI 3.0 document of every event and command on the bus, generated from the shared registry.

``python -m juanzong_devstack.asyncapi`` writes ``docs/asyncapi.yaml``; ``--check`` exits 1 when the
committed file differs from what the registry says (CI runs the same comparison as a unit test).

Mapping: one channel per routing key (= ``event_type``) on the topic exchange ``<namespace>.events``; one
message per documented ``(event_type, version)`` whose payload is the envelope's JSON Schema (the same
schema as ``docs/events/<type>.v<n>.json``); one ``send`` operation per channel for its producer
(``x-producer``), and ``x-kind`` says ``event`` or ``command``.
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from juanzong_shared.events import REGISTRY, Event, EventRegistry

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_PATH = REPO_ROOT / "docs" / "asyncapi.yaml"
ASYNCAPI_VERSION = "3.0.0"
SCHEMA_FORMAT = "application/schema+json;version=draft-2020-12"
AMQP_BINDING_VERSION = "0.3.0"
_KEY = re.compile(r"[^A-Za-z0-9_-]")


def component_key(text: str) -> str:
    """AsyncAPI component keys must match ``^[a-zA-Z0-9.\\-_]+$``; keep them readable without dots."""
    return _KEY.sub("-", text.replace(".", "-"))


def build(registry: EventRegistry = REGISTRY, *, version: str = "1.0.0") -> dict[str, Any]:
    """The AsyncAPI document as plain data (deterministic: sorted by event type and version)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    by_type: dict[str, list] = {}
    for spec in registry:
        by_type.setdefault(spec.event_type, []).append(spec)

    for event_type, specs in sorted(by_type.items()):
        channel_id = component_key(event_type)
        if channel_id in channels:
            raise ValueError(f"two event types map to the channel id {channel_id!r}")
        channel_messages = {}
        for spec in specs:
            message_id = f"{component_key(spec.event_type)}-v{spec.version}"
            schema = _rebase_refs(
                registry.json_schema(spec), f"#/components/messages/{message_id}/payload/schema/$defs/"
            )
            messages[message_id] = {
                "name": spec.event_type,
                "title": f"{spec.event_type} v{spec.version}",
                "summary": spec.description.splitlines()[0] if spec.description else spec.event_type,
                "description": spec.description,
                "contentType": "application/json",
                "headers": _HEADERS_REF,
                "correlationId": {"$ref": "#/components/correlationIds/envelope"},
                "payload": {"schemaFormat": SCHEMA_FORMAT, "schema": schema},
                "examples": [
                    {
                        "name": "minimal",
                        "summary": "Required fields only",
                        "payload": sample_event(spec.event_type, spec.version, registry=registry).model_dump(
                            mode="json"
                        ),
                    }
                ],
                "bindings": {
                    "amqp": {"messageType": spec.event_type, "bindingVersion": AMQP_BINDING_VERSION}
                },
                "x-producer": spec.producer,
                "x-kind": spec.kind,
                "x-version": spec.version,
            }
            channel_messages[message_id] = {"$ref": f"#/components/messages/{message_id}"}
        kinds = sorted({s.kind for s in specs})
        producers = sorted({s.producer for s in specs})
        channels[channel_id] = {
            "address": event_type,
            "title": event_type,
            "description": f"Routing key `{event_type}` on the topic exchange `<namespace>.events` "
            f"({', '.join(kinds)}; produced by {', '.join(producers)}).",
            "messages": channel_messages,
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": "juanzong.events",
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": "/",
                    },
                    "bindingVersion": AMQP_BINDING_VERSION,
                }
            },
            "x-kind": kinds[0] if len(kinds) == 1 else kinds,
        }
        operations[f"send-{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "title": f"{producers[0] if len(producers) == 1 else ', '.join(producers)} publishes {event_type}",
            "summary": "Published persistent with publisher confirms, through the producer's outbox.",
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in channel_messages],
            "bindings": {
                "amqp": {"deliveryMode": 2, "mandatory": False, "bindingVersion": AMQP_BINDING_VERSION}
            },
            "x-producer": producers[0] if len(producers) == 1 else producers,
            "x-kind": kinds[0] if len(kinds) == 1 else kinds,
        }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "卷宗 Juanzong integration events",
            "version": version,
            "description": (
                "Every integration event and command on the Juanzong bus, generated from "
                "`juanzong_shared.events.REGISTRY` by `python -m juanzong_devstack.asyncapi` — do not edit by "
                "hand. Each channel is a routing key (the `event_type`) on one topic exchange "
                "`<namespace>.events` (namespace `juanzong` by default); consumers bind durable quorum queues "
                "`<namespace>.<service>[.<name>]` to the keys in their handler map. Messages are the envelope "
                "(event_id, event_type, version, occurred_at, court, case_id, correlation_id, payload) with the "
                "payload schema of that type and version; `x-producer` names the producing service and "
                "`x-kind` says `event` or `command`."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "embedded": {
                "host": "127.0.0.1:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ of the embedded stack (Debian rabbitmq-server).",
            },
            "compose": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ in docker-compose / Kubernetes.",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {"AmqpHeaders": _HEADERS_SCHEMA},
            "correlationIds": {
                "envelope": {
                    "description": "The request's correlation id, carried in the envelope and the AMQP header.",
                    "location": "$message.payload#/correlation_id",
                }
            },
        },
    }


def _rebase_refs(node: Any, prefix: str) -> Any:
    """Pydantic's ``#/$defs/X`` is relative to the stand-alone schema; inside the AsyncAPI document a
    local reference is resolved from the document root, so point it at the message's own ``$defs``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = prefix + value[len("#/$defs/") :]
            else:
                out[key] = _rebase_refs(value, prefix)
        return out
    if isinstance(node, list):
        return [_rebase_refs(v, prefix) for v in node]
    return node


# -- examples built from the schemas (also used by the contract tests) ------------------------------
EXAMPLE_TIME = "2025-06-01T08:30:00Z"
EXAMPLE_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
_STRING_FORMATS = {
    "date-time": EXAMPLE_TIME,
    "date": "2025-06-01",
    "time": "08:30:00",
    "uuid": str(EXAMPLE_ID),
    "email": "clerk@court.example",
    "uri": "https://court.example/x",
    "duration": "P1D",
}


def example_value(schema: dict[str, Any], defs: dict[str, Any], *, full: bool = False, name: str = "") -> Any:
    """A deterministic instance of a (pydantic-generated) JSON Schema: the field's first example, else
    ``const``/first ``enum``/``default``, else the smallest value of its type. ``full`` fills optional
    properties too, so both the minimal and the complete shape of a payload can be exercised."""
    if "$ref" in schema:
        return example_value(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, full=full, name=name)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return example_value(options[0], defs, full=full, name=name)
    if "allOf" in schema:
        return example_value(schema["allOf"][0], defs, full=full, name=name)
    if "default" in schema and not full:
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        wanted = props if full else {k: props[k] for k in schema.get("required", [])}
        out = {k: example_value(v, defs, full=full, name=k) for k, v in wanted.items()}
        extra = schema.get("additionalProperties")
        if full and not props and isinstance(extra, dict):
            out["key"] = example_value(extra, defs, full=full, name="key")
        return out
    if kind == "array":
        count = max(int(schema.get("minItems", 0)), 1 if full else 0)
        items = schema.get("items", {})
        if "prefixItems" in schema:
            return [example_value(i, defs, full=full) for i in schema["prefixItems"]]
        return [example_value(items, defs, full=full, name=name) for _ in range(count)]
    if kind == "string":
        if schema.get("format") in _STRING_FORMATS:
            return _STRING_FORMATS[schema["format"]]
        text = f"示例-{name}" if name else "示例"
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        text = text + "x" * max(0, low - len(text))
        return text[:high] if high is not None else text
    if kind in ("integer", "number"):
        value = schema.get(
            "minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0)
        )
        value = max(value, 1) if "maximum" not in schema or schema["maximum"] >= 1 else value
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return f"示例-{name}" if name else "示例"


def example_payload(
    event_type: str, version: int, *, full: bool = False, registry: EventRegistry = REGISTRY
) -> dict[str, Any]:
    schema = registry.spec(event_type, version).payload.model_json_schema()
    return example_value(schema, schema.get("$defs", {}), full=full)


def sample_event(
    event_type: str, version: int | None = None, *, full: bool = False, registry: EventRegistry = REGISTRY
) -> Event:
    """A schema-valid event of that type and version (validated by ``registry.create``)."""
    spec = registry.spec(event_type, version)
    event = registry.create(
        spec.event_type,
        example_payload(spec.event_type, spec.version, full=full, registry=registry),
        version=spec.version,
        court="吉01",
        case_id="（2025）吉01民终123号",
        correlation_id="example-correlation-id",
        event_id=EXAMPLE_ID,
    )
    return event.model_copy(update={"occurred_at": datetime(2025, 6, 1, 8, 30, tzinfo=UTC)})


_HEADERS_REF = {"$ref": "#/components/schemas/AmqpHeaders"}
_HEADERS_SCHEMA = {
    "type": "object",
    "description": "AMQP headers set by Bus.publish; retries and dead letters add x-jz-* headers.",
    "properties": {
        "event_type": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "x-correlation-id": {"type": "string"},
        "x-jz-attempt": {"type": "integer", "description": "Attempt number of a retried message."},
        "x-jz-attempts": {"type": "integer", "description": "Attempts made, on a dead-lettered message."},
        "x-jz-failure-reason": {
            "type": "string",
            "description": "Why a message was retried or dead-lettered.",
        },
    },
    "required": ["event_type", "version"],
}


class _Dumper(yaml.SafeDumper):
    """No anchors/aliases: every message stays readable on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(document: dict[str, Any] | None = None) -> str:
    document = document if document is not None else build()
    header = (
        "# Generated by `python -m juanzong_devstack.asyncapi` from juanzong_shared.events.REGISTRY.\n"
        "# Do not edit by hand: change the event specs and regenerate.\n"
    )
    return header + yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m juanzong_devstack.asyncapi", description=__doc__.splitlines()[0]
    )
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help="output file (docs/asyncapi.yaml)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not up to date")
    args = parser.parse_args(argv)
    path = Path(args.path)
    text = render()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is stale: run python -m juanzong_devstack.asyncapi", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    doc = build()
    print(f"wrote {path}: {len(doc['channels'])} channels, {len(doc['components']['messages'])} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
