"""Engine registry: one explicit name → class map, instances cached per process."""

from __future__ import annotations

import threading

from .base import OcrEngine
from .ppocr import PpOcrEngine
from .settings import OcrSettings
from .tesseract import TesseractEngine

ENGINES: dict[str, type[OcrEngine]] = {
    PpOcrEngine.name: PpOcrEngine,
    TesseractEngine.name: TesseractEngine,
}
DEFAULT_ENGINE = PpOcrEngine.name

_instances: dict[tuple[str, OcrSettings], OcrEngine] = {}
_lock = threading.Lock()


def available_engines() -> list[str]:
    return sorted(ENGINES)


def get_engine(name: str | None = None, settings: OcrSettings | None = None) -> OcrEngine:
    """The engine called ``name`` (default: ``settings.engine``), created once per process and reused.

    Creating an engine loads nothing; models load on the first ``recognize``.
    """
    settings = settings or OcrSettings()
    key = (name or settings.engine, settings)
    if key[0] not in ENGINES:
        raise KeyError(f"unknown OCR engine {key[0]!r}; available: {', '.join(available_engines())}")
    with _lock:
        engine = _instances.get(key)
        if engine is None:
            engine = ENGINES[key[0]](settings)  # type: ignore[call-arg]
            _instances[key] = engine
        return engine
