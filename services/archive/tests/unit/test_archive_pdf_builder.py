"""Archival PDFs: order of pages, page-number stamps, bookmarks, PDF/A-2b claim, sanitising."""

from __future__ import annotations

import ctypes
import datetime as dt
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from juanzong_archive.adapters.checks import inspect_pdf
from juanzong_archive.adapters.pdf_builder import ArchivalPdfBuilder, PageSourceError, VolumeBuild
from juanzong_archive.domain.archival_code import ArchivalCode
from juanzong_archive.domain.dossier import CompiledDossier, Volume
from pypdfium2 import raw
from reportlab.pdfgen import canvas

pytestmark = pytest.mark.unit

CREATED = dt.datetime(2026, 11, 22, 3, 0, 0, tzinfo=dt.UTC)


def _build(dossier: CompiledDossier, volume: Volume, out: Path) -> tuple[Path, list[Path], VolumeBuild]:
    out.mkdir(parents=True, exist_ok=True)
    vol = out / "volume.pdf"
    docs = [out / f"doc{i}.pdf" for i in range(len(volume.documents))]
    built = ArchivalPdfBuilder().build_volume(
        dossier, volume, ArchivalCode.for_dossier(dossier), vol, docs, created_at=CREATED
    )
    return vol, docs, built


@pytest.fixture(scope="module")
def main_volume(dossier: CompiledDossier, tmp_path_factory: pytest.TempPathFactory):
    return _build(dossier, dossier.volumes[0], tmp_path_factory.mktemp("volume"))


def _text(path: Path, index: int, box: tuple[float, float, float, float] | None = None) -> str:
    doc = pdfium.PdfDocument(str(path))
    try:
        page = doc[index]
        textpage = page.get_textpage()
        if box is None:
            return textpage.get_text_range()
        width, height = page.get_size()
        left, bottom, right, top = box
        return textpage.get_text_bounded(left * width, bottom * height, right * width, top * height)
    finally:
        doc.close()


def test_volume_is_cover_catalogue_pages_and_remarks_sheet(main_volume, dossier: CompiledDossier) -> None:
    """《人民法院诉讼文书立卷归档办法》: 封面, 卷内目录, numbered pages, 备考表 (unnumbered)."""
    vol, _, built = main_volume
    volume = dossier.volumes[0]
    with pikepdf.open(vol) as pdf:
        assert len(pdf.pages) == built.total_pages == built.front_pages + volume.page_count + built.back_pages
    assert built.numbered_pages == volume.page_count
    assert "诉 讼 档 案" in _text(vol, 0) and dossier.case.case_number in _text(vol, 0)
    assert "卷 内 目 录" in _text(vol, 1)
    for doc in volume.documents:
        assert doc.title in _text(vol, 1)
    assert "备 考 表" in _text(vol, built.total_pages - 1)


def test_electronic_page_numbers_stamped_top_right(main_volume, dossier: CompiledDossier) -> None:
    """Pages are numbered one by one at the top right; cover, catalogue and 备考表 carry no number."""
    vol, _, built = main_volume
    top_right = (0.8, 0.9, 1.0, 1.0)
    for number in range(1, built.numbered_pages + 1):
        assert _text(vol, built.front_pages + number - 1, top_right).strip() == str(number)
    assert _text(vol, 0, top_right).strip() == ""
    assert _text(vol, built.total_pages - 1, top_right).strip() == ""


def test_cjk_text_layer_survives(main_volume, dossier: CompiledDossier) -> None:
    vol, docs, built = main_volume
    first = dossier.volumes[0].documents[0]
    assert first.title in _text(vol, built.front_pages)
    assert first.title in _text(docs[0], 0)


def test_bookmarks_follow_the_catalogue(main_volume, dossier: CompiledDossier) -> None:
    vol, _, built = main_volume
    volume = dossier.volumes[0]
    with pikepdf.open(vol) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        targets = [pikepdf.Page(item.destination[0]).index for item in outline.root]
    assert titles[0] == "封面" and titles[1] == "卷内目录" and titles[-1] == "备考表"
    for item, doc in enumerate(volume.documents, start=1):
        assert titles[item + 1].startswith(f"{item}. {doc.title}")
        assert targets[item + 1] == built.front_pages + doc.first_page - 1


