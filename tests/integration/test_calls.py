from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.enums import Domain, Phase
from app.models import AuditEvent, Call


def _form(**overrides):
    """A valid call form: phases of 10 days, one after the other, from 1 March."""
    data = {"name": "2027年人工智能应用场景征集", "year": "2027", "target_count": "200", "experts_per_entry": "5", "blind_review": "y"}
    data |= {f"quota_{domain.value}": "25" for domain in Domain}
    start = datetime(2027, 3, 1, 9, 0)
    for index, phase in enumerate(Phase):
        starts = start + timedelta(days=11 * index)
        data[f"{phase.value}_starts"] = starts.strftime("%Y-%m-%dT%H:%M")
        data[f"{phase.value}_ends"] = (starts + timedelta(days=10, hours=8)).strftime("%Y-%m-%dT%H:%M")
    return data | overrides


def test_chair_creates_a_call_with_quotas_and_phases(client, session, login, make):
    chair = login(make.chair())

    response = client.post("/calls/new", data=_form(quota_healthcare="30"))

    call = session.exec(select(Call).where(Call.year == 2027)).one()
    assert response.headers["Location"] == f"/calls/{call.id}"
    assert (call.name, call.target_count, call.quota_for(Domain.HEALTHCARE), call.quota_for(Domain.CITY)) == (
        "2027年人工智能应用场景征集", 200, 30, 25,
    )
    submission = call.phase_window(Phase.SUBMISSION)
    # 09:00 in Asia/Shanghai is 01:00 UTC, and comes back timezone-aware.
    assert submission.starts_at == datetime(2027, 3, 1, 1, 0, tzinfo=timezone.utc)
    assert submission.starts_at.tzinfo is not None
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "call.created")).one()
    assert (event.actor_id, event.object_id, event.after["quotas"]["healthcare"]) == (chair.id, call.id, 30)

    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "2027年人工智能应用场景征集" in page and "智慧医疗" in page


def test_quotas_must_reach_the_target(client, session, login, make, english):
    login(make.chair())
    response = client.post("/calls/new", data=_form(target_count="250"))
    assert "The domain quotas add up to 200, fewer than the target of 250" in response.get_data(as_text=True)
    assert session.exec(select(Call)).all() == []


def test_phases_must_not_overlap_or_run_backwards(client, session, login, make, english):
    login(make.chair())
    overlapping = _form(formal_check_starts="2027-03-05T09:00")
    response = client.post("/calls/new", data=overlapping)
    assert "Formal check cannot start before the previous phase ends." in response.get_data(as_text=True)
    backwards = _form(review_ends="2027-03-01T09:00")
    response = client.post("/calls/new", data=backwards)
    assert "Expert review must end after it starts." in response.get_data(as_text=True)
    assert session.exec(select(Call)).all() == []


def test_missing_dates_and_negative_quotas_are_refused(client, session, login, make):
    login(make.chair())
    assert client.post("/calls/new", data=_form(results_starts="")).status_code == 200
    assert client.post("/calls/new", data=_form(quota_finance="-1")).status_code == 200
    assert session.exec(select(Call)).all() == []


def test_editing_a_call_records_before_and_after(client, session, login, make):
    login(make.chair())
    call = make.call(name="原名称", year=2027)

    response = client.post(f"/calls/{call.id}/edit", data=_form(name="新名称", target_count="180"))

    assert response.status_code == 302
    session.refresh(call)
    assert (call.name, call.target_count) == ("新名称", 180)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "call.updated")).one()
    assert (event.before["name"], event.after["name"], event.before["target_count"], event.after["target_count"]) == (
        "原名称", "新名称", 200, 180,
    )


def test_duplicate_call_name_in_the_same_year_is_refused(client, session, login, make, english):
    login(make.chair())
    make.call(name="2027年人工智能应用场景征集", year=2027)
    response = client.post("/calls/new", data=_form())
    assert "There is already a call with this name for 2027." in response.get_data(as_text=True)


