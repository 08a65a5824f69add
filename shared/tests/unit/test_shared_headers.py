"""Every response says nosniff; a response without its own Content-Security-Policy gets the document policy
(issue 20 item 13): a page image, a PDF or an HTML report opened in a browser can run nothing."""

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from juanzong_shared.app import DOCUMENT_CSP, _RequestContext, install_problem_handlers
from juanzong_shared.problems import Problem

pytestmark = pytest.mark.unit

OWN_CSP = "default-src 'none'; script-src 'self'"


def make_app():
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(_RequestContext, service="t", max_body=1000, csp_exempt=(app.docs_url, app.redoc_url))

    @app.get("/image")
    async def image():
        return Response(b"\x89PNG\r\n\x1a\n", media_type="image/png")

    @app.get("/report")
    async def report():
        return HTMLResponse("<p>四性检测报告</p>")

    @app.get("/reading")
    async def reading():
        return HTMLResponse("<p>阅卷</p>", headers={"Content-Security-Policy": OWN_CSP,
                                                   "X-Content-Type-Options": "nosniff"})

    @app.get("/json")
    async def json_route():
        return {"ok": True}

    @app.get("/refused")
    async def refused():
        raise Problem(403, "forbidden", "无权访问", "no")

    return app


async def get(app, url):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(url)


@pytest.mark.parametrize("path", ["/image", "/report", "/json", "/refused", "/missing"])
async def test_documents_json_and_problems_carry_nosniff_and_the_document_policy(path):
    r = await get(make_app(), path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == DOCUMENT_CSP
    assert "sandbox" in DOCUMENT_CSP and "default-src 'none'" in DOCUMENT_CSP


async def test_a_route_that_sets_its_own_policy_keeps_it_and_headers_are_not_doubled():
    r = await get(make_app(), "/reading")
    assert r.headers.get_list("content-security-policy") == [OWN_CSP]
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]


async def test_the_api_docs_page_keeps_working():
    r = await get(make_app(), "/docs")
    assert r.status_code == 200 and "content-security-policy" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
