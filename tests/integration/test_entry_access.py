"""Object-level permissions on entries: probed by changing ids in URLs."""
import io

import pytest

from app.enums import EntryStatus, Membership, Phase, Role
from app.models import Entry
from tests.factories import jpeg_bytes

# (method, path, form) with {entry}, {photo}, {attachment} placeholders.
READS = [
    ("GET", "/entries/{entry}", None),
    ("GET", "/entries/{entry}/photos/{photo}/thumb.jpg", None),
    ("GET", "/entries/{entry}/photos/{photo}/display.jpg", None),
    ("GET", "/entries/{entry}/photos/{photo}/master.jpg", None),
    ("GET", "/entries/{entry}/application.pdf", None),
]
WRITES = [
    ("GET", "/entries/{entry}/edit/basics", None),
    ("POST", "/entries/{entry}/edit/basics", {"title": "偷改"}),
    ("POST", "/entries/{entry}/autosave/basics", {"title": "偷改"}),
    ("POST", "/entries/{entry}/photos", "upload"),
    ("POST", "/entries/{entry}/photos/{photo}", {"caption": "偷改"}),
    ("POST", "/entries/{entry}/photos/{photo}/delete", {}),
    ("POST", "/entries/{entry}/submit", {}),
    ("POST", "/entries/{entry}/withdraw", {}),
    ("POST", "/entries/{entry}/delete", {}),
]


@pytest.fixture
def victim(make):
    """A draft of another organisation, with a photo, in an open call."""
    call = make.call(open_phase=Phase.SUBMISSION)
    return make.entry(call=call, title="别人的场景")


def _request(client, method, path, form, victim):
    url = path.format(entry=victim.id, photo=victim.photos[0].id)
    if form == "upload":
        return client.post(url, data={"photo": (io.BytesIO(jpeg_bytes()), "x.jpg")}, content_type="multipart/form-data")
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"version": victim.version, **(form or {})})


def _unchanged(session, victim):
    session.expire_all()
    entry = session.get(Entry, victim.id)
    assert entry is not None and entry.title == "别人的场景" and entry.status == EntryStatus.DRAFT
    assert len(entry.photos) == 1 and entry.photos[0].caption == "现场照片1"


PEOPLE = {
    "other_applicant": lambda make: make.applicant(),
    "pending_member": None,  # filled in the test: a pending member of the victim's organisation
    "expert": lambda make: make.staff(Role.EXPERT),
    "publicity": lambda make: make.staff(Role.PUBLICITY),
}


@pytest.mark.parametrize(("method", "path", "form"), READS + WRITES)
@pytest.mark.parametrize("who", list(PEOPLE))
def test_nobody_outside_the_organisation_reads_or_changes_an_entry(client, session, login, make, victim, method, path, form, who):
    if who == "pending_member":
        user = make.applicant(organisation=victim.organisation, membership=Membership.PENDING)
    else:
        user = PEOPLE[who](make)
    login(user)
    with _request(client, method, path, form, victim) as response:
        assert response.status_code == 403, (who, method, path)
    _unchanged(session, victim)


@pytest.mark.parametrize(("method", "path", "form"), WRITES)
def test_chairs_read_but_never_edit_an_applicants_entry(client, session, login, make, victim, method, path, form):
    login(make.chair())
    with _request(client, method, path, form, victim) as response:
        assert response.status_code in (302, 403), (method, path)
        if response.status_code == 302:
            assert response.headers["Location"] == f"/entries/{victim.id}"
    _unchanged(session, victim)


@pytest.mark.parametrize(("method", "path", "form"), READS)
def test_members_and_chairs_read_the_entry(client, login, make, victim, method, path, form):
    for user in (make.applicant(organisation=victim.organisation), make.chair()):
        login(user)
        with _request(client, method, path, form, victim) as response:
            assert response.status_code == 200, (path, user.email)
        client.post("/account/logout")


def test_a_photo_id_of_another_entry_is_not_found(client, login, make, victim):
    mine = make.entry(call=victim.call, organisation=login(make.applicant()).organisation)
    with client.get(f"/entries/{mine.id}/photos/{victim.photos[0].id}/display.jpg") as response:
        assert response.status_code == 404


def test_visitors_are_sent_to_log_in(client, victim):
    for method, path, form in READS + WRITES:
        with _request(client, method, path, form, victim) as response:
            assert response.status_code == 302 and "/account/login" in response.headers["Location"], path


def test_applicants_never_see_who_reviewed_their_entry(client, login, make, session, english):
    """Review is blind both ways: the entry's history shows applicants the
    milestones, never an expert's address, a conflict or an assignment."""
    from app.audit.services import record

    call = make.call(open_phase=Phase.REVIEW)
    member = make.applicant()
    entry = make.entry(call=call, organisation=member.organisation, status=EntryStatus.SCORED)
    expert = make.staff(Role.EXPERT, email="secret.expert@example.com")
    chair = make.chair(email="the.chair@example.com")
    record(session, actor=chair, action="entry.review_started", obj=entry)
    record(session, actor=chair, action="assignment.added", obj=entry, after={"expert_ids": [expert.id]})
    record(session, actor=expert, action="conflict.declared", obj=entry, reason="我曾在该单位任职")
    record(session, actor=expert, action="entry.scored", obj=entry, before={"status": "in_review"})
    session.commit()

    login(member)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "Expert review started" in page and "Expert scoring complete" in page
    for secret in ("secret.expert@example.com", "the.chair@example.com", "我曾在该单位任职", "assignment.added"):
        assert secret not in page
    client.post("/account/logout")
    login(chair)
    page = client.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert "secret.expert@example.com" in page and "我曾在该单位任职" in page
