"""The calibrated method and the z-score guards through the pages: the settings
form, the method sensitivity line and the experts' offsets."""
import html

from sqlmodel import select

from app.models import AuditEvent, Call, ResultEntry, ResultRun
from app.results.compute import draft_run

# Six entries, each scored by two of four experts in overlapping pairs, so that
# every expert is linked to every other. Expert 4 (index 3) adds 14 points to
# every sheet; the entries' quality orders them 6, 3, 5, 2, 4, 1, but the mean
# puts entry 3 (scored by expert 4) first.
QUALITY = [60, 70, 80, 65, 75, 85]
PAIRS = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (1, 2)]
NOISE = [0.5, -0.5, 0.3, -0.2, 0.1, -0.4, 0.2, 0.6, -0.3, 0.4, -0.1, -0.6]


def lenient_expert_totals():
    totals = []
    for entry, (quality, pair) in enumerate(zip(QUALITY, PAIRS, strict=True)):
        row = [None] * 4
        for i, expert in enumerate(pair):
            row[expert] = quality + (14 if expert == 3 else 0) + NOISE[(2 * (entry + 1) + i) % 12]
        totals.append(row)
    return totals


def _titles(session, run):
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()
    return [row.title for row in rows]


def test_choosing_calibrated_recomputes_the_draft_and_the_ranking_uses_it(make, session, client, login, english):
    scored = make.scored_call(totals=lenient_expert_totals(), results_method="mean")
    first = scored.compute()
    assert _titles(session, first)[:2] == ["场景003", "场景006"]  # the lenient expert lifts entry 3 above 6
    login(scored.chair)

    response = client.post(f"/results/calls/{scored.call.id}/settings",
                           data={"method": "calibrated", "zscore_min_sheets": "5", "zscore_sd_floor": ""},
                           follow_redirects=True)

    assert "Settings saved; the draft was computed again with them." in response.get_data(as_text=True)
    call = session.get(Call, scored.call.id)
    session.refresh(call)
    assert (call.results_method, call.zscore_min_sheets, call.zscore_sd_floor) == ("calibrated", 5, None)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "results.settings_changed")).one()
    assert (event.before["zscore_min_sheets"], event.before["zscore_sd_floor"]) == (8, 4.0)
    assert (event.after["zscore_min_sheets"], event.after["zscore_sd_floor"]) == (5, None)
    run = draft_run(session, call=call)
    assert run.id != first.id and run.method == "calibrated"
    assert (run.parameters["zscore_min_sheets_per_expert"], run.parameters["zscore_sd_floor"]) == (5, None)
    assert _titles(session, run) == ["场景006", "场景003", "场景005", "场景002", "场景004", "场景001"]
    [panel] = run.summary["calibration"]["panels"]
    assert panel["calibrated"] and panel["panel_id"] == scored.panel.id
    offsets = {item["expert_id"]: item["offset"] for item in panel["offsets"]}
    lenient = scored.experts[3].id
    assert offsets[lenient] == max(offsets.values()) and offsets[lenient] > 5


def test_the_settings_page_explains_the_methods_and_shows_the_method_sensitivity(make, session, client, login,
                                                                                 english):
    scored = make.scored_call(totals=lenient_expert_totals(), results_method="calibrated")
    run = scored.compute()
    login(scored.chair)

    page = html.unescape(client.get(f"/results/?call={scored.call.id}").get_data(as_text=True))

    assert "In each panel a model separates each entry's quality from each expert's leniency" in page
    assert "With 5 or more sheets the highest and the lowest total are dropped before averaging." in page
    pairs = {(p["from"], p["to"]): p for p in run.summary["sensitivity"]["pairs"]}
    assert set(pairs) == {("mean", "trimmed_mean"), ("mean", "calibrated"), ("trimmed_mean", "calibrated")}
    # Two sheets per entry: trimming changes nothing; calibration reorders most of the ranking.
    assert (pairs[("mean", "trimmed_mean")]["ranks_changed"], pairs[("mean", "trimmed_mean")]["selection_changed"]) \
        == (0, 0)
    changed = pairs[("mean", "calibrated")]["ranks_changed"]
    assert changed >= 2
    assert "Method sensitivity of this draft:" in page
    assert "mean → trimmed mean: 0 of 6 entries change rank (median shift 0 places), 0 selection decisions change" \
        in page
    assert f"mean → calibrated: {changed} of 6 entries change rank (median shift " in page

    # A draft computed before the line existed asks to be computed again.
    run.summary = {key: value for key, value in run.summary.items() if key != "sensitivity"}
    session.add(run)
    session.commit()
    page = html.unescape(client.get(f"/results/?call={scored.call.id}").get_data(as_text=True))
    assert "Method sensitivity of this draft:" not in page
    assert "Compute the draft again to see how much the choice of method changes the ranking." in page


def test_the_experts_page_shows_each_experts_offset_and_the_panels_strength(make, session, client, login, english):
    scored = make.scored_call(totals=lenient_expert_totals())
    run = scored.compute()
    [panel] = run.summary["calibration"]["panels"]
    lenient = next(item for item in panel["offsets"] if item["expert_id"] == scored.experts[3].id)
    login(scored.chair)

    page = html.unescape(client.get(f"/results/runs/{run.id}/experts").get_data(as_text=True))

    assert "Calibrated expert offsets" in page
    assert f"λ = {panel['strength']:.2f} · residual SD {panel['residual_sd']:.2f} points" in page
    assert f"{lenient['offset']:+.2f} <span class=\"small text-muted\">± {lenient['se']:.2f}</span>" in page
    assert scored.experts[3].name in page.split("id=\"calibration-heading\"")[1]

    # A run computed before calibration existed still renders, and says why there are no offsets.
    run.summary = {key: value for key, value in run.summary.items() if key != "calibration"}
    session.add(run)
    session.commit()
    page = client.get(f"/results/runs/{run.id}/experts").get_data(as_text=True)
    assert "This run was computed before expert calibration existed" in page


def test_a_panel_whose_experts_share_no_entries_is_reported_as_not_calibrated(make, session, client, login, english):
    # Experts 1–2 score entries 1–2, experts 3–4 entries 3–4: two islands.
    totals = [[80, 70, None, None], [75, 72, None, None], [None, None, 60, 66], [None, None, 64, 61]]
    scored = make.scored_call(totals=totals, results_method="calibrated")
    run = scored.compute()
    [panel] = run.summary["calibration"]["panels"]
    assert not panel["calibrated"] and panel["reason"] == "not_connected"
    # Two islands of two experts: the one with the lowest expert id counts as "the rest".
    assert panel["unlinked_experts"] == [scored.experts[2].id, scored.experts[3].id]
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id)).all()
    assert {tuple(row.notes) for row in rows} == {("not_calibrated_unlinked",)}
    assert {row.score for row in rows} == {row.raw_mean for row in rows}
    login(scored.chair)

    page = html.unescape(client.get(f"/results/runs/{run.id}/experts").get_data(as_text=True))

    assert "Not calibrated" in page
    assert f"Not linked to the rest: {scored.experts[2].name}, {scored.experts[3].name}." in page
    assert session.exec(select(ResultRun).where(ResultRun.call_id == scored.call.id)).one().method == "calibrated"
