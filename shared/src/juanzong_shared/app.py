"""The app factory every service uses: probes, metrics, problem+json, limits, correlation ids, and the
wiring of broker, database, storage, outbox and consumers in the lifespan (no clients at import time).
"""

from __future__ import annotations

import asyncio
import functools
import base64
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from juanzong_shared.bus import Bus, Subscription
from juanzong_shared.db import IndexDeclarations, Mongo
from juanzong_shared.logging import (bind_correlation_id, configure_logging, correlation_from_headers,
                                     get_correlation_id, get_logger, reset_correlation_id)
from juanzong_shared.metrics import HTTP_LATENCY, render_latest
from juanzong_shared.outbox import RepositoriesFactory
from juanzong_shared.errors import DomainError
from juanzong_shared.problems import PROBLEM_MEDIA_TYPE, PROBLEM_RESPONSES, FieldError, Problem
from juanzong_shared.settings import Settings
from juanzong_shared.storage import ObjectStore
from juanzong_shared.runtime import Bootstrap, BucketSpec, Runtime, Wiring, wire

log = get_logger(__name__)

Hook = Callable[[FastAPI], Awaitable[None]]


@dataclass
class ServiceParts:
    """What a service plugs into the factory. Everything is explicit: no registration on import."""

    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = ()
    indexes: IndexDeclarations = field(default_factory=dict)
    buckets: Sequence[BucketSpec] = ()
    on_startup: Sequence[Hook] = ()
    on_shutdown: Sequence[Hook] = ()
    background: Sequence[Hook] = ()  # long-running loops (schedulers), cancelled at shutdown
    uses_storage: bool = True
    # runs once the clients exist and returns the service's handlers, jobs and services (juanzong_shared.runtime)
    bootstrap: Bootstrap | None = None
    repositories: RepositoriesFactory | None = None  # adapters/repository.py: what every unit of work holds


# What a browser may do with a response of ours that it renders as a document (a page image, a PDF, an HTML
# report, or JSON opened in a tab): nothing — no scripts, no fetches, no framing, a sandboxed origin. A route that
# serves a real page sets its own policy (the reading page does), and that one is kept.
DOCUMENT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


