"""Problem details, validation errors naming the field, body limit and correlation ids (no I/O)."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field

from juanzong_shared.app import _RequestContext, install_problem_handlers
from juanzong_shared.logging import correlation_from_headers
from juanzong_shared.problems import Problem, invalid

pytestmark = pytest.mark.unit


class Body(BaseModel):
    case_number: str = Field(min_length=3)
    pages: int


def make_app(limit=1000):
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(_RequestContext, service="t", max_body=limit)

    @app.post("/things")
    async def things(body: Body):
        if body.case_number == "bad":
            raise invalid("case_number.type_code", "类型代字不存在")
        return {"ok": True}

    @app.get("/boom")
    async def boom():
        raise RuntimeError("x")

    @app.get("/conflict")
    async def conflict():
        raise Problem(409, "conflict", "状态冲突", "不能从已扫描转为已创建", allowed=["catalogued"])

    return app


async def call(app, method, url, **kw):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://t") as client:
        return await client.request(method, url, **kw)


async def test_validation_error_names_field():
    r = await call(make_app(), "POST", "/things", json={"case_number": "ab", "pages": "many"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"case_number", "pages"}


async def test_domain_problem_and_extension_members():
    r = await call(make_app(), "POST", "/things", json={"case_number": "bad", "pages": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "case_number.type_code"
    r = await call(make_app(), "GET", "/conflict")
    assert r.status_code == 409 and r.json()["allowed"] == ["catalogued"]


async def test_unexpected_error_is_500_problem_with_correlation_id():
    r = await call(make_app(), "GET", "/boom", headers={"X-Request-ID": "req-1"})
    assert r.status_code == 500
    assert r.json()["correlation_id"] == "req-1"
    assert r.headers["x-request-id"] == "req-1"


async def test_oversize_body_refused_with_413():
    r = await call(make_app(limit=100), "POST", "/things", content=b"{" + b" " * 500 + b"}",
                   headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["type"].endswith("too-large")


async def test_deeply_nested_json_is_a_client_error():
    nested = "[" * 100000 + "]" * 100000
    r = await call(make_app(limit=10_000_000), "POST", "/things", content=nested,
                   headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500


def test_correlation_from_traceparent_and_request_id():
    assert correlation_from_headers("abc-1", None) == "abc-1"
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert correlation_from_headers(None, tp) == "4bf92f3577b34da6a3ce929d0e0e4736"
    generated = correlation_from_headers("bad id with spaces", "garbage")
    assert len(generated) == 32 and generated != "bad id with spaces"
