"""A certificate as a PDF: A4 landscape, Simplified Chinese, through the
project's one WeasyPrint path (:func:`app.pdf.render.render_pdf`, the locked
fetcher, the CJK fonts).

:func:`certificate_sheet` turns the row into plain strings first (the
template sees no database object); the QR code, to the absolute URL of the
certificate's public verification page on ``BASE_URL``, is a PNG data URI,
and the seal a ``storage:`` URL the fetcher reads from the blob storage.
"""
from dataclasses import dataclass

import segno
from flask import current_app
from flask_babel import format_date

from app.models import Certificate
from app.pdf.fetcher import storage_url
from app.pdf.render import CSS_FOLDER, render_pdf
from app.pdf.text import document_language, language_tag, printable
from app.storage import storage
from app.urls import site_path

TEMPLATE = "pdf/certificate.html"
STYLESHEET = CSS_FOLDER / "certificate.css"
VERIFY_ENDPOINT = "certificates_public.verify"


@dataclass(frozen=True)
class CertificateSheet:
    """What a certificate prints, as strings ready to print."""

    lang: str
    call_title: str
    organisation: str
    title: str
    domain: str
    year: str
    serial: str
    issued_on: str
    issuer: str
    seal_url: str  # "" without a seal
    verify_url: str
    qr_uri: str  # the QR code of verify_url, a PNG data URI


def verify_url(serial: str) -> str:
    """The absolute link to the certificate's public verification page, on
    ``BASE_URL`` (the same in a request, a job or a command)."""
    return current_app.config["BASE_URL"].rstrip("/") + site_path(VERIFY_ENDPOINT, serial=serial)


def qr_data_uri(url: str) -> str:
    """The QR code of ``url`` (error correction M) as a PNG data URI, 8 px a module."""
    return segno.make(url, error="m", micro=False, boost_error=False).png_data_uri(scale=8, border=4)


def certificate_sheet(certificate: Certificate, *, seal_key: str | None, locale: str | None = None) -> CertificateSheet:
    """The plain data of ``certificate``'s PDF; ``seal_key`` the call's seal image, if any."""
    url = verify_url(certificate.serial)
    with document_language(locale):
        return CertificateSheet(
            lang=language_tag(),
            call_title=printable(certificate.call_title),
            organisation=printable(certificate.organisation_name),
            title=printable(certificate.title),
            domain=str(certificate.domain.label),
            year=str(certificate.year),
            serial=certificate.serial,
            issued_on=format_date(certificate.issued_on, "long"),
            issuer=printable(certificate.issuer),
            seal_url=storage_url(seal_key) if seal_key else "",
            verify_url=url,
            qr_uri=qr_data_uri(url),
        )


def certificate_pdf(certificate: Certificate, *, seal_key: str | None, locale: str | None = None) -> bytes:
    """The PDF of ``certificate`` (in the default language outside a request)."""
    sheet = certificate_sheet(certificate, seal_key=seal_key, locale=locale)
    with document_language(locale):
        html = current_app.jinja_env.get_template(TEMPLATE).render(sheet=sheet)
    return render_pdf(html, base_url=CSS_FOLDER.as_uri() + "/", stylesheets=[STYLESHEET], allowed_roots=[CSS_FOLDER],
                      blobs=storage())
