"""Results pages: the chair's draft (compute, settings, overrides, vetoes,
extra experts, publishing) and, for chairs and publicity staff, the rankings,
reliability, selection and exports of a run.

Chairs see drafts and published snapshots; publicity staff see published
snapshots only; nobody else sees any of it (experts never see rankings).
"""
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from app.audit.services import record
from app.calls.services import call_in_phase, current_call, get_call, list_calls, phases_joined
from app.db import db, utcnow
from app.entries.services import with_call
from app.enums import Domain, Phase, Role
from app.forms import ActionForm, flash_form_errors
from app.input_rules import parse_id
from app.models import Call, Entry, ResultRun
from app.permissions import (
    can_manage_results,
    can_view_expert_statistics,
    can_view_results,
    can_view_run,
    require,
    roles_required,
)
from app.results import bootstrap, charts, decisions, exports, labels, publishing, rankings, reliability
from app.results.compute import compute_results, draft_run
from app.results.extra import assign_extra_experts
from app.results.forms import (
    OverrideForm,
    PublishForm,
    RankingFilterForm,
    SettingsForm,
    VetoForm,
)
from app.results.inputs import inputs_fingerprint, override_of, veto_decision_of
from app.results.settings import default_method, update_settings
from app.review.rounds.services import COMBINATION_LABELS, current_round, last_round_no, rounds_of
from app.review.rubrics.services import AGGREGATION_LABELS
from app.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, filename
from app.web import query_id, query_page, send_bytes, write, write_during_read

bp = Blueprint("results", __name__, url_prefix="/results")


@bp.before_request
@roles_required(Role.CHAIR, Role.PUBLICITY)
def _staff_only():
    require(can_view_results(current_user))


@bp.context_processor
def _labels():
    return {"labels": labels, "domain_label": lambda value: Domain(value).label, "tie_rule": rankings.TIE_RULE,
            "too_few_sheets": bootstrap.too_few_sheets, "min_sheets_to_judge": bootstrap.MIN_SHEETS_TO_JUDGE}


def _chair():
    require(can_manage_results(current_user))


def _run(run_id: int) -> ResultRun:
    run = db.get_or_404(ResultRun, run_id)
    require(can_view_run(current_user, run))
    return run


# --- overview -------------------------------------------------------------------


@bp.route("/")
def index():
    """A call's results: the chair's draft and its tools, and the published snapshots."""
    now = utcnow()
    calls = list_calls(db.session)
    call_id = query_id("call")
    call = (
        next((c for c in calls if c.id == call_id), None)
        or call_in_phase(db.session, phase=Phase.RESULTS, now=now)
        or call_in_phase(db.session, phase=Phase.REVIEW, now=now)
        or current_call(db.session, now=now)
    )
    context = {"calls": calls, "call": call, "method_labels": AGGREGATION_LABELS}
    if call is not None:
        snapshots = publishing.published_runs(db.session, call=call)
        context["snapshots"] = snapshots
        if can_manage_results(current_user):
            round_no = current_round(db.session, call=call)
            draft = draft_run(db.session, call=call, round_no=round_no)
            rubric_method = default_method(db.session, call=call)
            settings_form = SettingsForm(
                data={"method": call.results_method or "", "sd_threshold": call.disagreement_sd,
                      "range_threshold": call.disagreement_range, "organisation_cap": call.organisation_cap,
                      "zscore_min_sheets": call.zscore_min_sheets, "zscore_sd_floor": call.zscore_sd_floor,
                      "quota_fill": call.quota_fill}
            )
            settings_form.set_choices(rubric_method)
            context |= {
                "draft": draft,
                "stale": draft is not None and draft.inputs_hash != inputs_fingerprint(
                    db.session, call=call, round_no=draft.round_no),
                "rounds": (listed := rounds_of(db.session, call=call)),
                "current_round": next((r for r in listed if r.number == round_no), None),
                "earlier_runs": {number: earlier for number in range(1, round_no)
                                 if (earlier := draft_run(db.session, call=call, round_no=number))},
                "combination_labels": COMBINATION_LABELS,
                "blockers": publishing.publish_blockers(db.session, run=draft) if draft else [],
                "blocker_message": publishing.blocker_message,
                "blocker_filters": {"incomplete": "incomplete", "vetoes_pending": "veto"},
                "settings_form": settings_form,
                "publish_form": PublishForm(),
                "early": publishing.early_publication(call, now=now),
                "results_window": call.phase_window(Phase.RESULTS),
                "action_form": ActionForm(),
                "review_open": call.is_phase_open(Phase.REVIEW, now=now),
            }
    return render_template("results/index.html", **context)


