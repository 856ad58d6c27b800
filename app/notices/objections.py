"""Objections to a notice's list: filing (by anyone, while the period runs)
and their handling by staff (assigning, investigation notes, a question to
the applicant and its answer, the decision). Services only flush.

The objector has no account: they get a random reference number on screen
and by mail, and the decision by mail in the language they filed in. Notes
and the objector's identity are never public; an upheld objection's reason
is. Upholding withdraws the entry: the next entry under the quota rules
takes its place (``app.notices.services.reselect``), recorded in
``replacement_entry_id``.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from app.accounts.services import active_members
from app.audit.services import record
from app.calls.services import get_call, lock_call
from app.enums import Role
from app.errors import DomainError
from app.i18n import lazy_gettext as _l
from app.input_rules import clean_text
from app.mail import send_after_commit
from app.models import Entry, Notice, Objection, ObjectionNote, ObjectionQuestion, User, UserRole
from app.notices import services
from app.notices.files import CheckedFile, store_files
from app.notifications.services import notify
from app.urls import site_path

NAME_LIMIT = 100
PHONE_LIMIT = 30
ORGANISATION_LIMIT = 200
GROUNDS_RANGE = (20, 3000)
NOTE_LIMIT = 3000
QUESTION_LIMIT = 2000
ANSWER_LIMIT = 3000
REASON_LIMIT = 1000
#: Reference numbers: no 0/O, 1/I/L, so that they can be read out on the phone.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 12
OPEN = ("received", "investigating")


def new_reference() -> str:
    """A random reference like ``YY-7K3M-Q9TZ-WP4H`` (60 bits: not guessable)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
    return "YY-" + "-".join(chars[i:i + 4] for i in range(0, REFERENCE_LENGTH, 4))


