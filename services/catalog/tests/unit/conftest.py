"""Factories for catalog's domain tests: pages, a fake page model, the trained model, times."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pytest
from juanzong_catalog.domain.categories import Category
from juanzong_catalog.domain.classifier import Classifier
from juanzong_catalog.domain.pages import Line, PageText

T0 = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


def _lines(texts: Sequence[str]) -> list[Line]:
    out = []
    for i, t in enumerate(texts):
        y = 300.0 + 104 * i
        w = max(60.0, 64.0 * len(t))
        out.append(Line(text=t, polygon=((300.0, y), (300.0 + w, y), (300.0 + w, y + 66), (300.0, y + 66)),
                        confidence=0.98))
    return out


@pytest.fixture
def make_page() -> Callable[..., PageText]:
    """A page from its lines: ``make_page("p1", 0, ["民事起诉状", ...], blank=False)``."""

    def factory(page_id: str, seq: int, texts: Sequence[str] = (), **overrides: object) -> PageText:
        data: dict[str, object] = {"page_id": page_id, "seq": seq, "text": "\n".join(texts),
                                   "lines": _lines(texts), "blank": not texts}
        data.update(overrides)
        return PageText(**data)  # type: ignore[arg-type]

    return factory


class KeywordModel:
    """A fake page model: a page containing a keyword gets most of the mass for its category."""

    def __init__(self, keywords: Mapping[str, Category], sure: float = 0.9) -> None:
        self.keywords = dict(keywords)
        self.sure = sure
        self._classes = tuple(Category)

    @property
    def classes(self) -> tuple[Category, ...]:
        return self._classes

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        k = len(self._classes)
        rows = []
        for text in texts:
            row = np.full(k, (1 - self.sure) / (k - 1))
            hit = next((c for w, c in self.keywords.items() if w in text), Category.OTHER)
            row[self._classes.index(hit)] = self.sure
            rows.append(row)
        return np.array(rows)


@pytest.fixture
def keyword_classifier() -> Callable[..., Classifier]:
    def factory(keywords: Mapping[str, Category], sure: float = 0.9) -> Classifier:
        return Classifier(KeywordModel(keywords, sure))

    return factory


@pytest.fixture(scope="session")
def trained_classifier() -> Classifier:
    """The real model, fitted on the generated corpus once per test session (a few seconds)."""
    from juanzong_training.page_model import train_page_model

    return Classifier(train_page_model())


@pytest.fixture
def t0() -> datetime:
    return T0
