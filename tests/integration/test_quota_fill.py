"""Quota fill-up in the database and on the pages: the results setting
(audited), the selection and entry pages naming why an entry took a place
another domain left, the exports, and the call setup's warnings once the
formal check is done."""
import csv
import io
import re

from sqlmodel import select

from app.enums import Domain, EntryStatus, Phase
from app.models import AuditEvent, Entry, ResultEntry
from app.results.compute import draft_run

# Four manufacturing entries, then one in healthcare: ranked by their totals.
TOTALS = [[90, 90, 90], [85, 85, 85], [80, 80, 80], [75, 75, 75], [70, 70, 70]]
DOMAINS = [Domain.MANUFACTURING] * 4 + [Domain.HEALTHCARE]


def _set_quotas(session, call, quotas: dict[Domain, int]) -> None:
    """Quotas written straight to the rows (the call form refuses quotas below the target)."""
    for row in call.quotas:
        row.quota = quotas.get(row.domain, 0)
        session.add(row)
    session.commit()


def _short_healthcare(make, session):
    """Target 4 under quotas manufacturing 2, healthcare 3: healthcare has one
    entry, so the walk stops at 3 and one place is left."""
    scored = make.scored_call(totals=TOTALS, domains=DOMAINS, target_count=4, open_phase=Phase.RESULTS)
    _set_quotas(session, scored.call, {Domain.MANUFACTURING: 2, Domain.HEALTHCARE: 3})
    return scored


def _decisions(session, run):
    rows = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id).order_by(ResultEntry.rank)).all()
    return [(row.title, row.selected, row.decision) for row in rows]


def test_fill_up_is_on_by_default_and_its_reason_is_recorded(make, session):
    scored = _short_healthcare(make, session)
    run = scored.compute(resamples=50)
    assert run.parameters["quota_fill"] is True
    assert _decisions(session, run) == [
        ("场景001", True, "selected"),
        ("场景002", True, "selected"),
        ("场景003", True, "selected_quota_fill"),
        ("场景004", False, "quota_full"),
        ("场景005", True, "selected"),
    ]
    summary = run.summary["selection"]
    assert summary["selected"] == 4
    assert summary["fills"] == [
        {"entry_id": scored.entries[2].id, "domain": "manufacturing",
         "unfilled": [{"domain": "healthcare", "quota": 3, "selected": 1}]},
    ]
    domains = {item["domain"]: item for item in summary["domains"]}
    assert domains["manufacturing"] == {"domain": "manufacturing", "selected": 3, "quota": 2, "filled": 1}
    assert domains["healthcare"] == {"domain": "healthcare", "selected": 1, "quota": 3, "filled": 0}
    assert summary["warnings"] == []


def test_the_chair_turns_fill_up_off_in_the_settings_audited_and_the_draft_follows(make, session, client, login,
                                                                                  english):
    scored = _short_healthcare(make, session)
    scored.compute(resamples=50)
    login(scored.chair)
    page = client.get(f"/results/?call={scored.call.id}").get_data(as_text=True)
    assert ('Unfilled quota places go to the best remaining entries of other domains (in rank order, respecting '
            'the per-organisation cap)') in page
    assert re.search(r'<input checked [^>]*id="quota_fill"', page)

    # An unticked box is not sent at all.
    response = client.post(f"/results/calls/{scored.call.id}/settings",
                           data={"method": "", "sd_threshold": "12", "range_threshold": "30"})
    assert response.status_code == 302
    session.refresh(scored.call)
    assert scored.call.quota_fill is False
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "results.settings_changed")).one()
    assert (event.actor_id, event.before["quota_fill"], event.after["quota_fill"]) == (scored.chair.id, True, False)
    draft = draft_run(session, call=scored.call)
    assert draft.parameters["quota_fill"] is False
    assert [selected for _title, selected, _reason in _decisions(session, draft)] == [True, True, False, False, True]
    assert draft.summary["selection"]["warnings"] == [
        {"key": "quota_not_filled", "domain": "healthcare", "organisation_id": None, "entry_id": None,
         "count": 1, "limit": 3},
        {"key": "target_not_filled", "domain": None, "organisation_id": None, "entry_id": None,
         "count": 3, "limit": 4},
    ]
    page = client.get(f"/results/runs/{draft.id}/selection").get_data(as_text=True)
    assert "Quota fill-up is off: places a domain leaves unfilled stay empty." in page
    assert ("A domain has fewer selectable entries than its quota; with fill-up off, its places stay empty. "
            "Smart healthcare (1 / 3)") in page

    client.post(f"/results/calls/{scored.call.id}/settings",
                data={"method": "", "sd_threshold": "12", "range_threshold": "30", "quota_fill": "y"})
    session.refresh(scored.call)
    assert scored.call.quota_fill is True
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "results.settings_changed")
                          .order_by(AuditEvent.id)).all()
    assert [(e.before["quota_fill"], e.after["quota_fill"]) for e in events] == [(True, False), (False, True)]
    assert draft_run(session, call=scored.call).summary["selection"]["selected"] == 4


