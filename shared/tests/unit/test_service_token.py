"""The one client-credentials token helper: fetched once, cached until shortly before expiry, refreshed, forgotten."""

import asyncio

import httpx
import pytest
from juanzong_shared import service_token as st
from juanzong_shared.errors import Unavailable
from juanzong_shared.service_token import ServiceToken, ServiceTokenUnavailable, token_url

pytestmark = pytest.mark.unit


def issuer(lifetime=300, status=200):
    calls = []

    async def handle(request: httpx.Request) -> httpx.Response:
        calls.append(dict(httpx.QueryParams(request.content.decode())))
        await asyncio.sleep(0)
        if status != 200:
            return httpx.Response(status, text="invalid_client")
        return httpx.Response(200, json={"access_token": f"t{len(calls)}", "expires_in": lifetime})
    return calls, httpx.AsyncClient(transport=httpx.MockTransport(handle))


def test_token_url():
    assert token_url("http://ac:8000/") == "http://ac:8000/v1/token"


async def test_fetched_once_and_cached_for_concurrent_callers():
    calls, client = issuer()
    token = ServiceToken("http://ac/v1/token", "scan-ocr", "s3cret", client=client)
    assert await asyncio.gather(*(token.get() for _ in range(5))) == ["t1"] * 5
    assert calls == [{"grant_type": "client_credentials", "client_id": "scan-ocr", "client_secret": "s3cret"}]
    identity = await token.identity()
    assert (identity.subject, identity.kind, identity.token) == ("scan-ocr", "service", "t1")
    assert len(calls) == 1


async def test_refreshed_shortly_before_expiry(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(st.time, "monotonic", lambda: now[0])
    _calls, client = issuer(lifetime=300)
    token = ServiceToken("http://ac/v1/token", "archive", "x", client=client)
    assert await token.get() == "t1"
    now[0] += 300 - st.REFRESH_BEFORE_SECONDS - 1
    assert await token.get() == "t1"
    now[0] += 2
    assert await token.get() == "t2"


async def test_forget_fetches_a_new_one():
    _calls, client = issuer()
    token = ServiceToken("http://ac/v1/token", "archive", "x", client=client)
    await token.get()
    token.forget()
    assert await token.get() == "t2"


async def test_refused_or_unreachable_is_unavailable():
    _, client = issuer(status=401)
    with pytest.raises(ServiceTokenUnavailable) as refused:
        await ServiceToken("http://ac/v1/token", "archive", "wrong", client=client).get()
    assert isinstance(refused.value, Unavailable) and refused.value.code == "token-refused"

    async def down(request):
        raise httpx.ConnectError("refused")
    token = ServiceToken("http://ac/v1/token", "archive", "x",
                         client=httpx.AsyncClient(transport=httpx.MockTransport(down)))
    with pytest.raises(ServiceTokenUnavailable) as unreachable:
        await token.get()
    assert unreachable.value.code == "token-unavailable"


async def test_closes_only_its_own_client():
    _, client = issuer()
    await ServiceToken("http://ac/v1/token", "a", "x", client=client).close()
    assert not client.is_closed
    own = ServiceToken("http://ac/v1/token", "a", "x")
    await own.close()
    assert own._client.is_closed
