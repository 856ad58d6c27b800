"""Honest rank intervals in the database and on the pages: ties at the cut
line reported to the chair with the tie-rule step that decided them, and
entries with fewer than three sheets marked "too few sheets to judge"."""
import csv
import io

from flask_babel import force_locale
from sqlmodel import select

from app.db import utcnow
from app.models import ResultEntry
from app.results import exports

# Entries 2 and 3 both average 80 (trimmed mean of three sheets = mean); the
# "measured outcomes" criterion is scored with the total, so it ties too:
# entry 3 was submitted earlier (the factory submits entry i i minutes before
# entry i − 1), step 4 of the tie rule puts it first.
TIED = [
    [90, 91, 92],
    [80, 81, 79],
    [80, 80, 80],
    [60, 62, 61],
]


def _rows(session, run):
    return {row.title: row for row in session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id))}


def test_a_tie_at_the_cut_line_is_stored_and_shown_on_the_selection_page(make, session, client, login, english):
    scored = make.scored_call(totals=TIED, target_count=2)
    run = scored.compute()
    rows = _rows(session, run)
    first, second = scored.entries[1], scored.entries[2]
    assert (rows["场景003"].selected, rows["场景002"].selected) == (True, False)
    assert run.summary["cut_ties"] == [
        {"group": "manufacturing", "score": 80.0, "selected_id": second.id, "left_out_id": first.id, "step": 4}
    ]

    login(scored.chair)
    page = client.get(f"/results/runs/{run.id}/selection").get_data(as_text=True)
    section = page.split('id="ties-heading"')[1].split("</section>")[0]
    assert "Ties at the cut line" in section
    assert f'/entries/{second.id}">场景003</a></td>' in section
    assert f'/entries/{first.id}">场景002</a></td>' in section
    assert "80.0000" in section
    assert "Step 4 of the tie rule: then the earlier submission of the entry" in section

    index = client.get(f"/results/?call={scored.call.id}").get_data(as_text=True)
    assert ("Tie at the cut line (Smart manufacturing): two entries share the adjusted score 80.0000, one "
            "selected and the other not; step 4 of the tie rule decided (then the earlier submission of the entry)."
            ) in index


def test_the_tie_warning_reads_in_chinese_by_default(make, client, login):
    scored = make.scored_call(totals=TIED, target_count=2)
    scored.compute()
    login(scored.chair)
    index = client.get(f"/results/?call={scored.call.id}").get_data(as_text=True)
    assert "入选分数线处同分（智能制造）：两个申报项目调整后得分均为80.0000" in index
    assert "由同分排序规则第4条决定（其次，申报项目提交时间早者在前）" in index


def test_no_tie_is_reported_when_the_scores_at_the_cut_differ(make, client, login, english):
    scored = make.scored_call(totals=TIED, target_count=1)
    run = scored.compute()
    assert run.summary["cut_ties"] == []
    login(scored.chair)
    assert "Ties at the cut line" not in client.get(f"/results/runs/{run.id}/selection").get_data(as_text=True)


def test_an_entry_with_two_sheets_reads_too_few_sheets_to_judge(app, make, session, client, login, english):
    # Entry 2 has two sheets, close to its neighbours: not certain, and marked.
    scored = make.scored_call(totals=[[84, 86, 85], [83, 85, None], [82, 84, 83], [50, 55, 52]], target_count=2)
    run = scored.compute()
    rows = _rows(session, run)
    two = rows["场景002"]
    assert two.sheets == 2 and two.rank == 2
    assert two.rank_lo <= two.rank <= two.rank_hi and two.rank_lo < two.rank_hi
    login(scored.chair)

    entry_page = client.get(f"/results/runs/{run.id}/entries/{two.entry_id}").get_data(as_text=True)
    assert "Too few sheets to judge" in entry_page
    assert ("Fewer than 3 sheets: the rank interval is estimated from how much the experts disagree across the group, "
            "not from this entry’s own sheets.") in entry_page
    other = client.get(f"/results/runs/{run.id}/entries/{rows['场景001'].entry_id}").get_data(as_text=True)
    assert "Too few sheets to judge" not in other

    table = client.get(f"/results/runs/{run.id}").get_data(as_text=True)
    marked = [chunk.split("</a>")[0] for chunk in table.split("<tr")[1:] if "Too few sheets to judge" in chunk]
    assert [title.rsplit(">", 1)[-1] for title in marked] == ["场景002"]
    selection = client.get(f"/results/runs/{run.id}/selection").get_data(as_text=True)
    assert selection.count("Too few sheets to judge") == 1

    with app.app_context(), force_locale("zh"):
        ordered = sorted(run.rows, key=lambda row: row.rank)
        data = exports.rankings_csv(run, ordered, call=scored.call)
        document = exports.rankings_document(run, ordered, call=scored.call, now=utcnow())
    assert {row.title: "评分表过少" in row.flags for domain in document.domains for row in domain.rows} == {
        "场景001": False, "场景002": True, "场景003": False, "场景004": False}
    assert "评分表过少" in [fact.label for fact in document.legend]
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    column = table[0].index("评分表过少，难以判断")
    assert {line[3]: line[column] for line in table[1:table.index([])]} == {"场景001": "否", "场景002": "是", "场景003": "否",
                                                            "场景004": "否"}
