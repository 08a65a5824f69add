"""The online-reading page (网上阅卷, 法〔2016〕264号 三(二)): catalogue tree, page view with a
selectable text layer, zoom, search with highlighted hits, personal marks and notes.

The HTML carries no case data: the page reads the bearer token from its URL fragment
(``#token=...``, never sent to a server) and calls the JSON API with it, so every read goes through
the same access decisions (吉高法〔2020〕11号 第九条). Plain JS and CSS served by the service; no CDN.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from juanzong_shared.problems import PROBLEM_RESPONSES, FieldError, Problem

from juanzong_catalog.entrypoints.api import CaseNumber

router = APIRouter(tags=["online reading"])

_ASSETS = {"reader.js": "text/javascript; charset=utf-8", "reader.css": "text/css; charset=utf-8"}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        "connect-src 'self'; frame-src 'self' blob:; base-uri 'none'; form-action 'none'")


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=PackageLoader("juanzong_catalog.entrypoints", "reader"),
                       autoescape=select_autoescape(["html"]))


@lru_cache(maxsize=4)
def _asset(name: str) -> bytes:
    return resources.files("juanzong_catalog.entrypoints").joinpath("reader", name).read_bytes()


@router.get("/read/{case_number}", response_class=HTMLResponse, summary="网上阅卷 page (token in #token=...)")
async def reading_page(case_number: CaseNumber) -> HTMLResponse:
    html = _env().get_template("reader.html").render(case_number=case_number)
    return HTMLResponse(html, headers={"Content-Security-Policy": _CSP, "Referrer-Policy": "no-referrer",
                                       "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@router.get("/read-assets/{name}", summary="Script and style of the reading page", response_class=Response,
            responses={404: PROBLEM_RESPONSES[404]})
async def reading_asset(name: Annotated[str, Path(examples=["reader.js"])]) -> Response:
    if name not in _ASSETS:
        raise Problem(404, "not-found", "未找到", f"阅卷页面没有名为“{name}”的资源",
                      errors=[FieldError(field="name", reason=f"只有 {', '.join(sorted(_ASSETS))}")])
    return Response(_asset(name), media_type=_ASSETS[name], headers={"Cache-Control": "no-cache"})
