"""Every route of the app against every role, driven by ``app.url_map``.

``ACCESS`` is the one table: for each endpoint, its URL (built from a small
world of objects, ``build_world``), and what each of seven roles gets on GET
and on POST. Where the answer depends on the object (a draft run, a photo of
another entry, an unpublished case), the endpoint has a second ``Route``, a
variant. ``test_every_route_is_in_the_table`` keeps the table complete; the
parametrised ``test_route_access`` checks one endpoint for every role, each on
a fresh client logged in through the login form, with a real CSRF token on
POSTs. A refused POST must change nothing: no database row (every table is
compared) and no mail; so must a POST without its CSRF token.

Reading a cell: a number is the status code; ``LOGIN`` is a redirect to the
login page that comes back here afterwards; ``to("/path")`` a redirect there
(``*`` stands for the id of a row the request creates); ``back("/path")`` a
redirect there that refuses the request (the app flashes why). 403, 404 and
``LOGIN`` are refusals too.

Methods a route does not serve answer 405 (checked for visitors only: the
method is refused before any blueprint's login or role check runs).
"""
import copy
import email
import functools
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask import session as flask_session
from flask_wtf.csrf import generate_csrf
from pypdf import PdfWriter
from sqlmodel import Session, SQLModel, select

from app.accounts.tokens import issue_token
from app.db import utcnow
from app.entries.images import process_photo
from app.enums import AssignmentSource, BrochureStatus, EntryStatus, MailStatus, Membership, Phase, Role, TokenPurpose
from app.models import (
    Assignment,
    Brochure,
    Certificate,
    CertificateBuild,
    DefenceSlot,
    Entry,
    EntryAttachment,
    EntryOutcome,
    EntryPhoto,
    LibraryCase,
    Notice,
    Notification,
    Objection,
    ObjectionFile,
    ObjectionNote,
    ObjectionQuestion,
    OutgoingMail,
    PendingRegistration,
    ResultRun,
    ScoreSheet,
    SiteSetting,
    User,
)
from app.results.compute import compute_results
from app.results.publishing import publish
from app.review.defence import services as defence
from app.review.rubrics import files as rubric_files
from app.review.rubrics import services as rubric_services
from app.review.sheets import services as sheets
from app.storage import storage
from tests.factories import PASSWORD, credit_code, jpeg_bytes

# owner: an approved member of organisation A, whose entries the world holds;
# other_applicant: an approved member of organisation B; assigned_expert: has
# an active assignment and an opened draft sheet on A's entry in review;
# unassigned_expert: an expert without one; chair and publicity: one role each.
ROLES = ("anonymous", "owner", "other_applicant", "assigned_expert", "unassigned_expert", "chair", "publicity")


# --- the cells of the table ------------------------------------------------------------


@dataclass(frozen=True)
class Redirect:
    """A 302 to ``to``: a path with the world's {placeholders}; ``*`` is the id of a row the request made."""

    to: str
    refused: bool = False  # the app refuses the request by sending the user elsewhere

    def matches(self, location: str, **ids) -> bool:
        pattern = re.escape(self.to.format(**ids)).replace(r"\*", r"\d+")
        return re.fullmatch(pattern, location) is not None


# ``{next}``: the requested path, where the login form sends the user back to.
LOGIN = Redirect("/account/login?{next}", refused=True)
DENY = 403


def to(path: str) -> Redirect:
    return Redirect(path)


def back(path: str) -> Redirect:
    return Redirect(path, refused=True)


def refused(cell) -> bool:
    return cell in (403, 404) or (isinstance(cell, Redirect) and cell.refused)


def roles(default=DENY, *, anonymous=LOGIN, **cells) -> dict:
    """One cell per role: ``default`` for the logged-in roles not named, ``anonymous`` for visitors."""
    unknown = set(cells) - set(ROLES)
    assert not unknown, f"unknown roles: {unknown}"
    return {role: cells.get(role, anonymous if role == "anonymous" else default) for role in ROLES}


def everyone(cell) -> dict:
    return roles(cell, anonymous=cell)


def logged_in(cell) -> dict:
    """Any account; visitors log in first."""
    return roles(cell)


def chair_only(cell=200) -> dict:
    return roles(chair=cell)


def staff(cell=200, *, publicity=None) -> dict:
    """Chairs and publicity staff (results, brochure, library curation)."""
    return roles(chair=cell, publicity=cell if publicity is None else publicity)


def experts(cell=200) -> dict:
    """Experts only, and only the assigned one: the other expert's is not theirs."""
    return roles(assigned_expert=cell)


def applicant_members(owner, *, other_applicant=DENY, chair=DENY) -> dict:
    """The organisation's approved members (``owner``); everyone else refused unless named."""
    return roles(owner=owner, other_applicant=other_applicant, chair=chair)


PUBLIC = everyone(200)


@dataclass(frozen=True)
class Route:
    """One endpoint: its URL and, per method, the cell of each role."""

    path: str  # with {placeholders} from ``World.ids``
    get: dict | None = None
    post: dict | None = None
    # The POST body (besides the CSRF token); a callable gets the world (files must be fresh per request).
    data: Callable[["World"], dict] | dict = field(default_factory=dict)
    # Checked after the allowed roles posted: the write they may make took place.
    effect: Callable[["World", Session], None] | None = None
    variant: str = ""  # names a further URL of the endpoint (GET only), on another object where other rules apply

    def body(self, world) -> dict:
        return self.data(world) if callable(self.data) else dict(self.data)


# --- the table -------------------------------------------------------------------------

E = "/entries/{entry}"  # the entry in review (org A), with a photo and a PDF
D = "/entries/{draft}"  # org A's draft in the open call, with a photo and a PDF


def _upload(_world):
    return {"photo": (io.BytesIO(_small_jpeg()), "site.jpg"), "caption": "新照片"}


def _pdf_upload(world):
    return {"document": (io.BytesIO(_pdf_bytes()), "方案.pdf"), "version": world.version("draft")}


