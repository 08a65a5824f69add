"""Wiring: builds the service's parts at start-up (no clients at import time) and keeps them on
``app.state.ac``; the background loop for expiries and reminders."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI
from juanzong_shared.auth import TokenVerifier
from juanzong_shared.db import Mongo
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.storage import ObjectStore

from .adapters import receipts
from .adapters import tokens as tk
from .adapters.audit_chain import AuditChain, Checkpoints, CheckpointSettings
from .adapters.keys import load_signing_key
from .config import ServiceSettings
from .service_layer.approvals import Approvals
from .service_layer.borrowings import Borrowings
from .service_layer.cases import CaseRecords
from .service_layer.decisions import Decisions
from .service_layer.identities import Identities, LoginLimits, Revocations, VerifiedTokens
from .service_layer.invalidation import invalidation_broadcast
from .service_layer.seed import apply_client_secrets, seed_demo

log = get_logger(__name__)


@dataclass
class AccessControl:
    settings: ServiceSettings
    mongo: Mongo
    signing_key: tk.SigningKey
    tokens: tk.TokenService
    revocations: Revocations
    identities: Identities
    audit: AuditChain
    decisions: Decisions
    approvals: Approvals
    borrowings: Borrowings
    verified_tokens: VerifiedTokens
    checkpoints: Checkpoints | None = None  # the audit chain's head, signed, in write-once storage


class CaseCacheLink:
    """Lets the bus handlers (made before start-up) tell the decision cache which case is changing."""

    def __init__(self) -> None:
        self.decisions: Decisions | None = None

    def changing(self, case_number: str, uow: UnitOfWork | None = None) -> None:
        """``case_number`` is being changed in ``uow``'s transaction (None: already committed)."""
        if self.decisions is None:
            return
        session = getattr(uow, "session", None)
        if session is None:
            self.decisions.forget_case(case_number)
        else:
            self.decisions.changing_in(case_number, session)


def make_startup(settings: ServiceSettings, link: CaseCacheLink, durable_queue: str):
    """``durable_queue``: the service queue of the case events (its ledger tells when their effect is stored)."""
    checkpoint_settings = CheckpointSettings.from_env()  # read when the app is made, as the settings are
    login_limits = LoginLimits.from_env()

    async def start(app: FastAPI) -> None:
        mongo: Mongo = app.state.mongo
        key, source = load_signing_key(settings.access_signing_key_file, settings.data_dir, settings.environment)
        receipts.use_signing_key(key)  # decision receipts verify on every replica that holds this key
        revocations = Revocations(mongo)
        await revocations.reload()
        tokens = tk.TokenService(key, issuer=settings.jwt_issuer, default_audience=settings.jwt_audience,
                                 revocations=revocations, client_id="juanzong-access-control",
                                 access_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
                                 refresh_ttl=timedelta(seconds=settings.refresh_token_ttl_seconds))
        # Our own verifier uses the in-process public key: this service cannot fetch its JWKS before it is up.
        app.state.token_verifier = TokenVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                                                 public_key_pem=key.public_pem())
        audit = AuditChain(mongo)
        await audit.start()
        checkpoints = Checkpoints(audit, ObjectStore(settings.s3_endpoint, settings.s3_access_key,
                                                     settings.s3_secret_key, secure=settings.s3_secure,
                                                     region=settings.s3_region),
                                  key, tokens.verification_keys, namespace=mongo.db.name,
                                  settings=checkpoint_settings)
        checkpoints.start()
        decisions = Decisions(CaseRecords(mongo.db), audit, cache_seconds=settings.facts_cache_seconds,
                              max_age=settings.decision_max_age_seconds)
        link.decisions = decisions
        notify = app.state.outbox.notify
        verified_tokens = VerifiedTokens()
        app.state.ac = AccessControl(
            settings=settings, mongo=mongo, signing_key=key, tokens=tokens, revocations=revocations,
            identities=Identities(mongo, tokens, revocations, password_grant=settings.password_grant_enabled,
                                  notify=notify, login_limits=login_limits),
            audit=audit, decisions=decisions, approvals=Approvals(mongo, decisions, audit, notify),
            borrowings=Borrowings(mongo, decisions, audit, notify), verified_tokens=verified_tokens,
            checkpoints=checkpoints)
        # every replica hears of every change to decisions (the durable queue reaches one replica only)
        await app.state.bus.broadcast(invalidation_broadcast(
            mongo=mongo, durable_queue=durable_queue, decisions=decisions, revocations=revocations,
            verified_tokens=verified_tokens, hold_limit_seconds=settings.invalidation_hold_seconds))
        client_secrets = settings.load_client_secrets()  # one secret per client, never a shared one
        seeded = await seed_demo(mongo, client_secrets) if settings.seed_enabled else False
        if client_secrets:
            await apply_client_secrets(mongo, client_secrets)
        # The decision path allocates little that lives, but a full (generation 2) collection walks every object
        # made at start-up — tens of ms on this service, a stall for every request queued behind it. Move what
        # start-up made out of the collector's reach; later garbage is collected as before.
        gc.collect()
        gc.freeze()
        log.info("access-control ready", signing_key=source, kid=key.kid, demo_seeded=seeded)
    return start


async def stop(app: FastAPI) -> None:
    ac: AccessControl | None = getattr(app.state, "ac", None)
    if ac is not None:
        await ac.audit.stop()  # drains queued audit records
        if ac.checkpoints is not None:
            await ac.checkpoints.stop()  # anchors the last head


async def housekeeping(app: FastAPI) -> None:
    """Expire requests and grants, send overdue and explanation reminders, reload revocations."""
    while True:
        ac: AccessControl | None = getattr(app.state, "ac", None)
        period = ac.settings.housekeeping_seconds if ac else 1.0
        if ac is not None:
            for name, job in (("expire", ac.approvals.expire_due), ("chase", ac.borrowings.chase),
                              ("revocations", ac.revocations.reload)):
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # noqa: BLE001 — one failing step must not stop the loop
                    log.warning("housekeeping step failed", step=name, error=str(error))
        await asyncio.sleep(period)
