"""``pages/{page_id}/ocr.json`` as the page pipeline writes it is the shared ``page-ocr.v1`` contract: the
written bytes validate against the model and against the exported JSON Schema in ``docs/contracts/``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from juanzong_scan_ocr.adapters.imaging import CleanOptions
from juanzong_scan_ocr.adapters.ocr import OcrEngine, OcrPage
from juanzong_scan_ocr.adapters.ocr.base import OcrLine
from juanzong_scan_ocr.adapters.pipeline import PagePipeline, PreparedPage
from juanzong_scan_ocr.domain.formats import MediaKind, SourcePage
from juanzong_shared.contracts import PageOcrDocument

pytestmark = pytest.mark.unit
SCHEMA = json.loads((Path(__file__).resolve().parents[5] / "docs" / "contracts" / "page-ocr.v1.json")
                    .read_text(encoding="utf-8"))


class FixedEngine(OcrEngine):
    """An engine that reads two fixed lines off any page (OCR itself is tested with the real engines)."""

    name = "fixed"

    @property
    def version(self) -> str:
        return "fixed 1"

    def recognize(self, image: np.ndarray, *, lines: Sequence[np.ndarray] | None = None,
                  transform: np.ndarray | None = None) -> OcrPage:
        h, w = image.shape[:2]
        found = (OcrLine(text="民事判决书", polygon=((100, 80), (900, 80), (900, 140), (100, 140)), confidence=0.99),
                 OcrLine(text="原告：张三", polygon=((100, 200), (700, 200), (700.5, 250), (100, 250.5)),
                         confidence=0.9))
        return OcrPage(text="\n".join(ln.text for ln in found), lines=found, engine=self.name,
                       model_version=self.version, width=w, height=h, timings={"det": 0.01, "rec": 0.02})


def _written(result, page_id: str) -> tuple[bytes, PageOcrDocument]:
    raw = result.ocr_json(page_id)
    jsonschema.validate(json.loads(raw), SCHEMA)
    return raw, PageOcrDocument.model_validate_json(raw)


def test_a_scanned_page_writes_the_contract(kit):
    page = SourcePage(index=0, kind=MediaKind.PNG, image=kit.block_page(dpi=300), dpi=300.0)
    result = PagePipeline(FixedEngine(), clean=CleanOptions(orientation="none")).process(page)
    raw, document = _written(result, "b1-p0001")
    assert document.version == 1 and json.loads(raw)["version"] == 1
    assert document.page_id == "b1-p0001" and document.engine == "fixed" and document.model_version == "fixed 1"
    assert [ln.text for ln in document.lines] == ["民事判决书", "原告：张三"]
    assert document.lines[1].polygon[2] == (700.5, 250.0) and document.lines[1].confidence == 0.9
    assert (document.width, document.height, document.dpi) == (result.ocr.width, result.ocr.height, 300)
    assert document.rotation == result.rotation and document.skew_degrees == result.skew_degrees
    assert not document.born_digital and document.timings == {"det": 0.01, "rec": 0.02}
    assert document.qc.passed and not document.qc.needs_rescan and document.qc.dpi == result.qc.effective_dpi
    assert document.qc.checked_by == "scan-ocr" and document.qc.checked_at.utcoffset().total_seconds() == 0
    assert "民事判决书" in raw.decode()  # UTF-8 as it is, readable in the bucket


def test_a_page_to_rescan_carries_its_verdict_and_reasons(kit):
    page = SourcePage(index=0, kind=MediaKind.PNG, image=kit.block_page(dpi=100), dpi=100.0)
    result = PagePipeline(FixedEngine(), clean=CleanOptions(orientation="none")).process(page)
    _, document = _written(result, "b1-p0002")
    assert not document.qc.passed and document.qc.needs_rescan and document.qc.dpi == 100
    assert "dpi_below_floor" in [r.code for r in document.qc.reasons if r.severity == "rescan"]


def test_a_born_digital_page_writes_the_contract():
    blank = np.full((842, 595, 3), 255, np.uint8)
    prepared = PreparedPage(index=0, bgr=blank, gray=blank, declared_dpi=72, born_digital=True,
                            text="起诉状\n原告：李四", width=595, height=842)
    pipeline = PagePipeline(FixedEngine())
    result = pipeline.render(pipeline.analyse(prepared))
    _, document = _written(result, "b1-p0003")
    assert document.born_digital and document.engine == "pdf-text" and document.lines == ()
    assert document.text == "起诉状\n原告：李四" and document.rotation == 0

