"""The brochure's background job: a build queued by the brochure page runs in
``flask worker`` (see :mod:`app.jobs`)."""
from huey.api import Result

from app.brochure import worker
from app.db import utcnow
from app.jobs import at_worker_start, job


@job()
def build_brochure_task(brochure_id: int) -> None:
    """Build the brochure of row ``brochure_id`` (its status tells how it went)."""
    worker.run_build(brochure_id)


def enqueue_build(brochure_id: int) -> Result | None:
    """Queue the build of brochure ``brochure_id`` (after its row was committed)."""
    return build_brochure_task.enqueue(brochure_id)


@at_worker_start
def end_orphaned_builds() -> None:
    """When a worker starts: builds a killed worker of this host left running are failed."""
    worker.give_up_orphans(now=utcnow())
