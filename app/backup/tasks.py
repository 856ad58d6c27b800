"""The nightly backup as a periodic job on the job queue (see :mod:`app.jobs`)."""
from app.backup.services import create_scheduled_backup
from app.jobs import periodic_job


@periodic_job("BACKUP_SCHEDULE")
def nightly_backup() -> dict[str, object]:
    """Write a backup archive without secrets to BACKUP_FOLDER, then prune
    the folder to the retention settings; what was written and removed (for
    the worker's log)."""
    result, pruned = create_scheduled_backup()
    return {"archive": str(result.path), "removed": pruned.removed}