ACCESS: dict[str, Route | tuple[Route, ...]] = {
    # --- main -------------------------------------------------------------------------
    "main.index": Route("/", get=PUBLIC),
    "main.healthz": Route("/healthz", get=PUBLIC),
    "main.favicon": Route("/favicon.ico", get=PUBLIC),
    # In testing jobs run in-process: no worker to wait for, so ready.
    "main.readyz": Route("/readyz", get=PUBLIC),
    # Off unless METRICS_ENABLED (tests/integration/test_ops_metrics.py).
    "main.metrics_endpoint": Route("/metrics", get=everyone(404)),
    "main.dashboard": Route("/dashboard", get=logged_in(200)),
    "main.set_language": Route("/language", post=everyone(to("/")), data={"language": "en"}),
    # --- accounts: public forms; logged-in users are sent on --------------------------
    "accounts.register": Route("/account/register", get=roles(to("/dashboard"), anonymous=200),
                               post=roles(to("/dashboard"), anonymous=200)),
    "accounts.login": Route("/account/login", get=roles(to("/dashboard"), anonymous=200),
                            post=roles(to("/dashboard"), anonymous=200)),
    "accounts.logout": Route("/account/logout", post=everyone(to("/"))),
    "accounts.registration_sent": Route("/account/register/sent", get=PUBLIC),
    # The mailed link is the credential; a logged-in browser is sent back (log out first).
    "accounts.confirm_registration": Route(
        "/account/register/confirm/{registration_token}", get=roles(back("/dashboard"), anonymous=200),
        post=roles(back("/dashboard"), anonymous=to("/dashboard")),
        effect=lambda world, session: _assert_equal(
            session.exec(select(User).where(User.email == "registrant@example.com")).one().membership, Membership.ACTIVE),
    ),
    # The second step of a login: without a password step just done, back to the login form.
    "accounts.second_factor_step": Route("/account/login/verify", get=everyone(back("/account/login")),
                                         post=everyone(back("/account/login")), data={"code": "123456"}),
    "accounts.two_factor": Route("/account/two-factor", get=staff()),
    "accounts.two_factor_setup": Route("/account/two-factor/setup", get=staff(), post=staff(), data={"code": "123456"}),
    # Without the account's password nothing changes.
    "accounts.renew_recovery_codes": Route("/account/two-factor/recovery-codes", post=staff(to("/account/two-factor"))),
    "accounts.two_factor_disable": Route("/account/two-factor/disable", post=staff(to("/account/two-factor"))),
    "accounts.session_status": Route("/account/session", get=PUBLIC),
    "accounts.keep_alive": Route("/account/session/keep-alive", post=logged_in(to("/dashboard"))),
    "accounts.forgot_password": Route("/account/password/forgot", get=PUBLIC, post=PUBLIC),
    # The token is the credential: whoever holds the link may use it.
    "accounts.reset_password": Route("/account/password/reset/{reset_token}", get=PUBLIC, post=PUBLIC),
    "accounts.accept_invitation": Route("/account/invitation/{invitation_token}", get=PUBLIC, post=PUBLIC),
    "accounts.change_password": Route("/account/password", get=logged_in(200), post=logged_in(200)),
    # Any approved member sees their own organisation (the other applicant sees theirs).
    "accounts.organisation": Route("/account/organisation", get=applicant_members(200, other_applicant=200)),
    "accounts.decide_membership": Route(
        "/account/organisation/members/{pending}/approve",
        post=applicant_members(to("/account/organisation")),
        effect=lambda world, session: _assert_membership(session, world.ids["pending"], Membership.ACTIVE),
    ),
    # --- admin: the chair's -----------------------------------------------------------
    "admin.users": Route("/admin/users", get=chair_only()),
    "admin.invite": Route("/admin/users/invite", get=chair_only(), post=chair_only()),
    "admin.user": Route("/admin/users/{invitee}", get=chair_only(), post=chair_only()),
    "admin.resend_invitation": Route(
        "/admin/users/{invitee}/resend-invitation", post=chair_only(to("/admin/users/{invitee}")),
        effect=lambda world, session: _assert_equal(_mails(world.app, address=world.users["invitee"].email), 1),
    ),
    "admin.organisations": Route("/admin/organisations", get=chair_only()),
    "admin.organisation": Route("/admin/organisations/{org}", get=chair_only()),
    "admin.decide_membership": Route(
        "/admin/members/{pending}/approve", post=chair_only(to("/admin/organisations/{org}")),
        effect=lambda world, session: _assert_membership(session, world.ids["pending"], Membership.ACTIVE),
    ),
    "admin.audit_log": Route("/admin/audit", get=chair_only()),
    "admin.audit_export": Route("/admin/audit/export.csv", get=chair_only()),
    "admin.system_status": Route("/admin/status", get=chair_only()),
    "admin.settings": Route(
        "/admin/settings", get=chair_only(), post=chair_only(to("/admin/settings")), data={"site_name": "案例库"},
        effect=lambda world, session: _assert_equal(session.get(SiteSetting, "site_name").value, "案例库"),
    ),
    "admin.unlock": Route(
        "/admin/users/{locked}/unlock", post=chair_only(to("/admin/users")),
        effect=lambda world, session: _assert_equal(_fresh(session, User, world.ids["locked"]).locked_until, None),
    ),
    "admin.reset_second_factor": Route(
        "/admin/users/{two_factor}/second-factor/reset", post=chair_only(to("/admin/users/{two_factor}")),
        effect=lambda world, session: _assert_equal(_fresh(session, User, world.ids["two_factor"]).totp_secret, None),
    ),
    "admin.outbox_list": Route("/admin/outbox", get=chair_only()),
    # Sent again at once (the queue is immediate in tests): the mail goes out.
    "admin.retry_mail": Route(
        "/admin/outbox/{failed_mail}/retry", post=chair_only(to("/admin/outbox")),
        effect=lambda world, session: _assert_equal(
            _fresh(session, OutgoingMail, world.ids["failed_mail"]).status, MailStatus.SENT),
    ),
    # --- calls: the chair's -----------------------------------------------------------
    "calls.index": Route("/calls/", get=chair_only()),
    "calls.new": Route("/calls/new", get=chair_only(), post=chair_only()),
    "calls.detail": Route("/calls/{call}", get=chair_only()),
    "calls.edit": Route("/calls/{call}/edit", get=chair_only(), post=chair_only()),
    # --- entries: the organisation's members read and edit, chairs read ---------------
    "entries.index": Route("/entries/", get=applicant_members(200, other_applicant=200)),
    # Any approved member starts a draft of their own organisation in the open call.
    "entries.new": Route(
        "/entries/new", post=applicant_members(to("/entries/*/edit/basics"), other_applicant=to("/entries/*/edit/basics")),
        effect=lambda world, session: _assert_new_drafts(session, world, 2),
    ),
    "entries.detail": Route(E, get=applicant_members(200, chair=200)),
    "entries.edit": (
        Route(D + "/edit/basics", get=applicant_members(200, chair=back(D)),
              post=applicant_members(to(D + "/edit/solution"), chair=back(D)),
              data=lambda world: {"version": world.version("draft"), "title": "改过的标题", "domain": "manufacturing",
                                  "city": "440300", "tech_tags": ["computer_vision"]},
              effect=lambda world, session: _assert_equal(_draft(session, world).title, "改过的标题")),
        # Once submitted, the organisation's own members can no longer change it either.
        Route(E + "/edit/basics", get=applicant_members(back(E), chair=back(E)), variant="in review"),
    ),
    "entries.autosave": Route(
        D + "/autosave/basics", post=applicant_members(200, chair=DENY),
        data=lambda world: {"version": world.version("draft"), "title": "自动保存的标题"},
    ),
    "entries.add_photo": Route(D + "/photos", post=applicant_members(to(D + "/edit/media"), chair=back(D)), data=_upload),
    "entries.update_photo": Route(
        D + "/photos/{draft_photo}", post=applicant_members(to(D + "/edit/media"), chair=back(D)),
        data=lambda world: {f"photo{world.ids['draft_photo']}-caption": "新说明",
                            f"photo{world.ids['draft_photo']}-version": world.version("draft")},
    ),
    "entries.remove_photo": Route(D + "/photos/{draft_photo}/delete",
                                  post=applicant_members(to(D + "/edit/media"), chair=back(D)),
                                  data=lambda world: {"version": world.version("draft")}),
    "entries.add_attachment": Route(D + "/attachments", post=applicant_members(to(D + "/edit/media"), chair=back(D)),
                                    data=_pdf_upload),
    "entries.remove_attachment": Route(D + "/attachments/{draft_attachment}/delete",
                                       post=applicant_members(to(D + "/edit/media"), chair=back(D)),
                                       data=lambda world: {"version": world.version("draft")}),
    "entries.change_status": Route(
        D + "/submit", post=applicant_members(to(D), chair=back(D)),
        data=lambda world: {"version": world.version("draft")},
        effect=lambda world, session: _assert_equal(_draft(session, world).status, EntryStatus.SUBMITTED),
    ),
    "entries.delete": Route(
        D + "/delete", post=applicant_members(to("/entries/"), chair=back(D)),
        data=lambda world: {"version": world.version("draft")},
        effect=lambda world, session: _assert_equal(_gone(session, Entry, world.ids["draft"]), True),
    ),
    # Experts read an entry through their sheet only (review.*), never here.
    "entries.photo": (
        Route(E + "/photos/{photo}/thumb.jpg", get=applicant_members(200, chair=200)),
        # A photo of another entry (of the same organisation) is not found through this one.
        Route(E + "/photos/{scored_photo}/thumb.jpg", get=applicant_members(404, chair=404), variant="other entry's photo"),
    ),
    "entries.attachment": Route(E + "/attachments/{attachment}", get=applicant_members(200, chair=200)),
    "entries.application_pdf": Route(E + "/application.pdf", get=applicant_members(200, chair=200)),
    # --- formal check: the chair's ----------------------------------------------------
    "formal_check.index": Route("/check/", get=chair_only()),
    "formal_check.bulk_decision": Route("/check/decisions", post=chair_only()),
    "formal_check.decision": Route("/check/entries/{draft}/decision", get=chair_only(), post=chair_only()),
    "formal_check.export": Route("/check/export.csv", get=chair_only()),
    # --- review: the assigned expert's own assignment and sheet -----------------------
    "review.queue": Route("/review/", get=roles(assigned_expert=200, unassigned_expert=200)),
    "review.declare": Route("/review/assignments/{assignment}", get=experts(to("/review/sheets/{sheet}"))),
    "review.open_sheet": Route("/review/assignments/{assignment}/no-conflict", post=experts(to("/review/sheets/{sheet}")),
                               data={"confirm": "y"}),
    "review.conflict": Route("/review/assignments/{assignment}/conflict", post=experts(422)),
    "review.sheet": Route(
        "/review/sheets/{sheet}", get=experts(200), post=experts(to("/review/sheets/{sheet}")),
        data=lambda world: {"version": world.version("sheet"), "comment": "草稿意见"},
        effect=lambda world, session: _assert_equal(_sheet(session, world).comment, "草稿意见"),
    ),
    "review.autosave": Route("/review/sheets/{sheet}/autosave", post=experts(200),
                             data=lambda world: {"version": world.version("sheet"), "comment": "自动保存"}),
    # Submitting an empty sheet: saved as a draft, refused as incomplete.
    # The opened sheet is incomplete: saved as a draft, back to the sheet listing what is missing.
    "review.submit": Route("/review/sheets/{sheet}/submit", post=experts(to("/review/sheets/{sheet}?check=1")),
                           data=lambda world: {"version": world.version("sheet")}),
    "review.photo": (
        Route("/review/sheets/{sheet}/photos/{photo}/thumb.jpg", get=experts(200)),
        Route("/review/sheets/{sheet}/photos/{scored_photo}/thumb.jpg", get=experts(404), variant="other entry's photo"),
    ),
    "review.attachment": Route("/review/sheets/{sheet}/attachments/{attachment}", get=experts(200)),
    # --- review management: the chair's, except an expert's own profile ---------------
    # --- notifications: everyone's own; another user's is not there ----------------------
    "notifications.index": Route("/notifications/", get=logged_in(200)),
    "notifications.open_item": Route("/notifications/{notification}/open", post=roles(404, owner=to("/entries/{scored}"))),
    "notifications.mark_read": Route("/notifications/{notification}/read", post=roles(404, owner=to("/notifications/"))),
    "notifications.mark_all_read": Route("/notifications/read-all", post=logged_in(to("/notifications/"))),
    "notifications.settings": Route("/notifications/settings", get=logged_in(200), post=logged_in(to("/notifications/settings")),
                                    data={"language": "en", "wanted": ["entry.submitted"]}),
    "review_manage.index": Route("/review/manage/", get=chair_only()),
    "review_manage.rubrics": Route("/review/manage/calls/{call}/rubrics", get=chair_only(), post=chair_only(400)),
    "review_manage.freeze_rubrics": Route("/review/manage/calls/{call}/rubrics/freeze",
                                          post=chair_only(to("/review/manage/calls/{call}/rubrics"))),
    "review_manage.panels": Route("/review/manage/calls/{call}/panels", get=chair_only()),
    "review_manage.new_panel": Route("/review/manage/calls/{call}/panels/new", get=chair_only(), post=chair_only()),
    "review_manage.edit_panel": Route("/review/manage/panels/{panel}", get=chair_only(), post=chair_only()),
    "review_manage.delete_panel": Route("/review/manage/panels/{panel}/delete",
                                        post=chair_only(to("/review/manage/panels/{panel}"))),
    "review_manage.experts": Route("/review/manage/experts", get=chair_only()),
    "review_manage.profile": Route("/review/manage/experts/{expert}/profile", get=roles(assigned_expert=200, chair=200),
                                   post=roles(assigned_expert=to("/review/manage/experts/{expert}/profile"),
                                              chair=to("/review/manage/experts/{expert}/profile"))),
    "review_manage.conflicts": Route("/review/manage/calls/{call}/conflicts", get=chair_only(), post=chair_only()),
    "review_manage.progress_page": Route("/review/manage/calls/{call}/progress", get=chair_only()),
    "review_manage.expert_progress": Route("/review/manage/calls/{call}/experts/{expert}", get=chair_only()),
    "review_manage.remind": Route(
        "/review/manage/calls/{call}/remind", post=chair_only(to("/review/manage/calls/{call}/progress")),
        effect=lambda world, session: _assert_equal(_mails(world.app, address=world.users["assigned_expert"].email), 1),
    ),
    "review_manage.entry": Route("/review/manage/entries/{entry}", get=chair_only()),
    "review_manage.reopen_sheet": Route("/review/manage/sheets/{submitted_sheet}/reopen", get=chair_only(),
                                        post=chair_only()),
    # --- review rounds: the chair's (the world's call has one round: no round 2) ------
    "rounds.index": Route("/review/rounds/calls/{call}", get=chair_only(), post=chair_only(400)),
    # The call has a defence round (see build_world) and published results: its shortlist is kept as it is,
    # so drawing it again or changing the panel is refused and the chair is sent back, told why.
    "rounds.shortlist": Route("/review/rounds/calls/{call}/rounds/2/shortlist", get=chair_only()),
    "rounds.draw": Route("/review/rounds/calls/{call}/rounds/2/shortlist/draw",
                         post=chair_only(to("/review/rounds/calls/{call}/rounds/2/shortlist"))),
    "rounds.decide": Route("/review/rounds/calls/{call}/rounds/2/shortlist/decide", post=chair_only(400)),
    "rounds.panel": Route("/review/rounds/calls/{call}/rounds/2/panel",
                          post=chair_only(to("/review/rounds/calls/{call}/rounds/2/shortlist#panel"))),
    # --- expert assignment: the chair's -----------------------------------------------
    "review_assign.index": Route("/review/assign/", get=chair_only()),
    "review_assign.run": Route("/review/assign/calls/{call}/run", post=chair_only()),
    "review_assign.report": Route("/review/assign/calls/{call}/report", get=chair_only()),
    "review_assign.entry": Route("/review/assign/entries/{entry}", get=chair_only()),
    "review_assign.add": Route("/review/assign/entries/{entry}/add", post=chair_only()),
    "review_assign.remove": Route("/review/assign/assignments/{assignment}/remove", post=chair_only()),
    # --- defence sessions: the chair's schedule; the organisation confirms its own ----
    "review_defence.index": Route("/review/defence/", get=chair_only()),
    "review_defence.schedule": Route("/review/defence/calls/{call}/rounds/2", get=chair_only()),
    "review_defence.fill": Route("/review/defence/calls/{call}/rounds/2/fill", post=chair_only(400)),
    "review_defence.slot": Route("/review/defence/calls/{call}/rounds/2/entries/{entry}", get=chair_only(),
                                 post=chair_only(400)),
    "review_defence.remove": Route(
        "/review/defence/slots/{defence_slot}/remove", post=chair_only(to("/review/defence/calls/{call}/rounds/2")),
        effect=lambda world, session: _assert_equal(_gone(session, DefenceSlot, world.ids["defence_slot"]), True),
    ),
    "review_defence.schedule_pdf": Route("/review/defence/calls/{call}/rounds/2/schedule.pdf", get=chair_only()),
    "review_defence.schedule_xlsx": Route("/review/defence/calls/{call}/rounds/2/schedule.xlsx", get=chair_only()),
    "review_defence.confirm": Route(
        "/review/defence/slots/{defence_slot}/confirm", post=applicant_members(to("/dashboard")),
        effect=lambda world, session: _assert_equal(
            _fresh(session, DefenceSlot, world.ids["defence_slot"]).confirmed_by_id, world.users["owner"].id),
    ),
    # --- results: chairs decide; publicity staff read published snapshots ------------
    "results.index": Route("/results/", get=staff()),
    # Round 1 of the call's two, computed again: the chair goes back to round 2's shortlist.
    "results.compute": Route(
        "/results/calls/{call}/compute", post=staff(to("/review/rounds/calls/{call}/rounds/2/shortlist"), publicity=DENY),
        data={"round": "1"},
        effect=lambda world, session: _assert_equal(_draft_run_id(session, world) > world.ids["draft_run"], True),
    ),
    "results.settings": Route("/results/calls/{call}/settings", post=staff(to("/results/?call={call}"), publicity=DENY)),
    "results.publish": Route("/results/runs/{draft_run}/publish", post=staff(to("/results/?call={call}"), publicity=DENY)),
    "results.extra_experts": Route("/results/runs/{draft_run}/extra-experts",
                                   post=staff(to("/results/runs/{draft_run}?flag=disputed"), publicity=DENY)),
    # Publicity staff see published snapshots, never the chair's draft.
    "results.rankings_page": (
        Route("/results/runs/{run}", get=staff()),
        Route("/results/runs/{draft_run}", get=staff(publicity=DENY), variant="draft"),
    ),
    "results.entry_result": (
        Route("/results/runs/{run}/entries/{scored}", get=staff()),
        Route("/results/runs/{draft_run}/entries/{scored}", get=staff(publicity=DENY), variant="draft"),
    ),
    "results.reliability_page": Route("/results/runs/{run}/reliability", get=staff()),
    # How each expert scored stays with the chairs.
    "results.experts_page": Route("/results/runs/{run}/experts", get=staff(publicity=DENY)),
    "results.selection_page": Route("/results/runs/{run}/selection", get=staff()),
    "results.override": Route("/results/entries/{scored}/override",
                              post=staff(to("/results/runs/{draft_run}/entries/{scored}"), publicity=DENY)),
    "results.remove_override": Route("/results/entries/{scored}/override/remove",
                                     post=staff(to("/results/runs/{draft_run}/entries/{scored}"), publicity=DENY)),
    "results.veto": Route("/results/entries/{scored}/veto",
                          post=staff(to("/results/runs/{draft_run}/entries/{scored}"), publicity=DENY)),
    "results.export": (
        Route("/results/runs/{run}/rankings.csv", get=staff()),
        Route("/results/runs/{draft_run}/rankings.csv", get=staff(publicity=DENY), variant="draft"),
    ),
    # --- verifying a snapshot: anyone; only published snapshots have a public document --
    "results_public.verify": Route("/results/verify", get=PUBLIC, post=PUBLIC, data={"document": "{}"}),
    "results_public.public_document": (
        Route("/results/snapshots/{run}/public.json", get=PUBLIC),
        Route("/results/snapshots/{draft_run}/public.json", get=everyone(404), variant="draft"),
    ),
    # --- brochure: chairs and publicity staff -----------------------------------------
    "brochure.index": Route("/brochure/", get=staff()),
    "brochure.start": Route("/brochure/calls/{call}/build", post=staff()),
    "brochure.status": Route("/brochure/calls/{call}/status", get=staff()),
    "brochure.download": Route("/brochure/calls/{call}/download", get=staff()),
    "brochure.download_build": Route("/brochure/calls/{call}/builds/{brochure}/download", get=staff()),
    # --- the public case library ------------------------------------------------------
    "library.home": Route("/library/", get=PUBLIC),
    "library.cases": Route("/library/cases", get=PUBLIC),
    # Only what a published snapshot put in the library exists there.
    "library.case": (
        Route("/library/{year}/{scored}", get=PUBLIC),
        Route("/library/{year}/{entry}", get=everyone(404), variant="not published"),
    ),
    "library.photo": (
        Route("/library/photos/{scored}/{scored_photo}", get=PUBLIC),
        Route("/library/photos/{entry}/{photo}", get=everyone(404), variant="not published"),
    ),
    "library.data": Route("/library/data", get=PUBLIC),
    "library.cases_json": Route("/library/data/cases.json", get=PUBLIC),
    "library.cases_csv": Route("/library/data/cases.csv", get=PUBLIC),
    "library.openapi": Route("/library/data/openapi.json", get=PUBLIC),
    # --- library curation: chairs and publicity staff ---------------------------------
    "library_manage.index": Route("/library/manage/", get=staff()),
    "library_manage.feature": Route(
        "/library/manage/{case}/feature", post=staff(to("/library/manage/")),
        effect=lambda world, session: _assert_equal(_case(session, world).featured, True),
    ),
    "library_manage.unfeature": Route("/library/manage/{case}/unfeature", post=staff(to("/library/manage/"))),
    "library_manage.hide": Route(
        "/library/manage/{case}/hide", post=staff(to("/library/manage/")), data={"reason": "待核实"},
        effect=lambda world, session: _assert_equal(_case(session, world).hidden, True),
    ),
    "library_manage.unhide": Route("/library/manage/{case}/unhide", post=staff(to("/library/manage/"))),
    "library_manage.headline": Route("/library/manage/headline", post=staff(to("/library/manage/")),
                                     data={"text": "新的标语"}),
    "library_manage.summary": Route("/library/manage/{case}/summary", get=staff(), post=staff(to("/library/manage/")),
                                    data={"text": "公开摘要"}),
    # --- public notice: the page and its PDF are public, handling is the chair's ------
    "notices_public.notice": Route("/notice/{call}", get=PUBLIC, post=everyone(422)),
    "notices_public.notice_document": Route("/notice/{call}/notice.pdf", get=PUBLIC),
    "notices.settings": Route("/notices/calls/{call}/settings", get=chair_only(), post=chair_only()),
    "notices.publish": Route("/notices/runs/{draft_run}/publish", post=chair_only(to("/results/?call={call}"))),
    "notices.detail": Route("/notices/{notice}", get=chair_only()),
    # The period runs: the chair is sent back, told why.
    "notices.official": Route("/notices/{notice}/official", post=chair_only(back("/notices/{notice}"))),
    "notices.objection": Route("/notices/objections/{objection}", get=chair_only()),
    "notices.handle": Route(
        "/notices/objections/{objection}/note", post=chair_only(to("/notices/objections/{objection}")),
        data={"body": "已核实"},
        effect=lambda world, session: _assert_equal(len(session.exec(select(ObjectionNote)).all()), 1),
    ),
    # The objector's evidence is the chair's; the files of an answer are also its organisation's.
    "notices.file": (
        Route("/notices/files/{objection_file}", get=chair_only()),
        Route("/notices/files/{answer_file}", get=roles(owner=200, chair=200), variant="answer's file"),
    ),
    # Only the entry's organisation answers (the chair reads the answer on the objection's page).
    "notices.question": Route(
        "/notices/questions/{question}", get=applicant_members(200),
        post=applicant_members(to("/notices/questions/{question}")), data={"answer": "以验收报告为准。"},
        effect=lambda world, session: _assert_equal(
            _fresh(session, ObjectionQuestion, world.ids["question"]).answer, "以验收报告为准。"),
    ),
    # --- certificates: the chair's; one certificate for its organisation; verification for anyone --
    "certificates.index": Route("/certificates/", get=chair_only()),
    "certificates.settings": Route("/certificates/calls/{call}/settings", post=chair_only(to("/certificates/?call={call}")),
                                   data={"issuer": "广东省工业和信息化厅"}),
    "certificates.issue": Route("/certificates/calls/{call}/issue", post=chair_only(to("/certificates/?call={call}"))),
    "certificates.status": Route("/certificates/calls/{call}/status", get=chair_only()),
    "certificates.seal": Route("/certificates/calls/{call}/seal", get=chair_only()),
    "certificates.download_zip": Route("/certificates/calls/{call}/all.zip", get=chair_only()),
    "certificates_public.download": Route("/certificate/{certificate}.pdf", get=applicant_members(200, chair=200)),
    "certificates_public.verify": (
        Route("/verify/{serial}", get=PUBLIC),
        Route("/verify/ABCD-EFGH-JKLM-NPQR", get=everyone(404), variant="unknown serial"),
    ),
    # --- the programme's progress: chairs and publicity staff --------------------------
    "programme.index": Route("/programme/", get=staff()),
    "programme.export": Route("/programme/export.csv", get=staff()),
}


