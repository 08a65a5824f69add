"""Events produced by catalog (dossier structure, corrections, online reading)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from juanzong_shared.events.envelope import EventSpec, Payload

PRODUCER = "catalog"


class DossierCatalogued(Payload):
    case_number: str
    batch_id: str
    documents: int
    pages: int
    needs_review: int = 0
    documents_auto: int = Field(0, description="Documents catalogued with no review (智能编目).")
    scan_task_id: str | None = None
    stage: str | None = Field(None, description="filing | pre_hearing | post_hearing | pre_closing")
    dossier_pages: int | None = Field(None, description="Pages in the whole dossier after this batch.")
    automatic_pages: int | None = Field(
        None, description="Dossier pages catalogued by the machine and never corrected (智能编目率 numerator).")
    cataloguing_rate: float | None = Field(None, ge=0, le=1, description="智能编目率 of the dossier (吉高院通报29期).")


class DocumentCorrected(Payload):
    case_number: str
    document_id: str
    operation: str = Field(..., description="move | split | merge | reclassify | reorder | rename | edit")
    pages: int
    by: str
    correction_id: str | None = None
    at: datetime | None = None
    dossier_pages: int | None = None
    automatic_pages: int | None = None
    cataloguing_rate: float | None = Field(None, ge=0, le=1, description="智能编目率 after the correction.")


class DossierRead(Payload):
    case_number: str
    reader: str
    pages: int = 0
    reader_name: str | None = None
    at: datetime | None = None


SPECS = [
    EventSpec("catalog.dossier.catalogued", 1, DossierCatalogued, PRODUCER, "A batch was catalogued into the dossier."),
    EventSpec("catalog.document.corrected", 1, DocumentCorrected, PRODUCER, "A person corrected the catalogue."),
    EventSpec("catalog.dossier.read", 1, DossierRead, PRODUCER, "Someone read the dossier online (网上阅卷)."),
]