def client_hash(address: str | None) -> str:
    """The filing address keyed with the app's secret (addresses are not stored)."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, (address or "").encode("utf-8"), hashlib.sha256).hexdigest()


def _text(value: str | None, *, limit: int, label, required: bool = True, minimum: int = 0) -> str:
    value = clean_text(value or "").strip()
    if required and not value:
        raise DomainError(_l("%(field)s: this field is required.", field=label))
    if len(value) > limit:
        raise DomainError(_l("%(field)s: at most %(n)s characters.", field=label, n=limit))
    if value and len(value) < minimum:
        raise DomainError(_l("%(field)s: at least %(n)s characters.", field=label, n=minimum))
    return value


def _chairs(session: Session) -> list[User]:
    return list(session.exec(select(User).join(UserRole, UserRole.user_id == User.id)
                             .where(UserRole.role == Role.CHAIR, User.active.is_(True)).order_by(User.id)).all())


def _objection_params(objection: Objection, entry: Entry) -> dict:
    return {"reference": objection.reference, "title": entry.title, "objection_id": objection.id}


# --- filing -----------------------------------------------------------------------------


def file_objection(session: Session, *, notice: Notice, entry_id: int, name: str, phone: str, email: str,
                   organisation: str, grounds: str, anonymous: bool, files: list[CheckedFile], language: str,
                   address: str | None, now: datetime) -> Objection:
    """File an objection to an entry of the notice's list while the period runs.

    Without ``anonymous`` a name and a phone number or an e-mail address are
    required; anonymous objections only when the notice allows them. The
    files are already checked (``app.notices.files.check_files``). The
    chairs are notified; the objector is mailed the reference (when they
    gave an address).
    """
    if not services.is_running(notice, now=now):
        raise DomainError(_l("The notice period is over: objections can no longer be filed."))
    listed = {item.row.entry_id for item in services.standing(session, notice=notice) if item.on_list}
    if entry_id not in listed:
        raise DomainError(_l("Choose an entry of the list."))
    if anonymous and not notice.anonymous_allowed:
        raise DomainError(_l("This notice does not accept anonymous objections: give your name and a contact."))
    name = _text(name, limit=NAME_LIMIT, label=_l("Your name"), required=not anonymous)
    phone = _text(phone, limit=PHONE_LIMIT, label=_l("Phone"), required=False)
    email = _text(email, limit=254, label=_l("E-mail"), required=False)
    if not anonymous and not (phone or email):
        raise DomainError(_l("Give a phone number or an e-mail address (at least one), so that we can reach you."))
    organisation = _text(organisation, limit=ORGANISATION_LIMIT, label=_l("Organisation"), required=False)
    grounds = _text(grounds, limit=GROUNDS_RANGE[1], label=_l("Grounds"), minimum=GROUNDS_RANGE[0])
    objection = Objection(
        notice_id=notice.id, reference=new_reference(), entry_id=entry_id, anonymous=anonymous,
        objector_name=name, objector_phone=phone, objector_email=email, objector_organisation=organisation,
        language=language, grounds=grounds, client_hash=client_hash(address), submitted_at=now,
    )
    session.add(objection)
    session.flush()
    store_files(session, objection_id=objection.id, question_id=None, files=files, now=now)
    entry = session.get(Entry, entry_id)
    record(session, actor=None, action="objection.filed", obj=objection,
           after={"notice_id": notice.id, "entry_id": entry_id, "reference": objection.reference,
                  "anonymous": anonymous, "files": len(files)})
    link = site_path("notices.objection", objection_id=objection.id)
    for chair in _chairs(session):
        notify(session, user=chair, kind="objection.filed", params=_objection_params(objection, entry), link=link,
               now=now)
    if email:
        call = get_call(session, notice.call_id)
        with force_locale(language):
            send_after_commit(to=email, subject=_("Objection received: reference %(reference)s",
                                                   reference=objection.reference),
                              template="objection_received", session=session, objection=objection, entry=entry,
                              call=call, url=_notice_url(notice))
    return objection


def _notice_url(notice: Notice) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + site_path("notices_public.notice", call_id=notice.call_id)


# --- staff handling -------------------------------------------------------------------------


def _open(objection: Objection) -> None:
    if objection.status not in OPEN:
        raise DomainError(_l("This objection is already decided."))


def assign(session: Session, *, objection: Objection, assignee: User, actor, now: datetime) -> None:
    """Give the objection to a staff member (a chair) to investigate; they are notified."""
    _open(objection)
    if not assignee.active or not assignee.has_role(Role.CHAIR):
        raise DomainError(_l("Objections are assigned to chairs only."))
    before = {"assigned_to_id": objection.assigned_to_id, "status": objection.status}
    objection.assigned_to_id, objection.status = assignee.id, "investigating"
    session.add(objection)
    session.flush()
    record(session, actor=actor, action="objection.assigned", obj=objection, before=before,
           after={"assigned_to_id": assignee.id, "status": objection.status})
    if assignee.id != getattr(actor, "id", None):
        entry = session.get(Entry, objection.entry_id)
        notify(session, user=assignee, kind="objection.assigned", params=_objection_params(objection, entry),
               link=site_path("notices.objection", objection_id=objection.id), now=now)


def add_note(session: Session, *, objection: Objection, body: str, actor, now: datetime) -> ObjectionNote:
    """Record an investigation note (never public)."""
    body = _text(body, limit=NOTE_LIMIT, label=_l("Note"))
    note = ObjectionNote(objection_id=objection.id, author_id=actor.id, body=body, created_at=now)
    session.add(note)
    if objection.status == "received":
        objection.status = "investigating"
        session.add(objection)
    session.flush()
    record(session, actor=actor, action="objection.note_added", obj=objection, after={"note_id": note.id})
    return note


def ask(session: Session, *, objection: Objection, question: str, due_at: datetime, actor,
        now: datetime) -> ObjectionQuestion:
    """Ask the entry's organisation to explain, before ``due_at``; its members are notified and mailed."""
    _open(objection)
    question = _text(question, limit=QUESTION_LIMIT, label=_l("Question"))
    if due_at <= now:
        raise DomainError(_l("The deadline for the answer must lie in the future."))
    row = ObjectionQuestion(objection_id=objection.id, question=question, asked_by_id=actor.id, asked_at=now,
                            due_at=due_at)
    session.add(row)
    if objection.status == "received":
        objection.status = "investigating"
        session.add(objection)
    session.flush()
    record(session, actor=actor, action="objection.question_asked", obj=objection,
           after={"question_id": row.id, "due_at": due_at.isoformat()})
    entry = session.get(Entry, objection.entry_id)
    link = site_path("notices.question", question_id=row.id)
    for member in active_members(session, entry.organisation_id):
        notify(session, user=member, kind="objection.question",
               params={"title": entry.title, "entry_id": entry.id, "deadline": due_at.isoformat()},
               link=link, mail={"entry": entry, "question": row}, now=now)
    return row


