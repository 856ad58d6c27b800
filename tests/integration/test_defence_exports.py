"""The defence schedule per room as a PDF (read back with pypdf) and as a
workbook (read back with openpyxl): the room's sessions, in time order,
with time, entry, organisation, domain, room or link and confirmation."""
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.db import utcnow
from app.review.defence import services
from tests.integration.test_defence import ZONE, Setting, _schedule


@pytest.fixture
def scheduled(app, session, make):
    """A1 and B1 in 第一会议室 (B1 confirmed), A2 by video only."""
    setting = Setting(make)
    with app.test_request_context():
        _schedule(session, setting, setting.b1, at=setting.nine + timedelta(minutes=30), room="第一会议室")
        first = _schedule(session, setting, setting.a1, at=setting.nine, room="第一会议室")
        _schedule(session, setting, setting.a2, at=setting.nine + timedelta(hours=1), room="", video_link="https://meeting.example.cn/j/77",
                  minutes=20)
        services.confirm_slot(session, actor=setting.member_a, slot=first, now=utcnow())
    session.commit()
    return setting


@pytest.fixture
def chair(login, make):
    return login(make.chair())


def _base(setting) -> str:
    return f"/review/defence/calls/{setting.call.id}/rounds/2"


def test_the_pdf_of_one_room_lists_its_sessions_in_time_order(client, scheduled, chair, english):
    response = client.get(f"{_base(scheduled)}/schedule.pdf", query_string={"room": "第一会议室"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 1
    assert "第一会议室" in text and "甲科技有限公司" in text and "乙智能有限公司" in text
    assert text.index("智能质检产线") < text.index("远程会诊平台")  # 09:00 before 09:30
    assert "09:00–09:20" in text and "09:30–09:50" in text
    assert "城市大脑" not in text  # the video session is not in this room
    assert reader.metadata.title.startswith("Defence schedule")


def test_the_pdf_of_all_rooms_has_a_page_per_room(client, scheduled, chair, english):
    reader = PdfReader(io.BytesIO(client.get(f"{_base(scheduled)}/schedule.pdf").data))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 2
    assert "第一会议室" in pages[0] and "城市大脑" in pages[1]
    assert "https://meeting.example.cn/j/77" in "".join(pages[1].split())  # the link may wrap
    assert "By video (no room)" in pages[1]


def test_the_workbook_has_a_sheet_per_room_with_the_cells(client, scheduled, chair, english):
    response = client.get(f"{_base(scheduled)}/schedule.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["第一会议室", "By video (no room)"]
    sheet = book["第一会议室"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Starts", "Ends", "Entry number", "Title", "Organisation", "Domain", "Room", "Video link",
                       "Confirmed", "Confirmed at")
    nine = scheduled.nine.astimezone(ZONE).replace(tzinfo=None)
    assert rows[1][:9] == (nine, nine + timedelta(minutes=20), scheduled.a1.id, "智能质检产线", "甲科技有限公司",
                           "Smart manufacturing", "第一会议室", None, "Yes")
    assert isinstance(rows[1][9], datetime)
    assert rows[2][3] == "远程会诊平台" and rows[2][8] == "No" and rows[2][9] is None
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    video = list(book["By video (no room)"].iter_rows(values_only=True))
    assert video[1][3] == "城市大脑" and video[1][7] == "https://meeting.example.cn/j/77"


def test_one_room_in_the_workbook_and_an_unknown_room_is_not_found(client, scheduled, chair):
    book = load_workbook(io.BytesIO(client.get(f"{_base(scheduled)}/schedule.xlsx",
                                               query_string={"room": "第一会议室"}).data))
    assert book.sheetnames == ["第一会议室"]
    assert client.get(f"{_base(scheduled)}/schedule.xlsx", query_string={"room": "地下室"}).status_code == 404
