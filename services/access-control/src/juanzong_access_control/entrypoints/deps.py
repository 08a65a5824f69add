"""FastAPI dependencies: the service's parts and the verified caller."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, Request
from juanzong_shared.auth import TokenVerifier, bearer_token
from juanzong_shared.errors import Unauthenticated
from juanzong_shared.problems import Problem

from ..bootstrap import AccessControl
from ..domain.identities import Principal, PrincipalKind, Role
from ..service_layer.identities import Revocations, VerifiedTokens


def access_control(request: Request) -> AccessControl:
    ac = getattr(request.app.state, "ac", None)
    if ac is None:
        raise Problem(503, "starting", "服务启动中", "access-control is starting")
    return ac


async def get_ac(request: Request) -> AccessControl:
    # async on purpose: FastAPI runs a plain ``def`` dependency in the thread pool, a thread hop per
    # request that cost more than the whole decision under load
    return access_control(request)


async def get_caller(request: Request) -> Principal:
    ac = access_control(request)
    return await principal_from_token(request.app.state.token_verifier, ac.revocations, bearer_token(request),
                                      ac.verified_tokens)


def _invalid_token(reason: str) -> Unauthenticated:  # as the shared verifier answers (RFC 6750)
    return Unauthenticated("", reason, code="unauthorized",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


async def principal_from_token(verifier: TokenVerifier, revocations: Revocations, token: str | None,
                               cache: VerifiedTokens | None = None) -> Principal:
    """The verified caller as the decision point sees it; 401 problem+json when the token is not good."""
    if token is None:
        raise _invalid_token("缺少 Bearer 令牌 (missing bearer token)")
    hit = cache.get(token) if cache is not None else None
    if hit is not None:
        jti, principal = hit
        if revocations.is_revoked(jti):
            raise _invalid_token("令牌已被撤销 (token revoked)")
        return principal
    identity = await verifier.verify(token)  # signature, issuer, audience, expiry
    if revocations.is_revoked(identity.token_id):
        raise _invalid_token("令牌已被撤销 (token revoked)")
    claims = jwt.decode(token, options={"verify_signature": False})
    known = {r.value for r in Role}
    try:
        principal = Principal(id=identity.subject, name=identity.name or identity.subject,
                              court=identity.court or "", department=identity.department,
                              kind=PrincipalKind(identity.kind),
                              roles=frozenset(Role(r) for r in identity.roles if r in known),
                              scopes=frozenset(identity.scopes),
                              supervised_departments=frozenset(claims.get("supervised_depts") or ()))
    except ValueError as error:
        raise _invalid_token(f"令牌声明不一致 (inconsistent claims: {error})") from None
    if cache is not None:
        # cached only up to the verifier's own expiry check (no leeway beyond it)
        cache.put(token, float(claims["exp"]), identity.token_id, principal)
    return principal


AcDep = Annotated[AccessControl, Depends(get_ac)]
CallerDep = Annotated[Principal, Depends(get_caller)]
