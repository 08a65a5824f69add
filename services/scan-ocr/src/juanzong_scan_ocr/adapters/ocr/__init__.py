"""OCR engines behind one typed contract (``OcrEngine.recognize(image) -> OcrPage``)."""

from .base import OcrEngine, OcrEngineError, OcrLine, OcrPage
from .ppocr import PpOcrEngine
from .registry import DEFAULT_ENGINE, ENGINES, available_engines, get_engine
from .settings import OcrSettings
from .tesseract import TesseractEngine

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "OcrEngine",
    "OcrEngineError",
    "OcrLine",
    "OcrPage",
    "OcrSettings",
    "PpOcrEngine",
    "TesseractEngine",
    "available_engines",
    "get_engine",
]
