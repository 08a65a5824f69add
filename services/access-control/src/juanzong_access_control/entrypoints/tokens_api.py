"""OAuth2/OIDC endpoints: token, revocation, JWKS, discovery, userinfo."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from juanzong_shared.problems import PROBLEM_RESPONSES
from pydantic import BaseModel, Field

from ..adapters.tokens import discovery_document
from ..service_layer.identities import OAuthError
from .deps import AcDep, CallerDep
from .problems_doc import responses

router = APIRouter(tags=["tokens"])


class TokenResponse(BaseModel):
    access_token: str = Field(..., examples=["eyJhbGciOiJSUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6ImF0K2p3dCJ9..."])
    token_type: str = Field("Bearer", examples=["Bearer"])
    expires_in: int = Field(..., examples=[900])
    refresh_token: str | None = Field(None, description="Password and refresh grants only.")
    scope: str = Field("", examples=["openid profile"])


class RevokeResponse(BaseModel):
    revoked: bool = Field(..., examples=[True])
    jti: str | None = Field(None, examples=["4f1c0a..."])


def _basic_auth(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None, None
    return unquote(client_id), unquote(secret)


@router.post("/v1/token", response_model=TokenResponse, response_model_exclude_none=True,
             summary="Issue tokens (OAuth2: password, client_credentials, refresh_token); failed password logins are "
                     "limited per account and client address (429 with Retry-After)",
             responses=responses(400, 401, 422, 429))
async def token(request: Request, ac: AcDep,
                grant_type: Annotated[str, Form(examples=["password"])],
                username: Annotated[str | None, Form(examples=["judge-wang"])] = None,
                password: Annotated[str | None, Form(examples=["juanzong-demo"])] = None,
                client_id: Annotated[str | None, Form(examples=["catalog"])] = None,
                client_secret: Annotated[str | None, Form(examples=["juanzong-dev-client-secret"])] = None,
                refresh_token: Annotated[str | None, Form()] = None,
                scope: Annotated[str | None, Form(examples=["dossier:read_text"])] = None) -> dict[str, Any]:
    ids = ac.identities
    if grant_type == "password":
        # the peer's address, not a forwarded header a client could set: the failure limit counts per address
        return await ids.password(username, password, scope, request.client.host if request.client else None)
    if grant_type == "client_credentials":
        basic_id, basic_secret = _basic_auth(request)
        return await ids.client_credentials(client_id or basic_id, client_secret or basic_secret, scope)
    if grant_type == "refresh_token":
        return await ids.refresh(refresh_token, scope)
    raise OAuthError("unsupported_grant_type",
                     f"不支持的授权方式 {grant_type!r} (use password, client_credentials or refresh_token)", "grant_type")


@router.post("/v1/token/revoke", response_model=RevokeResponse, summary="Revoke an access or refresh token (RFC 7009)",
             responses=responses(400, 422))
async def revoke(ac: AcDep, token: Annotated[str, Form()],
                 token_type_hint: Annotated[str | None, Form(examples=["refresh_token"])] = None) -> dict[str, Any]:
    return await ac.identities.revoke(token)


def _example(body: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {"application/json": {"example": body}}}}


@router.get("/.well-known/jwks.json", summary="Public signing keys (JWKS)", responses=_example(
    {"keys": [{"kty": "RSA", "n": "0vx7agoebGcQSuu…", "e": "AQAB", "kid": "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
               "use": "sig", "alg": "RS256"}]}))
async def jwks(ac: AcDep) -> dict[str, Any]:
    return ac.tokens.jwks()


@router.get("/.well-known/openid-configuration", summary="OpenID Provider metadata", responses=_example(
    {"issuer": "juanzong-access-control", "jwks_uri": "https://ac.court.example/.well-known/jwks.json",
     "token_endpoint": "https://ac.court.example/v1/token",
     "grant_types_supported": ["password", "client_credentials", "refresh_token"]}))
async def openid_configuration(request: Request, ac: AcDep) -> dict[str, Any]:
    base = (ac.settings.public_base_url or str(request.base_url)).rstrip("/")
    doc = discovery_document(ac.settings.jwt_issuer, jwks_uri=f"{base}/.well-known/jwks.json",
                             token_endpoint=f"{base}/v1/token", revocation_endpoint=f"{base}/v1/token/revoke",
                             userinfo_endpoint=f"{base}/v1/userinfo")
    grants = ["client_credentials", "refresh_token"]
    if ac.settings.password_grant_enabled:
        grants.insert(0, "password")
    doc["grant_types_supported"] = grants
    doc["token_endpoint_auth_methods_supported"] = ["client_secret_post", "client_secret_basic"]
    return doc


class UserInfo(BaseModel):
    sub: str = Field(..., examples=["u-judge-wang"])
    name: str = Field(..., examples=["王审判"])
    court: str = Field(..., examples=["吉01"])
    dept: str | None = Field(None, examples=["民一庭"])
    roles: list[str] = Field(..., examples=[["judge", "presiding_judge"]])
    kind: str = Field(..., examples=["user"])
    supervised_depts: list[str] = Field(default_factory=list)


@router.get("/v1/userinfo", response_model=UserInfo, summary="Who the bearer token belongs to (OIDC userinfo)",
            responses={401: PROBLEM_RESPONSES[401]})
async def userinfo(caller: CallerDep) -> UserInfo:
    return UserInfo(sub=caller.id, name=caller.name, court=caller.court, dept=caller.department,
                    roles=sorted(r.value for r in caller.roles), kind=caller.kind.value,
                    supervised_depts=sorted(caller.supervised_departments))
