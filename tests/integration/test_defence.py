"""Defence sessions (issue 17 §1): the chair schedules the shortlisted
entries of a defence round — rules on rooms, organisations and the round's
dates, the "fill a room" helper (all or nothing), confirmation and what a
change does to it — and who may see, confirm or schedule."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.db import utcnow
from app.enums import Domain, EntryStatus, Phase, Role
from app.errors import DomainError
from app.models import AuditEvent, DefenceSlot, Notification, ShortlistEntry
from app.review.defence import services

ZONE = ZoneInfo("Asia/Shanghai")


class Setting:
    """A call in review with a defence round: organisation A has two
    shortlisted entries, B one; ``excluded`` was taken off the shortlist."""

    def __init__(self, make):
        self.call = make.call(open_phase=Phase.REVIEW)
        self.round = make.defence_round(call=self.call)
        self.org_a, self.org_b = make.organisation(name="甲科技有限公司"), make.organisation(name="乙智能有限公司")
        self.a1 = make.entry(call=self.call, organisation=self.org_a, status=EntryStatus.SCORED, title="智能质检产线",
                             domain=Domain.MANUFACTURING)
        self.a2 = make.entry(call=self.call, organisation=self.org_a, status=EntryStatus.SCORED, title="城市大脑",
                             domain=Domain.CITY)
        self.b1 = make.entry(call=self.call, organisation=self.org_b, status=EntryStatus.SCORED, title="远程会诊平台",
                             domain=Domain.MANUFACTURING)
        self.excluded = make.entry(call=self.call, organisation=self.org_b, status=EntryStatus.SCORED, title="落选场景",
                                   domain=Domain.MANUFACTURING)
        make.shortlist(call=self.call, entries=[self.a1, self.b1, self.a2])
        make.shortlist(call=self.call, entries=[self.excluded], included=False)
        self.member_a = make.applicant(self.org_a, name="张三")
        self.member_b = make.applicant(self.org_b, name="李四")
        # Tomorrow 09:00 Beijing time: inside the review phase (now − 5 days to now + 4 days).
        tomorrow = (utcnow() + timedelta(days=1)).astimezone(ZONE)
        self.nine = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def setting(make):
    return Setting(make)


def _schedule(session, setting, entry, *, at, room="A101", video_link="", minutes=20, note="", actor=None):
    return services.schedule_slot(session, actor=actor, call=setting.call, review_round=setting.round, entry=entry,
                                  room=room, video_link=video_link, starts_at=at, duration_minutes=minutes, note=note,
                                  now=utcnow())


def _english(app):
    """A request in English, so that refusals read as in the source."""
    return app.test_request_context(headers={"Cookie": "lang=en"})


def _local(value) -> str:
    return value.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def _slots(session):
    return session.exec(select(DefenceSlot).order_by(DefenceSlot.starts_at)).all()


def _audit(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


# --- the rules ------------------------------------------------------------------------


def test_two_sessions_never_share_a_room_at_the_same_time(app, session, setting):
    with _english(app):
        _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
        with pytest.raises(DomainError, match="A101"):
            _schedule(session, setting, setting.b1, at=setting.nine + timedelta(minutes=10), room=" a101 ")
        # Back to back is fine, and so is another room at the same time.
        _schedule(session, setting, setting.b1, at=setting.nine + timedelta(minutes=20), room="A101")
        _schedule(session, setting, setting.b1, at=setting.nine, room="B202")
    assert [(slot.entry_id, slot.room) for slot in _slots(session)] == [(setting.a1.id, "A101"), (setting.b1.id, "B202")]


def test_an_organisation_is_never_in_two_sessions_at_once(app, session, setting):
    with _english(app):
        _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
        for place in ({"room": "B202"}, {"room": "", "video_link": "https://meeting.example.cn/j/123"}):
            with pytest.raises(DomainError, match="same organisation"):
                _schedule(session, setting, setting.a2, at=setting.nine + timedelta(minutes=19), **place)
        _schedule(session, setting, setting.a2, at=setting.nine + timedelta(minutes=20), room="B202")
    assert len(_slots(session)) == 2


def test_sessions_stay_within_the_rounds_dates(app, session, make, setting):
    with _english(app):
        # No dates on the round: the review phase's.
        review = setting.call.phase_window(Phase.REVIEW)
        with pytest.raises(DomainError, match="take place between"):
            _schedule(session, setting, setting.a1, at=review.ends_at - timedelta(minutes=10))
        with pytest.raises(DomainError, match="take place between"):
            _schedule(session, setting, setting.a1, at=review.starts_at - timedelta(minutes=1))
        # The round's own dates, once set, are the limit.
        setting.round.starts_at = setting.nine + timedelta(hours=1)
        setting.round.ends_at = setting.nine + timedelta(hours=4)
        session.add(setting.round)
        session.flush()
        with pytest.raises(DomainError, match="take place between"):
            _schedule(session, setting, setting.a1, at=setting.nine)
        with pytest.raises(DomainError, match="take place between"):
            _schedule(session, setting, setting.a1, at=setting.nine + timedelta(hours=3, minutes=50))
        _schedule(session, setting, setting.a1, at=setting.nine + timedelta(hours=3, minutes=40))
    assert len(_slots(session)) == 1


def test_a_room_or_an_https_link_and_only_shortlisted_entries(app, session, setting):
    with _english(app):
        with pytest.raises(DomainError, match="room or a video link"):
            _schedule(session, setting, setting.a1, at=setting.nine, room="  ")
        for link in ("http://meeting.example.cn/j/1", "https://", "javascript:alert(1)", "https://a b.cn/x"):
            with pytest.raises(DomainError, match="https://"):
                _schedule(session, setting, setting.a1, at=setting.nine, room="", video_link=link)
        with pytest.raises(DomainError, match="not on the shortlist"):
            _schedule(session, setting, setting.excluded, at=setting.nine)
        with pytest.raises(DomainError, match="5 to 480 minutes"):
            _schedule(session, setting, setting.a1, at=setting.nine, minutes=0)
        slot = _schedule(session, setting, setting.a1, at=setting.nine, room="", video_link="https://meeting.example.cn/j/1")
    assert (slot.room, slot.video_link) == ("", "https://meeting.example.cn/j/1")


def test_a_change_of_time_or_place_clears_the_confirmation_and_tells_the_applicant(app, session, make, setting):
    chair = make.chair()
    colleague = make.applicant(setting.org_a)
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine, actor=chair)
        assert services.confirm_slot(session, actor=setting.member_a, slot=slot, now=utcnow()) is True
        assert services.confirm_slot(session, actor=setting.member_a, slot=slot, now=utcnow()) is False
        # A new note keeps the confirmation (and is still told).
        _schedule(session, setting, setting.a1, at=setting.nine, note="请携带笔记本电脑", actor=chair)
        assert slot.confirmed_at is not None
        _schedule(session, setting, setting.a1, at=setting.nine + timedelta(hours=1), note="请携带笔记本电脑", actor=chair)
    session.commit()
    session.refresh(slot)
    assert slot.confirmed_at is None and slot.confirmed_by_id is None
    changed = _audit(session, "defence.slot_changed")
    assert changed[-1].before["confirmed_at"] is not None and changed[-1].after["confirmed_at"] is None
    assert changed[-1].actor_id == chair.id
    assert [event.actor_id for event in _audit(session, "defence.slot_confirmed")] == [setting.member_a.id]
    notes = session.exec(select(Notification).where(Notification.kind == "defence.scheduled")
                         .order_by(Notification.id)).all()
    # Both members of A, for scheduled, note changed and moved; nobody of B.
    assert {note.user_id for note in notes} == {setting.member_a.id, colleague.id}
    assert [note.params["change"] for note in notes if note.user_id == colleague.id] == ["scheduled", "note", "changed"]
    assert notes[-1].params["starts_at"] == (setting.nine + timedelta(hours=1)).isoformat()


def test_a_session_that_has_begun_cannot_be_confirmed(app, session, setting):
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine)
        with pytest.raises(DomainError, match="already begun"):
            services.confirm_slot(session, actor=setting.member_a, slot=slot, now=setting.nine + timedelta(minutes=1))
    assert slot.confirmed_at is None


# --- the chair's pages ---------------------------------------------------------------------


@pytest.fixture
def chair(login, make):
    return login(make.chair(name="王组长"))


def test_fill_a_room_schedules_consecutive_sessions_in_shortlist_order(client, session, setting, chair, english):
    response = client.post(f"/review/defence/calls/{setting.call.id}/rounds/2/fill", data={
        "domain": "", "room": "第一会议室", "starts_at": _local(setting.nine), "duration_minutes": "25",
        "break_minutes": "5", "video_link": ""})
    assert response.status_code == 302
    slots = _slots(session)
    assert [slot.entry_id for slot in slots] == [setting.a1.id, setting.b1.id, setting.a2.id]
    assert [slot.starts_at for slot in slots] == [setting.nine + timedelta(minutes=30 * n) for n in range(3)]
    assert {slot.duration_minutes for slot in slots} == {25} and {slot.room for slot in slots} == {"第一会议室"}
    assert len(_audit(session, "defence.slot_scheduled")) == 3
    page = client.get(response.location).get_data(as_text=True)
    assert "3 of 3 shortlisted entries have a session; 0 confirmed." in page
    # A second fill finds nothing left to schedule.
    refused = client.post(f"/review/defence/calls/{setting.call.id}/rounds/2/fill", data={
        "domain": "", "room": "A101", "starts_at": _local(setting.nine), "duration_minutes": "20", "break_minutes": "0"})
    assert refused.status_code == 400 and "already has a session" in refused.get_data(as_text=True)
    assert len(_slots(session)) == 3


def test_fill_a_room_for_one_domain_leaves_the_others(client, session, setting, chair):
    client.post(f"/review/defence/calls/{setting.call.id}/rounds/2/fill", data={
        "domain": "manufacturing", "room": "A101", "starts_at": _local(setting.nine), "duration_minutes": "20",
        "break_minutes": "0"})
    assert [slot.entry_id for slot in _slots(session)] == [setting.a1.id, setting.b1.id]


def test_a_refused_fill_leaves_nothing_partial(app, client, session, setting, chair, english):
    # Room A101 is taken at 09:20 by A's other entry: the second filled session (B's) clashes.
    with _english(app):
        _schedule(session, setting, setting.a2, at=setting.nine + timedelta(minutes=20), room="A101")
    session.commit()
    response = client.post(f"/review/defence/calls/{setting.call.id}/rounds/2/fill", data={
        "domain": "manufacturing", "room": "A101", "starts_at": _local(setting.nine), "duration_minutes": "20",
        "break_minutes": "0"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Room A101 is taken" in text and "城市大脑" in text
    session.expire_all()
    assert [slot.entry_id for slot in _slots(session)] == [setting.a2.id]  # a1's 09:00 slot was rolled back
    assert len(_audit(session, "defence.slot_scheduled")) == 1


def test_chair_schedules_one_entry_in_beijing_time_and_sees_who_confirmed(client, session, login, setting, chair, make,
                                                                         outbox, english):
    path = f"/review/defence/calls/{setting.call.id}/rounds/2/entries/{setting.a1.id}"
    assert client.get(path).status_code == 200
    response = client.post(path, data={"room": "A101", "video_link": "https://meeting.example.cn/j/9",
                                       "starts_at": _local(setting.nine), "duration_minutes": "30", "note": "提前十分钟到场"})
    assert response.status_code == 302
    slot = _slots(session)[0]
    assert slot.starts_at == setting.nine and slot.duration_minutes == 30 and slot.note == "提前十分钟到场"
    mail = outbox.to(setting.member_a.email)
    assert len(mail) == 1 and "A101" in mail[0].get_content() and "https://meeting.example.cn/j/9" in mail[0].get_content()
    # A bad link comes back on the form, nothing stored.
    refused = client.post(path, data={"room": "", "video_link": "http://x.cn", "starts_at": _local(setting.nine),
                                      "duration_minutes": "30"})
    assert refused.status_code == 400 and "must be a web address starting with https://" in refused.get_data(as_text=True)
    session.refresh(slot)
    assert slot.room == "A101"
    # The applicant confirms; the chair sees by whom.
    client.post("/account/logout")
    login(setting.member_a)
    confirmed = client.post(f"/review/defence/slots/{slot.id}/confirm", data={"next": f"/entries/{setting.a1.id}"})
    assert confirmed.location == f"/entries/{setting.a1.id}"
    client.post("/account/logout")
    login(make.chair())
    page = client.get(f"/review/defence/calls/{setting.call.id}/rounds/2").get_data(as_text=True)
    assert "Confirmed by 张三" in page


def test_a_round_that_is_not_a_defence_round_is_not_found(client, setting, chair):
    assert client.get(f"/review/defence/calls/{setting.call.id}/rounds/1").status_code == 404
    assert client.get(f"/review/defence/calls/{setting.call.id}/rounds/3").status_code == 404


# --- the applicant's side and who may do what ------------------------------------------------


def test_applicant_sees_and_confirms_their_slot_on_the_dashboard(app, client, session, login, setting, english):
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    login(setting.member_a)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Defence sessions" in page and "智能质检产线" in page and "A101" in page
    assert "Confirm your defence session" in page and "Confirm attendance" in page
    response = client.post(f"/review/defence/slots/{slot.id}/confirm", data={"next": "/dashboard"})
    assert response.status_code == 302 and response.location == "/dashboard"
    session.refresh(slot)
    assert slot.confirmed_by_id == setting.member_a.id
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Attendance confirmed" in page and "Confirm your defence session" not in page
    entry_page = client.get(f"/entries/{setting.a1.id}").get_data(as_text=True)
    assert "Attendance confirmed" in entry_page and "A101" in entry_page


def test_another_organisation_can_neither_see_nor_confirm_a_slot(app, client, session, login, setting, english):
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    login(setting.member_b)
    assert "智能质检产线" not in client.get("/dashboard").get_data(as_text=True)
    assert client.get(f"/entries/{setting.a1.id}").status_code == 403
    assert client.post(f"/review/defence/slots/{slot.id}/confirm").status_code == 403
    session.refresh(slot)
    assert slot.confirmed_at is None and _audit(session, "defence.slot_confirmed") == []


def test_confirming_needs_the_csrf_token(app, client, session, login, setting, csrf):
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    client.post("/account/login", data={"email": setting.member_a.email, "password": "correct-horse-battery"})
    assert client.post(f"/review/defence/slots/{slot.id}/confirm").status_code == 400
    session.refresh(slot)
    assert slot.confirmed_at is None


@pytest.mark.parametrize("roles", [(Role.EXPERT,), (Role.PUBLICITY,)])
def test_experts_and_publicity_cannot_schedule(app, client, session, login, make, setting, roles):
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    login(make.staff(*roles))
    base = f"/review/defence/calls/{setting.call.id}/rounds/2"
    assert client.get("/review/defence/").status_code == 403
    assert client.get(base).status_code == 403
    assert client.get(f"{base}/schedule.pdf").status_code == 403
    assert client.post(f"{base}/fill", data={"room": "B1", "starts_at": _local(setting.nine), "duration_minutes": "20",
                                             "break_minutes": "0"}).status_code == 403
    assert client.post(f"{base}/entries/{setting.b1.id}", data={"room": "B1", "starts_at": _local(setting.nine),
                                                                "duration_minutes": "20"}).status_code == 403
    assert client.post(f"/review/defence/slots/{slot.id}/remove").status_code == 403
    assert client.post(f"/review/defence/slots/{slot.id}/confirm").status_code == 403
    assert len(_slots(session)) == 1


def test_cancelling_a_session_tells_the_applicant(app, client, session, setting, chair):
    with _english(app):
        slot = _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    assert client.post(f"/review/defence/slots/{slot.id}/remove").status_code == 302
    assert _slots(session) == []
    assert _audit(session, "defence.slot_removed")[0].before["room"] == "A101"
    last = session.exec(select(Notification).where(Notification.user_id == setting.member_a.id)
                        .order_by(Notification.id.desc())).first()
    assert last.params["change"] == "cancelled"


def test_a_slot_of_an_entry_taken_off_the_shortlist_is_hidden_and_frees_its_room(app, client, session, login, setting):
    with _english(app):
        _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    listed = session.exec(select(ShortlistEntry).where(ShortlistEntry.entry_id == setting.a1.id)).one()
    listed.included = False
    session.add(listed)
    session.commit()
    with _english(app):
        # The room is free again, and the organisation no longer sees the session.
        _schedule(session, setting, setting.b1, at=setting.nine, room="A101")
        assert services.organisation_slots(session, organisation_id=setting.org_a.id, now=utcnow()) == []
    session.commit()
    login(setting.member_a)
    assert "Confirm attendance" not in client.get("/dashboard").get_data(as_text=True)


def test_the_chair_is_told_of_shortlisted_entries_without_a_session(app, client, session, setting, chair, english):
    with _english(app):
        _schedule(session, setting, setting.a1, at=setting.nine, room="A101")
    session.commit()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "2 shortlisted entries without a defence session" in page
    assert f'href="/review/defence/calls/{setting.call.id}/rounds/2"' in page
    history = client.get(f"/review/defence/calls/{setting.call.id}/rounds/2/entries/{setting.a1.id}").get_data(as_text=True)
    assert "Defence session scheduled" in history
