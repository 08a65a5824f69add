"""The compiled-dossier contract (catalog → archive): a real answer validates, JSON round trip, schema, refusals."""

import json

import jsonschema
import pytest
from juanzong_shared.contracts import CONTRACTS, CompiledDossier
from juanzong_shared.contracts.export import json_schema
from pydantic import ValidationError

pytestmark = pytest.mark.unit
CN = "（2025）吉01民终123号"
QC = {"width_px": 2480, "height_px": 3508, "effective_dpi": 300, "dpi_source": "declared", "clarity": 0.91,
      "edge_spread_mm": 0.12, "blurred": False, "ink_ratio": 0.05, "blank": False, "skew_degrees": -0.8,
      "orientation": None, "reasons": [], "needs_rescan": False, "passed": True, "dpi": 300,
      "checked_at": "2026-12-07T10:00:00Z", "checked_by": "scan-ocr"}


def answer() -> dict:
    """What catalog's ``GET /v1/dossiers/{cn}/compiled`` answers (as JSON)."""
    page = {"role": None, "page_id": "b1-p0001", "document_id": "b1-d001", "page_number": 1, "generated": False,
            "bucket": "juanzong-pages", "pdf_key": "pages/b1-p0001/page.pdf", "ocr_key": "pages/b1-p0001/ocr.json",
            "image_key": "pages/b1-p0001/page.jpg", "batch_id": "b1", "seq": 1, "scan_task_id": "t-1",
            "engine": "ppocr", "model_version": "PP-OCRv5", "mean_confidence": 0.97, "needs_rescan": False,
            "born_digital": False, "content_sha256": "ab" * 32, "qc": QC, "width": 2480, "height": 3508,
            "text_chars": 412, "replaces_page_id": None, "recognised_at": "2026-12-07T10:00:02.123000Z"}
    return {
        "version": 1, "case_number": CN, "case_kind": "civil_second_instance",
        "case": {"court": "J01", "case_type": "民事二审", "registered_at": "2026-12-01T08:00:00Z"},
        "volumes": [{
            "volume": "main", "name_zh": "正卷", "numbered_pages": 1,
            "pages": [{"role": "cover", "page_id": None, "document_id": None, "page_number": None,
                       "generated": True}, page],
            "documents": [{"document_id": "b1-d001", "category": "appeal_petition", "category_zh": "上诉状",
                           "title": "民事上诉状", "issuing_party": "张三", "date": "2025-03-12", "numbered": True,
                           "catalogue_sequence": 1, "first_page": 1, "last_page": 1, "page_ids": ["b1-p0001"],
                           "confidence": 0.98, "basis": "rule:title", "disclosable": True,
                           "parties": [{"role": "appellant", "name": "张三"}]}],
            "catalogue": [{"volume": "main", "volume_zh": "正卷", "sequence": 1, "document_id": "b1-d001",
                           "title": "民事上诉状", "issuer": "张三", "date": "2025-03-12", "first_page": 1,
                           "last_page": 1, "page_range": "1", "category": "appeal_petition",
                           "category_zh": "上诉状"}]}],
        "review_queue": [], "complete": True,
        "cataloguing_rate": {"total_pages": 1, "automatic_pages": 1, "rate": 1.0, "rule": "吉高院通报29期 智能编目率"},
        "corrections": [{"correction_id": f"{CN}-c1", "kind": "rename", "actor": "u-clerk-li",
                         "at": "2026-12-07T11:00:00Z", "document_ids": ["b1-d001"], "page_ids": [],
                         "before": "上诉状", "after": "民事上诉状"}],
        "blank_page_ids": [],
    }


def test_registered_and_exported():
    assert CONTRACTS["compiled-dossier.v1"] is CompiledDossier
    assert json_schema("compiled-dossier.v1")["x-producer"] == "catalog"


def test_a_real_answer_round_trips_and_validates_against_the_schema():
    raw = json.dumps(answer(), ensure_ascii=False)
    jsonschema.validate(json.loads(raw), json_schema("compiled-dossier.v1"))
    dossier = CompiledDossier.model_validate_json(raw)
    page = dossier.volumes[0].pages[1]
    assert page.qc is not None and page.qc.dpi == 300 and page.qc.passed
    assert dossier.volumes[0].pages[0].qc is None and dossier.volumes[0].pages[0].generated
    again = dossier.model_dump_json()
    assert CompiledDossier.model_validate_json(again) == dossier
    jsonschema.validate(json.loads(again), json_schema("compiled-dossier.v1"))


@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["volumes"][0]["pages"][1].update(dpi=300), "volumes.0.pages.1.dpi"),  # a guessed name
    (lambda d: d["volumes"][0]["documents"][0].update(issuer="张三"), "volumes.0.documents.0.issuer"),
    (lambda d: d["volumes"][0].update(volume="正卷"), "volumes.0.volume"),
    (lambda d: d.update(version=2), "version"),
])
def test_an_answer_off_the_contract_is_refused(change, where):
    bad = answer()
    change(bad)
    with pytest.raises(ValidationError) as caught:
        CompiledDossier.model_validate(bad)
    assert any(".".join(map(str, e["loc"])).startswith(where) for e in caught.value.errors()), caught.value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, json_schema("compiled-dossier.v1"))
