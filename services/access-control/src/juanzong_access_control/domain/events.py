"""Domain events: what happened inside access control, past tense, for the audit trail and notifier.

They stay inside the service; the service layer maps the ones other services care about to
integration events of the shared library.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_type: str
    occurred_at: AwareDatetime
    case_id: str
    actor_id: str