class _RequestContext:
    """Pure ASGI middleware: correlation id, body-size limit, latency histogram, access log, and the headers every
    response carries (``X-Content-Type-Options: nosniff``; :data:`DOCUMENT_CSP` unless the route set a CSP)."""

    def __init__(self, app, service: str, max_body: int, csp_exempt: Sequence[str] = ()) -> None:
        self.app = app
        self.service = service
        self.max_body = max_body
        # paths left without the document policy (an app using FastAPI's CDN-backed docs pages); the factory's own
        # docs pages set their own policy (install_api_docs)
        self.csp_exempt = frozenset(p for p in csp_exempt if p)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        cid = correlation_from_headers(headers.get("x-request-id"), headers.get("traceparent"))
        token = bind_correlation_id(cid)
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        length = headers.get("content-length")

        csp = scope.get("path") not in self.csp_exempt

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                message["headers"] = _with_safety_headers(message.get("headers") or [], cid, csp)
            await send(message)

        received = 0

        async def receive_wrapper():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _too_large(self.max_body)
            return message

        try:
            if length and length.isdigit() and int(length) > self.max_body:
                problem = _too_large(self.max_body)
                response = _problem_response(problem, scope.get("path"), cid)
                await response(scope, receive, send_wrapper)
            else:
                try:
                    await self.app(scope, receive_wrapper, send_wrapper)
                except Exception:
                    log.exception("unhandled error", path=scope.get("path"))
                    if status["sent"]:
                        raise
                    response = _problem_response(_internal_error(), scope.get("path"), cid)
                    await response(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or ("unmatched" if status["code"] == 404 else "other")
            elapsed = time.perf_counter() - started
            HTTP_LATENCY.labels(self.service, scope["method"], route, str(status["code"])).observe(elapsed)
            if route not in ("/healthz", "/readyz", "/metrics"):
                log.info("http request", method=scope["method"], route=route, status=status["code"],
                         ms=round(elapsed * 1000, 1))
            reset_correlation_id(token)


def _with_safety_headers(headers, cid: str, csp: bool) -> list[tuple[bytes, bytes]]:
    out = list(headers)
    names = {bytes(k).lower() for k, _ in out}
    out.append((b"x-request-id", cid.encode()))
    if b"x-content-type-options" not in names:
        out.append((b"x-content-type-options", b"nosniff"))
    if csp and b"content-security-policy" not in names:
        out.append((b"content-security-policy", DOCUMENT_CSP.encode()))
    return out


def _internal_error() -> Problem:
    return Problem(500, "internal", "服务内部错误",
                   "服务内部错误，请凭 correlation_id 联系技术处 (internal error)")


def _too_large(limit: int) -> Problem:
    return Problem(413, "too-large", "请求体过大", f"请求体超过上限 {limit} 字节 (request body over {limit} bytes)")


def _problem_response(problem: Problem, path: str | None, cid: str | None = None) -> JSONResponse:
    return JSONResponse(problem.body(instance=path, correlation_id=cid or get_correlation_id()),
                        status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=problem.headers)


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


STATUS_OF_KIND: dict[str, int] = {"invalid": 422, "not_found": 404, "conflict": 409, "forbidden": 403,
                                   "unauthenticated": 401, "unavailable": 503, "too_large": 413, "gone": 410,
                                   "bad_request": 400, "too_many": 429, "internal": 500}


def problem_of(error: DomainError) -> Problem:
    """The problem+json answer for a domain refusal: its kind gives the status, its fields the ``errors``."""
    extra = dict(error.extra)
    if error.article:
        extra.setdefault("article", error.article)
    headers = dict(error.headers) or ({"WWW-Authenticate": "Bearer"} if error.kind == "unauthenticated" else None)
    return Problem(STATUS_OF_KIND[error.kind], error.code, error.title, error.detail,
                   errors=[FieldError(field=f, reason=r) for f, r in error.errors], headers=headers, **extra)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return _problem_response(problem_of(exc), request.url.path)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return _problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = [FieldError(field=_field_name(e.get("loc", ())), reason=e.get("msg", "invalid"))
                  for e in exc.errors()]
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors)[:2000]
        return _problem_response(Problem(422, "validation", "请求参数无效", detail, errors=errors), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "未找到", 405: "方法不允许", 401: "未认证", 403: "无权访问"}
        return _problem_response(Problem(exc.status_code, f"http-{exc.status_code}",
                                         titles.get(exc.status_code, "请求错误"), str(exc.detail),
                                         headers=getattr(exc, "headers", None)), request.url.path)

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError):
        return _problem_response(Problem(400, "too-deep", "请求结构过深", "JSON 嵌套过深 (nesting too deep)"),
                                 request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error", path=request.url.path)
        return _problem_response(_internal_error(), request.url.path)


DOCS_URL = "/docs"
REDOC_URL = "/redoc"
DOCS_OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
DOCS_ASSETS_URL = "/docs-assets"
# Swagger UI and ReDoc as shipped by the ``fastapi-offline`` wheel (swagger-ui-bundle.js, swagger-ui.css,
# redoc.standalone.js, favicon.png)
DOCS_ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def docs_page_csp(html: str) -> str:
    """The policy of an API-docs page: scripts, styles, images and fetches from this origin only; the page's own
    inline bootstrap script allowed by its hash (no 'unsafe-inline' for scripts). Both UIs set inline styles and
    ReDoc runs its search in a worker made from a blob."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
                      for body in _INLINE_SCRIPT.findall(html))
    return ("default-src 'none'; "
            f"script-src 'self'{' ' + hashes if hashes else ''}; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "worker-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _docs_response(page: HTMLResponse) -> HTMLResponse:
    html = page.body.decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_page_csp(html)})


def install_api_docs(app: FastAPI) -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` with their scripts and styles served by this service under
    ``/docs-assets`` — no CDN. The app must be created with ``docs_url=None, redoc_url=None``."""
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _docs_response(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{DOCS_OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters))

    @app.get(DOCS_OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _docs_response(get_swagger_ui_oauth2_redirect_html())

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _docs_response(get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS_URL}/favicon.png", with_google_fonts=False))


def create_service_app(settings: Settings, *, title: str, description: str, parts: ServiceParts,
                       version: str = "0.1.0") -> FastAPI:
    service = settings.service_name

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(service, settings.log_level, settings.log_json)
        runtime = await Runtime.open(settings, indexes=parts.indexes, buckets=parts.buckets,
                                     uses_storage=parts.uses_storage, repositories=parts.repositories)
        app.state.runtime = runtime
        app.state.mongo, app.state.bus, app.state.outbox = runtime.mongo, runtime.bus, runtime.relay
        if runtime.store is not None:
            app.state.store = runtime.store
        if runtime.verifier is not None:
            app.state.token_verifier = runtime.verifier
        if runtime.decider is not None and not hasattr(app.state, "decider"):
            app.state.decider = runtime.decider
        runtime.decider = getattr(app.state, "decider", None)  # a test may have installed its own
        for hook in parts.on_startup:
            await hook(app)
        wiring = await wire(parts.bootstrap, runtime) if parts.bootstrap is not None else Wiring()
        for name, value in wiring.services.items():
            setattr(app.state, name, value)
        app.state.readiness_checks = dict(wiring.checks)
        for step in wiring.on_startup:
            await step()
        # a service that keeps its own revocation list (access-control) installs its own verifier
        own = runtime.verifier is not None and getattr(app.state, "token_verifier", None) is runtime.verifier
        await runtime.start(Wiring(subscriptions=[*parts.subscriptions, *wiring.subscriptions],
                                   broadcasts=wiring.broadcasts), own_verifier=own)
        tasks = [asyncio.create_task(job(app), name=f"{service}-background") for job in parts.background]
        tasks += [asyncio.create_task(job(), name=f"{service}-background") for job in wiring.background]
        app.state.ready = True
        log.info("service started", service=service, consumes=wiring.consumes())
        try:
            yield
        finally:
            app.state.ready = False
            for task in tasks:
                task.cancel()
            for stop in [*wiring.on_shutdown, *(functools.partial(hook, app) for hook in parts.on_shutdown)]:
                try:
                    await stop()
                except Exception as error:
                    log.warning("shutdown hook failed", error=str(error))
            runtime.decider = getattr(app.state, "decider", None)
            await runtime.close()
            log.info("service stopped", service=service)

    # FastAPI's own docs pages load Swagger UI and ReDoc from a CDN, which a court intranet cannot reach:
    # install_api_docs serves them from this process instead, each page with its own CSP
    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan,
                  responses={k: v for k, v in PROBLEM_RESPONSES.items() if k in (401, 403, 422)},
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.ready = False
    install_problem_handlers(app)
    install_api_docs(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["X-Request-ID"])
    app.add_middleware(_RequestContext, service=service, max_body=settings.max_request_bytes)

    ops = APIRouter(tags=["operations"])

    @ops.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @ops.get("/readyz", summary="Readiness: broker, database and storage reachable",
             responses={503: PROBLEM_RESPONSES[409] | {"description": "A dependency is unreachable"}})
    async def readyz(request: Request):
        checks = await readiness(request.app, parts.uses_storage)
        failing = [name for name, state in checks.items() if state != "ok"]
        if failing:
            problem = Problem(503, "not-ready", "服务未就绪", f"not reachable: {', '.join(failing)}",
                              checks=checks, failing=failing)
            return _problem_response(problem, "/readyz")
        return {"status": "ready", "service": service, "checks": checks}

    @ops.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        body, content_type = render_latest()
        return Response(body, media_type=content_type)

    app.include_router(ops)
    for router in parts.routers:
        app.include_router(router)
    return app


async def readiness(app: FastAPI, uses_storage: bool = True) -> Mapping[str, str]:
    checks: dict[str, str] = {}
    if not getattr(app.state, "ready", False):
        checks["startup"] = "starting"

    async def probe(name: str, action: Callable[[], Awaitable[Any]]) -> None:
        try:
            await asyncio.wait_for(action(), timeout=3)
            checks[name] = "ok"
        except Exception as error:
            checks[name] = f"error: {type(error).__name__}: {error}"[:300]

    bus: Bus | None = getattr(app.state, "bus", None)
    checks["broker"] = "ok" if bus is not None and bus.connected else "error: not connected"
    mongo: Mongo | None = getattr(app.state, "mongo", None)
    if mongo is None:
        checks["database"] = "error: not connected"
    else:
        await probe("database", mongo.ping)
    if uses_storage:
        store: ObjectStore | None = getattr(app.state, "store", None)
        if store is None:
            checks["storage"] = "error: not connected"
        else:
            await probe("storage", store.ping)
    for name, check in getattr(app.state, "readiness_checks", {}).items():
        await probe(name, check)
    return checks
