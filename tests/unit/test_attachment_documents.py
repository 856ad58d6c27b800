"""The PDF copy without document metadata, and the text read from a PDF
(app/entries/documents.py)."""
import io

import pikepdf
import pytest
from pypdf import PdfReader

from app.entries.documents import UnreadableDocument, page_texts, strip_metadata
from tests.factories import pdf_bytes

INFO = {"/Author": "欧阳娜娜", "/Title": "云智视觉技术方案", "/Subject": "云智视觉", "/Keywords": "云智视觉, 质检",
        "/Creator": "云智视觉 WPS", "/Producer": "云智视觉 PDF", "/Company": "云智视觉科技有限公司"}
XMP = {"dc:creator": ["欧阳娜娜"], "dc:title": "云智视觉技术方案", "xmp:CreatorTool": "云智视觉 WPS",
       "pdf:Producer": "云智视觉 PDF"}


def signed_like(data: bytes) -> bytes:
    """``data`` with what else names people: page XMP, an image's XMP, a comment
    by its author, an embedded file, a signature field's value, PieceInfo."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        page.obj.Metadata = pdf.make_stream(b"<x:xmpmeta>ouyang page</x:xmpmeta>")
        page.obj.PieceInfo = pikepdf.Dictionary(Illustrator=pikepdf.Dictionary(Private=pikepdf.String("ouyang private")))
        image = pdf.make_stream(b"\xff" * 3, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                                ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
        image.Metadata = pdf.make_stream(b"<x:xmpmeta>ouyang image</x:xmpmeta>")
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        signature = pdf.make_indirect(pikepdf.Dictionary(
            FT=pikepdf.Name.Sig, T=pikepdf.String("Signature1"), Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget,
            Rect=pikepdf.Array([0, 0, 0, 0]),
            V=pikepdf.Dictionary(Type=pikepdf.Name.Sig, Name=pikepdf.String("ouyang signer"),
                                 Contents=pikepdf.String(b"ouyang certificate")),
        ))
        comment = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Text, Rect=pikepdf.Array([0, 0, 9, 9]),
                                     T=pikepdf.String("ouyang commenter"), Contents=pikepdf.String("请核对"))
        attached = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment,
                                      Rect=pikepdf.Array([0, 0, 9, 9]), FS=pikepdf.String("ouyang-cv.txt"))
        page.Annots = pikepdf.Array([comment, attached, signature])
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([signature]), SigFlags=3)
        pdf.attachments["ouyang-resume.txt"] = pikepdf.AttachedFileSpec(pdf, b"ouyang resume")
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def original():
    return signed_like(pdf_bytes(texts=[["第一页 正文"], ["第二页 正文"]], info=INFO, xmp=XMP))


def test_the_original_carries_names_everywhere(original):
    reader = PdfReader(io.BytesIO(original))
    assert reader.metadata.author == "欧阳娜娜" and reader.xmp_metadata is not None
    assert b"ouyang" in original


def test_the_copy_has_no_document_properties_nor_xmp(original):
    clean = strip_metadata(original)
    reader = PdfReader(io.BytesIO(clean))
    assert not reader.metadata  # no /Info at all: no Author, Title, Subject, Keywords, Creator, Producer
    assert reader.xmp_metadata is None
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root
        assert dict(pdf.docinfo.items()) == {}
        assert all("/Metadata" not in obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream))
        assert len(pdf.attachments) == 0
        [comment, signature] = pdf.pages[0].Annots
        assert "/T" not in comment and comment.Contents == "请核对"  # the comment stays, its author goes
        assert "/V" not in signature and signature.T == "Signature1"
    for secret in (b"ouyang", "欧阳娜娜".encode("utf-16-be"), "云智视觉".encode("utf-16-be"), "云智视觉".encode()):
        assert secret not in clean


def test_the_copy_keeps_the_pages_and_their_text(original):
    clean = strip_metadata(original)
    assert len(PdfReader(io.BytesIO(clean)).pages) == 2
    assert page_texts(clean, max_pages=5, max_chars=1000) == page_texts(original, max_pages=5, max_chars=1000)


def test_the_copy_is_deterministic(original):
    assert strip_metadata(original) == strip_metadata(original)


def test_a_pdf_without_metadata_is_copied_as_is_in_substance():
    data = pdf_bytes(2)
    assert len(PdfReader(io.BytesIO(strip_metadata(data))).pages) == 2


@pytest.mark.parametrize("data", [b"%PDF-1.7\n garbage that is not a PDF at all", b"not even a header"])
def test_a_file_that_cannot_be_opened_is_refused_with_a_domain_error(data):
    with pytest.raises(UnreadableDocument):
        strip_metadata(data)


def test_a_damaged_cross_reference_table_is_repaired_best_effort():
    data = pdf_bytes(texts=[["正文"]], info=INFO).replace(b"startxref", b"startxxef")
    clean = strip_metadata(data)
    reader = PdfReader(io.BytesIO(clean))
    assert not reader.metadata and len(reader.pages) == 1


def test_page_texts_are_bounded_in_pages_and_characters():
    data = pdf_bytes(texts=[[f"第{n}页" + "字" * 50] for n in range(1, 6)])
    assert [text.strip()[:3] for text in page_texts(data, max_pages=3, max_chars=10_000)] == ["第1页", "第2页", "第3页"]
    texts = page_texts(data, max_pages=5, max_chars=80)
    assert sum(len(text) for text in texts) == 80 and len(texts) == 2


def test_page_texts_of_an_unreadable_file_are_empty():
    assert page_texts(b"%PDF-1.7\n garbage", max_pages=3, max_chars=100) == []
