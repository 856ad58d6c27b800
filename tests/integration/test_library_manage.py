"""The library's curation pages: who may open them, and each change (feature,
hide with a reason, show again, public summary, headline) as the staff make it."""
from urllib.parse import unquote

import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Role
from app.library import services
from app.models import AuditEvent, LibraryCase
from tests.factories import PASSWORD
from tests.factories.library import SUMMARIES, TITLES

INDEX = "/library/manage/"


@pytest.fixture
def publicity(make, login):
    return login(make.staff(Role.PUBLICITY))


def _case(session, title: str) -> LibraryCase:
    session.expire_all()  # the requests wrote through their own sessions
    return session.exec(select(LibraryCase).where(LibraryCase.title == title)).one()


def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all())


def _hide(app, session, library, title: str, reason: str) -> LibraryCase:
    case = _case(session, title)
    with app.test_request_context():
        services.hide(session, case=case, reason=reason, actor=library.chair, now=utcnow())
        session.commit()
    return case


def _token(page: str) -> str:
    return page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


# --- access -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["publicity", "chair"])
def test_staff_see_every_case_hidden_ones_too(app, client, login, make, session, library, english, who):
    hidden = _hide(app, session, library, TITLES[1], "企业要求暂不公开")
    shown = _case(session, TITLES[0])
    login(library.chair if who == "chair" else make.staff(Role.PUBLICITY))

    page = client.get(INDEX).get_data(as_text=True)

    assert all(title in page for title in TITLES[:5]) and TITLES[5] not in page
    assert "5 scenarios" in page
    assert "Reason: 企业要求暂不公开" in page and "Hidden" in page
    assert f'href="/library/{shown.year}/{shown.entry_id}"' in page  # visible: linked to its public page
    assert f'href="/library/{hidden.year}/{hidden.entry_id}"' not in page  # hidden: no public page to link to
    assert f'action="/library/manage/{hidden.id}/unhide"' in page
    assert f'action="/library/manage/{hidden.id}/hide"' not in page
    assert f'action="/library/manage/{shown.id}/hide"' in page and f'action="/library/manage/{shown.id}/feature"' in page
    assert "Shenzhen" in page and "Smart manufacturing" in page  # city and domain labels


@pytest.mark.parametrize("who", ["applicant", "expert"])
@pytest.mark.parametrize(("method", "path"), [("GET", INDEX), ("POST", "/library/manage/headline"),
                                              ("POST", "/library/manage/{case}/feature"),
                                              ("GET", "/library/manage/{case}/summary")])
def test_other_roles_are_refused(client, login, make, session, library, who, method, path):
    case = _case(session, TITLES[0])
    login(make.applicant() if who == "applicant" else make.staff(Role.EXPERT))

    response = client.open(path.format(case=case.id), method=method, data={"text": "x"})

    assert response.status_code == 403
    assert not _case(session, TITLES[0]).featured and services.headline(session) == ""