# --- effects ---------------------------------------------------------------------------


def _assert_equal(got, expected):
    assert got == expected, f"effect: got {got!r}, expected {expected!r}"


def _fresh(session, model, object_id):
    session.expire_all()
    return session.get(model, object_id)


def _assert_membership(session, user_id, membership):
    session.expire_all()
    _assert_equal(session.get(User, user_id).membership, membership)


def _assert_new_drafts(session, world, count):
    session.expire_all()
    drafts = session.exec(select(Entry).where(Entry.call_id == world.ids["open_call"], Entry.id != world.ids["draft"])).all()
    _assert_equal(len(drafts), count)


def _draft(session, world) -> Entry:
    session.expire_all()
    return session.get(Entry, world.ids["draft"])


def _sheet(session, world) -> ScoreSheet:
    session.expire_all()
    return session.get(ScoreSheet, world.ids["sheet"])


def _gone(session, model, object_id) -> bool:
    session.expire_all()
    return session.get(model, object_id) is None


def _draft_run_id(session, world) -> int:
    session.expire_all()
    return session.exec(select(ResultRun.id).where(ResultRun.call_id == world.ids["call"],
                                                   ResultRun.published_at.is_(None))).one()


def _case(session, world) -> LibraryCase:
    session.expire_all()
    return session.get(LibraryCase, world.ids["case"])


