"""Re-scanned pages (重扫): a page QC flagged for re-scan (法〔2016〕264号 二(五)) comes back from the
scanning station as a new page that takes the old one's place — same document, same position, so
the electronic page numbers and the 卷内目录 do not move. The old page stays stored, out of the dossier.
"""

from __future__ import annotations

from juanzong_catalog.domain.dossier import Dossier


def replace_page(dossier: Dossier, old_page_id: str, new_page_id: str) -> Dossier | None:
    """The dossier with ``new_page_id`` in ``old_page_id``'s place, or None when the old page is not
    filed (then the new page is catalogued like any other). Replacing twice is a no-op."""
    if new_page_id in dossier.page_ids:
        return dossier
    documents = []
    found = False
    for doc in dossier.documents:
        if old_page_id in doc.page_ids:
            found = True
            doc = doc.model_copy(update={"page_ids": tuple(new_page_id if p == old_page_id else p
                                                           for p in doc.page_ids)})
        documents.append(doc)
    if not found:
        return None
    return dossier.model_copy(update={"documents": tuple(documents)})