def test_the_selection_and_entry_pages_and_the_export_say_why_an_entry_filled_a_place(make, session, client, login,
                                                                                     english):
    scored = _short_healthcare(make, session)
    run = scored.compute(resamples=50)
    login(scored.chair)
    page = client.get(f"/results/runs/{run.id}/selection").get_data(as_text=True)
    assert ("Quota fill-up is on: places a domain leaves unfilled go to the best remaining entries of other "
            "domains, in rank order, within the cap per organisation. 1 place was filled this way.") in page
    reason = "It took a place left unfilled by: Smart healthcare (1 of 3 places filled)."
    assert page.count("Selected into a place another domain left unfilled") == 1
    assert page.count(reason) == 1
    # The domain table: manufacturing selected 3 (1 of them a filled place) against its quota of 2.
    assert ('<tr><td>Smart manufacturing</td><td class="text-end">3</td><td class="text-end">1</td>'
            '<td class="text-end">2</td>') in page

    filled = scored.entries[2]
    page = client.get(f"/results/runs/{run.id}/entries/{filled.id}").get_data(as_text=True)
    assert "Selected into a place another domain left unfilled" in page and reason in page
    page = client.get(f"/results/runs/{run.id}/entries/{scored.entries[0].id}").get_data(as_text=True)
    assert "It took a place left unfilled" not in page

    data = client.get(f"/results/runs/{run.id}/rankings.csv").data
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    column = table[0].index("Selection decision")
    entry_rows = table[1:table.index([])]  # the hashes follow a blank row
    assert [row[column] for row in entry_rows] == [
        "Selected by the ranking", "Selected by the ranking", "Selected into a place another domain left unfilled",
        "Not selected: the domain's quota is full", "Selected by the ranking",
    ]


# --- the call setup's warnings ------------------------------------------------------


def _call_with_entries(make, session, *, open_phase, statuses: dict[Domain, list[EntryStatus]], quotas, **fields):
    call = make.call(open_phase=open_phase, **fields)
    _set_quotas(session, call, quotas)
    for domain, domain_statuses in statuses.items():
        for status in domain_statuses:
            make.entry(call=call, status=status, domain=domain, complete=False)
    return call


EIGHT_DOMAINS = {domain: 25 for domain in Domain}


