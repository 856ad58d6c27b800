"""Damaged images are refused as entry photos and brochure covers whatever
Pillow's process-wide ``ImageFile.LOAD_TRUNCATED_IMAGES`` says (WeasyPrint
turns it on when imported): ``app.entries.images.strict_decoding``."""
import io
import random

import pytest
from PIL import Image, ImageFile
from sqlmodel import select

from app.entries.images import process_photo
from app.enums import Phase, Role
from app.errors import DomainError
from app.models import Brochure, Entry
from tests.integration.test_brochure_builds import _form as brochure_form
from tests.integration.test_brochure_builds import _published, queued  # noqa: F401 (a fixture)

DAMAGED = "The image file is damaged or incomplete."


def _noise(format: str, **options) -> bytes:
    """A 640 × 480 image of random pixels (so that its data is spread over the whole file)."""
    generator = random.Random(7)
    image = Image.frombytes("RGB", (640, 480), bytes(generator.getrandbits(8) for _ in range(640 * 480 * 3)))
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def _cut(data: bytes) -> bytes:
    return data[: len(data) * 6 // 10]


DAMAGED_FILES = {
    "jpeg": _cut(_noise("JPEG", quality=90)),
    "progressive-jpeg": _cut(_noise("JPEG", quality=90, progressive=True)),
    "png": _cut(_noise("PNG")),
    "webp": _cut(_noise("WEBP", quality=90)),
}


@pytest.fixture
def lenient_pillow(monkeypatch):
    """The flag as WeasyPrint sets it for the whole process."""
    import weasyprint  # noqa: F401 (sets the flag on import)

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    yield
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as it was


@pytest.mark.parametrize("name", sorted(DAMAGED_FILES))
def test_a_damaged_image_is_refused_with_the_flag_on(app, lenient_pillow, name):
    with app.test_request_context(), pytest.raises(DomainError) as refused:
        process_photo(DAMAGED_FILES[name], max_pixels=50_000_000)
    assert str(refused.value.message).startswith(("The image file is damaged", "This file is not a JPEG"))


def test_a_whole_image_is_accepted_with_the_flag_on(app, lenient_pillow):
    for format in ("JPEG", "PNG", "WEBP"):
        processed = process_photo(_noise(format), max_pixels=50_000_000)
        assert (processed.width, processed.height) == (640, 480)


def test_a_truncated_photo_is_refused_as_an_entry_photo(client, session, make, login, lenient_pillow, english):
    applicant = login(make.applicant())
    draft = make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=applicant.organisation, photos=0)
    response = client.post(f"/entries/{draft.id}/photos", data={
        "version": draft.version, "caption": "", "photo": (io.BytesIO(DAMAGED_FILES["jpeg"]), "site.jpg"),
    }, content_type="multipart/form-data", follow_redirects=True)
    assert DAMAGED in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Entry, draft.id).photos == []


def test_a_truncated_cover_is_refused(client, session, make, login, queued, lenient_pillow, english):  # noqa: F811
    call, run, _entries = _published(make, session)
    login(make.staff(Role.PUBLICITY))
    response = client.post(f"/brochure/calls/{call.id}/build",
                           data=brochure_form(run) | {"cover": (io.BytesIO(DAMAGED_FILES["jpeg"]), "cover.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and DAMAGED in response.get_data(as_text=True)
    assert session.exec(select(Brochure)).all() == [] and queued == []