# --- the world -------------------------------------------------------------------------


@functools.cache
def _small_jpeg() -> bytes:
    return jpeg_bytes()


@functools.cache
def _photo():
    """A processed photo (renditions, size), made once: stored blobs are shared by content."""
    return process_photo(_small_jpeg(), max_pixels=50_000_000)


@functools.cache
def _pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_files(app, session, entry: Entry) -> tuple[int, int]:
    """A photo and a PDF attachment for ``entry``; returns their ids."""
    processed = _photo()
    with app.app_context():
        keys = {name: storage().put(data, suffix=".jpg") for name, data in processed.renditions.items()}
        pdf_key = storage().put(_pdf_bytes(), suffix=".pdf")
    photo = EntryPhoto(entry_id=entry.id, position=0, caption="现场照片", master_key=keys["master"],
                       display_key=keys["display"], thumb_key=keys["thumb"], width=processed.width,
                       height=processed.height)
    attachment = EntryAttachment(entry_id=entry.id, filename="技术方案.pdf", blob_key=pdf_key,
                                 size=len(_pdf_bytes()), pages=1)
    session.add_all([photo, attachment])
    session.commit()
    return photo.id, attachment.id


RESAMPLES = 20  # bootstrap resamples of the world's results: one entry needs few


@dataclass
class World:
    app: Flask
    session: Session
    users: dict[str, User]  # role → account (none for visitors), and the invited expert
    ids: dict[str, int | str]  # the placeholders of the table's paths

    def version(self, name: str) -> int:
        """The current version of the draft entry or the expert's sheet (for forms that send it)."""
        model = {"draft": Entry, "sheet": ScoreSheet}[name]
        self.session.expire_all()
        return self.session.get(model, self.ids[name]).version


