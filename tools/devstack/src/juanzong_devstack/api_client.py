"""A small client for the six services' public REST APIs, as the demo and the end-to-end tests use them.

Tokens come from access-control (``POST /v1/token``: password grant for the seeded demo people,
client credentials for the scanning station and the service clients, whose secrets are read from the stack's
secrets folder, ``<data_dir>/secrets/clients/<client_id>.secret``); every error answer is problem+json and becomes an
:class:`ApiError` that says which call failed and why, in one line.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from juanzong_devstack.stack import SERVICES, StackConfig

DEMO_PASSWORD = "juanzong-demo"
STATION_ID = "station-01"


def cn_path(case_number: str) -> str:
    """A case number as one path segment (percent-encoded, brackets and all)."""
    return quote(case_number, safe="")


class StackNotRunning(RuntimeError):
    """A service does not answer: the message says what to do."""


class ApiError(RuntimeError):
    """A non-success answer, with the problem+json body the service sent."""

    def __init__(self, service: str, method: str, path: str, status: int, body: Any) -> None:
        self.service = service
        self.method = method
        self.path = path
        self.status = status
        self.body = body
        self.problem = body if isinstance(body, dict) else {}
        super().__init__(self.describe())

    @property
    def code(self) -> str | None:
        return self.problem.get("code")

    def describe(self) -> str:
        p = self.problem
        parts = [f"{self.method} {self.service} {self.path} → {self.status}"]
        if p:
            parts.append(str(p.get("title") or p.get("code") or ""))
            if p.get("detail"):
                parts.append(str(p["detail"])[:600])
            errors = p.get("errors") or []
            if errors:
                parts.append("; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors[:8]
                                       if isinstance(e, dict))[:800])
            if p.get("rule"):
                parts.append(f"[{p['rule']}]")
        else:
            parts.append(str(self.body)[:600])
        return " — ".join(x for x in parts if x)


@dataclass
class ServiceUrls:
    """Base URL per service name (intake, scan-ocr, catalog, archive, access-control, notifier)."""

    urls: dict[str, str]

    @classmethod
    def from_stack(cls, config: StackConfig, overrides: Mapping[str, str] | None = None) -> ServiceUrls:
        urls = {name: config.service_url(name) for name in SERVICES}
        for name, url in (overrides or {}).items():
            if name not in SERVICES:
                raise ValueError(f"unknown service {name!r} in --base-url; known: {', '.join(SERVICES)}")
            urls[name] = url.rstrip("/")
        return cls(urls)

    def __getitem__(self, name: str) -> str:
        return self.urls[name]


@dataclass
class _Token:
    value: str
    expires: float


@dataclass
class Api:
    """Calls one service as one demo person (``as_``: a username like ``judge-wang``; ``station`` or a client id
    like ``station-01`` or ``catalog`` for a client, whose secret comes from ``secrets_dir``)."""

    urls: ServiceUrls
    timeout: float = 120.0
    secrets_dir: Path | None = None
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- readiness --------------------------------------------------------------------------------
    def check_ready(self, names: Iterable[str] = SERVICES) -> dict[str, str]:
        """Every service answers /readyz 200, or :class:`StackNotRunning` saying what to do."""
        down, state = [], {}
        for name in names:
            url = self.urls[name]
            try:
                response = self.client.get(url + "/readyz", timeout=5)
                state[name] = "ready" if response.status_code == 200 else \
                    _safe_json(response).get("detail", f"HTTP {response.status_code}")
            except httpx.HTTPError as error:
                state[name] = f"unreachable ({type(error).__name__})"
            if state[name] != "ready":
                down.append(f"{name} at {url}: {state[name]}")
        if down:
            raise StackNotRunning("stack not running or not ready — " + "; ".join(down)
                                  + ". Run .venv/bin/juanzong-stack up (and .venv/bin/juanzong-stack status), "
                                    "or pass --base-url NAME=URL when the services run elsewhere.")
        return state

    # -- tokens -----------------------------------------------------------------------------------
    def token(self, who: str) -> str:
        cached = self._tokens.get(who)
        if cached and cached.expires > time.monotonic() + 30:
            return cached.value
        client_id = STATION_ID if who == "station" else who
        if client_id.startswith("station-") or client_id in SERVICES:
            form = {"grant_type": "client_credentials", "client_id": client_id,
                    "client_secret": self.client_secret(client_id)}
        else:
            form = {"grant_type": "password", "username": who, "password": DEMO_PASSWORD}
        body = self._send("access-control", "POST", "/v1/token", data=form, expect=(200,))
        token = _Token(body["access_token"], time.monotonic() + float(body.get("expires_in", 300)))
        self._tokens[who] = token
        return token.value

    def client_secret(self, client_id: str) -> str:
        if self.secrets_dir is None:
            raise StackNotRunning(f"no secrets folder to read {client_id}'s secret from: pass Api(secrets_dir=...) "
                                  "(the stack's <data_dir>/secrets)")
        path = Path(self.secrets_dir) / "clients" / f"{client_id}.secret"
        try:
            return path.read_text().strip()
        except OSError as error:
            raise StackNotRunning(f"cannot read {path} ({error.strerror}): start the stack once "
                                  "(.venv/bin/juanzong-stack up) so it makes its secrets") from None

    # -- calls ------------------------------------------------------------------------------------
    def get(self, service: str, path: str, as_: str, **kw: Any) -> Any:
        return self.call(service, "GET", path, as_, **kw)

    def post(self, service: str, path: str, as_: str, json: Any = None, **kw: Any) -> Any:
        return self.call(service, "POST", path, as_, json=json if json is not None else {}, **kw)

    def call(self, service: str, method: str, path: str, as_: str | None, *, expect: Iterable[int] = (200, 201, 202),
             raw: bool = False, **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}) or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token(as_)}"
        return self._send(service, method, path, expect=tuple(expect), raw=raw, headers=headers, **kw)

    def status_of(self, service: str, method: str, path: str, as_: str, **kw: Any) -> tuple[int, Any]:
        """Status and body without raising (for calls expected to be refused)."""
        headers = {"Authorization": f"Bearer {self.token(as_)}"}
        response = self._request(service, method, path, headers=headers, **kw)
        return response.status_code, _safe_json(response)

    def _request(self, service: str, method: str, path: str, **kw: Any) -> httpx.Response:
        url = self.urls[service] + path
        try:
            return self.client.request(method, url, **kw)
        except httpx.ConnectError as error:
            raise StackNotRunning(f"{service} does not answer at {self.urls[service]} ({error}): stack not running? "
                                  "Run .venv/bin/juanzong-stack up") from None
        except httpx.TimeoutException as error:
            raise ApiError(service, method, path, 0, f"timed out after {self.timeout:.0f} s ({error})") from None

    def _send(self, service: str, method: str, path: str, *, expect: tuple[int, ...], raw: bool = False,
              **kw: Any) -> Any:
        response = self._request(service, method, path, **kw)
        if response.status_code not in expect:
            raise ApiError(service, method, path, response.status_code, _safe_json(response))
        if raw:
            return response
        return _safe_json(response)


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"text": response.text[:2000]} if response.text else {}
