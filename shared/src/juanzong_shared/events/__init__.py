"""Integration events: the envelope, the registry and every documented event type."""

from juanzong_shared.events import access_control, archive, catalog, intake, notifier, scan_ocr
from juanzong_shared.events.envelope import Event, EventRegistry, EventSpec, Payload, UnknownEventType

REGISTRY = EventRegistry([
    *intake.SPECS, *scan_ocr.SPECS, *catalog.SPECS, *archive.SPECS, *access_control.SPECS, *notifier.SPECS,
])

__all__ = ["REGISTRY", "Event", "EventRegistry", "EventSpec", "Payload", "UnknownEventType"]
