"""PDF output with WeasyPrint.

Every PDF of the project is rendered through :func:`app.pdf.render.render_pdf`,
whose :class:`app.pdf.fetcher.LockedFetcher` serves only ``data:`` URIs and
files below a few allowed folders (the blob storage, our PDF stylesheets):
no network, no other file. Templates get plain data, never database objects.
"""
