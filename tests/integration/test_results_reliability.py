"""The reliability page: one verdict per panel and for the call, every figure
with its 95 % interval, on all sheets (issue 15 §1)."""
import html
import re

from sqlmodel import select

from app.models import ResultRun
from app.results.compute import draft_run

# Twelve entries by five experts, each entry missing one or two sheets (drafts):
# no two entries need share their set of experts, yet the figures use every sheet.
TOTALS = [
    [80, 72, None, 86, 88],
    [70, None, 65, 79, 62],
    [90, 81, 85, None, 92],
    [None, 65, 52, 58, 60],
    [66, 74, None, None, 69],
    [75, 79, 67, 74, None],
    [58, None, 71, 60, 57],
    [85, 76, 88, None, 80],
    [None, 72, 64, 77, 74],
    [62, 70, None, 64, 59],
    [93, None, 84, 94, 86],
    [68, 75, 63, None, 70],
]

def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_reliability_page_shows_the_verdict_and_every_interval(make, session, client, login, english):
    scored = make.scored_call(totals=TOTALS)
    run = scored.compute()
    call = run.summary["call"]
    assert call["ratings"] == sum(total is not None for row in TOTALS for total in row)
    login(scored.chair)
    text = _text(client.get(f"/results/runs/{run.id}/reliability").get_data(as_text=True))

    one_way = call["one_way"]["icc1_k"]
    assert call["verdict"]["band"] == "good_to_excellent"
    assert "Reliability of the mean scores: good to excellent." in text
    assert "Even at the low end of its interval, the mean of an entry's sheets separates the entries well" in text
    k = f"{call['one_way']['sheets_per_entry']:.1f}"
    assert (f"ICC(1,k): the mean of k = {k} sheets {one_way['value']:.3f} "
            f"{one_way['low']:.3f} – {one_way['high']:.3f}") in text
    single = call["one_way"]["icc1_1"]
    assert f"ICC(1,1): a single sheet {single['value']:.3f} {single['low']:.3f} – {single['high']:.3f}" in text
    leniency = call["variance"]["experts"]
    assert (f"Experts (leniency) {leniency['value'] * 100:.0f}% "
            f"{leniency['low'] * 100:.0f}% – {leniency['high'] * 100:.0f}%") in text
    low, high = call["alpha_interval"]
    assert f"Krippendorff's alpha (interval) {call['alpha']:.3f} {low:.3f} – {high:.3f}" in text
    # No five experts scored the same ten entries: no ICC(2)/(3) on a partial picture.
    assert call["block"] is None
    assert "ICC(2) and ICC(3): no complete block of at least 10 entries." in text
    # The call and its one panel, each with its verdict.
    assert text.count("Reliability of the mean scores:") == 2

    index = _text(client.get(f"/results/?call={scored.call.id}").get_data(as_text=True))
    assert "Reliability of the mean scores, whole call: good to excellent." in index


def test_a_complete_block_is_labelled_with_its_size(make, session, client, login, english):
    # Eleven entries by the same three experts, two more experts idle.
    scored = make.scored_call(totals=[[60 + i, 62 + i + (i * 7) % 5, 61 + i - i % 3, None, None]
                                      for i in range(0, 44, 4)])
    run = scored.compute()
    block = run.summary["call"]["block"]
    assert (block["entries"], block["experts"]) == (11, 3)
    login(scored.chair)
    text = _text(client.get(f"/results/runs/{run.id}/reliability").get_data(as_text=True))
    assert "On a complete block of 11 entries × 3 experts" in text
    figure = block["icc3_k"]
    assert f"ICC(3,k) {figure['value']:.3f} {figure['low']:.3f} – {figure['high']:.3f}" in text


def test_a_single_entry_call_says_not_computable_and_why(make, session, client, login, english):
    scored = make.scored_call(totals=[[80, 85, 90]])
    run = scored.compute()
    assert run.summary["call"]["verdict"] == {"band": "not_computable", "explanation": "single_entry"}
    login(scored.chair)
    text = _text(client.get(f"/results/runs/{run.id}/reliability").get_data(as_text=True))
    assert "Reliability of the mean scores: not computable." in text
    assert "Reliability compares entries with each other, and there is only one entry." in text
    assert "α" not in text and "unreliable" not in text


def test_a_run_computed_before_this_analysis_still_renders(make, session, client, login, english):
    scored = make.scored_call(totals=TOTALS)
    run = scored.compute()
    old = {"entries": 12, "experts": 5, "ratings": 44, "alpha": 0.62, "alpha_band": "unreliable", "icc": None}
    run.summary = {**run.summary, "call": old, "panels": [{**old, "panel_id": scored.panel.id, "name": "旧评审组"}]}
    session.add(run)
    session.commit()
    login(scored.chair)
    text = _text(client.get(f"/results/runs/{run.id}/reliability").get_data(as_text=True))
    assert text.count("Computed before this analysis existed: compute the results again to see it.") == 2
    assert "旧评审组" in text
    index = _text(client.get(f"/results/?call={scored.call.id}").get_data(as_text=True))
    assert "Reliability of the mean scores" not in index
    assert session.exec(select(ResultRun).where(ResultRun.id == run.id)).one() is draft_run(session, call=scored.call)


def test_the_reliability_page_in_chinese(make, session, client, login):
    scored = make.scored_call(totals=TOTALS)
    run = scored.compute()
    login(scored.chair)
    text = _text(client.get(f"/results/runs/{run.id}/reliability").get_data(as_text=True))
    assert "平均分的信度：良好至优秀。" in text
    assert "即使按置信区间下限判断，各申报项目的平均分也能很好地区分项目优劣" in text
    assert "专家（评分宽严）" in text and "95%置信区间" in text
    assert "ICC(2)和ICC(3)：没有至少包含10个申报项目的完整评分区块。" in text


def test_flask_results_compute_prints_the_verdict(make, session, runner):
    scored = make.scored_call(totals=TOTALS)
    result = runner.invoke(args=["results", "compute", "--call", str(scored.call.id)])
    assert result.exit_code == 0, result.output
    call = draft_run(session, call=scored.call).summary["call"]
    icc_k = call["one_way"]["icc1_k"]
    assert (f"ICC(1,k) on all sheets (k = {call['one_way']['sheets_per_entry']:.1f}): {icc_k['value']:.3f}, "
            f"95 % interval {icc_k['low']:.3f} to {icc_k['high']:.3f}") in result.output
    assert "Reliability verdict: good_to_excellent (separates_well)" in result.output
    result = runner.invoke(args=["results", "compute", "--call", str(make.scored_call(totals=[[80, 85]]).call.id)])
    assert "Krippendorff's alpha (interval): n/a" in result.output
    assert "Reliability verdict: not_computable (single_entry)" in result.output
