"""The certificates' background job: a build queued by the certificates page
runs in ``flask worker`` (see :mod:`app.jobs`)."""
from huey.api import Result

from app.certificates import worker
from app.jobs import job


@job()
def build_certificates_task(build_id: int) -> None:
    """Build the certificates of build ``build_id`` (its status tells how it went)."""
    worker.run_build(build_id)


def enqueue_build(build_id: int) -> Result | None:
    """Queue build ``build_id`` (after its row was committed)."""
    return build_certificates_task.enqueue(build_id)
