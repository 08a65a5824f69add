"""What of a dossier a reader may be shown when the decision that let them in withholds material.

法〔2016〕264号 三(六): a litigant or their lawyer browses the case's e-dossier without the 副卷 (合议庭评议笔录,
审委会讨论记录 …) and without material closed by law (依法不公开). access-control says so with the obligations
``exclude_sub_volume`` and ``exclude_undisclosable`` on a yes; catalog carries them out here, on every view,
page and search hit. A document not yet filed (awaiting review) has no volume yet: it may still be 副卷
material, so it is withheld whenever the 副卷 is; a page placed in no document is withheld likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

from .categories import Volume
from .dossier import Dossier, DossierDocument

SPC_3_6 = "法〔2016〕264号 三(六)"

__all__ = ["SPC_3_6", "Visibility", "Withholding", "visibility"]


@dataclass(frozen=True)
class Withholding:
    """Which kinds of material a decision withholds."""

    sub_volume: bool = False
    undisclosable: bool = False

    @classmethod
    def of(cls, decision: object) -> Withholding:
        """From a ``juanzong_shared.auth.Decision`` (its obligations)."""
        return cls(sub_volume=bool(getattr(decision, "excludes_sub_volume", False)),
                   undisclosable=bool(getattr(decision, "excludes_undisclosable", False)))

    @property
    def any(self) -> bool:
        return self.sub_volume or self.undisclosable

    def hides(self, doc: DossierDocument) -> bool:
        if self.sub_volume and doc.volume is not Volume.MAIN:  # 副卷, or not filed yet (volume unknown)
            return True
        return self.undisclosable and not doc.disclosable

    def hides_volume(self, volume: Volume) -> bool:
        return self.sub_volume and volume is not Volume.MAIN


NOTHING_WITHHELD = Withholding()


@dataclass(frozen=True)
class Visibility:
    """One dossier as one reader may see it: the documents and pages withheld from them."""

    withholding: Withholding
    hidden_documents: frozenset[str]
    hidden_pages: frozenset[str]
    placed_pages: frozenset[str]

    @property
    def any(self) -> bool:
        return self.withholding.any

    def document_hidden(self, document_id: str | None) -> bool:
        return document_id is not None and document_id in self.hidden_documents

    def page_hidden(self, page_id: str | None) -> bool:
        if not self.withholding.any or page_id is None:
            return False
        # a page placed in no document has no known volume or disclosability: withheld
        return page_id in self.hidden_pages or page_id not in self.placed_pages

    def shown(self, dossier: Dossier) -> Dossier:
        """The dossier without the withheld documents (for counts; page numbers come from the whole one)."""
        if not self.any:
            return dossier
        return dossier.model_copy(update={
            "documents": tuple(d for d in dossier.documents if d.document_id not in self.hidden_documents),
            "corrections": tuple(c for c in dossier.corrections
                                 if not self.hidden_documents.intersection(c.document_ids)
                                 and not self.hidden_pages.intersection(c.page_ids))})


def visibility(dossier: Dossier, withholding: Withholding = NOTHING_WITHHELD) -> Visibility:
    hidden = [d for d in dossier.documents if withholding.hides(d)]
    return Visibility(withholding=withholding, hidden_documents=frozenset(d.document_id for d in hidden),
                      hidden_pages=frozenset(p for d in hidden for p in d.page_ids),
                      placed_pages=frozenset(dossier.page_ids))
