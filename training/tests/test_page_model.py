"""The page-model artifact: written with its sidecar, loaded by the catalog, refused when it does not match."""

from __future__ import annotations

import json

import pytest
from juanzong_catalog.adapters.classifier_model import PageModelUnavailable, load_page_model, sidecar_path
from juanzong_catalog.domain.categories import Category
from juanzong_training.cli import main
from juanzong_training.page_model import build_page_model, is_current

pytestmark = pytest.mark.unit

SMALL = [Category.JUDGMENT, Category.SUMMONS, Category.COMPLAINT]


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "page-model.joblib"
    assert main(["page-model", "--out", str(out), "--per-category", "4", "--seed", "7",
                 *[arg for c in SMALL for arg in ("--category", c.value)]]) == 0
    return out


def test_the_catalog_loads_what_the_cli_wrote(artifact) -> None:
    meta = json.loads(sidecar_path(artifact).read_text())
    assert (meta["seed"], meta["per_category"]) == (7, 4)
    assert sorted(meta["classes"]) == sorted(c.value for c in SMALL)
    model = load_page_model(artifact)
    assert set(model.classes) == set(SMALL)
    assert model.predict_proba(["民事判决书\n判决如下"]).shape == (1, 3)


def test_a_current_artifact_is_kept_and_other_options_rebuild(artifact) -> None:
    assert is_current(artifact, 7, 4, SMALL)
    assert not build_page_model(artifact, 7, 4, SMALL, if_stale=True)
    assert not is_current(artifact, 8, 4, SMALL)


def test_missing_altered_or_foreign_artifacts_are_refused_naming_the_command(artifact, tmp_path) -> None:
    with pytest.raises(PageModelUnavailable, match="juanzong-train page-model --out"):
        load_page_model(tmp_path / "absent.joblib")

    altered = tmp_path / "altered.joblib"
    altered.write_bytes(artifact.read_bytes() + b"\0")
    sidecar_path(altered).write_text(sidecar_path(artifact).read_text())
    with pytest.raises(PageModelUnavailable, match="sha256"):
        load_page_model(altered)

    foreign = tmp_path / "foreign.joblib"
    foreign.write_bytes(artifact.read_bytes())
    sidecar_path(foreign).write_text(json.dumps(json.loads(sidecar_path(artifact).read_text())
                                                | {"sklearn_version": "0.0"}))
    with pytest.raises(PageModelUnavailable, match="scikit-learn 0.0"):
        load_page_model(foreign)
