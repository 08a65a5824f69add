"""The integration-event envelope and the registry of event types.

Every message on the bus — integration events and the few commands scanning stations send — is an
:class:`Event`: a frozen envelope whose ``payload`` is validated against the registered payload model of
its ``event_type`` and ``version``. Routing uses ``event_type`` (the routing key), never a class name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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
    case_number: str | None = Field(None, examples=["（2025）吉01民终123号"], description="案号 of the case concerned")
    case_id: str | None = Field(None, deprecated=True, examples=["（2025）吉01民终123号"],
                                description="The 案号 under its first, misleading name: written equal to "
                                            "case_number while readers of the first envelope remain; read case_number")
    correlation_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _case_number_window(cls, data: Any) -> Any:
        # envelope v2 names the 案号 ``case_number``; until every reader has moved, both are written and either read
        if isinstance(data, dict):
            number, old = data.get("case_number"), data.get("case_id")
            if number is not None and old is not None and number != old:
                raise ValueError("case_number and case_id name different cases")
            if number is None and old is not None:
                data = {**data, "case_number": old}
            elif old is None and number is not None:
                data = {**data, "case_id": number}
        return data

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
    # for a superseded version: turns its payload (JSON form) into the next version's, so that a consumer reads
    # every version still in flight as the newest model (the window while producers move)
    upgrade: Callable[[dict[str, Any]], dict[str, Any]] | None = None


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
        # a payload model names its event type when it is the newest version's model of exactly one type
        latest = [self.spec(t) for t in self.event_types()]
        self._by_model: dict[type[Payload], EventSpec | None] = {}
        for spec in latest:
            self._by_model[spec.payload] = None if spec.payload in self._by_model else spec

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
               correlation_id: str | None = None, event_id: uuid.UUID | None = None,
               case_number: str | None = None) -> Event:
        """Build a validated event; the correlation id defaults to the current request's."""
        spec = self.spec(event_type, version)
        model = payload if isinstance(payload, spec.payload) else spec.payload.model_validate(
            payload.model_dump() if isinstance(payload, BaseModel) else payload)
        kwargs: dict[str, Any] = {}
        if event_id is not None:
            kwargs["event_id"] = event_id
        return Event(event_type=event_type, version=spec.version, court=court, case_number=case_number or case_id,
                     correlation_id=correlation_id or get_correlation_id(),
                     payload=model.model_dump(mode="json"), **kwargs)

    def spec_of(self, payload: Payload) -> EventSpec:
        """The event type a payload model stands for (its class is the newest version's model of one type)."""
        spec = self._by_model.get(type(payload))
        if spec is None:
            raise UnknownEventType(f"{type(payload).__name__} is not the payload of exactly one current event type; "
                                   "name the event type")
        return spec

    def event(self, payload: Payload, *, court: str | None = None, case_number: str | None = None,
              event_type: str | None = None, correlation_id: str | None = None,
              event_id: uuid.UUID | None = None) -> Event:
        """The envelope for a typed payload: the event type and version come from the payload's model."""
        spec = self.spec(event_type) if event_type else self.spec_of(payload)
        if not isinstance(payload, spec.payload):
            raise TypeError(f"{spec.event_type} v{spec.version} carries {spec.payload.__name__}, "
                            f"not {type(payload).__name__}")
        kwargs: dict[str, Any] = {"event_id": event_id} if event_id is not None else {}
        return Event(event_type=spec.event_type, version=spec.version, court=court, case_number=case_number,
                     correlation_id=correlation_id or get_correlation_id(),
                     payload=payload.model_dump(mode="json"), **kwargs)

    def parse_payload(self, event: Event) -> Payload:
        """Validate an incoming event's payload against its registered model (raises on mismatch)."""
        return self.spec(event.event_type, event.version).payload.model_validate(event.payload)

    def read_payload(self, event: Event) -> Payload:
        """The payload as the newest version's model: an older version is validated against its own model, then
        upgraded step by step (each superseded spec says how)."""
        spec = self.spec(event.event_type, event.version)
        data = spec.payload.model_validate(event.payload).model_dump(mode="json")
        newest = max(self.versions(event.event_type))
        version = spec.version
        while version < newest:
            if spec.upgrade is None:
                raise UnknownEventType(f"{event.event_type} v{version} has no upgrade to v{version + 1}")
            data = spec.upgrade(data)
            version += 1
            spec = self.spec(event.event_type, version)
        return spec.payload.model_validate(data)

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
