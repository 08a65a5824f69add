"""Tesseract 5 ``chi_sim`` through pytesseract — the alternative engine.

Line boxes come from ``image_to_data`` (block/paragraph/line numbers); Tesseract's boxes are
axis-aligned, so each polygon is a rectangle. Word confidences (0-100) are averaged per line.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import cv2
import numpy as np

from .base import OcrEngine, OcrEngineError, OcrLine, OcrPage, as_bgr, join_row
from .settings import OcrSettings


class TesseractEngine(OcrEngine):
    """Tesseract via pytesseract; needs the Debian packages tesseract-ocr and tesseract-ocr-chi-sim."""

    name = "tesseract"

    def __init__(self, settings: OcrSettings | None = None) -> None:
        self.settings = settings or OcrSettings()
        self._version: str | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        if self._version is None:
            import pytesseract

            with self._lock:
                try:
                    ver = str(pytesseract.get_tesseract_version())
                    langs = pytesseract.get_languages(config="")
                except (pytesseract.TesseractNotFoundError, OSError) as exc:
                    raise OcrEngineError("tesseract is not installed (apt-get install tesseract-ocr)") from exc
                if self.settings.tesseract_lang not in langs:
                    raise OcrEngineError(f"tesseract language {self.settings.tesseract_lang!r} is not installed")
                self._version = f"tesseract {ver.splitlines()[0]} {self.settings.tesseract_lang}"
        return self._version

    def recognize(self, image: np.ndarray, *, lines: Sequence[np.ndarray] | None = None,
                  transform: np.ndarray | None = None) -> OcrPage:
        import pytesseract
        from PIL import Image

        version = self.version
        t0 = time.perf_counter()
        bgr = as_bgr(image)
        if transform is not None:  # Tesseract reads whole pages: warp it onto the mapped page
            h, w = bgr.shape[:2]
            bgr = cv2.warpAffine(bgr, np.asarray(transform, dtype=np.float64), (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REPLICATE)
        pil = Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))
        config = f"--oem 1 --psm {self.settings.tesseract_psm} -c preserve_interword_spaces=1"
        data = pytesseract.image_to_data(
            pil, lang=self.settings.tesseract_lang, config=config, output_type=pytesseract.Output.DICT
        )
        t1 = time.perf_counter()
        groups: OrderedDict[tuple[int, int, int], list[int]] = OrderedDict()
        for i, word in enumerate(data["text"]):
            if not str(word).strip():
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            groups.setdefault(key, []).append(i)
        lines: list[OcrLine] = []
        for idx in groups.values():
            words = [str(data["text"][i]).strip() for i in idx]
            confs = [float(data["conf"][i]) for i in idx if float(data["conf"][i]) >= 0]
            x0 = min(data["left"][i] for i in idx)
            y0 = min(data["top"][i] for i in idx)
            x1 = max(data["left"][i] + data["width"][i] for i in idx)
            y1 = max(data["top"][i] + data["height"][i] for i in idx)
            conf = (sum(confs) / len(confs) / 100.0) if confs else 0.0
            lines.append(
                OcrLine(
                    text=join_row(words),
                    polygon=((x0, y0), (x1, y0), (x1, y1), (x0, y1)),
                    confidence=round(min(1.0, max(0.0, conf)), 4),
                )
            )
        return OcrPage(
            text="\n".join(ln.text for ln in lines),
            lines=tuple(lines),
            engine=self.name,
            model_version=version,
            width=int(bgr.shape[1]),
            height=int(bgr.shape[0]),
            timings={"ocr": round(t1 - t0, 4)},
        )
