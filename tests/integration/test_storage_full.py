"""A full disk in the upload folder: the upload is refused with a message (a
page, not a 500), and nothing partial is stored — no half-written file, no
row naming a blob that is not there.

The folder is a real, small file system (a 256 KB tmpfs mounted for the
test), so the kernel itself answers ENOSPC; mounting needs root (or
CAP_SYS_ADMIN), and without it these tests are skipped, saying why.
"""
import errno
import hashlib
import io
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from app.entries.images import process_photo
from app.enums import Phase
from app.errors import StorageFull
from app.models import AuditEvent, Entry
from app.storage import LocalStorage, blob_key, is_blob_key, prune
from tests.factories import pdf_bytes, photo_bytes

PAGE = 4096  # tmpfs counts whole pages


@pytest.fixture
def small_folder(tmp_path):
    """A 256 KB file system of its own, unmounted after the test."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(folder)],
                                 capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no mount command to make a small file system")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def small_storage(app, small_folder, monkeypatch) -> LocalStorage:
    """The app's uploads in the small folder for this test."""
    blobs = LocalStorage(small_folder)
    monkeypatch.setitem(app.extensions, "storage", blobs)
    return blobs


def free_bytes(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def fill(folder: Path, *, leave: int) -> Path:
    """Fill ``folder``'s file system up to ``leave`` free bytes (a file no blob key names)."""
    filler = folder / "filler"
    filler.write_bytes(b"\0" * (free_bytes(folder) - leave))
    assert free_bytes(folder) == leave
    return filler


def stored_files(folder: Path) -> list[str]:
    """Every file below ``folder`` but the filler, each checked to be a complete blob."""
    names = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != "filler":
            key = path.relative_to(folder).as_posix()
            assert is_blob_key(key), f"not a blob: {key}"  # no temporary file left behind
            digest = key.rsplit("/", 1)[1].split(".")[0]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"incomplete blob: {key}"
            names.append(key)
    return names


@pytest.fixture
def applicant(make, login):
    return login(make.applicant())


@pytest.fixture
def draft(make, applicant):
    return make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=applicant.organisation,
                      complete=False, photos=0)


def reload(session, entry) -> Entry:
    session.expire_all()
    return session.get(Entry, entry.id)


def test_a_full_disk_refuses_the_blob_and_leaves_no_file(small_storage, small_folder):
    fill(small_folder, leave=2 * PAGE)
    data = os.urandom(3 * PAGE)
    with pytest.raises(StorageFull) as refused:
        small_storage.put(data, suffix=".bin")
    assert isinstance(refused.value.__cause__, OSError) and refused.value.__cause__.errno == errno.ENOSPC
    assert stored_files(small_folder) == [] and not small_storage.exists(blob_key(data, ".bin"))
    assert free_bytes(small_folder) == 2 * PAGE  # the temporary file is gone too
    # What fits is still stored.
    key = small_storage.put(data[:PAGE], suffix=".bin")
    assert stored_files(small_folder) == [key]


def test_an_attachment_that_does_not_fit_is_refused_with_a_message(client, session, draft, small_storage, small_folder):
    document = pdf_bytes(pages=3000)  # 375 KB: more than the whole folder holds
    response = client.post(f"/entries/{draft.id}/attachments", content_type="multipart/form-data",
                           data={"version": draft.version, "document": (io.BytesIO(document), "方案说明.pdf")})
    assert response.status_code == 302 and response.headers["Location"] == f"/entries/{draft.id}/edit/media"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "存储空间不足，文件未能保存。请稍后再试；如再次出现，请告知征集活动的组织方。" in page.get_data(as_text=True)
    entry = reload(session, draft)
    assert entry.attachments == [] and entry.version == draft.version
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "entry.attachment_added")).all() == []
    assert stored_files(small_folder) == []


def test_a_photo_whose_renditions_do_not_all_fit_leaves_no_row_and_no_partial_file(
        client, session, draft, small_storage, small_folder, english, runner):
    photo = photo_bytes(1)
    renditions = process_photo(photo, max_pixels=50_000_000).renditions  # as the upload will make them
    pages = {name: -(-len(data) // PAGE) for name, data in renditions.items()}
    # Room for the master (stored first) and half the display rendition.
    filler = fill(small_folder, leave=(pages["master"] + pages["display"] // 2) * PAGE)

    response = client.post(f"/entries/{draft.id}/photos", content_type="multipart/form-data", follow_redirects=True,
                           data={"version": draft.version, "caption": "产线", "photo": (io.BytesIO(photo), "a.jpg")})
    assert response.status_code == 200
    assert ("The server&#39;s storage is full, so the file was not saved. Please try again later; "
            "if this happens again, tell the organisers of the call.") in response.get_data(as_text=True)
    entry = reload(session, draft)
    assert entry.photos == [] and entry.version == draft.version
    # The master is stored, whole; the display rendition is not there at all.
    master_key = blob_key(renditions["master"], ".jpg")
    assert stored_files(small_folder) == [master_key]
    assert not small_storage.exists(blob_key(renditions["display"], ".jpg"))
    # No row names the master: the sweep takes it.
    result = runner.invoke(args=["storage", "prune", "--older-than-hours", "0"])
    assert result.output == "Removed 1 unused file(s).\n" and stored_files(small_folder) == []

    # With room again, the same upload goes through.
    filler.unlink()
    response = client.post(f"/entries/{draft.id}/photos", content_type="multipart/form-data", follow_redirects=True,
                           data={"version": draft.version, "caption": "产线", "photo": (io.BytesIO(photo), "a.jpg")})
    assert "The photo has been added." in response.get_data(as_text=True)
    [stored] = reload(session, draft).photos
    assert sorted(stored_files(small_folder)) == sorted({stored.master_key, stored.display_key, stored.thumb_key})
    assert prune(small_storage, referenced={stored.master_key, stored.display_key, stored.thumb_key},
                 older_than=timedelta(0)) == []


def test_flask_storage_check_reports_a_full_folder(app, runner, small_storage, small_folder):
    fill(small_folder, leave=0)
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 1, (result.output, result.stderr, result.exception)
    assert result.output == (f"Storage: the folder {small_folder}\n"
                             "Error: the storage is full: no room for a probe file.\n")
