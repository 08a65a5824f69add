"""The statistical page model: character 1–3-gram TF-IDF + multinomial logistic regression.

Fitted ahead of time by ``juanzong-train page-model`` (package ``juanzong_training``, on its generated
corpus) and loaded here from the file the ``JZ_CATALOG_PAGE_MODEL`` setting names. Its JSON sidecar
(``<artifact>.json``) carries the artifact's sha256 and the scikit-learn version that pickled it: a file
that does not match is refused before it is unpickled, and nothing is ever trained in the service.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import sklearn
from juanzong_shared.errors import Unavailable

from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.text import compact

__all__ = ["DEFAULT_PATH", "PageModelUnavailable", "SklearnPageModel", "load_page_model", "sidecar_path"]

DEFAULT_PATH = Path("var/models/page-model.joblib")  # relative to the working directory (repo root, /app)


class PageModelUnavailable(Unavailable, code="page-model-unavailable", title="编目模型不可用"): ...


def sidecar_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class SklearnPageModel:
    """Implements ``domain.classifier.PageModel`` with a fitted scikit-learn vectorizer and model."""

    def __init__(self, vectorizer, model) -> None:
        self.vectorizer = vectorizer
        self.model = model
        self._classes = tuple(Category(c) for c in model.classes_)

    @staticmethod
    def prepare(text: str) -> str:
        # Lines are joined without spaces: OCR line breaks fall mid-word in Chinese.
        return compact(text)

    @property
    def classes(self) -> tuple[Category, ...]:
        return self._classes

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self._classes)))
        return self.model.predict_proba(self.vectorizer.transform([self.prepare(t) for t in texts]))


def load_page_model(path: Path | str) -> SklearnPageModel:
    """The fitted model at ``path``, after checking it against its sidecar; :class:`PageModelUnavailable`
    names the command that builds it when it is missing, altered, or from another scikit-learn."""
    path = Path(path)
    build = f"build it with `uv run juanzong-train page-model --out {path}`"
    sidecar = sidecar_path(path)
    if not path.is_file() or not sidecar.is_file():
        raise PageModelUnavailable("page_model", f"no page model at {path} (or its {sidecar.name}): {build}")
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    if meta.get("sklearn_version") != sklearn.__version__:
        raise PageModelUnavailable("page_model", f"{path} was fitted with scikit-learn "
                                   f"{meta.get('sklearn_version')}, this is {sklearn.__version__}: {build}")
    if sha256_of(path) != meta.get("sha256"):
        raise PageModelUnavailable("page_model", f"{path} does not match the sha256 in {sidecar.name}: {build}")
    fitted = joblib.load(path)
    return SklearnPageModel(fitted["vectorizer"], fitted["model"])
