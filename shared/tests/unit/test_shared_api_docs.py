"""/docs and /redoc work on a court intranet with no CDN: every script, style sheet and icon the pages load comes
from the service itself, and each page carries its own CSP (scripts from this origin, its bootstrap by hash)."""

import base64
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest

from juanzong_shared.app import DOCUMENT_CSP, ServiceParts, create_service_app
from juanzong_shared.settings import Settings

pytestmark = pytest.mark.unit


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.refs.append(attrs[name])
        self._in_inline = tag == "script" and not attrs.get("src")

    def handle_data(self, data):
        if self._in_inline:
            self.inline_scripts.append(data)

    def handle_endtag(self, tag):
        self._in_inline = False


def _app():
    return create_service_app(Settings(service_name="intake"), title="立案服务", description="t",
                              parts=ServiceParts())


async def _client(app):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake.court.local")


def _references(html: str) -> _Refs:
    parser = _Refs()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_only_same_origin_assets_and_each_answers(page):
    app = _app()
    async with await _client(app) as client:
        r = await client.get(page)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        refs = _references(r.text).refs
        assert refs, "the page references its assets"
        scripts = [ref for ref in refs if ref.endswith(".js")]
        assert scripts, "the UI's script is referenced"
        for ref in refs:
            parts = urlsplit(ref)
            assert not parts.scheme and not parts.netloc, f"{page} loads {ref} from another origin"
            assert ref.startswith("/docs-assets/")
            asset = await client.get(ref)
            assert asset.status_code == 200, ref
            assert len(asset.content) > 1000
        # the OpenAPI document the UI fetches is served too
        spec = re.search(r"""(?:url: '|spec-url=")([^'"]+)""", r.text).group(1)
        assert (await client.get(spec)).json()["info"]["title"] == "立案服务"
        assert "cdn" not in r.text.lower() and "googleapis" not in r.text


async def test_swagger_script_and_stylesheet_are_the_real_ones():
    async with await _client(_app()) as client:
        js = await client.get("/docs-assets/swagger-ui-bundle.js")
        css = await client.get("/docs-assets/swagger-ui.css")
        redoc = await client.get("/docs-assets/redoc.standalone.js")
    assert "SwaggerUIBundle" in js.text and "javascript" in js.headers["content-type"]
    assert ".swagger-ui" in css.text and css.headers["content-type"].startswith("text/css")
    assert "Redoc" in redoc.text


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_docs_pages_carry_their_own_policy_allowing_self_and_their_inline_script_by_hash(page):
    async with await _client(_app()) as client:
        r = await client.get(page)
    policies = r.headers.get_list("content-security-policy")
    assert len(policies) == 1 and policies[0] != DOCUMENT_CSP, "the page's own policy, not the document one"
    directives = {d.split()[0]: d.split()[1:] for d in (x.strip() for x in policies[0].split(";")) if d}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"][0] == "'self'" and "'unsafe-inline'" not in directives["script-src"]
    assert "'self'" in directives["style-src"] and directives["connect-src"] == ["'self'"]
    assert "sandbox" not in directives
    for body in _references(r.text).inline_scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives["script-src"], "inline bootstrap allowed by its hash"
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_api_answers_still_get_the_document_policy():
    async with await _client(_app()) as client:
        r = await client.get("/healthz")
        spec = await client.get("/openapi.json")
    assert r.headers["content-security-policy"] == DOCUMENT_CSP
    assert spec.headers["content-security-policy"] == DOCUMENT_CSP
    assert "/docs" not in spec.json()["paths"] and "/docs-assets" not in str(spec.json()["paths"])
