"""HTTP entry point of the access-control service: identities and tokens, decisions, approvals, paper
borrowing and the audit trail (吉高法〔2020〕11号 第八条、第九条; 法〔2016〕264号 一(三)、三(六))."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.settings import load_settings

from ..bootstrap import INDEXES, bootstrap, repositories
from ..config import SERVICE, ServiceSettings
from . import approvals_api, audit_api, borrowings_api, decisions_api, tokens_api

DESCRIPTION = """\
卷宗 权限服务 — who may read which e-dossier and e-archive, by the rules.

* **Tokens**: RS256 JWTs (`/v1/token`, `/.well-known/jwks.json`, `/.well-known/openid-configuration`).
* **Decisions** (`POST /v1/decisions`): 吉高法〔2020〕11号 第九条 — an unfinished case is read by its panel;
  法官会议/审委会 members when it is submitted to them; others after 承办法官 → 部门负责人 → 分管院领导 approve.
* **Approvals** (`/v1/access-requests`), **paper borrowing** (`/v1/borrowings`, 第八条),
  **audit** (`/v1/audit`, a hash chain: 全程留痕).
"""

__all__ = ["SERVICE", "ServiceSettings", "create_app"]


def create_app() -> FastAPI:
    return create_service_app(load_settings(ServiceSettings), title="卷宗 权限服务 (access-control)",
                              description=DESCRIPTION, parts=ServiceParts(
                                  routers=[tokens_api.router, decisions_api.router, approvals_api.router,
                                           borrowings_api.router, audit_api.router],
                                  indexes=INDEXES, uses_storage=False, bootstrap=bootstrap,
                                  repositories=repositories))
