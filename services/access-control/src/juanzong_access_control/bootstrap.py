"""Wiring: builds the service's parts from the runtime's clients (no clients at import time, nothing bound late)
and keeps them on ``app.state.ac``; the background loop for expiries and reminders."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from datetime import timedelta

from juanzong_shared.auth import TokenVerifier
from juanzong_shared.bus import Subscription
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import already_processed
from juanzong_shared.runtime import Runtime, Wiring
from juanzong_shared.storage import ObjectStore

from .adapters import receipts
from .adapters import tokens as tk
from .adapters.audit_chain import AuditChain, Checkpoints, CheckpointSettings
from .adapters.keys import load_signing_key
from .adapters.repository import INDEXES, MongoFailureCounter, Repositories, repositories
from .config import ServiceSettings
from .service_layer.approvals import Approvals
from .service_layer.borrowings import Borrowings
from .service_layer.cases import CaseEvents
from .service_layer.decisions import Decisions
from .service_layer.identities import Identities, LoginLimits, LoginThrottle, Revocations, VerifiedTokens
from .service_layer.invalidation import Invalidation
from .service_layer.seed import apply_client_secrets, seed_demo

__all__ = ["INDEXES", "AccessControl", "bootstrap", "repositories"]

log = get_logger(__name__)


@dataclass
class AccessControl:
    settings: ServiceSettings
    reads: Repositories  # outside a unit of work
    signing_key: tk.SigningKey
    key_source: str
    tokens: tk.TokenService
    revocations: Revocations
    identities: Identities
    audit: AuditChain
    decisions: Decisions
    approvals: Approvals
    borrowings: Borrowings
    verified_tokens: VerifiedTokens
    checkpoints: Checkpoints  # the audit chain's head, signed, in write-once storage

    async def start(self) -> None:
        """Read what start-up needs from the database: the revocation list, the audit chain's tail and its last
        checkpoint; seed the demo accounts (development) and the clients' secrets."""
        settings = self.settings
        receipts.use_signing_key(self.signing_key)  # decision receipts verify on every replica that holds this key
        await self.revocations.reload()
        await self.audit.start()
        self.checkpoints.start()
        client_secrets = settings.load_client_secrets()  # one secret per client, never a shared one
        seeded = await seed_demo(self.reads.accounts, client_secrets) if settings.seed_enabled else False
        if client_secrets:
            await apply_client_secrets(self.reads.accounts, client_secrets)
        # The decision path allocates little that lives, but a full (generation 2) collection walks every object
        # made at start-up — tens of ms on this service, a stall for every request queued behind it. Move what
        # start-up made out of the collector's reach; later garbage is collected as before.
        gc.collect()
        gc.freeze()
        log.info("access-control ready", signing_key=self.key_source, kid=self.signing_key.kid, demo_seeded=seeded)

    async def stop(self) -> None:
        await self.audit.stop()  # drains queued audit records
        await self.checkpoints.stop()  # anchors the last head

    async def housekeeping(self) -> None:
        """Expire requests and grants, send overdue and explanation reminders, reload revocations."""
        while True:
            for name, job in (("expire", self.approvals.expire_due), ("chase", self.borrowings.chase),
                              ("revocations", self.revocations.reload)):
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 — one failing step must not stop the loop
                    log.warning("housekeeping step failed", step=name, error=str(error))
            await asyncio.sleep(self.settings.housekeeping_seconds)


def build(runtime: Runtime) -> AccessControl:
    """The service's parts from the runtime's clients, without I/O."""
    settings: ServiceSettings = runtime.settings
    key, source = load_signing_key(settings.access_signing_key_file, settings.data_dir, settings.environment)
    reads = Repositories(runtime.mongo.db)
    revocations = Revocations(reads.revoked)
    tokens = tk.TokenService(key, issuer=settings.jwt_issuer, default_audience=settings.jwt_audience,
                             revocations=revocations, client_id="juanzong-access-control",
                             access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
                             refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds))
    audit = AuditChain(runtime.mongo)
    checkpoints = Checkpoints(audit, ObjectStore(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key,
                                                 secure=settings.s3_secure, region=settings.s3_region),
                              key, tokens.verification_keys, namespace=runtime.mongo.db.name,
                              settings=CheckpointSettings.of(settings))
    decisions = Decisions(reads.cases, audit, cache_seconds=settings.facts_cache_seconds,
                          max_age=settings.decision_max_age_seconds, load_grants=reads.requests.grants,
                          load_scan_task=reads.cases.scan_task_case, load_station=reads.accounts.client_principal)
    throttle = LoginThrottle(MongoFailureCounter(runtime.mongo.db), LoginLimits.of(settings))
    return AccessControl(
        settings=settings, reads=reads, signing_key=key, key_source=source, tokens=tokens, revocations=revocations,
        identities=Identities(tokens, revocations, reads.accounts, throttle, transact=runtime.transact,
                              password_grant=settings.password_grant_enabled),
        audit=audit, decisions=decisions,
        approvals=Approvals(runtime.transact, reads.requests, reads.accounts, decisions, audit),
        borrowings=Borrowings(runtime.transact, reads.borrowings, reads.accounts, decisions, audit),
        verified_tokens=VerifiedTokens(), checkpoints=checkpoints)


async def bootstrap(runtime: Runtime) -> Wiring:
    ac = build(runtime)
    cases = Subscription(handlers=CaseEvents(ac.decisions).handlers)
    # every replica hears of every change to decisions (the durable queue reaches one replica only); the durable
    # queue's ledger tells when a case event's effect is stored
    invalidation = Invalidation(
        decisions=ac.decisions, revocations=ac.revocations, verified_tokens=ac.verified_tokens,
        durable_queue=cases.queue_name(runtime.settings.bus_namespace, runtime.settings.service_name),
        committed=lambda ledger_id: already_processed(runtime.mongo, ledger_id),
        hold_limit_seconds=runtime.settings.invalidation_hold_seconds)
    # Our own verifier uses the in-process public key: this service cannot fetch its JWKS before it is up.
    verifier = TokenVerifier(issuer=runtime.settings.jwt_issuer, audience=runtime.settings.jwt_audience,
                             public_key_pem=ac.signing_key.public_pem())
    return Wiring(subscriptions=[cases], broadcasts=[invalidation.broadcast()], on_startup=[ac.start],
                  background=[ac.housekeeping], services={"ac": ac, "token_verifier": verifier},
                  on_shutdown=[ac.stop])
