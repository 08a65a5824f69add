"""One scanned batch → catalogued documents: split, classify, read metadata (编目归目).

吉高法〔2020〕11号 第三条(三)1-2: every batch the 智能办案辅助中心 scans is catalogued into the case's
e-dossier; born-digital materials from court systems are catalogued the same way. A document goes
to the review queue when its category is uncertain or when the split itself is doubtful.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from .categories import Category
from .classifier import REVIEW_THRESHOLD, Classification, Classifier
from .metadata import DocumentMetadata, extract_metadata
from .pages import PageText
from .splitter import split_batch

__all__ = ["BatchCatalogue", "CataloguedDocument", "catalogue_batch"]

SPLIT_REVIEW_THRESHOLD = 0.6
"""A document whose weakest page decision is below this goes to review even if its category is sure."""


class CataloguedDocument(BaseModel):
    model_config = ConfigDict(frozen=True)

    page_ids: tuple[str, ...]
    first_seq: int
    last_seq: int
    split_confidence: float
    split_basis: str
    classification: Classification
    metadata: DocumentMetadata
    born_digital: bool = False

    @property
    def needs_review(self) -> bool:
        return self.classification.needs_review or self.split_confidence < SPLIT_REVIEW_THRESHOLD

    @property
    def category(self) -> Category | None:
        return self.classification.category

    @property
    def confidence(self) -> float:
        return min(self.classification.confidence, self.split_confidence)


class BatchCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True)

    documents: tuple[CataloguedDocument, ...]
    blank_page_ids: tuple[str, ...] = ()

    @property
    def review_queue(self) -> tuple[CataloguedDocument, ...]:
        return tuple(d for d in self.documents if d.needs_review)


def catalogue_batch(pages: Sequence[PageText], classifier: Classifier, *, court_name: str | None = None,
                    review_threshold: float = REVIEW_THRESHOLD) -> BatchCatalogue:
    """Split ``pages`` into documents, classify each, and read its metadata. ``court_name`` is 本院
    (for court records that do not print it)."""
    by_id = {p.page_id: p for p in pages}
    split = split_batch(pages, classifier)
    docs: list[CataloguedDocument] = []
    for part in split.documents:
        classification = classifier.classify_document(part.signals)
        if classification.confidence < review_threshold and not classification.needs_review:
            classification = classification.model_copy(update={"needs_review": True, "category": None})
        doc_pages = [by_id[i] for i in part.page_ids]
        metadata = extract_metadata(doc_pages, classification.candidate, court_name=court_name)
        docs.append(CataloguedDocument(
            page_ids=part.page_ids, first_seq=part.first_seq, last_seq=part.last_seq,
            split_confidence=part.split_confidence, split_basis=part.basis, classification=classification,
            metadata=metadata, born_digital=all(p.born_digital for p in doc_pages)))
    return BatchCatalogue(documents=tuple(docs), blank_page_ids=split.blank_page_ids)
