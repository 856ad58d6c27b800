"""The chair's pages for review rounds: the rounds of a call, the shortlist
of a later round (drawn, explained, added to and removed from) and its panel.

Every page is the chair's (as the other review management pages).
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.services import object_history
from app.calls.services import phases_joined
from app.db import db, utcnow
from app.enums import Domain, Phase, Role
from app.forms import ActionForm, flash_form_errors
from app.i18n import timezone_name
from app.models import Call
from app.permissions import can_manage_review, require, roles_required
from app.review.rounds import services as rounds
from app.review.rounds import shortlist as shortlists
from app.review.rounds.forms import PanelForm, RoundForm, ShortlistDecisionForm
from app.web import write

bp = Blueprint("rounds", __name__, url_prefix="/review/rounds")


@bp.before_request
@roles_required(Role.CHAIR)
def _chairs_only():
    require(can_manage_review(current_user))


@bp.context_processor
def _labels():
    return {
        "domain_labels": {domain.value: domain.label for domain in Domain},
        "kind_labels": rounds.KIND_LABELS,
        "basis_labels": rounds.BASIS_LABELS,
        "combination_labels": rounds.COMBINATION_LABELS,
        "reason_labels": shortlists.REASON_LABELS,
    }


def _later_round(call: Call, round_no: int):
    review_round = rounds.round_of(db.session, call_id=call.id, number=round_no)
    if review_round is None or round_no < 2:
        abort(404)
    return review_round


# --- the rounds of a call -------------------------------------------------------


@bp.route("/calls/<int:call_id>", methods=["GET", "POST"])
def index(call_id: int):
    """The call's rounds, and the form that adds round 2 or changes it."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    listed = rounds.rounds_of(db.session, call=call)
    timezone = current_app.config["TIMEZONE"]
    form = RoundForm()
    if request.method == "GET" and len(listed) >= 2:
        form.fill_from(call, listed[0], listed[1], timezone)
    if request.method == "POST" and form.validate_on_submit():
        with write(success=_("The review rounds have been saved."), form=form) as attempt:
            rounds.save_second_round(db.session, call=call, actor=current_user, settings=form.settings(timezone))
        if attempt.ok:
            return redirect(url_for("rounds.index", call_id=call.id))
    return render_template(
        "review/rounds/index.html", call=call, rounds=listed, form=form,
        review_window=call.phase_window(Phase.REVIEW), timezone=timezone_name(timezone),
        history=[event for event in object_history(db.session, object_type="calls", object_id=call.id)
                 if event.action.startswith(("round.", "shortlist."))],
    ), 400 if request.method == "POST" else 200


# --- the shortlist --------------------------------------------------------------


def _shortlist_page(call: Call, round_no: int, *, decision_form=None, status: int = 200):
    review_round = _later_round(call, round_no)
    run, rows = shortlists.shortlist_table(db.session, call=call, round_no=round_no)
    panel = rounds.round_panel(db.session, call=call, round_no=round_no)
    panel_form = PanelForm(formdata=None)
    panel_form.set_experts(rounds.experts(db.session))
    panel_form.expert_ids.data = [member.user_id for member in panel.members] if panel else []
    assignments = rounds.round_assignments(db.session, call=call, round_no=round_no)
    included = [row for row in rows if row.included]
    return render_template(
        "review/rounds/shortlist.html", call=call, review_round=review_round, run=run, rows=rows,
        included=included, panel=panel, panel_form=panel_form, assignments=assignments,
        decision_form=decision_form or ShortlistDecisionForm(formdata=None), action_form=ActionForm(),
        counts={key: sum(1 for row in included if row.item.reason == key) for key in shortlists.REASON_LABELS},
        removed=sum(1 for row in rows if row.item is not None and not row.item.included),
        blind=rounds.is_blind(call, review_round), closed=rounds.results_published(db.session, call=call),
    ), status


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/shortlist")
def shortlist(call_id: int, round_no: int):
    """Round ``round_no``'s shortlist beside the previous round's ranking, with why each entry is on it."""
    return _shortlist_page(db.get_or_404(Call, call_id, options=[phases_joined()]), round_no)


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/shortlist/draw", methods=["POST"])
def draw(call_id: int, round_no: int):
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    _later_round(call, round_no)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write() as attempt:
        counts = shortlists.draw_shortlist(db.session, call=call, round_no=round_no, actor=current_user, now=utcnow())
    if attempt.ok:
        flash(_("The shortlist has been drawn: %(n)s entries are on it.", n=counts["included"]), "success")
    return redirect(url_for("rounds.shortlist", call_id=call.id, round_no=round_no))


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/shortlist/decide", methods=["POST"])
def decide(call_id: int, round_no: int):
    """The chair adds an entry or takes one off, with a reason."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    _later_round(call, round_no)
    form = ShortlistDecisionForm()
    entry_id = form.chosen_entry()
    if not form.validate_on_submit() or entry_id is None or form.include.data not in ("1", "0"):
        return _shortlist_page(call, round_no, decision_form=form, status=400)
    include = form.include.data == "1"
    with write(success=_("The entry has been added to the shortlist.") if include
               else _("The entry has been taken off the shortlist."), form=form.reason) as attempt:
        shortlists.decide(db.session, call=call, round_no=round_no, entry_id=entry_id, include=include,
                          reason=form.reason.data, actor=current_user, now=utcnow())
    if not attempt.ok:
        return _shortlist_page(call, round_no, decision_form=form, status=400)
    return redirect(url_for("rounds.shortlist", call_id=call.id, round_no=round_no) + f"#entry-{entry_id}")


@bp.route("/calls/<int:call_id>/rounds/<int:round_no>/panel", methods=["POST"])
def panel(call_id: int, round_no: int):
    """The round's panel: each chosen expert gets every shortlisted entry."""
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    _later_round(call, round_no)
    form = PanelForm()
    form.set_experts(rounds.experts(db.session))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("rounds.shortlist", call_id=call.id, round_no=round_no))
    with write() as attempt:
        added = rounds.assign_round_panel(db.session, call=call, round_no=round_no, expert_ids=form.expert_ids.data,
                                          actor=current_user, now=utcnow())
    if attempt.ok:
        flash(_("The panel has been saved: %(n)s new assignments.", n=added), "success")
    return redirect(url_for("rounds.shortlist", call_id=call.id, round_no=round_no) + "#panel")