@pytest.mark.parametrize(("method", "path"), [("GET", INDEX), ("POST", "/library/manage/1/hide")])
def test_visitors_are_sent_to_login(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login?next=")


def test_an_unknown_case_is_not_found(client, publicity, library):
    for path in ("/library/manage/999999/feature", "/library/manage/999999/unfeature",
                 "/library/manage/999999/unhide"):
        assert client.post(path).status_code == 404
    assert client.post("/library/manage/999999/hide", data={"reason": "x"}).status_code == 404
    assert client.get("/library/manage/999999/summary").status_code == 404


# --- the list ---------------------------------------------------------------------------


def test_search_year_and_state_filters_include_hidden_cases(app, client, publicity, session, library, english):
    _hide(app, session, library, TITLES[0], "图片版权待确认")
    year = library.call.year

    def titles(query: str) -> set[str]:
        page = client.get(INDEX + query).get_data(as_text=True)
        return {title for title in TITLES if title in page}

    assert titles("?q=智能") == {TITLES[0], TITLES[2]}  # the hidden one is found too
    assert titles("?q=效率 提升") == {TITLES[1], TITLES[2]}
    assert titles("?state=hidden") == {TITLES[0]}
    assert titles(f"?year={year}&q=配料") == {TITLES[4]}
    assert titles(f"?year={year + 1}") == set()
    assert titles("?year=nonsense") == set(TITLES[:5])  # a bad year is dropped, not an error
    assert "The year must be a number such as 2025" in client.get(INDEX + "?year=nonsense").get_data(as_text=True)


def test_the_list_is_paginated_and_actions_come_back_to_the_same_page(client, publicity, session, library, english,
                                                                       monkeypatch):
    monkeypatch.setattr("app.library.manage.views.PER_PAGE", 2)
    year = library.call.year

    page = client.get(f"{INDEX}?year={year}&page=2").get_data(as_text=True)

    assert "Page 2 of 3" in page
    assert {title for title in TITLES if title in page} == {TITLES[2], TITLES[3]}  # rank order
    here = f"/library/manage/?year={year}&amp;page=2"
    assert f'name="next" value="{here}"' in page
    case = _case(session, TITLES[2])
    response = client.post(f"/library/manage/{case.id}/feature", data={"next": f"/library/manage/?year={year}&page=2"})
    assert response.headers["Location"] == f"/library/manage/?year={year}&page=2"


# --- changes ----------------------------------------------------------------------------


def test_featuring_and_stopping(client, publicity, session, library, english):
    case = _case(session, TITLES[3])

    response = client.post(f"/library/manage/{case.id}/feature", follow_redirects=True)

    assert response.request.path == INDEX
    assert f"“{TITLES[3]}” is featured on the library&#39;s home page." in response.get_data(as_text=True)
    assert _case(session, TITLES[3]).featured
    [event] = _events(session, "library.featured")
    assert (event.object_type, event.object_id, event.actor_id) == ("library_cases", case.id, publicity.id)
    assert (event.before, event.after) == ({"featured": False}, {"featured": True})

    response = client.post(f"/library/manage/{case.id}/unfeature", follow_redirects=True)

    assert f"“{TITLES[3]}” is no longer featured." in response.get_data(as_text=True)
    assert not _case(session, TITLES[3]).featured
    assert [event.object_id for event in _events(session, "library.unfeatured")] == [case.id]


def test_hiding_needs_a_reason(client, publicity, session, library, english):
    case = _case(session, TITLES[2])
    version = session.get(services.LibrarySetting, services.VERSION_KEY).value

    response = client.post(f"/library/manage/{case.id}/hide", data={"reason": "   "}, follow_redirects=True)

    assert "Give the reason for hiding this scenario." in response.get_data(as_text=True)
    case = _case(session, TITLES[2])
    assert (case.hidden, case.hidden_reason) == (False, "")
    assert _events(session, "library.hidden") == []
    assert session.get(services.LibrarySetting, services.VERSION_KEY).value == version

    response = client.post(f"/library/manage/{case.id}/hide", data={"reason": "长" * (services.REASON_LIMIT + 1)},
                           follow_redirects=True)
    assert "The reason is too long (at most 500 characters)." in response.get_data(as_text=True)
    assert not _case(session, TITLES[2]).hidden

    response = client.post(f"/library/manage/{case.id}/hide", data={"reason": " 合作方要求撤下 "}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert f"“{TITLES[2]}” is hidden from the public library." in page and "Reason: 合作方要求撤下" in page
    case = _case(session, TITLES[2])
    assert (case.hidden, case.hidden_reason) == (True, "合作方要求撤下")
    [event] = _events(session, "library.hidden")
    assert (event.object_id, event.reason, event.actor_id) == (case.id, "合作方要求撤下", publicity.id)
    assert session.get(services.LibrarySetting, services.VERSION_KEY).value != version


def test_showing_a_hidden_case_again(app, client, publicity, session, library, english):
    case = _hide(app, session, library, TITLES[4], "待核实")

    response = client.post(f"/library/manage/{case.id}/unhide", follow_redirects=True)

    assert f"“{TITLES[4]}” is shown in the public library again." in response.get_data(as_text=True)
    case = _case(session, TITLES[4])
    assert (case.hidden, case.hidden_reason) == (False, "")
    [event] = _events(session, "library.unhidden")
    assert (event.object_id, event.before, event.actor_id) == (case.id, {"hidden": True, "hidden_reason": "待核实"},
                                                               publicity.id)


def test_editing_and_restoring_the_public_summary(client, publicity, session, library, english):
    case = _case(session, TITLES[4])
    path = f"/library/manage/{case.id}/summary"

    page = client.get(path).get_data(as_text=True)
    assert page.count(SUMMARIES[4]) == 2  # read-only, and prefilled in the field
    assert "Restore the submitted summary" not in page  # nothing to restore yet

    response = client.post(path, data={"text": " 高炉配料由模型给出，焦比下降 ", "next": INDEX + "?q=高炉"})

    assert unquote(response.headers["Location"]) == INDEX + "?q=高炉"
    case = _case(session, TITLES[4])
    assert (case.public_summary, case.summary, case.shown_summary) == (
        "高炉配料由模型给出，焦比下降", SUMMARIES[4], "高炉配料由模型给出，焦比下降")
    assert "焦比" in case.search_text
    page = client.get(path).get_data(as_text=True)
    assert "高炉配料由模型给出，焦比下降" in page and SUMMARIES[4] in page and "Restore the submitted summary" in page

    # Saving the submitted text unchanged restores it, as does an empty field or the restore button.
    for data in ({"text": SUMMARIES[4]}, {"text": ""}, {"text": "别的文字", "restore": "1"}):
        client.post(path, data={"text": "临时摘要"})
        assert _case(session, TITLES[4]).public_summary == "临时摘要"
        response = client.post(path, data=data, follow_redirects=True)
        assert f"“{TITLES[4]}” shows its submitted summary." in response.get_data(as_text=True)
        assert _case(session, TITLES[4]).public_summary is None

    events = _events(session, "library.summary_edited")
    assert [event.after["public_summary"] for event in events] == [
        "高炉配料由模型给出，焦比下降", "临时摘要", None, "临时摘要", None, "临时摘要", None]
    assert {event.actor_id for event in events} == {publicity.id}


def test_a_too_long_summary_is_refused_and_kept_in_the_form(client, publicity, session, library, english):
    case = _case(session, TITLES[0])
    text = "长" * (services.SUMMARY_LIMIT + 1)

    response = client.post(f"/library/manage/{case.id}/summary", data={"text": text})

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The summary is too long (at most 600 characters)." in page
    assert text in page
    assert _case(session, TITLES[0]).public_summary is None and _events(session, "library.summary_edited") == []


def test_setting_the_headline(client, publicity, session, library, english):
    response = client.post("/library/manage/headline", data={"text": " 二百个人工智能示范场景 "}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "The headline has been saved." in page and 'value="二百个人工智能示范场景"' in page  # prefilled
    assert services.headline(session) == "二百个人工智能示范场景"
    [event] = _events(session, "library.headline")
    assert (event.after, event.actor_id) == ({"key": "headline", "value": "二百个人工智能示范场景"}, publicity.id)

    response = client.post("/library/manage/headline", data={"text": "长" * 301}, follow_redirects=True)

    assert "The headline is too long (at most 300 characters)." in response.get_data(as_text=True)
    session.expire_all()
    assert services.headline(session) == "二百个人工智能示范场景" and len(_events(session, "library.headline")) == 1


# --- safety -----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/library/manage/", "/account/logout",
                                    "/library/manage/../../admin/users", "/library/manage/%2e%2e/%2e%2e/admin",
                                    "/library/managed", "https:/library/manage/"])
def test_next_only_goes_back_to_the_curation_pages(client, publicity, session, library, target):
    case = _case(session, TITLES[0])

    response = client.post(f"/library/manage/{case.id}/feature", data={"next": target})

    assert response.headers["Location"] == INDEX
    assert _case(session, TITLES[0]).featured


def test_posts_need_a_csrf_token(client, make, session, library, csrf):
    user = make.staff(Role.PUBLICITY)
    token = _token(client.get("/account/login").get_data(as_text=True))
    assert client.post("/account/login", data={"email": user.email, "password": PASSWORD,
                                               "csrf_token": token}).status_code == 302
    case = _case(session, TITLES[0])

    assert client.post(f"/library/manage/{case.id}/feature").status_code == 400
    assert client.post(f"/library/manage/{case.id}/hide", data={"reason": "x", "csrf_token": "forged"}).status_code == 400
    assert client.post("/library/manage/headline", data={"text": "x"}).status_code == 400
    case = _case(session, TITLES[0])
    assert (case.featured, case.hidden, services.headline(session)) == (False, False, "")
    assert _events(session, "library.featured") == [] and _events(session, "library.hidden") == []

    token = _token(client.get(INDEX).get_data(as_text=True))
    assert client.post(f"/library/manage/{case.id}/feature", data={"csrf_token": token}).status_code == 302
    assert _case(session, TITLES[0]).featured
