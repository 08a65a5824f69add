"""The statistical page model: character 1–3-gram TF-IDF + multinomial logistic regression.

Trained deterministically on the generated corpus (``domain/corpus.py``) the first time it is asked
for, then kept for the life of the process — no weights are stored in the repository and nothing is
downloaded. Training takes a few seconds on two cores (see ``bench/README-catalog.md``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.corpus import TemplateFilter, generate_corpus
from juanzong_catalog.domain.text import compact

__all__ = ["DEFAULT_SEED", "SklearnPageModel", "default_page_model", "train_page_model"]

DEFAULT_SEED = 20250312
DEFAULT_PER_CATEGORY = 36


def _prepare(text: str) -> str:
    # Lines are joined without spaces: OCR line breaks fall mid-word in Chinese.
    return compact(text)


class SklearnPageModel:
    """Implements ``domain.classifier.PageModel`` with scikit-learn."""

    def __init__(self, vectorizer: TfidfVectorizer, model: LogisticRegression) -> None:
        self._vectorizer = vectorizer
        self._model = model
        self._classes = tuple(Category(c) for c in model.classes_)

    @property
    def classes(self) -> tuple[Category, ...]:
        return self._classes

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self._classes)))
        return self._model.predict_proba(self._vectorizer.transform([_prepare(t) for t in texts]))

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[Category]) -> SklearnPageModel:
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2,
                                     max_features=120_000, dtype=np.float32)
        x = vectorizer.fit_transform([_prepare(t) for t in texts])
        model = LogisticRegression(C=20.0, max_iter=100, tol=1e-2)
        model.fit(x, [c.value for c in labels])
        return cls(vectorizer, model)


def train_page_model(seed: int = DEFAULT_SEED, per_category: int = DEFAULT_PER_CATEGORY,
                     variants: TemplateFilter | None = None) -> SklearnPageModel:
    """Generate the corpus for ``seed`` and fit on every page, labelled with its document's category.
    ``variants`` holds template variants out (the benchmark's generalisation check)."""
    texts: list[str] = []
    labels: list[Category] = []
    for doc in generate_corpus(seed, per_category=per_category, variants=variants):
        for page in doc.pages:
            texts.append(page.text)
            labels.append(doc.truth.category)
    return SklearnPageModel.fit(texts, labels)


_lock = threading.Lock()
_cache: dict[tuple[int, int], SklearnPageModel] = {}


def default_page_model(seed: int = DEFAULT_SEED, per_category: int = DEFAULT_PER_CATEGORY) -> SklearnPageModel:
    """The process-wide model, trained on first use (thread-safe)."""
    key = (seed, per_category)
    with _lock:
        if key not in _cache:
            _cache[key] = train_page_model(seed, per_category)
        return _cache[key]
