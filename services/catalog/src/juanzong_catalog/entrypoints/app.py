"""HTTP entry point of the catalog service (编目服务): REST API, online-reading page and bus consumers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.bus import Subscription
from juanzong_shared.settings import Settings, load_settings
from pydantic import Field

from juanzong_catalog.adapters.repository import INDEXES
from juanzong_catalog.bootstrap import bootstrap, shutdown_hook, startup_hook
from juanzong_catalog.entrypoints import api, reading
from juanzong_catalog.service_layer.runtime import CatalogRuntime

SERVICE = "catalog"
PAGES_BUCKET = "juanzong-pages"


class ServiceSettings(Settings):
    service_name: str = SERVICE
    search_cache_dossiers: int = Field(
        8, ge=0, le=10_000, description="Dossiers whose search index is kept in memory (least recently searched "
        "dropped first; ~20-40 MB per 2,000-page dossier). 0: search on MongoDB's search_lines instead.")
    search_warm: bool = Field(True, description="Bring a dossier's search index up to date right after a batch "
                                                "is catalogued into it, before the first search.")
    catalog_page_model: Path = Field(Path("var/models/page-model.joblib"), description=(
        "The page model artifact (with its .json sidecar), built by `juanzong-train page-model --out <path>`."))


DESCRIPTION = """编目服务：把扫描批次自动拆分、归目、排序、编页，生成卷内目录；人工更正留痕（智能编目率）；
卷内与跨卷关键词检索（中文按字切分）；网上阅卷页面（目录树、可复制文字层、缩放、检索高亮、个人标记与批注）。

Rules: 吉高法〔2020〕11号 第三条(三)(四)、第九条; 长中法〔2018〕129号 第八条; 法〔2016〕264号 二(三), 三(二)(三)(九);
《人民法院诉讼文书立卷归档办法》 第十二条至第十四条; 吉高院通报29期 (智能编目率)."""


def create_app(runtime: CatalogRuntime | None = None) -> FastAPI:
    settings = load_settings(ServiceSettings)
    runtime, handlers = bootstrap(runtime)
    return create_service_app(settings, title="卷宗 编目服务 (catalog)", description=DESCRIPTION, parts=ServiceParts(
        routers=[api.router, reading.router], subscriptions=[Subscription(handlers.map)], indexes=INDEXES,
        on_startup=[startup_hook(runtime)],
        on_shutdown=[shutdown_hook(runtime)]))