def build_world(app, make, session) -> World:
    """Organisation A (owner, a pending member) and B (other applicant); a call
    in review whose entry ``scored`` is published in the library (a snapshot,
    a brochure, a draft run after it) and whose entry ``entry`` is being scored
    by the assigned expert (opened draft sheet; the same expert scored
    ``scored``); a draft of A in a call that takes entries; a chair, a
    publicity user, an invited expert and link tokens."""
    org_a, org_b = make.organisation(), make.organisation()
    owner = make.applicant(organisation=org_a)
    pending = make.applicant(organisation=org_a, membership=Membership.PENDING)
    other_applicant = make.applicant(organisation=org_b)
    scored = make.scored_call(totals=[[90.0]], organisations=[org_a], target_count=5)
    call, chair, expert = scored.call, scored.chair, scored.experts[0]
    unassigned_expert = make.staff(Role.EXPERT)
    publicity = make.staff(Role.PUBLICITY)
    invitee = make.staff(Role.EXPERT, password=None)

    # The scored entry, with a photo, published: a snapshot and a library case.
    published = scored.entries[0]
    published.summary = "利用深度学习视觉模型进行实时缺陷检测。"
    published.tech_tags = ["computer_vision"]
    published.outcomes = [EntryOutcome(position=0, metric="检出率", before=92.0, after=99.5, unit="%")]
    session.add(published)
    session.commit()
    scored_photo, _ = _add_files(app, session, published)
    windows = {row.phase: (row.starts_at, row.ends_at) for row in call.phases}
    with app.test_request_context():
        run = compute_results(session, call=call, actor=chair, now=utcnow(), resamples=RESAMPLES)
        publish(session, run=run, actor=chair, now=utcnow(), public_scores=True, early=True)
        # Publishing in review started the results phase; the call goes back to
        # its dates (as a chair editing them would), so that review goes on.
        for row in call.phases:
            row.starts_at, row.ends_at = windows[row.phase]
        session.add(call)
        session.commit()
    case = session.exec(select(LibraryCase).where(LibraryCase.entry_id == published.id)).one()
    # Publishing told the owner its entry was selected.
    notification = session.exec(select(Notification).where(Notification.user_id == owner.id)).one()

    # The entry in review: the assigned expert has opened its sheet.
    entry = make.entry(call=call, organisation=org_a, status=EntryStatus.IN_REVIEW, photos=0)
    photo, attachment = _add_files(app, session, entry)
    assignment = Assignment(call_id=call.id, entry_id=entry.id, expert_id=expert.id, panel_id=scored.panel.id,
                            source=AssignmentSource.AUTOMATIC)
    session.add(assignment)
    session.commit()
    with app.test_request_context():
        sheet = sheets.declare_no_conflict_and_open(session, assignment=assignment, expert=expert, now=utcnow())
        session.commit()
        draft_run = compute_results(session, call=call, actor=chair, now=utcnow(), resamples=RESAMPLES)
        session.commit()

    # A defence round whose shortlist holds the entry in review, scheduled tomorrow.
    make.defence_round(call=call)
    make.shortlist(call=call, entries=[entry])
    with app.test_request_context():
        defence_slot = defence.schedule_slot(
            session, actor=chair, call=call, review_round=defence.defence_round(session, call=call, round_no=2),
            entry=entry, room="第一会议室", video_link="", starts_at=utcnow() + timedelta(days=1), duration_minutes=20,
            now=utcnow())
        session.commit()

    # A finished brochure of the call, its file in this test's brochure folder.
    brochure = Brochure(call_id=call.id, snapshot_id=run.id, status=BrochureStatus.DONE, pages=1,
                        size_bytes=len(_pdf_bytes()), created_by_id=chair.id, started_at=utcnow(), finished_at=utcnow(),
                        options={"title": "案例集", "profile": "screen"})
    session.add(brochure)
    session.flush()
    brochure.file_key = f"call-{call.id}/brochure-{brochure.id}-screen.pdf"
    path = Path(app.config["BROCHURE_FOLDER"]) / brochure.file_key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_pdf_bytes())
    session.commit()

    # A draft of organisation A in a call that takes entries.
    open_call = make.call(open_phase=Phase.SUBMISSION)
    draft = make.entry(call=open_call, organisation=org_a, photos=0)
    draft_photo, draft_attachment = _add_files(app, session, draft)

    # A locked applicant, a publicity account with two-step verification, a registration waiting for its link.
    locked = make.applicant(organisation=org_b, locked_until=utcnow() + timedelta(minutes=10))
    two_factor = make.staff(Role.PUBLICITY, totp_secret="JBSWY3DPEHPK3PXP", totp_enabled_at=utcnow())
    registration_token = "registration-token-of-the-world"
    session.add(PendingRegistration(
        token_hash=hashlib.sha256(registration_token.encode()).hexdigest(), email="registrant@example.com",
        organisation_name="登记中的公司", credit_code=credit_code(990001), city_code="440300", contact_name="登记人",
        password_hash=owner.password_hash, expires_at=utcnow() + timedelta(hours=1)))

    reset_token = issue_token(session, user=owner, purpose=TokenPurpose.PASSWORD_RESET, lifetime=timedelta(hours=1))
    invitation_token = issue_token(session, user=invitee, purpose=TokenPurpose.INVITATION, lifetime=timedelta(days=7))
    # A mail the worker gave up on, for the chair's retry.
    failed_mail = OutgoingMail(recipient="unreachable@example.com", subject="失败的邮件", status=MailStatus.FAILED,
                               attempts=8, last_error="SMTPServerDisconnected", message=b"To: unreachable@example.com\n\nx\n")
    session.add(failed_mail)
    session.commit()

    # A public notice of the call (its period runs) with an objection to the scored entry,
    # a question to organisation A, the objector's file and a file of an earlier answer.
    notice = Notice(call_id=call.id, proposed_run_id=run.id, starts_at=utcnow() - timedelta(days=1),
                    ends_at=utcnow() + timedelta(days=6), period_days=5, contact="异议受理：020-12345678")
    session.add(notice)
    session.flush()
    objection = Objection(notice_id=notice.id, reference="YY-TEST-WORL-D000", entry_id=published.id,
                          objector_name="异议人", objector_email="objector@example.com", grounds="申报数据与实际不符。" * 3)
    session.add(objection)
    session.flush()
    question = ObjectionQuestion(objection_id=objection.id, question="请说明。", asked_by_id=chair.id,
                                 due_at=utcnow() + timedelta(days=3))
    answered = ObjectionQuestion(objection_id=objection.id, question="请补充。", asked_by_id=chair.id,
                                 due_at=utcnow() + timedelta(days=3), answer="见附件。", answered_by_id=owner.id,
                                 answered_at=utcnow())
    session.add_all([question, answered])
    session.flush()
    with app.app_context():
        evidence_key = storage().put(_pdf_bytes(), suffix=".pdf")
    objection_file = ObjectionFile(objection_id=objection.id, kind="pdf", filename="证据.pdf", blob_key=evidence_key,
                                   size=len(_pdf_bytes()))
    answer_file = ObjectionFile(objection_id=objection.id, question_id=answered.id, kind="pdf", filename="说明.pdf",
                                blob_key=evidence_key, size=len(_pdf_bytes()))
    session.add_all([objection_file, answer_file])
    # The published entry's certificate, built, with the call's seal and the zip of all.
    blobs = app.extensions["storage"]
    call.certificate_issuer = "广东省工业和信息化厅"
    call.certificate_seal_key = blobs.put(_small_jpeg(), suffix=".jpg")
    certificate = Certificate(serial="7KQM-2XJD-R9TB-WH4C", call_id=call.id, entry_id=published.id, run_id=run.id,
                              organisation_id=org_a.id, organisation_name=org_a.name, title=published.title,
                              domain=published.domain, call_title=call.name, year=call.year, issued_on=utcnow().date(),
                              issuer=call.certificate_issuer, file_key=blobs.put(_pdf_bytes(), suffix=".pdf"),
                              built_at=utcnow())
    session.add_all([call, certificate, CertificateBuild(call_id=call.id, status="done", total=1, done=1,
                                                         zip_key=blobs.put(b"PK\x05\x06" + bytes(18), suffix=".zip"))])
    session.commit()

    users = {"owner": owner, "other_applicant": other_applicant, "assigned_expert": expert,
             "unassigned_expert": unassigned_expert, "chair": chair, "publicity": publicity}
    ids = {
        "org": org_a.id, "pending": pending.id, "invitee": invitee.id, "expert": expert.id,
        "call": call.id, "open_call": open_call.id, "year": call.year, "panel": scored.panel.id,
        "scored": published.id, "scored_photo": scored_photo, "case": case.id, "run": run.id, "draft_run": draft_run.id,
        "submitted_sheet": scored.sheets[(published.id, expert.id)].id, "brochure": brochure.id,
        "entry": entry.id, "photo": photo, "attachment": attachment, "assignment": assignment.id, "sheet": sheet.id,
        "draft": draft.id, "draft_photo": draft_photo, "draft_attachment": draft_attachment,
        "reset_token": reset_token, "invitation_token": invitation_token,
        "locked": locked.id, "two_factor": two_factor.id, "registration_token": registration_token,
        "failed_mail": failed_mail.id, "notification": notification.id, "defence_slot": defence_slot.id,
        "notice": notice.id, "objection": objection.id, "question": question.id,
        "objection_file": objection_file.id, "answer_file": answer_file.id,
        "certificate": certificate.id, "serial": certificate.serial,
    }
    return World(app=app, session=session, users=users | {"invitee": invitee}, ids=ids)


