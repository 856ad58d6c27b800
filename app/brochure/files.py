"""The brochure's files: where a build's PDF is kept, and writing cached
files so that no reader ever sees half of one."""
import os
import tempfile
from pathlib import Path

from flask import current_app

from app.models.brochures import Brochure


def brochure_folder() -> Path:
    """Where builds keep their PDFs: ``BROCHURE_FOLDER`` (default ``instance/brochures``)."""
    folder = current_app.config["BROCHURE_FOLDER"]
    return Path(folder).resolve()


def file_path(brochure: Brochure) -> Path | None:
    """The PDF of a finished build, or None when it has none (any more)."""
    if not brochure.file_key:
        return None
    folder = brochure_folder()
    path = (folder / brochure.file_key).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        return None
    return path


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder
    and an atomic rename: a concurrent build or a crash leaves either the old
    file or the new one, never a partial file. Creates the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