def test_after_the_formal_check_a_quota_above_the_eligible_entries_is_warned_about(make, session, client, login,
                                                                                   english):
    passed = [EntryStatus.ELIGIBLE, EntryStatus.IN_REVIEW, EntryStatus.SCORED]
    out = [EntryStatus.INELIGIBLE, EntryStatus.WITHDRAWN, EntryStatus.DRAFT]
    statuses = {domain: [EntryStatus.ELIGIBLE] * 30 for domain in Domain if domain != Domain.MANUFACTURING}
    statuses[Domain.MANUFACTURING] = passed * 3 + [EntryStatus.ELIGIBLE] + out
    call = _call_with_entries(make, session, open_phase=Phase.REVIEW, statuses=statuses,
                              quotas=EIGHT_DOMAINS | {Domain.MANUFACTURING: 40})
    login(make.chair())
    for path in (f"/calls/{call.id}", f"/calls/{call.id}/edit"):
        page = " ".join(client.get(path).get_data(as_text=True).split())
        assert ("Quota 40 but only 10 eligible entries in Smart manufacturing. Quota fill-up is on: the 30 places "
                "left go to the best remaining entries of other domains.") in page, path
        assert "eligible entries in Smart city" not in page
        assert ("The domain quotas add up to 215, more than the target of 200: the ranking decides which quotas "
                "are not used up.") in page
        assert "Quota fill-up is set with how results are computed." in page

    call.quota_fill = False
    session.add(call)
    session.commit()
    page = " ".join(client.get(f"/calls/{call.id}").get_data(as_text=True).split())
    assert ("Quota 40 but only 10 eligible entries in Smart manufacturing. Quota fill-up is off: the 30 places "
            "left stay empty.") in page


def test_no_eligibility_warning_while_entries_still_await_the_formal_check(make, session, client, login, english):
    # The formal check is running and one entry awaits its decision: the counts are not final.
    statuses = {domain: [EntryStatus.ELIGIBLE] * 30 for domain in Domain}
    statuses[Domain.CITY] = [EntryStatus.ELIGIBLE, EntryStatus.SUBMITTED]
    call = _call_with_entries(make, session, open_phase=Phase.FORMAL_CHECK, statuses=statuses, quotas=EIGHT_DOMAINS)
    login(make.chair())
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "eligible entr" not in page and "alert-warning" not in page

    # Once every entry is decided, the check is done before its phase ends.
    waiting = session.exec(select(Entry).where(Entry.call_id == call.id, Entry.status == EntryStatus.SUBMITTED)).one()
    waiting.status = EntryStatus.INELIGIBLE
    session.add(waiting)
    session.commit()
    page = " ".join(client.get(f"/calls/{call.id}").get_data(as_text=True).split())
    assert "Quota 25 but only 1 eligible entry in Smart city. Quota fill-up is on: the 24 places left go" in page
    assert page.count("eligible entr") == 1


def test_too_few_eligible_entries_for_the_target_are_warned_about(make, session, client, login, english):
    statuses = {domain: [EntryStatus.ELIGIBLE] * 3 for domain in Domain}
    call = _call_with_entries(make, session, open_phase=Phase.RESULTS, statuses=statuses, quotas={Domain.CITY: 2},
                              target_count=30)
    login(make.chair())
    page = " ".join(client.get(f"/calls/{call.id}").get_data(as_text=True).split())
    assert ("Only 24 entries passed the formal check, fewer than the target of 30: the target cannot be filled."
            in page)
    assert "eligible entr" not in page and "more than the target" not in page


def test_the_chinese_warning_reads_as_the_chair_sees_it(make, session, client, login):
    statuses = {domain: [EntryStatus.ELIGIBLE] * 30 for domain in Domain if domain != Domain.MANUFACTURING}
    statuses[Domain.MANUFACTURING] = [EntryStatus.ELIGIBLE] * 10
    call = _call_with_entries(make, session, open_phase=Phase.REVIEW, statuses=statuses,
                              quotas={domain: 20 for domain in Domain} | {Domain.MANUFACTURING: 40})
    login(make.chair())
    page = " ".join(client.get(f"/calls/{call.id}").get_data(as_text=True).split())
    assert "智能制造名额40个，但形式审查合格的申报项目仅10个。" in page
    assert "名额递补已开启：剩余30个名额将由其他领域排名靠前的未入选申报项目递补。" in page


def test_before_submission_ends_nothing_is_said_about_eligible_entries(make, session, client, login, english):
    call = _call_with_entries(make, session, open_phase=Phase.SUBMISSION, statuses={Domain.CITY: [EntryStatus.SUBMITTED]},
                              quotas=EIGHT_DOMAINS)
    login(make.chair())
    page = client.get(f"/calls/{call.id}/edit").get_data(as_text=True)
    assert "eligible entr" not in page and "passed the formal check" not in page
