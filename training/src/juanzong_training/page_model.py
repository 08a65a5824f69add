"""Fitting catalog's page model on the generated corpus and writing it as the artifact the service loads.

The artifact is a joblib of ``{"vectorizer": TfidfVectorizer, "model": LogisticRegression}`` (plain
scikit-learn objects, so the catalog needs nothing from this package to load it); beside it
``<artifact>.json`` records the seed, corpus size, classes, scikit-learn version, a digest of the
generator's sources (a changed template makes the artifact stale) and the artifact's sha256.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import joblib
import numpy as np
import sklearn
from juanzong_catalog.adapters.classifier_model import SklearnPageModel, sha256_of, sidecar_path
from juanzong_catalog.domain.categories import Category
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from juanzong_training.corpus import TemplateFilter, generate_corpus

DEFAULT_SEED = 20250312
DEFAULT_PER_CATEGORY = 36
FORMAT = 1
_SOURCES = ("corpus.py", "page_model.py", "data/names.py", "data/templates.py")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def source_digest() -> str:
    """sha256 over the generator's and the fit's own sources: what the artifact was made from."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def fit(texts: Sequence[str], labels: Sequence[Category]) -> SklearnPageModel:
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2,
                                 max_features=120_000, dtype=np.float32)
    x = vectorizer.fit_transform([SklearnPageModel.prepare(t) for t in texts])
    model = LogisticRegression(C=20.0, max_iter=100, tol=1e-2)
    model.fit(x, [c.value for c in labels])
    return SklearnPageModel(vectorizer, model)


def train_page_model(seed: int = DEFAULT_SEED, per_category: int = DEFAULT_PER_CATEGORY,
                     variants: TemplateFilter | None = None, categories: Iterable[Category] | None = None,
                     progress: Progress = _quiet) -> SklearnPageModel:
    """Generate the corpus for ``seed`` and fit on every page, labelled with its document's category.
    ``variants`` holds template variants out (the benchmark's generalisation check)."""
    progress(f"generating the corpus: seed {seed}, {per_category} documents per category")
    docs = generate_corpus(seed, per_category=per_category, variants=variants, categories=categories)
    texts = [page.text for doc in docs for page in doc.pages]
    labels = [doc.truth.category for doc in docs for page in doc.pages]
    progress(f"fitting on {len(texts)} pages of {len(docs)} documents, {len(set(labels))} categories")
    return fit(texts, labels)


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the service may run as another user (the image's)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def expected_meta(seed: int, per_category: int, categories: Iterable[Category] | None) -> dict[str, object]:
    return {"format": FORMAT, "seed": seed, "per_category": per_category,
            "categories": sorted(c.value for c in categories) if categories is not None else None,
            "sklearn_version": sklearn.__version__, "source_sha256": source_digest()}


def is_current(out: Path, seed: int = DEFAULT_SEED, per_category: int = DEFAULT_PER_CATEGORY,
               categories: Iterable[Category] | None = None) -> bool:
    """The artifact exists, matches its sidecar, and was made by these options, sources and scikit-learn."""
    sidecar = sidecar_path(out)
    if not out.is_file() or not sidecar.is_file():
        return False
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except ValueError:
        return False
    wanted = expected_meta(seed, per_category, categories)
    return all(meta.get(k) == v for k, v in wanted.items()) and meta.get("sha256") == sha256_of(out)


def build_page_model(out: Path, seed: int = DEFAULT_SEED, per_category: int = DEFAULT_PER_CATEGORY,
                     categories: Iterable[Category] | None = None, *, if_stale: bool = False,
                     progress: Progress = _quiet) -> bool:
    """Fit and write the artifact and its sidecar (each replaced atomically, under a lock so that parallel
    test sessions build it once). With ``if_stale`` a current artifact is kept. True when one was written."""
    out = Path(out).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    categories = list(categories) if categories is not None else None
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if if_stale and is_current(out, seed, per_category, categories):
            progress(f"{out} is current: kept")
            return False
        model = train_page_model(seed, per_category, categories=categories, progress=progress)
        _atomic_write(out, lambda tmp: joblib.dump({"vectorizer": model.vectorizer, "model": model.model}, tmp))
        meta = expected_meta(seed, per_category, categories) | {
            "classes": [c.value for c in model.classes], "sha256": sha256_of(out)}
        _atomic_write(sidecar_path(out), lambda tmp: tmp.write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"))
        progress(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and {sidecar_path(out).name}")
        return True