@bp.route("/calls/<int:call_id>/compute", methods=["POST"])
def compute(call_id: int):
    _chair()
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    if not ActionForm().validate_on_submit():
        abort(400)
    # With several rounds, ``round`` computes an earlier round again (its shortlist's source).
    requested = parse_id(request.form.get("round"))
    round_no = requested if requested and requested <= last_round_no(db.session, call=call) else None
    with write() as attempt:
        run = compute_results(db.session, call=call, actor=current_user, now=utcnow(), round_no=round_no)
    if attempt.ok and round_no and round_no < last_round_no(db.session, call=call):
        flash(_("Results of round %(n)s computed: %(entries)s entries ranked.", n=round_no,
                entries=run.summary["counts"]["entries"]), "success")
        return redirect(url_for("rounds.shortlist", call_id=call.id, round_no=round_no + 1))
    if attempt.ok:
        flash(_("Results computed: %(entries)s entries ranked, %(selected)s selected.",
                entries=run.summary["counts"]["entries"], selected=run.summary["selection"]["selected"]), "success")
    return redirect(url_for("results.index", call=call.id))


@bp.route("/calls/<int:call_id>/settings", methods=["POST"])
def settings(call_id: int):
    _chair()
    call = db.get_or_404(Call, call_id, options=[phases_joined()])
    form = SettingsForm()
    form.set_choices(default_method(db.session, call=call))
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("results.index", call=call.id))
    with write() as attempt:
        update_settings(
            db.session, call=call, actor=current_user, method=form.chosen_method(),
            sd_threshold=form.sd_threshold.data, range_threshold=form.range_threshold.data,
            organisation_cap=form.organisation_cap.data, zscore_min_sheets=form.chosen_zscore_min_sheets(),
            zscore_sd_floor=form.zscore_sd_floor.data, quota_fill=form.quota_fill.data,
        )
        recomputed = draft_run(db.session, call=call) is not None
        if recomputed:
            compute_results(db.session, call=call, actor=current_user, now=utcnow())
    if attempt.ok:
        flash(_("Settings saved; the draft was computed again with them.") if recomputed else _("Settings saved."),
              "success")
    return redirect(url_for("results.index", call=call.id))


@bp.route("/runs/<int:run_id>/publish", methods=["POST"])
def publish(run_id: int):
    _chair()
    run = _run(run_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("results.index", call=run.call_id))
    with write() as attempt:
        publishing.publish(db.session, run=run, actor=current_user, now=utcnow(), public_scores=form.public_scores.data,
                           early=form.early.data)
    if attempt.ok:
        flash(_("Published. The snapshot's SHA-256 is %(hash)s.", hash=run.content_hash), "success")
    return redirect(url_for("results.index", call=run.call_id))