def test_current_phase_is_shown_on_every_page(client, login, make):
    make.call(name="正在申报的批次", open_phase=Phase.REVIEW)
    for path in ("/", "/account/login"):
        page = client.get(path).get_data(as_text=True)
        assert "正在申报的批次" in page and "专家评审" in page, path
    login(make.applicant())
    page = client.get("/dashboard").get_data(as_text=True)
    assert "正在申报的批次" in page and "专家评审" in page


def test_edit_form_shows_local_times(client, login, make):
    login(make.chair())
    call = make.call()
    window = call.phase_window(Phase.SUBMISSION)
    local = window.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")
    assert f'value="{local}"' in client.get(f"/calls/{call.id}/edit").get_data(as_text=True)


def _input_tag(page: str, field_id: str) -> str:
    """The whole ``<input …>`` tag of the field with this id."""
    at = page.index(f'id="{field_id}"')
    return page[page.rindex("<input", 0, at):page.index(">", at) + 1]


def test_new_call_form_starts_with_the_default_review_settings(client, login, make):
    login(make.chair())
    page = client.get("/calls/new").get_data(as_text=True)
    assert 'value="5"' in _input_tag(page, "experts_per_entry")
    assert "checked" in _input_tag(page, "blind_review")
    assert "checked" not in _input_tag(page, "show_others_scores")


def test_chair_sets_the_review_settings_of_a_call(client, session, login, make):
    chair = login(make.chair())
    data = _form(experts_per_entry="7", show_others_scores="y")
    del data["blind_review"]  # an unticked checkbox is not sent

    response = client.post("/calls/new", data=data)

    assert response.status_code == 302
    call = session.exec(select(Call).where(Call.year == 2027)).one()
    assert (call.experts_per_entry, call.blind_review, call.show_others_scores) == (7, False, True)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "call.created")).one()
    assert (event.actor_id, event.after["experts_per_entry"], event.after["blind_review"], event.after["show_others_scores"]) == (
        chair.id, 7, False, True,
    )
    client.set_cookie("lang", "en")
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Experts per entry</th><td class=\"text-end\">7</td>" in page


def test_experts_per_entry_must_lie_between_1_and_15(client, session, login, make):
    login(make.chair())
    for value in ("0", "16", ""):
        response = client.post("/calls/new", data=_form(experts_per_entry=value))
        assert response.status_code == 200, value
    assert session.exec(select(Call)).all() == []


def test_changing_review_settings_records_before_and_after(client, session, login, make):
    login(make.chair())
    call = make.call(name="原名称", year=2027)
    assert (call.experts_per_entry, call.blind_review, call.show_others_scores) == (5, True, False)

    form = client.get(f"/calls/{call.id}/edit").get_data(as_text=True)
    assert 'value="5"' in _input_tag(form, "experts_per_entry") and "checked" in _input_tag(form, "blind_review")

    data = _form(name="原名称", experts_per_entry="3", show_others_scores="y")
    del data["blind_review"]
    assert client.post(f"/calls/{call.id}/edit", data=data).status_code == 302

    session.refresh(call)
    assert (call.experts_per_entry, call.blind_review, call.show_others_scores) == (3, False, True)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "call.updated")).one()
    assert {key: (event.before[key], event.after[key]) for key in ("experts_per_entry", "blind_review", "show_others_scores")} == {
        "experts_per_entry": (5, 3),
        "blind_review": (True, False),
        "show_others_scores": (False, True),
    }


def test_the_service_refuses_experts_per_entry_out_of_range(session, app, make):
    from app.calls.services import update_call
    from app.errors import DomainError

    call = make.call()
    schedule = {row.phase: (row.starts_at, row.ends_at) for row in call.phases}
    quotas = {domain: 25 for domain in Domain}
    with app.test_request_context(headers={"Cookie": "lang=en"}), pytest.raises(DomainError) as refused:
        update_call(session, actor=None, call=call, name=call.name, year=call.year, target_count=200, quotas=quotas,
                    schedule=schedule, experts_per_entry=16)
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert "between 1 and 15" in str(refused.value.message)
