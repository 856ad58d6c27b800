"""Entries and their files: photos, PDF attachments, and the bytes of both."""
import io
import random
from datetime import date

import pikepdf
from PIL import Image
from pypdf import PdfWriter

from app.db import utcnow
from app.entries.images import process_photo
from app.enums import Domain, EntryStatus
from app.models import Entry, EntryAttachment, EntryOutcome, EntryPhoto
from app.storage import storage
from tests.factories.base import BaseFactories, sequence


def image_bytes(width: int = 800, height: int = 600, color=(30, 120, 200), *, mode: str = "RGB",
                format: str = "JPEG", **save_options) -> bytes:
    """A plain image of one ``color``, encoded as ``format`` (Pillow's ``save_options``: exif, comment, …)."""
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, format=format, **save_options)
    return out.getvalue()


def jpeg_bytes(width: int = 800, height: int = 600, color=(30, 120, 200), **save_options) -> bytes:
    """A small, valid JPEG."""
    return image_bytes(width, height, color, format="JPEG", **save_options)


def photo_bytes(seed: int = 1) -> bytes:
    """A 2000 × 1500 JPEG like a photo: a gradient with a patch of noise where
    ``seed`` puts it, so its renditions differ in size (about 140, 70 and 4 KB)
    while the upload stays under 500 KB (Werkzeug's test client leaves larger
    bodies in a temporary file it never closes)."""
    image = Image.linear_gradient("L").resize((2000, 1500)).convert("RGB")
    image.paste(Image.frombytes("RGB", (300, 300), random.Random(seed).randbytes(300 * 300 * 3)), (100 + 50 * seed, 100))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def pdf_bytes(pages: int = 1, *, info: dict[str, str] | None = None, xmp: dict | None = None,
              texts: list[list[str]] | None = None) -> bytes:
    """A valid PDF of ``pages`` blank A4 pages; or, with ``texts``, one page
    per list of lines (Chinese and Latin, extractable by pypdf: a standard
    Chinese font, not embedded, with UTF-16 codes).

    ``info`` sets the document information (``{"/Author": …}``), ``xmp``
    the XMP packet's properties (``{"dc:creator": [...]}``, as pikepdf names them).
    """
    if texts is None:
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=595, height=842)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    else:
        data = _text_pdf(texts)
    if not info and not xmp:
        return data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for key, value in (info or {}).items():
            pdf.docinfo[key] = value
        if xmp:
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
                for key, value in xmp.items():
                    meta[key] = value
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def _text_pdf(pages: list[list[str]]) -> bytes:
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name("/STSong-Light"),
        Encoding=pikepdf.Name("/UniGB-UTF16-H"),
        DescendantFonts=pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType0, BaseFont=pikepdf.Name("/STSong-Light"),
            CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("GB1"),
                                             Supplement=4),
        )]),
    ))
    for lines in pages:
        operators = [b"BT /F1 12 Tf 72 770 Td 16 TL"]
        operators += [b"<" + line.encode("utf-16-be").hex().encode() + b"> Tj T*" for line in lines]
        operators.append(b"ET")
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pdf.make_stream(b"\n".join(operators))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _complete_fields(n: int) -> dict:
    return {
        "title": f"基于机器视觉的质检场景{n}",
        "domain": Domain.MANUFACTURING,
        "city_code": "440300",
        "summary": "利用深度学习视觉模型对生产线产品进行实时缺陷检测，检出率显著提升。",
        "tech_tags": ["computer_vision", "边缘计算"],
        "partners": [{"name": "华南理工大学", "credit_code": ""}],
        "problem": "人工目检效率低、漏检率高。",
        "solution": "在产线部署工业相机与边缘推理设备，实时识别缺陷并自动分拣。",
        "deployment_scale": "3个工厂、12条产线",
        "deployment_start": date(2024, 3, 1),
        "investment": 850.0,
        "replicability": "可推广至电子、汽车零部件等行业。",
        "data_security": "数据本地化存储，访问分级授权。",
        "contact_name": "王芳",
        "contact_phone": "13800138000",
        "contact_email": "wangfang@example.com",
    }


class EntryFactories(BaseFactories):
    def entry(self, *, call=None, organisation=None, status: EntryStatus = EntryStatus.DRAFT, complete: bool = True,
              photos: int = 1, **fields) -> Entry:
        """An entry of ``organisation`` in ``call``; complete (ready to submit) unless told otherwise.

        Past the draft it is submitted now, unless ``submitted_at`` is given."""
        call = call or self.call()
        organisation = organisation or self.organisation()
        n = next(sequence)
        values = (_complete_fields(n) if complete else {"title": f"草稿{n}"}) | fields
        entry = Entry(call_id=call.id, organisation_id=organisation.id, status=status, **values)
        if status not in (EntryStatus.DRAFT,) and "submitted_at" not in fields:
            entry.submitted_at = utcnow()
        if complete:
            entry.outcomes = [EntryOutcome(position=0, metric="缺陷检出率", before=92.0, after=99.5, unit="%")]
            with self.app.app_context():
                for position in range(photos):
                    processed = process_photo(jpeg_bytes(color=(30 + 40 * position, 120, 200)), max_pixels=50_000_000)
                    keys = {name: storage().put(data, suffix=".jpg") for name, data in processed.renditions.items()}
                    entry.photos.append(
                        EntryPhoto(position=position, caption=f"现场照片{position + 1}", master_key=keys["master"],
                                   display_key=keys["display"], thumb_key=keys["thumb"], width=processed.width,
                                   height=processed.height)
                    )
        return self.save(entry)

    def attachment(self, entry, *, filename: str = "方案说明.pdf", pages: int = 1, data: bytes | None = None) -> EntryAttachment:
        """A stored PDF attached to ``entry``: ``data``, or ``pages`` blank pages."""
        data = pdf_bytes(pages) if data is None else data
        with self.app.app_context():
            key = storage().put(data, suffix=".pdf")
        attachment = EntryAttachment(filename=filename, blob_key=key, size=len(data), pages=pages)
        entry.attachments.append(attachment)
        self.save(entry)
        return attachment