def test_page_labels_mirror_numbering(main_volume) -> None:
    vol, _, built = main_volume
    doc = pdfium.PdfDocument(str(vol))
    try:

        def label(i: int) -> str:
            n = raw.FPDF_GetPageLabel(doc.raw, i, None, 0)
            buf = ctypes.create_string_buffer(n)
            raw.FPDF_GetPageLabel(doc.raw, i, buf, n)
            return buf.raw[: n - 2].decode("utf-16-le")

        assert label(0) == "封面"
        assert label(built.front_pages) == "1"
        assert label(built.front_pages + built.numbered_pages - 1) == str(built.numbered_pages)
        assert label(built.total_pages - 1) == "备考表"
    finally:
        doc.close()


def test_pdfa_2b_claim_holds_structurally(main_volume) -> None:
    """ISO 19005-2 (PDF/A-2b): XMP pdfaid, sRGB OutputIntent, embedded fonts, info = XMP, no encryption."""
    vol, docs, _ = main_volume
    for path in (vol, docs[0]):
        facts = inspect_pdf(path, path.name)
        assert facts.parse_error is None
        assert facts.pdfa_problems == []
        assert not facts.encrypted
        with pikepdf.open(path) as pdf:
            meta = pdf.open_metadata()
            assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
            assert str(pdf.docinfo["/Title"]) == meta["dc:title"]
            intent = pdf.Root.OutputIntents[0]
            assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3


def test_document_pdfs_hold_their_pages(main_volume, dossier: CompiledDossier) -> None:
    _, docs, built = main_volume
    volume = dossier.volumes[0]
    assert built.document_pages == tuple(len(d.pages) for d in volume.documents)
    for path, doc in zip(docs, volume.documents, strict=True):
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) == len(doc.pages)
        assert _text(path, 0, (0.8, 0.9, 1.0, 1.0)).strip() == str(doc.first_page)


def _hostile_page(path: Path) -> Path:
    """A page as a careless producer makes it: unused Helvetica, a link annotation, an /AA action."""
    c = canvas.Canvas(str(path))  # reportlab lists Helvetica (not embedded) as the initial font
    c.rect(50, 50, 100, 100, fill=1)
    c.linkURL("http://example.invalid/", (50, 50, 150, 150))
    c.showPage()
    c.save()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.AA = pikepdf.Dictionary(
            O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        )
        pdf.save(path)
    return path


def test_source_page_annotations_actions_and_unused_fonts_are_not_carried_over(
    dossier: CompiledDossier, tmp_path: Path
) -> None:
    hostile = _hostile_page(tmp_path / "hostile.pdf")
    first = dossier.volumes[0].documents[0]
    page = first.pages[0].model_copy(update={"pdf_path": hostile})
    doc = first.model_copy(update={"pages": (page, *first.pages[1:])})
    volume = dossier.volumes[0].model_copy(update={"documents": (doc, *dossier.volumes[0].documents[1:])})
    vol, _, built = _build(dossier, volume, tmp_path / "out")
    facts = inspect_pdf(vol, vol.name)
    assert facts.javascript == [] and facts.actions == []
    assert facts.pdfa_problems == []
    with pikepdf.open(vol) as pdf:
        page = pdf.pages[built.front_pages]
        assert "/Annots" not in page.obj and "/AA" not in page.obj
        fonts = page.obj.Resources.get("/Font", {})
        selected = {str(i.operands[0]) for i in pikepdf.parse_content_stream(page, "Tf")}
        assert selected <= set(fonts.keys())  # every font the content names exists (ISO 19005-2 6.2.2)


def test_missing_page_file_is_refused(dossier: CompiledDossier, tmp_path: Path) -> None:
    first = dossier.volumes[0].documents[0]
    page = first.pages[0].model_copy(update={"pdf_path": tmp_path / "gone.pdf"})
    doc = first.model_copy(update={"pages": (page, *first.pages[1:])})
    volume = dossier.volumes[0].model_copy(update={"documents": (doc,)})
    with pytest.raises(PageSourceError):
        _build(dossier, volume, tmp_path / "out")
