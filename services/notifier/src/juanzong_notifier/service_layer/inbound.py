"""From the bus envelope to the domain's :class:`InboundEvent`.

The producers' payloads (``juanzong_shared.events``) do not always carry the
fields the rules were written against; this is the one place that bridges them:

* the moment a step happened is the payload's business time (``closed_at``,
  ``registered_at``, ``at``) when there is one, else the envelope's ``occurred_at``
  — except ``case.hearing.scheduled``, whose ``at`` is the hearing itself
  (→ ``hearing_at``, 长中法〔2018〕129号 第七条 counts back from it);
* ``scan.task.*`` name their task ``task_id`` (→ ``scan_task_id``) and carry no
  ``stage``: a scan task without one counts as the filing stage for the 立案材料
  交付 rule (吉高法〔2020〕11号 第五条(一)) — that clock stops at the first one anyway;
* hearings without ``hearing_id`` are keyed by their date in Asia/Shanghai, so
  ``case.hearing.scheduled``/``held`` and the external 智能庭审 event meet;
* ``catalog.dossier.catalogued`` counts ``documents`` (→ ``documents_total``), a
  missing ``stage`` is the filing stage (as the indicator definitions read it);
* ``catalog.dossier.read`` is the domain's ``catalog.dossier.read_online``;
* ``archive.archived`` says ``automatic`` (→ ``converted_automatically``);
* ``dossier.requested``/``delivered`` (法〔2016〕264号 三(五)) are clocks of the
  *holding* court on the original case, keyed by ``request_id`` (default
  ``<requesting court>:<requesting case>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from juanzong_shared.events import Event
from pydantic import TypeAdapter, ValidationError

from juanzong_notifier.domain.calendar import to_shanghai
from juanzong_notifier.domain.events import EventType, InboundEvent

BUS_TO_DOMAIN: dict[str, str] = {"catalog.dossier.read": EventType.CATALOG_DOSSIER_READ_ONLINE.value}
DOMAIN_TO_BUS: dict[str, str] = {v: k for k, v in BUS_TO_DOMAIN.items()}

_TIME_FIELDS = ("closed_at", "registered_at", "at")
_DATETIME = TypeAdapter(datetime)
_HEARING_TYPES = {"case.hearing.scheduled", "case.hearing.held", "trial.smart_session.held"}


class UnmappableEvent(ValueError):
    """The envelope lacks what every rule needs (a court or a case)."""


def _moment(raw: Any) -> datetime | None:
    if raw is None:
        return None
    try:
        value = _DATETIME.validate_python(raw)
    except ValidationError:
        return None
    return value if value.tzinfo is not None else None


def bus_type(domain_type: str) -> str:
    return DOMAIN_TO_BUS.get(domain_type, domain_type)


def to_inbound(event: Event, *, court_of_case: str | None = None) -> InboundEvent:
    """Map one bus event onto the domain event (see the module docstring)."""
    p: dict[str, Any] = dict(event.payload)
    etype = BUS_TO_DOMAIN.get(event.event_type, event.event_type)
    court = event.court or p.get("court") or court_of_case
    case_id = event.case_id or p.get("case_number")
    occurred = event.occurred_at
    if etype != EventType.CASE_HEARING_SCHEDULED:
        for name in _TIME_FIELDS:
            found = _moment(p.get(name))
            if found is not None:
                occurred = found
                break

    if etype.startswith("scan.task."):
        if "task_id" in p:
            p.setdefault("scan_task_id", p["task_id"])
        p.setdefault("stage", "filing")
    if etype in _HEARING_TYPES:
        hearing_at = _moment(p.get("hearing_at")) or _moment(p.get("at")) or occurred
        if etype == EventType.CASE_HEARING_SCHEDULED:
            p.setdefault("hearing_at", hearing_at.isoformat())
        if not p.get("hearing_id"):
            p["hearing_id"] = to_shanghai(hearing_at).date().isoformat()
    if etype == EventType.CATALOG_DOSSIER_CATALOGUED:
        if "documents_total" not in p and "documents" in p:
            p["documents_total"] = p["documents"]
        if not p.get("stage"):
            p["stage"] = "filing"
    if etype == EventType.ARCHIVE_ARCHIVED and "converted_automatically" not in p:
        p["converted_automatically"] = bool(p.get("automatic", False))
    if etype in (EventType.DOSSIER_REQUESTED, EventType.DOSSIER_DELIVERED):
        court = p.get("holding_court") or court
        requesting = p.get("requesting_court") or event.court or ""
        p.setdefault("request_id", None)
        if not p["request_id"]:
            p["request_id"] = f"{requesting}:{p.get('case_number') or event.case_id}"
        case_id = p.get("original_case_number") or case_id

    if not court:
        raise UnmappableEvent(f"{event.event_type} {event.event_id}: no court in the envelope or payload")
    if not case_id:
        raise UnmappableEvent(f"{event.event_type} {event.event_id}: no case_id or payload.case_number")
    return InboundEvent(
        id=str(event.event_id), type=etype, occurred_at=occurred, court=court, case_id=case_id, payload=p
    )
