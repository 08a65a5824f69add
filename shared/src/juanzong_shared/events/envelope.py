"""The integration-event envelope and the registry of event types.

Every message on the bus — integration events and the few commands scanning stations send — is an
:class:`Event`: a frozen envelope whose ``payload`` is validated against the registered payload model of
its ``event_type`` and ``version``. Routing uses ``event_type`` (the routing key), never a class name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from juanzong_shared.logging import get_correlation_id


class Payload(BaseModel):
    """Base of every payload model: frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(BaseModel):
    """The envelope. ``payload`` holds the JSON form of the registered payload model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str = Field(..., pattern=r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$", examples=["scan.page.processed"])
    version: int = Field(1, ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    court: str | None = Field(None, examples=["吉01"])
    case_id: str | None = Field(None, examples=["（2025）吉01民终123号"])
    correlation_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone (UTC)")
        return value.astimezone(UTC)

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        return cls.model_validate_json(data)


@dataclass(frozen=True)
class EventSpec:
    """One documented event type and version: who produces it and what its payload holds."""

    event_type: str
    version: int
    payload: type[Payload]
    producer: str
    description: str
    kind: Literal["event", "command"] = "event"


class UnknownEventType(LookupError):
    pass


class EventRegistry:
    """Event types by ``(event_type, version)``; built from an explicit list, never by import side effect."""

    def __init__(self, specs: Iterable[EventSpec]) -> None:
        self._specs: dict[tuple[str, int], EventSpec] = {}
        for spec in specs:
            key = (spec.event_type, spec.version)
            if key in self._specs:
                raise ValueError(f"event type {spec.event_type} v{spec.version} registered twice")
            self._specs[key] = spec

    def __iter__(self):
        return iter(sorted(self._specs.values(), key=lambda s: (s.event_type, s.version)))

    def __contains__(self, key: tuple[str, int]) -> bool:
        return key in self._specs

    def spec(self, event_type: str, version: int | None = None) -> EventSpec:
        if version is None:
            versions = [v for (t, v) in self._specs if t == event_type]
            if not versions:
                raise UnknownEventType(f"unknown event type {event_type!r}")
            version = max(versions)
        try:
            return self._specs[(event_type, version)]
        except KeyError:
            raise UnknownEventType(f"unknown event type {event_type!r} version {version}") from None

    def versions(self, event_type: str) -> list[int]:
        return sorted(v for (t, v) in self._specs if t == event_type)

    def event_types(self) -> list[str]:
        return sorted({t for (t, _) in self._specs})

    def create(self, event_type: str, payload: Payload | dict[str, Any], *, court: str | None = None,
               case_id: str | None = None, version: int | None = None,
               correlation_id: str | None = None, event_id: uuid.UUID | None = None) -> Event:
        """Build a validated event; the correlation id defaults to the current request's."""
        spec = self.spec(event_type, version)
        model = payload if isinstance(payload, spec.payload) else spec.payload.model_validate(
            payload.model_dump() if isinstance(payload, BaseModel) else payload)
        kwargs: dict[str, Any] = {}
        if event_id is not None:
            kwargs["event_id"] = event_id
        return Event(event_type=event_type, version=spec.version, court=court, case_id=case_id,
                     correlation_id=correlation_id or get_correlation_id(),
                     payload=model.model_dump(mode="json"), **kwargs)

    def parse_payload(self, event: Event) -> Payload:
        """Validate an incoming event's payload against its registered model (raises on mismatch)."""
        return self.spec(event.event_type, event.version).payload.model_validate(event.payload)

    def validate(self, event: Event) -> list[str]:
        """Problems with an event, empty when it matches its schema."""
        try:
            self.parse_payload(event)
        except UnknownEventType as error:
            return [str(error)]
        except ValidationError as error:
            return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return []

    def json_schema(self, spec: EventSpec) -> dict[str, Any]:
        envelope = Event.model_json_schema()
        payload = spec.payload.model_json_schema(ref_template="#/$defs/{model}")
        defs = {**envelope.pop("$defs", {}), **payload.pop("$defs", {})}
        envelope["properties"]["event_type"] = {"const": spec.event_type, "type": "string"}
        envelope["properties"]["version"] = {"const": spec.version, "type": "integer"}
        envelope["properties"]["payload"] = payload
        envelope["required"] = sorted(set(envelope.get("required", [])) | {"event_type", "payload"})
        envelope["title"] = f"{spec.event_type} v{spec.version}"
        envelope["description"] = spec.description
        envelope["x-producer"] = spec.producer
        envelope["x-kind"] = spec.kind
        envelope["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        if defs:
            envelope["$defs"] = defs
        return envelope

    def export_schemas(self, folder: Path) -> list[Path]:
        """Write one JSON Schema per event type and version (``docs/events/``)."""
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for spec in self:
            path = folder / f"{spec.event_type}.v{spec.version}.json"
            path.write_text(json.dumps(self.json_schema(spec), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                            encoding="utf-8")
            written.append(path)
        return written
