"""The contract models for what crosses services outside events: JSON round trip, schema validity, refusals,
and the exported schemas in ``docs/contracts/`` are current."""

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from juanzong_shared.contracts import CONTRACTS, PageOcrDocument
from juanzong_shared.contracts.export import export_schemas, json_schema
from pydantic import ValidationError

pytestmark = pytest.mark.unit
DOCS = Path(__file__).resolve().parents[3] / "docs" / "contracts"


def page_ocr(**overrides) -> dict:
    """A page OCR document as scan-ocr writes it (JSON form), with overrides."""
    doc = {
        "version": 1, "page_id": "b1-p0001", "engine": "ppocr", "model_version": "PP-OCRv5_mobile det+rec",
        "text": "民事判决书\n原告：张三", "width": 2480, "height": 3508, "dpi": 300, "rotation": 180,
        "skew_degrees": -0.8, "born_digital": False, "timings": {"det": 0.4, "rec": 1.1},
        "lines": [{"text": "民事判决书", "polygon": [[120, 88], [940, 88], [940, 142], [120, 142]], "confidence": 0.99},
                  {"text": "原告：张三", "polygon": [[120, 200], [700, 200], [700, 250], [120, 250]],
                   "confidence": 0.93}],
        "qc": {"width_px": 2480, "height_px": 3508, "effective_dpi": 300, "dpi_source": "declared", "clarity": 0.91,
               "edge_spread_mm": 0.12, "blurred": False, "ink_ratio": 0.05, "blank": False, "skew_degrees": -0.8,
               "orientation": 180, "reasons": [], "needs_rescan": False, "passed": True, "dpi": 300,
               "checked_at": "2026-12-07T10:00:00+00:00", "checked_by": "scan-ocr"},
    }
    doc.update(overrides)
    return doc


def test_every_contract_has_a_version_field_required_by_its_schema():
    for name, model in CONTRACTS.items():
        assert "version" in model.model_fields, name
        assert "version" in json_schema(name)["required"], name
        assert name.endswith(f".v{model.model_fields['version'].default}"), name


def test_page_ocr_round_trip_and_schema():
    raw = json.dumps(page_ocr(), ensure_ascii=False)
    document = PageOcrDocument.model_validate_json(raw)
    assert document.lines[0].polygon[2] == (940.0, 142.0)
    assert document.qc.checked_at == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    again = document.model_dump_json()
    assert PageOcrDocument.model_validate_json(again) == document
    jsonschema.validate(json.loads(again), json_schema("page-ocr.v1"))
    jsonschema.validate(json.loads(raw), json_schema("page-ocr.v1"))


@pytest.mark.parametrize(("change", "where"), [
    ({"lines": [{"text": "传票", "box": [10, 20, 110, 60], "confidence": 0.9}]}, "lines.0"),  # another box shape
    ({"lines": [{"text": "传票", "polygon": [[0, 0], [5, 0], [5, 2]], "confidence": 0.9}]}, "lines.0.polygon"),
    ({"lines": [{"text": "传票", "polygon": [[0, 0], [5, 0], [5, 2], [0, 2]], "confidence": 7}]},
     "lines.0.confidence"),
    ({"image_key": "pages/p1/processed.png"}, "image_key"),  # a field the contract does not have
    ({"version": 2}, "version"),
    ({"rotation": 45}, "rotation"),
    ({"qc": None}, "qc"),
])
def test_a_document_off_the_contract_is_refused_by_model_and_schema(change, where):
    bad = page_ocr(**change)
    with pytest.raises(ValidationError) as caught:
        PageOcrDocument.model_validate_json(json.dumps(bad))
    assert any(".".join(map(str, e["loc"])).startswith(where) for e in caught.value.errors()), caught.value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json_schema("page-ocr.v1"))


def test_missing_fields_are_refused():
    for field in ("page_id", "lines", "qc", "engine"):
        bad = page_ocr()
        del bad[field]
        with pytest.raises(ValidationError):
            PageOcrDocument.model_validate(bad)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, json_schema("page-ocr.v1"))


def test_naive_qc_time_is_refused():
    bad = page_ocr()
    bad["qc"] = {**bad["qc"], "checked_at": "2026-12-07T10:00:00"}
    with pytest.raises(ValidationError):
        PageOcrDocument.model_validate(bad)


def test_exported_contract_schemas_are_current(tmp_path):
    export_schemas(tmp_path)
    generated = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.json")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.json")}
    assert generated == committed, "run: .venv/bin/python -m juanzong_shared.contracts.export"
    assert "page-ocr.v1.json" in committed
