"""Contract models for what crosses a service boundary outside events (objects in storage, compiled views).

Each is a frozen pydantic model, unknown fields refused, with a ``version`` field; its JSON Schema is exported
to ``docs/contracts/`` (``python -m juanzong_shared.contracts.export``). The producer writes
``model.model_dump_json()``, the consumer reads with ``Model.model_validate_json``.
"""

from __future__ import annotations

from pydantic import BaseModel

from juanzong_shared.contracts.compiled_dossier import (
    CompiledCase,
    CompiledCatalogueRow,
    CompiledDocument,
    CompiledDossier,
    CompiledPage,
    CompiledVolume,
)
from juanzong_shared.contracts.page_ocr import OcrLine, PageOcrDocument, PageQc, QcReason

__all__ = ["CONTRACTS", "CompiledCase", "CompiledCatalogueRow", "CompiledDocument", "CompiledDossier", "CompiledPage",
           "CompiledVolume", "OcrLine", "PageOcrDocument", "PageQc", "QcReason"]

CONTRACTS: dict[str, type[BaseModel]] = {
    "page-ocr.v1": PageOcrDocument,
    "compiled-dossier.v1": CompiledDossier,
}
"""Schema file name (without ``.json``) → model."""
