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

from collections.abc import Callable
from datetime import datetime

from juanzong_shared.bus import Broadcast, BroadcastHandler
from juanzong_shared.db import Mongo
from juanzong_shared.events import REGISTRY, Event
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import already_processed

from .decisions import Decisions
from .identities import Revocations, VerifiedTokens

log = get_logger(__name__)

# case event → the case whose facts it changes (the durable handlers in ``cases.py`` change the same one)
CASE_OF: dict[str, Callable[[object], str]] = {
    "case.registered": lambda p: p.case_number,
    "case.closed": lambda p: p.case_number,
    "case.stage.changed": lambda p: p.case_number,
    "archive.archived": lambda p: p.case_number,
    "case.original.linked": lambda p: p.original_case_number,
    "case.original.unlinked": lambda p: p.original_case_number,
    # the later case: forgetting it also forgets every cached original whose facts name it (Decisions._linking)
    "case.returned_to_lower_court": lambda p: p.case_number,
    "scan.task.created": lambda p: p.case_number,
}
# events this service emits after committing a change to a case's grants
GRANT_EVENTS = ("access.request.approved", "access.request.revoked", "access.request.expired")
TOKEN_REVOKED = "access.token.revoked"


def invalidation_broadcast(*, mongo: Mongo, durable_queue: str, decisions: Decisions, revocations: Revocations,
                           verified_tokens: VerifiedTokens, hold_limit_seconds: float = 60.0) -> Broadcast:
    """The broadcast subscription of one replica. ``durable_queue`` is the service queue whose ledger entry
    (``<queue>:<event_id>``) says that a case event's effect is committed."""

    async def case_changed(event: Event) -> None:
        payload = REGISTRY.parse_payload(event)
        case_number = CASE_OF[event.event_type](payload)
        ledger_id = f"{durable_queue}:{event.event_id}"
        decisions.changing_until(case_number, lambda: already_processed(mongo, ledger_id),
                                 limit_seconds=hold_limit_seconds)

    async def grants_changed(event: Event) -> None:
        case_number = event.payload.get("case_number") or event.case_id
        if case_number:
            decisions.forget_case(case_number)

    async def token_revoked(event: Event) -> None:
        payload = REGISTRY.parse_payload(event)
        until: datetime = payload.until
        revocations.revoke(payload.jti, until)
        verified_tokens.forget_jti(payload.jti)

    async def reconnected() -> None:
        decisions.forget_all()
        verified_tokens.clear()
        await revocations.reload()
        log.info("decision caches cleared on (re)connecting to the bus")

    handlers: dict[str, list[BroadcastHandler]] = {t: [case_changed] for t in CASE_OF}
    handlers |= {t: [grants_changed] for t in GRANT_EVENTS}
    handlers[TOKEN_REVOKED] = [token_revoked]
    return Broadcast(handlers, on_connect=reconnected, name="invalidate")
