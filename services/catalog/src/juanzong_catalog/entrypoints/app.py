"""HTTP entry point of the catalog service (编目服务): REST API, online-reading page and bus consumers."""

from __future__ import annotations

from fastapi import FastAPI
from juanzong_shared.app import ServiceParts, create_service_app
from juanzong_shared.settings import load_settings

from juanzong_catalog.bootstrap import INDEXES, bootstrap, repositories
from juanzong_catalog.config import ServiceSettings
from juanzong_catalog.entrypoints import api, reading

DESCRIPTION = """编目服务：把扫描批次自动拆分、归目、排序、编页，生成卷内目录；人工更正留痕（智能编目率）；
卷内与跨卷关键词检索（中文按字切分）；网上阅卷页面（目录树、可复制文字层、缩放、检索高亮、个人标记与批注）。

Rules: 吉高法〔2020〕11号 第三条(三)(四)、第九条; 长中法〔2018〕129号 第八条; 法〔2016〕264号 二(三), 三(二)(三)(九);
《人民法院诉讼文书立卷归档办法》 第十二条至第十四条; 吉高院通报29期 (智能编目率)."""


def create_app() -> FastAPI:
    return create_service_app(load_settings(ServiceSettings), title="卷宗 编目服务 (catalog)", description=DESCRIPTION,
                              parts=ServiceParts(routers=[api.router, reading.router], indexes=INDEXES,
                                                 bootstrap=bootstrap, repositories=repositories))
