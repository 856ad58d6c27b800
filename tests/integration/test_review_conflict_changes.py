"""Conflicts that appear, or would disappear, after a sheet was opened."""
import pytest
from sqlmodel import select

from app.enums import AssignmentSource, EntryStatus, Phase
from app.models import Assignment, Conflict, ExpertProfile


@pytest.fixture
def assigned(make):
    """An expert assigned by hand to an entry in review: (call, entry, expert, assignment)."""
    call = make.call(open_phase=Phase.REVIEW)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW)
    expert = make.expert()
    return call, entry, expert, make.assignment(entry=entry, expert=expert, source=AssignmentSource.MANUAL)


def test_a_conflict_added_to_the_profile_closes_an_opened_sheet(client, session, make, login, assigned):
    call, entry, expert, assignment = assigned
    login(expert)
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"})
    sheet_url = response.headers["Location"]
    assert client.get(sheet_url).status_code == 200

    client.post("/account/logout")
    login(make.chair())
    response = client.post(
        f"/review/manage/experts/{expert.id}/profile",
        data={"affiliation_name": entry.organisation.name, "affiliation_code": entry.organisation.credit_code},
    )
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Assignment, assignment.id).removed_at is not None
    assert session.exec(select(Conflict).where(Conflict.expert_id == expert.id, Conflict.entry_id == entry.id)).one()

    client.post("/account/logout")
    login(expert)
    assert client.get(sheet_url).status_code == 403


def test_an_expert_cannot_edit_a_conflict_away(client, session, make, login, english, assigned):
    call, entry, expert, assignment = assigned
    make.expert_profile(expert, affiliation=entry.organisation.name, code=entry.organisation.credit_code)
    login(expert)
    refused = client.post(f"/review/manage/experts/{expert.id}/profile", data={"affiliation_name": "", "affiliation_code": ""})
    assert "only a chair can change them" in refused.get_data(as_text=True) or refused.status_code == 403
    session.expire_all()
    assert session.get(ExpertProfile, expert.id).affiliation_code == entry.organisation.credit_code
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"})
    assert "/review/sheets/" not in response.headers.get("Location", "")


def test_saving_a_sheet_needs_the_version_it_was_loaded_with(client, session, login, assigned):
    call, entry, expert, assignment = assigned
    login(expert)
    sheet_url = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}).headers["Location"]
    response = client.post(sheet_url + "/autosave", data={"score-technical_advancement": "80"})
    assert response.status_code in (400, 422)
    from app.models import Score

    session.expire_all()
    assert all(score.score is None for score in session.exec(select(Score)).all())