@bp.route("/runs/<int:run_id>/extra-experts", methods=["POST"])
def extra_experts(run_id: int):
    """One more expert for each disputed entry of the draft."""
    _chair()
    run = _run(run_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    with write() as attempt:
        report = assign_extra_experts(db.session, run=run, actor=current_user, now=utcnow())
    if attempt.ok:
        flash(ngettext("An extra expert was assigned to %(num)s disputed entry.",
                       "An extra expert was assigned to %(num)s disputed entries.", len(report.assigned)), "success")
        if report.waiting:
            flash(ngettext("%(num)s disputed entry still waits for its previous extra expert and got none.",
                           "%(num)s disputed entries still wait for their previous extra expert and got none.",
                           report.waiting), "info")
        if report.unassigned:
            flash(ngettext("No further expert without a conflict could be found for %(num)s entry.",
                           "No further expert without a conflict could be found for %(num)s entries.",
                           len(report.unassigned)), "warning")
    return redirect(url_for("results.rankings_page", run_id=run.id, flag="disputed"))


# --- a run: rankings, entry, reliability, experts, selection ---------------------


def _run_context(run: ResultRun) -> dict:
    call = get_call(db.session, run.call_id)
    return {"run": run, "call": call, "can_manage": can_manage_results(current_user) and not run.published,
            "method_labels": AGGREGATION_LABELS, "is_chair": can_manage_results(current_user)}


@bp.route("/runs/<int:run_id>")
def rankings_page(run_id: int):
    run = _run(run_id)
    form = RankingFilterForm(request.args)
    if not form.validate():
        form = RankingFilterForm(formdata=None)
    table = rankings.ranking_page(db.session, run=run, filters=rankings.Filters.from_form(form), page=query_page())
    args = {name: value for name, value in request.args.items() if name != "page" and value}
    return render_template("results/rankings.html", form=form, table=table, args=args, **_run_context(run))


@bp.route("/runs/<int:run_id>/entries/<int:entry_id>")
def entry_result(run_id: int, entry_id: int):
    run = _run(run_id)
    row = rankings.entry_row(db.session, run=run, entry_id=entry_id)
    if row is None:
        abort(404)
    context = _run_context(run)
    context |= {
        "row": row,
        "radar": rankings.radar(db.session, run=run, row=row),
        "fill_reasons": labels.quota_fill_reasons(run.summary["selection"]),
    }
    if context["is_chair"]:
        context |= {
            # The sheets as they count now: active assignments only.
            "sheets": rankings.entry_sheets(db.session, entry_id=entry_id),
            "override": override_of(db.session, call_id=run.call_id, entry_id=entry_id),
            "veto_decision": veto_decision_of(db.session, entry_id=entry_id),
            "override_form": OverrideForm(data={"entry_id": entry_id}),
            "veto_form": VetoForm(),
            "action_form": ActionForm(),
        }
    return render_template("results/entry.html", **context)


@bp.route("/runs/<int:run_id>/reliability")
def reliability_page(run_id: int):
    run = _run(run_id)
    chart = rankings.distribution_chart(db.session, run=run, title=_("Scores per domain"), axis_label=_("Score"))
    reliability_rows = [(_("Whole call"), run.summary["call"])] + [
        (panel["name"] or _("No panel"), panel) for panel in run.summary["panels"]
    ]
    return render_template("results/reliability.html", chart=chart, reliability_rows=reliability_rows,
                           min_block_entries=reliability.MIN_BLOCK_ENTRIES, resamples=reliability.RESAMPLES,
                           **_run_context(run))


@bp.route("/runs/<int:run_id>/experts")
def experts_page(run_id: int):
    run = _run(run_id)
    require(can_view_expert_statistics(current_user))
    stats = run.summary.get("experts", [])
    chart = charts.leniency_svg(
        [(item["name"] or str(item["expert_id"]), item["leniency"], item["leniency_se"],
          bool({"lenient", "severe"} & set(item["flags"])))
         for item in stats if item["leniency"] is not None],
        title=_("Leniency of each expert"), axis_label=_("Mean deviation from the other experts (points)"),
    )
    return render_template("results/experts.html", stats=stats, chart=chart,
                           calibration=_calibration_panels(run, stats), **_run_context(run))


def _calibration_panels(run: ResultRun, stats: list[dict]) -> list[dict] | None:
    """The run's calibration per panel with the experts' names; None for runs
    computed before calibration existed."""
    calibration = run.summary.get("calibration")
    if calibration is None:
        return None
    names = {item["expert_id"]: item["name"] or str(item["expert_id"]) for item in stats}
    return [
        {**panel,
         "unlinked_names": [names.get(expert_id, str(expert_id)) for expert_id in panel["unlinked_experts"]],
         "offsets": [{**offset, "name": names.get(offset["expert_id"], str(offset["expert_id"]))}
                     for offset in panel["offsets"]]}
        for panel in calibration["panels"]
    ]


@bp.route("/runs/<int:run_id>/selection")
def selection_page(run_id: int):
    run = _run(run_id)
    context = _run_context(run)
    context |= {
        "chosen": rankings.selection_rows(db.session, run=run, selected=True),
        "skipped": rankings.selection_rows(db.session, run=run, selected=False, limit=100),
        "chair_rows": rankings.chair_decisions(db.session, run=run),
        "cut_ties": _cut_ties(run),
        "fill_reasons": labels.quota_fill_reasons(run.summary["selection"]),
        "action_form": ActionForm(),
    }
    return render_template("results/selection.html", **context)


def _cut_ties(run: ResultRun) -> list[dict]:
    """The run's ties at the cut line, each with the rows of its two entries."""
    ties = run.summary.get("cut_ties", [])
    rows = rankings.rows_by_entry(
        db.session, run=run, entry_ids=[i for tie in ties for i in (tie["selected_id"], tie["left_out_id"])]
    )
    return [tie | {"selected": rows[tie["selected_id"]], "left_out": rows[tie["left_out_id"]]} for tie in ties]


# --- the chair's decisions on one entry -------------------------------------------


def _entry_in_draft(entry_id: int) -> tuple[Entry, ResultRun]:
    _chair()
    entry = db.get_or_404(Entry, entry_id, options=[with_call()])
    draft = draft_run(db.session, call=entry.call)
    if draft is None:
        abort(404)
    return entry, draft


@bp.route("/entries/<int:entry_id>/override", methods=["POST"])
def override(entry_id: int):
    entry, draft = _entry_in_draft(entry_id)
    form = OverrideForm()
    if form.validate_on_submit() and str(entry.id) != form.entry_id.data:
        abort(400)  # the form was made for another entry
    if form.validate_on_submit():
        with write(success=_("The selection was updated with your decision.")):
            decisions.set_override(db.session, call=entry.call, entry=entry, include=form.include.data == "include",
                                   reason=form.reason.data, actor=current_user, now=utcnow())
    else:
        flash_form_errors(form)
    return redirect(url_for("results.entry_result", run_id=draft.id, entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/override/remove", methods=["POST"])
def remove_override(entry_id: int):
    entry, draft = _entry_in_draft(entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    row = override_of(db.session, call_id=entry.call_id, entry_id=entry.id)
    if row is not None:
        with write(success=_("The ranking rule decides this entry again.")):
            decisions.remove_override(db.session, override=row, actor=current_user)
    return redirect(url_for("results.entry_result", run_id=draft.id, entry_id=entry.id))


@bp.route("/entries/<int:entry_id>/veto", methods=["POST"])
def veto(entry_id: int):
    entry, draft = _entry_in_draft(entry_id)
    form = VetoForm()
    if form.validate_on_submit():
        with write() as attempt:
            decisions.decide_veto(db.session, entry=entry, confirmed=form.decision.data == "confirm",
                                  reason=form.reason.data, actor=current_user, now=utcnow())
        if attempt.ok:
            flash(_("Your veto decision was recorded and the draft computed again with it."), "success")
            draft = draft_run(db.session, call=entry.call) or draft  # the new draft
    else:
        flash_form_errors(form)
    return redirect(url_for("results.entry_result", run_id=draft.id, entry_id=entry.id))


# --- exports ------------------------------------------------------------------------


@bp.route("/runs/<int:run_id>/rankings.<any(xlsx, csv, pdf):fmt>")
def export(run_id: int, fmt: str):
    run = _run(run_id)
    call = get_call(db.session, run.call_id)
    rows = rankings.ranked_rows(db.session, run=run)
    stamp = format_datetime(run.published_at or run.computed_at, "yyyyMMdd-HHmm")
    kind = _("published") if run.published else _("draft")
    if fmt == "xlsx":
        data, mimetype = exports.rankings_xlsx(run, rows, call=call), XLSX_MIMETYPE
    elif fmt == "csv":
        data, mimetype = exports.rankings_csv(run, rows, call=call), CSV_MIMETYPE
    else:
        data, mimetype = exports.rankings_pdf(run, rows, call=call), "application/pdf"
    download_name = filename(call.name, _("rankings"), kind, stamp, extension=fmt)
    with write_during_read(quiet=True):
        record(db.session, actor=current_user, action="results.exported", obj=run,
               after={"format": fmt, "call_id": run.call_id, "published": run.published})
    # Drafts are not public: never kept by a browser or a proxy (send_bytes' default).
    return send_bytes(data, mimetype=mimetype, download_name=download_name)