@pytest.fixture
def quiet_jobs(monkeypatch):
    """Brochure and certificate builds stay queued: the job queue is replaced by a list."""
    from app.brochure import tasks
    from app.certificates import tasks as certificate_tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks, "enqueue_build", queued.append)
    monkeypatch.setattr(certificate_tasks, "enqueue_build", queued.append)
    return queued


_check_rubric_file = rubric_files.check_file


@functools.cache
def _parsed_rubric(path: Path, mtime: float) -> dict:
    return _check_rubric_file(path)


@pytest.fixture
def world(app, make, session, tmp_path, monkeypatch, quiet_jobs):
    monkeypatch.setitem(app.config, "BROCHURE_FOLDER", str(tmp_path / "brochures"))
    with monkeypatch.context() as building:
        # Building only: the rubric file is parsed once per session, not once per test.
        building.setattr(rubric_services, "check_file", lambda path: copy.deepcopy(_parsed_rubric(path, path.stat().st_mtime)))
        return build_world(app, make, session)


# --- clients and checks ----------------------------------------------------------------


def _client(app, user: User | None):
    """A fresh client with a CSRF token in its session, logged in as ``user``
    through the login form (visitors stay anonymous); returns it and the token."""
    client = app.test_client()
    with app.test_request_context():
        token = generate_csrf()
        raw = flask_session["csrf_token"]
    with client.session_transaction() as client_session:
        client_session["csrf_token"] = raw
    if user is not None:
        response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert (response.status_code, response.headers["Location"]) == (302, "/dashboard"), f"login of {user.email}"
    return client, token


