"""The runtime: every client a service process holds, opened and closed in one place.

The app's lifespan and the OCR worker both open a :class:`Runtime`; a service's ``bootstrap(runtime)`` then
builds its handlers, background jobs and services from the clients that now exist, and returns them as a
:class:`Wiring`. Nothing is bound late: a handler is made after the clients it needs.

    async def bootstrap(runtime: Runtime) -> Wiring:
        cases = CaseService(runtime.unit_of_work, runtime.decider)
        return Wiring(subscriptions=[Subscription(handlers=[cases.on_registered])], services={"cases": cases})
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from juanzong_shared.auth import AccessDecider, HttpAccessDecider, TokenVerifier
from juanzong_shared.bus import Broadcast, Bus, Subscription
from juanzong_shared.db import IndexDeclarations, Mongo, wait_for_mongo
from juanzong_shared.logging import get_logger
from juanzong_shared.outbox import INDEXES as OUTBOX_INDEXES
from juanzong_shared.outbox import OutboxRelay, RepositoriesFactory, UnitOfWork, transact
from juanzong_shared.revocation import RevocationList, UserinfoConfirm
from juanzong_shared.settings import Settings
from juanzong_shared.storage import ObjectStore

log = get_logger(__name__)

R = TypeVar("R")
T = TypeVar("T")

__all__ = ["Bootstrap", "BucketSpec", "Runtime", "Wiring"]


@dataclass(frozen=True)
class BucketSpec:
    name: str
    object_lock: bool = False


@dataclass
class Wiring:
    """What a service's ``bootstrap`` returns: its consumers, its long-running jobs, the services its routes use
    (set on ``app.state`` by name), and what to do before the clients close."""

    subscriptions: Sequence[Subscription] = ()
    broadcasts: Sequence[Broadcast] = ()
    # start-up steps that do I/O (load a cache, seed reference data): awaited once the services are set and before
    # consuming starts — bootstrap itself only builds
    on_startup: Sequence[Callable[[], Awaitable[None]]] = ()
    background: Sequence[Callable[[], Awaitable[None]]] = ()
    services: Mapping[str, Any] = field(default_factory=dict)
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = ()
    # the service's own readiness checks beside database, broker and store: name → a probe that raises when not ready
    checks: Mapping[str, Callable[[], Awaitable[Any]]] = field(default_factory=dict)

    def consumes(self) -> list[str]:
        """Every event type this service's queues are bound to (the contract test reads it)."""
        return sorted({key for sub in self.subscriptions for key in sub.routing_keys})


Bootstrap = Callable[["Runtime"], "Wiring | Awaitable[Wiring]"]


async def wire(bootstrap: Bootstrap, runtime: Runtime) -> Wiring:
    wiring = bootstrap(runtime)
    return await wiring if inspect.isawaitable(wiring) else wiring


