"""scan-ocr's own access token (client-credentials grant at access-control), cached until shortly before expiry.

Used for the one question scan-ocr asks on its own account: may this station's job add pages to this case
(``add_pages``, scope ``dossier:add_pages``). A station's own token never travels on the bus.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from juanzong_shared.auth import Identity

REFRESH_BEFORE_SECONDS = 60.0


class ServiceTokenError(RuntimeError):
    """access-control did not issue the service token (wrong secret, unknown client, unreachable)."""


class ServiceTokens:
    """Issues and caches the service's bearer token; :meth:`identity` is the caller to decide for."""

    def __init__(self, access_control_url: str, client_id: str, client_secret: str, *, timeout: float = 5.0) -> None:
        self.url = access_control_url.rstrip("/") + "/v1/token"
        self.client_id = client_id
        self._secret = client_secret
        self._client = httpx.AsyncClient(timeout=timeout)
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    async def identity(self) -> Identity:
        token = await self._current()
        return Identity(subject=self.client_id, kind="service", token=token)

    def forget(self) -> None:
        """Drop the cached token (after access-control refused it), so the next call fetches a new one."""
        self._token = None
        self._valid_until = 0.0

    async def _current(self) -> str:
        if self._token and time.monotonic() < self._valid_until:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._valid_until:
                return self._token
            try:
                response = await self._client.post(self.url, data={
                    "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret})
            except httpx.HTTPError as error:
                raise ServiceTokenError(f"access-control unreachable for the service token: {error}") from None
            if response.status_code != 200:
                raise ServiceTokenError(f"access-control refused client {self.client_id!r}: "
                                        f"{response.status_code} {response.text[:300]}")
            body = response.json()
            lifetime = float(body.get("expires_in", 300))
            self._token = body["access_token"]
            self._valid_until = time.monotonic() + max(lifetime - REFRESH_BEFORE_SECONDS, lifetime / 2)
            return self._token

    async def close(self) -> None:
        await self._client.aclose()