def answer(session: Session, *, question: ObjectionQuestion, text: str, files: list[CheckedFile], actor,
           now: datetime) -> None:
    """The applicant's answer, before the deadline, once; the chairs are notified.

    The caller checked that ``actor`` is an active member of the entry's organisation.
    """
    objection = session.get(Objection, question.objection_id)
    if question.answered_at is not None:
        raise DomainError(_l("This question has already been answered."))
    if now > question.due_at:
        raise DomainError(_l("The deadline for this answer has passed."))
    if objection.status not in OPEN:
        raise DomainError(_l("The objection has been decided: no answer is needed any more."))
    text = _text(text, limit=ANSWER_LIMIT, label=_l("Answer"))
    question.answer, question.answered_by_id, question.answered_at = text, actor.id, now
    session.add(question)
    session.flush()
    store_files(session, objection_id=objection.id, question_id=question.id, files=files, now=now)
    record(session, actor=actor, action="objection.answered", obj=objection,
           after={"question_id": question.id, "files": len(files)})
    entry = session.get(Entry, objection.entry_id)
    link = site_path("notices.objection", objection_id=objection.id)
    recipients = {user.id: user for user in _chairs(session)}
    if objection.assigned_to_id:
        recipients = {objection.assigned_to_id: session.get(User, objection.assigned_to_id)}
    for user in recipients.values():
        notify(session, user=user, kind="objection.answered", params=_objection_params(objection, entry),
               link=link, now=now)


def decide(session: Session, *, objection: Objection, upheld: bool, reason: str, actor, now: datetime) -> None:
    """Uphold (the entry leaves the list; the next entry under the quota rules
    takes its place, recorded) or dismiss the objection, with a reason (public
    when upheld). The objector is mailed the decision in their language."""
    notice = session.get(Notice, objection.notice_id)
    lock_call(session, notice.call_id)
    session.refresh(objection)
    _open(objection)
    if notice.closed_at is not None:
        raise DomainError(_l("The official list is already published."))
    reason = _text(reason, limit=REASON_LIMIT, label=_l("Reason"))
    before = {"status": objection.status}
    if upheld:
        already = {o.entry_id for o in services.upheld_objections(session, notice=notice)}
        if objection.entry_id not in already:
            on_before = {d.entry_id for d in services.reselect(session, notice=notice, withdrawn=already).decisions
                         if d.selected}
            after = services.reselect(session, notice=notice, withdrawn=already | {objection.entry_id})
            moved_up = [entry_id for entry_id in after.selected_ids if entry_id not in on_before]
            objection.replacement_entry_id = moved_up[0] if moved_up else None
    objection.status = services.UPHELD if upheld else services.DISMISSED
    objection.decision_reason, objection.decided_at, objection.decided_by_id = reason, now, actor.id
    session.add(objection)
    session.flush()
    record(session, actor=actor, action="objection.upheld" if upheld else "objection.dismissed", obj=objection,
           before=before, after={"status": objection.status, "replacement_entry_id": objection.replacement_entry_id},
           reason=reason)
    entry = session.get(Entry, objection.entry_id)
    if objection.objector_email:
        call = get_call(session, notice.call_id)
        with force_locale(objection.language):
            send_after_commit(to=objection.objector_email,
                              subject=_("Decision on your objection %(reference)s", reference=objection.reference),
                              template="objection_decided", session=session, objection=objection, entry=entry,
                              call=call, url=_notice_url(notice))
    if upheld:
        link = site_path("entries.detail", entry_id=entry.id)
        for member in active_members(session, entry.organisation_id):
            notify(session, user=member, kind="objection.upheld", params={"title": entry.title, "entry_id": entry.id},
                   link=link, now=now)


def open_questions_for(session: Session, *, organisation_id: int, now: datetime) -> list[tuple[ObjectionQuestion, Entry]]:
    """Questions to the organisation still waiting for an answer before their deadline."""
    return list(session.exec(
        select(ObjectionQuestion, Entry).join(Objection, Objection.id == ObjectionQuestion.objection_id)
        .join(Entry, Entry.id == Objection.entry_id)
        .where(Entry.organisation_id == organisation_id, ObjectionQuestion.answered_at.is_(None),
               ObjectionQuestion.due_at >= now, Objection.status.in_(OPEN))
        .order_by(ObjectionQuestion.due_at)
    ).all())


def questions_of_entry(session: Session, *, entry_id: int) -> list[ObjectionQuestion]:
    """Every question about objections to the entry, oldest first (for its members)."""
    return list(session.exec(
        select(ObjectionQuestion).join(Objection, Objection.id == ObjectionQuestion.objection_id)
        .where(Objection.entry_id == entry_id).order_by(ObjectionQuestion.asked_at)
    ).all())
