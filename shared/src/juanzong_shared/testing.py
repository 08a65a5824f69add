"""Test helpers: fakes for unit tests of the services' own logic (never for integration tests), and a
cuttable TCP proxy that integration tests put in front of the real broker."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import copy
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from juanzong_shared.events import REGISTRY, Event, Payload
from juanzong_shared.outbox import AlreadyProcessed
from juanzong_shared.storage import ObjectExists, ObjectInfo, safe_key


R = TypeVar("R")
T = TypeVar("T")


class FakeUnitOfWork(Generic[R]):
    """The unit of work for service-layer unit tests: ``repos`` are the service's in-memory repositories.

    Like the real one, leaving the block with an exception rolls back — the repositories' state is restored
    from a copy taken on entry and the events are dropped — and only a commit makes events ``published``.

        uow = FakeUnitOfWork(InMemoryRepositories())
        await register_case(uow.factory, command)
        assert uow.published_types() == ["intake.case.registered"]
    """

    def __init__(self, repos: R) -> None:
        self.repos = repos
        self.committed: list[Event] = []
        self.commits = 0
        self._events: list[Event] = []
        self._ledger: list[str] = []
        self.processed: set[str] = set()
        self._saved: Any = None
        self.session = None

    def factory(self) -> FakeUnitOfWork[R]:
        """Pass as the service's ``unit_of_work``: every call opens the same repositories."""
        return self

    def emit(self, payload: Payload | Event, routing_key: str | None = None, *, court: str | None = None,
             case_number: str | None = None, event_type: str | None = None) -> Event:
        if isinstance(payload, Event):
            event = payload
        elif isinstance(payload, Payload):
            event = REGISTRY.event(payload, court=court, case_number=case_number, event_type=event_type)
        else:
            raise TypeError(f"emit a payload model, not {type(payload).__name__}")
        self._events.append(event)
        return event

    def mark_processed(self, ledger_id: str) -> None:
        """Like the real ledger: a message already handled in a committed unit raises AlreadyProcessed."""
        if ledger_id in self.processed:
            raise AlreadyProcessed(ledger_id)
        self._ledger.append(ledger_id)

    async def __aenter__(self) -> FakeUnitOfWork[R]:
        self._saved = copy.deepcopy(self.repos.__dict__) if hasattr(self.repos, "__dict__") else None
        self._events, self._ledger = [], []
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            self.committed.extend(self._events)
            self.processed.update(self._ledger)
            self.commits += 1
        elif self._saved is not None:
            self.repos.__dict__.update(self._saved)
        self._events, self._ledger = [], []
        return False

    async def transact(self, work: Callable[[FakeUnitOfWork[R]], Awaitable[T]], **_: Any) -> T:
        async with self:
            return await work(self)

    def published_types(self) -> list[str]:
        return [e.event_type for e in self.committed]

    def payloads(self, event_type: str) -> list[Payload]:
        return [REGISTRY.read_payload(e) for e in self.committed if e.event_type == event_type]


class FakeBus:
    """Records what would have been published."""

    def __init__(self) -> None:
        self.published: list[tuple[Event, str]] = []

    async def publish(self, event: Event, routing_key: str | None = None) -> None:
        self.published.append((event, routing_key or event.event_type))

    def of_type(self, event_type: str) -> list[Event]:
        return [e for e, _ in self.published if e.event_type == event_type]


class FakeStore:
    """An in-memory object store with the same name checks and write-once behaviour."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, tuple[bytes, str]]] = defaultdict(dict)

    async def ensure_bucket(self, bucket: str, *, object_lock: bool = False, retention_days=None) -> None:
        self.objects.setdefault(bucket, {})

    async def put_bytes(self, bucket, key, data, content_type="application/octet-stream", *, metadata=None,
                        if_absent=False, retain_until=None) -> None:
        key = safe_key(key)
        if if_absent and key in self.objects[bucket]:
            raise ObjectExists(f"{bucket}/{key}")
        self.objects[bucket][key] = (bytes(data), content_type)

    async def get_bytes(self, bucket, key, *, max_bytes=None) -> bytes:
        try:
            return self.objects[bucket][safe_key(key)][0]
        except KeyError:
            raise FileNotFoundError(f"{bucket}/{key}") from None

    async def stat(self, bucket, key):
        item = self.objects[bucket].get(safe_key(key))
        if item is None:
            return None
        return ObjectInfo(bucket, key, len(item[0]), item[1], None, {})

    async def exists(self, bucket, key) -> bool:
        return safe_key(key) in self.objects[bucket]

    async def list_keys(self, bucket, prefix="") -> list[str]:
        return sorted(k for k in self.objects[bucket] if k.startswith(prefix))

    async def delete(self, bucket, key) -> None:
        self.objects[bucket].pop(safe_key(key), None)

    async def ping(self) -> None:
        return None


class TokenFactory:
    """Signs RS256 test tokens and writes the public key a service under test verifies them with."""

    def __init__(self, issuer: str = "juanzong-access-control", audience: str = "juanzong") -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.issuer = issuer
        self.audience = audience
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)

    def write_public_key(self, path) -> str:
        from pathlib import Path

        Path(path).write_bytes(self.public_pem())
        return str(path)

    def token(self, subject: str = "u-test", *, roles=("judge",), court: str = "吉01", kind: str = "user",
              scopes=(), ttl: int = 3600, audience: str | None = None, typ: str = "at+jwt", **claims) -> str:
        """An access token as access-control issues one (RFC 9068 ``typ``, ``token_use``); claims override."""
        import time
        import uuid

        import jwt

        now = int(time.time())
        body = {"sub": subject, "iss": self.issuer, "aud": audience or self.audience, "iat": now, "exp": now + ttl,
                "jti": uuid.uuid4().hex, "roles": list(roles), "court": court, "kind": kind,
                "scope": " ".join(scopes), "token_use": "access", **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": "test", "typ": typ})

    def headers(self, subject: str = "u-test", **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(subject, **kwargs)}"}


class FakeDecider:
    """An access decider for tests: allows what ``allow`` says, records every question."""

    def __init__(self, allow=lambda identity, action, case_number: True) -> None:
        self.allow = allow
        self.asked: list[tuple[str, str, str]] = []

    async def decide(self, identity, action, case_number, *, resource=None):
        from juanzong_shared.auth import Decision

        self.asked.append((identity.subject, action, case_number))
        ok = bool(self.allow(identity, action, case_number))
        return Decision(allowed=ok, reason="测试允许" if ok else "测试拒绝（吉高法〔2020〕11号 第九条）",
                        rule=None if ok else "吉高法〔2020〕11号 第九条")


class FlakyProxy:
    """A TCP proxy in front of RabbitMQ that the test can cut, to drop the broker connection for real."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server = None
        self.writers: list[asyncio.StreamWriter] = []
        self.up = True

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _client(self, reader, writer):
        if not self.up:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.writers += [writer, up_writer]

        async def pipe(src, dst):
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        self.cut()
        self.server.close()