def _mails(app, *, address: str | None = None) -> int:
    """How many mails the app wrote to its outbox (to ``address`` only, when given)."""
    folder = Path(app.config["MAIL_OUTBOX_DIR"])
    paths = sorted(folder.glob("*.eml")) if folder.exists() else []
    if address is None:
        return len(paths)
    return sum(email.message_from_bytes(path.read_bytes(), policy=policy.default)["To"] == address for path in paths)


class Traces:
    """What a request leaves behind: every row of every table, and the mails sent."""

    def __init__(self, app, session):
        self.app, self.session = app, session
        self.rows, self.mails = self._rows(), _mails(app)

    # A login session's last activity, written by any request at most once a minute, is no change a request makes.
    IGNORED = {"user_sessions": {"last_seen_at"}}

    def _rows(self) -> dict[str, list]:
        self.session.expire_all()
        connection = self.session.connection()
        return {
            table.name: connection.execute(
                sa.select(*(column for column in table.columns if column.name not in self.IGNORED.get(table.name, ())))
                .order_by(*table.primary_key.columns)).all()
            for table in SQLModel.metadata.sorted_tables
        }

    def left_by(self, label: str) -> list[str]:
        """What changed since the last look, described for ``label``'s request (none: an empty list)."""
        rows, mails = self._rows(), _mails(self.app)
        changed = [name for name in rows if rows[name] != self.rows[name]]
        found = [f"{label} changed {', '.join(changed)}"] if changed else []
        found += [f"{label} sent {mails - self.mails} mail(s)"] if mails != self.mails else []
        self.rows, self.mails = rows, mails
        return found


