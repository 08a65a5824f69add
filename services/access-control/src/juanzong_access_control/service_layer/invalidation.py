"""Cache invalidation across replicas (吉高法〔2020〕11号 第九条: access by grant only while it is valid).

Every replica keeps case facts, grants, verified tokens and the revocation list in memory. The durable
service queue delivers an event to ONE replica, and a change made through the API is known at once only
to the replica that committed it. So every replica also subscribes to a per-process broadcast
(:class:`juanzong_shared.bus.Broadcast`) of the events that change decisions:

* the case events the service consumes (the durable queue still stores their effect, on one replica):
  the case is held out of the cache until that replica's transaction is committed — seen in the
  idempotency ledger — and then forgotten, so no replica caches the facts being replaced;
* the approval events this service emits (a grant issued, revoked or lapsed), published after commit:
  the case's grants are forgotten;
* ``access.token.revoked``: the token is refused from now on.

On (re)connecting to the broker every cache is dropped and the revocation list reloaded: events published
while this replica was disconnected are not delivered to it. The replica that makes a change still
invalidates its own cache inside the committing code path (the fast path); the broadcast repeats it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from juanzong_shared.bus import Broadcast, handles
from juanzong_shared.events import Event, Payload
from juanzong_shared.events.access_control import AccessRequestChanged, TokenRevoked
from juanzong_shared.logging import get_logger

from .decisions import Decisions
from .identities import Revocations, VerifiedTokens

log = get_logger(__name__)

# case events: the case whose facts each changes (the durable handlers in ``cases.py`` change the same one); a
# return to the lower court names the later case: forgetting it also forgets every cached original whose facts
# name it (Decisions._linking)
CASE_EVENTS = ("case.registered", "case.closed", "case.stage.changed", "case.submitted_for_deliberation",
               "archive.archived", "case.original.linked",
               "case.original.unlinked", "case.returned_to_lower_court", "scan.task.created")
# events this service emits after committing a change to a case's grants
GRANT_EVENTS = ("access.request.approved", "access.request.revoked", "access.request.expired")


class Invalidation:
    """The broadcast handlers of one replica. ``committed(ledger_id)`` tells whether the service queue's consumer
    has committed an event's effect (its ledger entry ``<durable_queue>:<event_id>``)."""

    def __init__(self, *, decisions: Decisions, revocations: Revocations, verified_tokens: VerifiedTokens,
                 durable_queue: str, committed: Callable[[str], Awaitable[bool]],
                 hold_limit_seconds: float = 60.0) -> None:
        self.decisions, self.revocations, self.verified_tokens = decisions, revocations, verified_tokens
        self.durable_queue, self.committed, self.hold_limit_seconds = durable_queue, committed, hold_limit_seconds

    @handles(*CASE_EVENTS)
    async def on_case_changed(self, payload: Payload, event: Event) -> None:
        case_number = getattr(payload, "original_case_number", None) or payload.case_number
        ledger_id = f"{self.durable_queue}:{event.event_id}"
        self.decisions.changing_until(case_number, lambda: self.committed(ledger_id),
                                      limit_seconds=self.hold_limit_seconds)

    @handles(*GRANT_EVENTS)
    async def on_grants_changed(self, payload: AccessRequestChanged, event: Event) -> None:
        self.decisions.forget_case(payload.case_number)

    @handles("access.token.revoked")
    async def on_token_revoked(self, payload: TokenRevoked, event: Event) -> None:
        self.revocations.revoke(payload.jti, payload.until)
        self.verified_tokens.forget_jti(payload.jti)

    async def reconnected(self) -> None:
        self.decisions.forget_all()
        self.verified_tokens.clear()
        await self.revocations.reload()
        log.info("decision caches cleared on (re)connecting to the bus")

    def broadcast(self) -> Broadcast:
        return Broadcast([self.on_case_changed, self.on_grants_changed, self.on_token_revoked],
                         on_connect=self.reconnected, name="invalidate")
