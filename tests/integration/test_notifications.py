"""Notifications: one per event that concerns a person, in the same
transaction as the change, with its mail in the recipient's language (none
for a kind the recipient turned off); the bell, the list page, mark as read,
the mail settings."""
import email
import re
from datetime import timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.accounts.staff import invite_staff
from app.db import utcnow
from app.enums import EntryStatus, Membership, Phase, Role
from app.models import AuditEvent, Notification, OutgoingMail, User
from app.notifications import services
from tests.factories import credit_code

S = EntryStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _notes(session, user) -> list[Notification]:
    session.expire_all()
    return list(session.exec(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)).all())


def _stored(session, user) -> list[email.message.EmailMessage]:
    """The mails to ``user`` in the outbox table (queued, not yet written out)."""
    rows = session.exec(select(OutgoingMail).where(OutgoingMail.recipient == user.email).order_by(OutgoingMail.id)).all()
    return [email.message_from_bytes(row.message, policy=policy.default) for row in rows]


def _local_input(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _language(session, user, language):
    user.language = language
    session.add(user)
    session.commit()


def _mute(session, user, *kinds):
    user.muted_mails = list(kinds)
    session.add(user)
    session.commit()


# --- the events ---------------------------------------------------------------------------


def test_submitting_an_entry_sends_a_receipt_with_its_number_to_every_member(client, session, login, make, outbox):
    call = make.call(open_phase=Phase.SUBMISSION)
    organisation = make.organisation()
    applicant = make.applicant(organisation=organisation)
    colleague = make.applicant(organisation=organisation, language="en")
    pending = make.applicant(organisation=organisation, membership=Membership.PENDING)
    entry = make.entry(call=call, organisation=organisation)
    login(applicant)

    client.post(f"/entries/{entry.id}/submit", data={"version": entry.version})

    session.refresh(entry)
    assert entry.status == S.SUBMITTED
    for member in (applicant, colleague):
        [note] = _notes(session, member)
        assert (note.kind, note.params["entry_id"], note.link, note.read_at) == (
            "entry.submitted", entry.id, f"/entries/{entry.id}", None)
    assert _notes(session, pending) == [] and outbox.to(pending.email) == []
    [chinese] = outbox.to(applicant.email)
    assert f"编号{entry.id}" in chinese["Subject"].replace(" ", "") and entry.title in chinese["Subject"]
    assert f"/entries/{entry.id}" in chinese.get_content()
    [english] = outbox.to(colleague.email)  # the colleague reads mails in English
    assert english["Subject"] == f"Entry “{entry.title}” received, number {entry.id}"
    assert f"received under the number {entry.id}" in english.get_content()


def test_returning_an_entry_tells_the_reason_and_deadline_and_a_muted_member_gets_no_mail(
        client, session, login, make, outbox):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    organisation = make.organisation()
    member = make.applicant(organisation=organisation, language="en")
    quiet = make.applicant(organisation=organisation)
    _mute(session, quiet, "entry.returned")
    entry = make.entry(call=call, organisation=organisation, status=S.SUBMITTED, photos=0)
    deadline = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    login(make.chair())

    client.post(f"/check/entries/{entry.id}/decision",
                data={"decision": "returned", "reason": "请补充应用成效数据。", "revision_deadline": _local_input(deadline)})

    for person in (member, quiet):
        [note] = _notes(session, person)
        assert (note.kind, note.params["reason"], note.params["deadline"]) == (
            "entry.returned", "请补充应用成效数据。", deadline.isoformat())
    [mail] = outbox.messages  # the muted member is told in the app only
    assert mail["To"] == member.email
    assert mail["Subject"].startswith(f"“{entry.title}” was returned for revision: resubmit it before ")
    assert "Reason: 请补充应用成效数据。" in mail.get_content()


def test_a_formal_check_decision_is_notified_and_mailed(client, session, login, make, outbox):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    member = make.applicant()
    entry = make.entry(call=call, organisation=member.organisation, status=S.SUBMITTED, photos=0)
    login(make.chair())

    client.post(f"/check/entries/{entry.id}/decision", data={"decision": "eligible"})

    [note] = _notes(session, member)
    assert (note.kind, note.params["status"]) == ("entry.checked", "eligible")
    [mail] = outbox.to(member.email)  # no language chosen: the site's
    assert entry.title in mail["Subject"] and "形式审查" in mail["Subject"]


def test_an_assignment_run_notifies_each_expert_once_with_the_count_and_deadline(client, session, login, make, outbox):
    call = make.call(open_phase=Phase.REVIEW, experts_per_entry=2)
    experts = [make.expert(profile=True) for _ in range(2)]
    _language(session, experts[0], "en")
    make.panel(call=call, experts=experts)
    entries = [make.entry(call=call, status=S.ELIGIBLE, photos=0) for _ in range(3)]
    login(make.chair())

    response = client.post(f"/review/assign/calls/{call.id}/run", data={"per_entry": "2", "seed": "1", "run": "1"})

    assert response.status_code == 302
    deadline = call.phase_window(Phase.REVIEW).ends_at
    for expert in experts:
        [note] = _notes(session, expert)  # one for the run, not one per entry
        assert (note.kind, note.params["count"], note.params["deadline"], note.link) == (
            "review.assigned", len(entries), deadline.isoformat(), "/review/")
    [mail] = outbox.to(experts[0].email)
    assert "3 entries have been assigned to you" in mail.get_content() and "/review/" in mail.get_content()
    assert "3个申报项目" in outbox.to(experts[1].email)[0].get_content()


def test_reminders_and_reopened_sheets_are_notified(client, session, login, make, outbox):
    scored = make.scored_call(totals=[[80.0], [None]])
    expert = scored.experts[0]
    login(scored.chair)

    client.post(f"/review/manage/calls/{scored.call.id}/remind")
    sheet = scored.sheets[(scored.entries[0].id, expert.id)]
    client.post(f"/review/manage/sheets/{sheet.id}/reopen", data={"reason": "评语与分数不一致"})

    reminder, reopened = _notes(session, expert)
    assert (reminder.kind, reminder.params["count"], reminder.link) == ("review.reminder", 1, "/review/")
    assert (reopened.kind, reopened.params["reason"], reopened.link) == (
        "sheet.reopened", "评语与分数不一致", f"/review/sheets/{sheet.id}")
    assert len(outbox.to(expert.email)) == 2


def test_publishing_results_tells_each_entrys_applicants_whether_it_was_selected(session, make, outbox):
    first, second = make.organisation(), make.organisation()
    winner, loser = make.applicant(organisation=first), make.applicant(organisation=second, language="en")
    scored = make.scored_call(totals=[[90.0], [60.0]], organisations=[first, second], target_count=1)

    scored.publish()

    [good] = _notes(session, winner)
    [bad] = _notes(session, loser)
    assert (good.kind, good.params["selected"], good.link) == ("results.published", True, f"/entries/{scored.entries[0].id}")
    assert (bad.params["selected"], bad.link) == (False, f"/entries/{scored.entries[1].id}")
    # Published here without a request's commit: the mails wait in the outbox.
    [good_mail] = _stored(session, winner)
    assert "入选" in good_mail["Subject"]
    [mail] = _stored(session, loser)
    assert mail["Subject"] == f"“{scored.entries[1].title}” was not selected in {scored.call.name}"
    assert f"/entries/{scored.entries[1].id}" in mail.get_content()


def test_membership_requests_and_decisions_are_notified(client, session, login, make, outbox):
    organisation = make.organisation()
    member = make.applicant(organisation=organisation)
    newcomer = make.applicant(organisation=organisation, membership=Membership.PENDING, language="en")
    login(member)

    client.post(f"/account/organisation/members/{newcomer.id}/approve")

    [note] = _notes(session, newcomer)
    assert (note.kind, note.params["approved"], note.params["organisation"]) == (
        "membership.decided", True, organisation.name)
    [mail] = outbox.to(newcomer.email)
    assert mail["Subject"] == f"You are now a member of {organisation.name}"


def test_a_join_request_is_notified_to_the_members(client, session, make, outbox):
    organisation = make.organisation(credit_code=credit_code(777009))
    member = make.applicant(organisation=organisation)
    form = {"organisation_name": "别的名字", "credit_code": organisation.credit_code, "city": "440300",
            "contact_name": "新同事", "email": "new@example.com", "phone": "13800138000",
            "password": "A-long-password-7", "confirm": "A-long-password-7"}

    client.post("/account/register", data=form)
    link = outbox.link(outbox.to("new@example.com")[0], "/account/register/confirm/")
    client.post(link)

    [note] = _notes(session, member)
    assert (note.kind, note.params["name"], note.link) == ("membership.requested", "新同事", "/account/organisation")
    [mail] = outbox.to(member.email)
    assert "new@example.com" in mail.get_content()


def test_an_invitation_is_mailed_even_when_muted_and_its_link_is_not_stored(app, session, make):
    chair = make.chair()
    with app.test_request_context():
        user, url = invite_staff(session, inviter=chair, email="new.expert@example.com", name="新专家", roles=[Role.EXPERT])
        session.commit()
    [note] = _notes(session, user)
    assert (note.kind, note.link) == ("invitation", "/dashboard")
    assert "/account/invitation/" not in str(note.params)
    [mail] = _stored(session, user)
    assert url in mail.get_content()


def test_a_muted_kind_still_notifies_in_the_app(app, session, make):
    expert = make.expert()
    _mute(session, expert, "review.reminder")
    with app.test_request_context():
        services.notify(session, user=expert, kind="review.reminder", params={"call": "测试", "count": 2}, link="/review/")
        session.commit()
    assert [note.kind for note in _notes(session, expert)] == ["review.reminder"]
    assert session.exec(select(OutgoingMail).where(OutgoingMail.recipient == expert.email)).all() == []


def test_a_rolled_back_change_leaves_no_notification_and_no_mail(client, session, login, make, outbox):
    call = make.call(open_phase=Phase.FORMAL_CHECK)
    member = make.applicant()
    entry = make.entry(call=call, organisation=member.organisation, status=S.SUBMITTED, photos=0)
    login(make.chair())

    # A return without a deadline is refused after nothing was written.
    client.post(f"/check/entries/{entry.id}/decision", data={"decision": "returned", "reason": "缺材料"})

    assert _notes(session, member) == [] and outbox.messages == []


# --- the bell and the list --------------------------------------------------------------------


def _add(session, user, count, **fields):
    now = utcnow()
    rows = [Notification(user_id=user.id, kind="entry.checked", params={"entry_id": n, "title": f"场景{n}", "status": "eligible"},
                         link=f"/entries/{n}", created_at=now - timedelta(minutes=count - n), **fields) for n in range(count)]
    session.add_all(rows)
    session.commit()
    return rows


def test_the_bell_shows_the_unread_count_with_an_accessible_label(client, session, login, make, english):
    user = login(make.applicant())
    _add(session, user, 2)
    _add(session, user, 1, read_at=utcnow())
    _add(session, make.applicant(), 4)  # another user's

    page = client.get("/dashboard").get_data(as_text=True)

    assert 'aria-label="2 unread notifications"' in page
    assert 'data-unread="2">2</span>' in page


def test_the_bell_count_is_one_query(app, client, session, login, make):
    from sqlalchemy import event

    user = login(make.applicant())
    _add(session, user, 3)
    statements = []
    engine = app.extensions["db"].engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - the SQL text
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get("/dashboard")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len([sql for sql in statements if "notifications" in sql]) == 1


def test_no_bell_for_visitors(client):
    assert "unread notification" not in client.get("/").get_data(as_text=True)


def test_the_list_is_newest_first_marks_unread_and_pages(client, session, login, make, english):
    user = login(make.applicant())
    _add(session, user, 25)

    page = client.get("/notifications/").get_data(as_text=True)

    titles = re.findall(r"Formal check of “(场景\d+)”", page)
    assert titles == [f"场景{n}" for n in range(24, 4, -1)]  # 20 a page, newest first
    assert page.count(">Unread</span>") == 20 and "Page 1 of 2" in page
    assert re.findall(r"Formal check of “(场景\d+)”", client.get("/notifications/?page=2").get_data(as_text=True)) == [
        f"场景{n}" for n in range(4, -1, -1)]


def test_opening_an_item_marks_it_read_and_goes_to_its_target(client, session, login, make):
    user = login(make.applicant())
    first, second = _add(session, user, 2)

    response = client.post(f"/notifications/{second.id}/open")

    assert response.headers["Location"] == second.link
    session.expire_all()
    assert session.get(Notification, second.id).read_at is not None and session.get(Notification, first.id).read_at is None
    client.post(f"/notifications/{first.id}/read")
    session.expire_all()
    assert services.unread_count(session, user_id=user.id) == 0


def test_mark_all_as_read_touches_only_ones_own(client, session, login, make):
    user = login(make.applicant())
    other = make.applicant()
    _add(session, user, 3)
    _add(session, other, 2)

    client.post("/notifications/read-all")

    assert services.unread_count(session, user_id=user.id) == 0
    assert services.unread_count(session, user_id=other.id) == 2


def test_another_users_notification_is_not_found(client, session, login, make):
    login(make.applicant())
    [theirs] = _add(session, make.applicant(), 1)
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    session.expire_all()
    assert session.get(Notification, theirs.id).read_at is None


def test_marking_read_needs_a_csrf_token(client, session, login, make, request):
    user = login(make.applicant())
    request.getfixturevalue("csrf")  # after logging in
    [note] = _add(session, user, 1)
    client.post(f"/notifications/{note.id}/read")
    client.post("/notifications/read-all")
    session.expire_all()
    assert session.get(Notification, note.id).read_at is None


def test_an_unknown_kind_reads_as_a_neutral_sentence(client, session, login, make, english):
    user = login(make.applicant())
    session.add(Notification(user_id=user.id, kind="gone.kind", params={}, link="/dashboard"))
    session.commit()
    assert "You have a notification." in client.get("/notifications/").get_data(as_text=True)


# --- the mail settings ------------------------------------------------------------------------


def test_settings_turn_off_mails_choose_the_language_and_are_audited(client, session, login, make, english):
    user = login(make.applicant())

    page = client.get("/notifications/settings").get_data(as_text=True)
    assert "Password reset links" in page and "cannot be turned off" in page
    assert 'value="invitation"' not in page  # essential: no box to untick

    response = client.post("/notifications/settings", data={"language": "en", "wanted": ["entry.submitted", "entry.checked"]})

    assert response.headers["Location"] == "/notifications/settings"
    session.refresh(user)
    assert user.language == "en"
    assert "entry.returned" in user.muted_mails and "entry.submitted" not in user.muted_mails
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.mail_settings_changed")).one()
    assert (event.actor_id, event.after["language"]) == (user.id, "en")


def test_settings_refuse_an_unknown_language(client, session, login, make):
    user = login(make.applicant())
    client.post("/notifications/settings", data={"language": "fr", "wanted": []})
    session.refresh(user)
    assert (user.language, user.muted_mails) == (None, [])


def test_mail_language_falls_back_to_the_site(app, make):
    with app.app_context():
        assert services.mail_language(User(email="a@example.com", name="a")) == "zh"
        assert services.mail_language(User(email="a@example.com", name="a", language="en")) == "en"


@pytest.mark.parametrize("kind", ["invitation", "nonsense"])
def test_essential_or_unknown_kinds_cannot_be_muted(app, session, make, kind):
    from app.errors import DomainError

    user = make.applicant()
    with app.test_request_context(), pytest.raises(DomainError):
        services.set_mail_preferences(session, user=user, language="zh", muted=[kind])


# --- essential mails a person causes: their chosen language, else the page's -------------------


def test_a_reset_link_follows_the_chosen_language_over_the_pages(client, make, outbox):
    chooser = make.applicant(email="en.reader@example.com", language="en")
    other = make.applicant(email="page.reader@example.com")

    for user in (chooser, other):  # the pages are in Chinese (no language cookie)
        client.post("/account/password/forgot", data={"email": user.email})

    assert outbox.to(chooser.email)[0]["Subject"] == "Reset your Scenario Showcase password"
    assert outbox.to(other.email)[0]["Subject"] != "Reset your Scenario Showcase password"  # the page's Chinese


def test_a_lockout_warning_follows_the_chosen_language(app, client, make, outbox):
    user = make.applicant(email="locked.reader@example.com", language="en")
    for _attempt in range(app.config["LOGIN_LOCKOUT_ATTEMPTS"]):
        client.post("/account/login", data={"email": user.email, "password": "wrong-password-1"})
    [mail] = outbox.to(user.email)
    assert mail["Subject"] == "Your Scenario Showcase account has been locked"
