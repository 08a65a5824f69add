"""A service's own bearer token from access-control (client-credentials grant), cached until shortly before expiry.

For the questions a service asks on its own account (scan-ocr's ``add_pages`` for a station's job, archive's
fetch of catalog's compiled dossier). One token per process, fetched once by whoever asks first while it is
stale; :meth:`ServiceToken.forget` drops it after a refusal so the next call fetches a new one.

    token = ServiceToken(f"{settings.access_control_url}/v1/token", settings.client_id, secret)
    headers = {"Authorization": f"Bearer {await token.get()}"}
"""

from __future__ import annotations

import asyncio
import time

import httpx

from juanzong_shared.auth import Identity
from juanzong_shared.errors import Unavailable

__all__ = ["REFRESH_BEFORE_SECONDS", "ServiceToken", "ServiceTokenUnavailable", "token_url"]

REFRESH_BEFORE_SECONDS = 60.0


class ServiceTokenUnavailable(Unavailable):
    """access-control did not issue the token (unreachable, wrong secret, unknown client): 503 at the edge."""

    code = "token-unavailable"
    title = "无法取得服务令牌"


def token_url(access_control_url: str) -> str:
    """access-control's token endpoint."""
    return access_control_url.rstrip("/") + "/v1/token"


class ServiceToken:
    """``await get()`` is the current token; ``client``: a shared HTTP client (else one of its own, closed by
    :meth:`close`)."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, *,
                 client: httpx.AsyncClient | None = None, timeout: float = 5.0) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._token is not None and time.monotonic() < self._valid_until

    async def get(self) -> str:
        if self._fresh():
            return self._token  # type: ignore[return-value]
        async with self._lock:  # concurrent callers wait for one fetch
            if self._fresh():
                return self._token  # type: ignore[return-value]
            try:
                response = await self._client.post(self.token_url, data={
                    "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret})
            except httpx.HTTPError as error:
                raise ServiceTokenUnavailable("", "无法取得服务令牌：权限服务不可达",
                                              detail=f"access-control unreachable: {error}") from None
            if response.status_code != 200:
                raise ServiceTokenUnavailable("", "无法取得服务令牌：权限服务拒绝", code="token-refused",
                                              detail=f"access-control refused client {self.client_id!r}: "
                                                     f"{response.status_code} {response.text[:300]}")
            body = response.json()
            lifetime = float(body.get("expires_in", 300))
            self._token = body["access_token"]
            self._valid_until = time.monotonic() + max(lifetime - REFRESH_BEFORE_SECONDS, lifetime / 2)
            return self._token

    async def identity(self) -> Identity:
        """This service as the caller of an access decision."""
        return Identity(subject=self.client_id, kind="service", token=await self.get())

    def forget(self) -> None:
        """Drop the cached token (after access-control refused it): the next call fetches a new one."""
        self._token = None
        self._valid_until = 0.0

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()
