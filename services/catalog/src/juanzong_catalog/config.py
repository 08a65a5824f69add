"""catalog's settings (``JZ_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from juanzong_shared.settings import Settings
from pydantic import Field

SERVICE = "catalog"


class ServiceSettings(Settings):
    service_name: str = SERVICE
    search_cache_dossiers: int = Field(
        8, ge=0, le=10_000, description="Dossiers whose search index is kept in memory (least recently searched "
        "dropped first; ~20-40 MB per 2,000-page dossier). 0: search on MongoDB's search_lines instead.")
    search_warm: bool = Field(True, description="Bring a dossier's search index up to date right after a batch "
                                                "is catalogued into it, before the first search.")
    catalog_page_model: Path = Field(Path("var/models/page-model.joblib"), description=(
        "The page model artifact (with its .json sidecar), built by `juanzong-train page-model --out <path>`."))
