"""FastAPI dependencies that hand routes the clients made in the lifespan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from juanzong_shared.auth import AccessDecider
from juanzong_shared.bus import Bus
from juanzong_shared.db import Mongo
from juanzong_shared.outbox import UnitOfWork
from juanzong_shared.problems import Problem
from juanzong_shared.settings import Settings
from juanzong_shared.storage import ObjectStore


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency that hands a route what ``bootstrap`` put in ``Wiring.services`` under ``name``:
    ``CasesDep = Annotated[Cases, Depends(from_state("cases"))]``."""

    def get(request: Request) -> Any:
        return getattr(request.app.state, name)
    get.__name__ = f"state_{name}"
    return get


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_mongo(request: Request) -> Mongo:
    return request.app.state.mongo


def get_store(request: Request) -> ObjectStore:
    return request.app.state.store


def get_bus(request: Request) -> Bus:
    return request.app.state.bus


def get_uow(request: Request) -> UnitOfWork:
    """A fresh unit of work; committing it wakes the outbox relay."""
    relay = getattr(request.app.state, "outbox", None)
    return UnitOfWork(request.app.state.mongo, on_commit=relay.notify if relay else None)


def get_decider(request: Request) -> AccessDecider:
    decider = getattr(request.app.state, "decider", None)
    if decider is None:
        raise Problem(503, "access-control-unconfigured", "权限服务未配置", "set JZ_ACCESS_CONTROL_URL")
    return decider


SettingsDep = Annotated[Settings, Depends(get_settings)]
MongoDep = Annotated[Mongo, Depends(get_mongo)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
BusDep = Annotated[Bus, Depends(get_bus)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
DeciderDep = Annotated[AccessDecider, Depends(get_decider)]
