"""Every integration event: JSON round trip, schema validity, and the exported schemas are current."""

import json
import types
import typing
import uuid
from datetime import date, UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel

from juanzong_shared.events import REGISTRY, Event

pytestmark = pytest.mark.unit
DOCS = Path(__file__).resolve().parents[3] / "docs" / "events"


def sample(annotation):
    """A value of the annotated type (the shortest that validates) for building example payloads."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in typing.get_args(annotation) if a is not type(None)))
    if origin in (list, tuple, set):
        return [sample(typing.get_args(annotation)[0])]
    if origin is dict:
        return {}
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {n: sample(f.annotation) for n, f in annotation.model_fields.items() if f.is_required()}
    return {str: "x", int: 1, float: 0.5, bool: True, datetime: datetime.now(UTC).isoformat(),
            date: datetime.now(UTC).date().isoformat(), uuid.UUID: str(uuid.uuid4())}.get(annotation, "x")


SPECS = list(REGISTRY)


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s.event_type}.v{s.version}" for s in SPECS])
def test_round_trip_and_schema(spec):
    payload = sample(spec.payload)
    event = REGISTRY.create(spec.event_type, payload, court="吉01", case_id="（2025）吉01民终1号", version=spec.version)
    again = Event.from_json(event.to_json())
    assert again == event
    assert REGISTRY.validate(again) == []
    jsonschema.validate(json.loads(event.to_json()), REGISTRY.json_schema(spec))


def test_wrong_payload_is_refused():
    with pytest.raises(Exception):
        REGISTRY.create("case.closed", {"case_number": "x"})  # closed_at missing
    bad = Event(event_type="case.closed", payload={"case_number": 1})
    assert REGISTRY.validate(bad)


def test_naive_timestamps_refused():
    with pytest.raises(ValueError):
        Event(event_type="case.closed", occurred_at=datetime(2025, 1, 1))


def test_exported_schemas_are_current(tmp_path):
    REGISTRY.export_schemas(tmp_path)
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.json")}
    assert generated == committed, "run: .venv/bin/python -m juanzong_shared.events.export"
