"""FastAPI dependencies: the service's parts and the verified caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from juanzong_shared.auth import bearer_token
from juanzong_shared.problems import Problem

from ..bootstrap import AccessControl
from ..domain.identities import Principal
from ..service_layer.identities import principal_from_token


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


AcDep = Annotated[AccessControl, Depends(get_ac)]
CallerDep = Annotated[Principal, Depends(get_caller)]
