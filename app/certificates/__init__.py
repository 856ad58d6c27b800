"""Certificates (证书) for the entries of a call's official list: issued by
the chair, built as PDFs by the job queue, downloaded by the organisations,
and verified by anyone at ``/verify/<serial>``."""