async def _retrying(what: str, action: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await action()
        except Exception as error:
            if loop.time() >= deadline:
                raise
            log.warning("waiting for dependency", dependency=what, error=str(error))
            await asyncio.sleep(1.0)


@dataclass
class Runtime(Generic[R]):
    """The clients of one process. Open with :meth:`open`; ``store`` is None for a service without objects,
    ``decider`` without an access-control URL, ``verifier`` without a token key."""

    settings: Settings
    mongo: Mongo
    bus: Bus
    relay: OutboxRelay
    store: ObjectStore | None = None
    decider: AccessDecider | None = None
    verifier: TokenVerifier | None = None
    repositories: RepositoriesFactory[R] | None = None
    _confirm: UserinfoConfirm | None = None

    @classmethod
    async def open(cls, settings: Settings, *, indexes: IndexDeclarations | None = None,
                   buckets: Sequence[BucketSpec] = (), uses_storage: bool = True,
                   repositories: RepositoriesFactory[R] | None = None) -> Runtime[R]:
        """Connect to the database (and create its indexes), the object store (and its buckets), the broker,
        start the outbox relay, and make the token verifier and access decider the settings call for. Each
        dependency is waited for up to ``startup_timeout_seconds``."""
        service = settings.service_name
        timeout = settings.startup_timeout_seconds
        mongo = Mongo(settings.mongo_url, settings.database_name)
        await _retrying("database", lambda: wait_for_mongo(mongo, timeout=5), timeout)
        await mongo.ensure_indexes({**OUTBOX_INDEXES, **(indexes or {})})
        store: ObjectStore | None = None
        if uses_storage:
            store = ObjectStore(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key,
                                secure=settings.s3_secure, region=settings.s3_region)

            async def ensure_buckets() -> None:
                for bucket in buckets:
                    await store.ensure_bucket(bucket.name, object_lock=bucket.object_lock)
                await store.ping()
            await _retrying("storage", ensure_buckets, timeout)
        bus = Bus(settings.amqp_url, settings.bus_namespace, service, mongo=mongo, prefetch=settings.bus_prefetch,
                  max_attempts=settings.bus_max_attempts, retry_delays_ms=settings.bus_retry_delays_ms,
                  repositories=repositories)
        await _retrying("broker", lambda: bus.connect(timeout=5), timeout)
        relay = OutboxRelay(mongo, bus.publish, service, poll_seconds=settings.outbox_poll_seconds,
                            retention=timedelta(days=settings.outbox_retention_days))
        bus.on_commit = relay.notify
        relay.start()
        runtime = cls(settings=settings, mongo=mongo, bus=bus, relay=relay, store=store, repositories=repositories)
        runtime._make_verifier()
        if settings.access_control_url:
            runtime.decider = HttpAccessDecider(settings.access_control_url)
        return runtime

    def _make_verifier(self) -> None:
        settings = self.settings
        if not (settings.jwt_jwks_url or settings.jwt_public_key_file):
            return
        pem = Path(settings.jwt_public_key_file).read_bytes() if settings.jwt_public_key_file else None
        # Revoked tokens are refused here too (issue 20 item 4). With the issuer online (JWKS) a token this process
        # may have missed the revocation of is checked with access-control; with a pinned key the broadcast alone is
        # followed (juanzong_shared.revocation says what that leaves open).
        if settings.jwt_jwks_url and not pem and settings.access_control_url:
            self._confirm = UserinfoConfirm(settings.access_control_url)
        revocations = RevocationList(confirm=self._confirm, skew_seconds=settings.jwt_leeway_seconds)
        self.verifier = TokenVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                                      jwks_url=settings.jwt_jwks_url, public_key_pem=pem,
                                      leeway=settings.jwt_leeway_seconds, revocations=revocations)

    def unit_of_work(self) -> UnitOfWork[R]:
        """A fresh unit of work with this service's repositories; committing it wakes the outbox relay."""
        return UnitOfWork(self.mongo, on_commit=self.relay.notify, repositories=self.repositories)

    async def transact(self, work: Callable[[UnitOfWork[R]], Awaitable[T]], *, budget_seconds: float = 90.0) -> T:
        """Run ``work`` in a unit of work, again from the start on a transient conflict."""
        return await transact(self.mongo, work, on_commit=self.relay.notify, budget_seconds=budget_seconds,
                              repositories=self.repositories)

    async def start(self, wiring: Wiring, *, own_verifier: bool = True) -> None:
        """Start consuming what ``wiring`` declares. ``own_verifier``: this process follows the revocation
        broadcast with the verifier the runtime made (a service that replaced it keeps its own list)."""
        if self.verifier is not None and own_verifier:
            await self.bus.broadcast(self.verifier.revocations.broadcast())
        elif self._confirm is not None:
            await self._confirm.close()
            self._confirm = None
        for broadcast in wiring.broadcasts:
            await self.bus.broadcast(broadcast)
        for subscription in wiring.subscriptions:
            await self.bus.subscribe(subscription)

    async def close(self, drain_timeout: float = 30.0) -> None:
        """Stop consuming (waiting up to ``drain_timeout`` for messages in hand), then close every client."""
        await self.bus.close(drain_timeout=drain_timeout)
        await self.relay.stop()
        if self._confirm is not None:
            await self._confirm.close()
        if self.decider is not None and hasattr(self.decider, "close"):
            await self.decider.close()
        await self.mongo.close()