def _check(response, cell, *, path: str, world: World, label: str) -> str | None:
    """None if ``response`` is what ``cell`` says, else what went wrong."""
    got, location = response.status_code, response.headers.get("Location", "")
    if isinstance(cell, Redirect):
        ids = world.ids | {"next": urlencode({"next": path})}
        expected = f"302 → {cell.to.format(**ids)}"
        ok = got == 302 and cell.matches(location, **ids)
    else:
        expected, ok = cell, got == cell
    return None if ok else f"{label}: got {got} {location}".rstrip() + f", expected {expected}"


# --- the tests -------------------------------------------------------------------------


def _routes(entry) -> tuple[Route, ...]:
    return entry if isinstance(entry, tuple) else (entry,)


def _checked_methods(route: Route) -> set[str]:
    return {method for method in ("GET", "POST") if getattr(route, method.lower())}


def test_every_route_is_in_the_table(app):
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    missing = sorted(set(rules) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(rules))
    problems = [f"routes missing from ACCESS: {', '.join(missing)}"] if missing else []
    problems += [f"ACCESS keys that are no longer routes: {', '.join(stale)}"] if stale else []
    for endpoint in sorted(set(rules) & set(ACCESS)):
        served = set(rules[endpoint].methods) - {"HEAD", "OPTIONS"}
        checked = _checked_methods(_routes(ACCESS[endpoint])[0])
        if served != checked:
            problems.append(f"{endpoint} serves {sorted(served)}, ACCESS checks {sorted(checked)}")
    assert not problems, "\n".join(problems)


def _unserved(endpoint, route, clients, world) -> list[str | None]:
    """Methods the route does not serve answer 405, before any login or role check."""
    path = route.path.format(**world.ids)
    client, token = clients["anonymous"]
    found = []
    for method in sorted({"GET", "POST"} - _checked_methods(route)):
        with client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None) as response:
            found.append(_check(response, 405, path=path, world=world, label=f"{method} {endpoint} as anonymous"))
    return found


def _gets(endpoint, route, clients, world) -> list[str | None]:
    path = route.path.format(**world.ids)
    where = f"{endpoint} ({route.variant})" if route.variant else endpoint
    found = []
    for role, cell in (route.get or {}).items():
        with clients[role][0].get(path) as response:
            found.append(_check(response, cell, path=path, world=world, label=f"GET {where} as {role}"))
    return found


def _posts(endpoint, route, clients, world, traces: Traces) -> list[str | None]:
    """The refused roles first, each checked for traces; then the allowed ones."""
    path = route.path.format(**world.ids)
    found = []
    # Without its token, the POST is refused even for a role that may make it.
    role = next((role for role in ROLES if not refused(route.post[role])), "chair")
    label = f"POST {endpoint} as {role} without a CSRF token"
    with clients[role][0].post(path, data=route.body(world)) as response:
        found.append(_check(response, 400, path=path, world=world, label=label))
    found += traces.left_by(label)
    for role in sorted(ROLES, key=lambda role: not refused(route.post[role])):
        client, token = clients[role]
        label = f"POST {endpoint} as {role}"
        with client.post(path, data={**route.body(world), "csrf_token": token}) as response:
            found.append(_check(response, route.post[role], path=path, world=world, label=label))
        if refused(route.post[role]):
            found += traces.left_by(f"{label} (refused)")
    return found


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_route_access(app, session, world, csrf, endpoint):
    route, *variants = _routes(ACCESS[endpoint])
    assert all(variant.variant and not variant.post for variant in variants), "variants are named, and GET only"
    adapter = app.url_map.bind("localhost")
    for each in (route, *variants):
        path = each.path.format(**world.ids).split("?")[0]
        for method in _checked_methods(each):
            assert adapter.match(path, method=method)[0] == endpoint, f"{method} {path} is not {endpoint}"
    clients = {role: _client(app, world.users.get(role)) for role in ROLES}

    failures = _unserved(endpoint, route, clients, world)
    for each in (route, *variants):  # reads first: the POSTs below may change the world
        failures += _gets(endpoint, each, clients, world)
    if route.post:
        failures += _posts(endpoint, route, clients, world, Traces(app, session))
        if route.effect is not None and not any(failures):
            route.effect(world, session)

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)
