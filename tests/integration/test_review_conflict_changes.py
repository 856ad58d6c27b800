"""Conflicts that appear, or would disappear, after a sheet was opened."""
from sqlmodel import select

from app.enums import AssignmentSource, EntryStatus, Phase, Role
from app.models import Assignment, Conflict, ExpertProfile


def _setup(session, make, login):
    call = make.call(open_phase=Phase.REVIEW)
    entry = make.entry(call=call, status=EntryStatus.IN_REVIEW)
    expert = make.staff(Role.EXPERT)
    assignment = Assignment(call_id=call.id, entry_id=entry.id, expert_id=expert.id, source=AssignmentSource.MANUAL)
    session.add(assignment)
    session.commit()
    return call, entry, expert, assignment


def test_a_conflict_added_to_the_profile_closes_an_opened_sheet(client, session, make, login):
    call, entry, expert, assignment = _setup(session, make, login)
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


def test_an_expert_cannot_edit_a_conflict_away(client, session, make, login, english):
    call, entry, expert, assignment = _setup(session, make, login)
    session.add(ExpertProfile(user_id=expert.id, affiliation_name=entry.organisation.name, affiliation_code=entry.organisation.credit_code))
    session.commit()
    login(expert)
    refused = client.post(f"/review/manage/experts/{expert.id}/profile", data={"affiliation_name": "", "affiliation_code": ""})
    assert "only a chair can change them" in refused.get_data(as_text=True) or refused.status_code == 403
    session.expire_all()
    assert session.get(ExpertProfile, expert.id).affiliation_code == entry.organisation.credit_code
    response = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"})
    assert "/review/sheets/" not in response.headers.get("Location", "")


def test_saving_a_sheet_needs_the_version_it_was_loaded_with(client, session, make, login):
    call, entry, expert, assignment = _setup(session, make, login)
    login(expert)
    sheet_url = client.post(f"/review/assignments/{assignment.id}/no-conflict", data={"confirm": "y"}).headers["Location"]
    response = client.post(sheet_url + "/autosave", data={"score-technical_advancement": "80"})
    assert response.status_code in (400, 422)
    from app.models import Score

    session.expire_all()
    assert all(score.score is None for score in session.exec(select(Score)).all())
