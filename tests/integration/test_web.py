"""The web edge (app/web.py): one commit or one rollback per write, refusals
reported where the user looks, and files served with private headers."""
import itertools

import pytest
from flask import get_flashed_messages
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import select
from wtforms import StringField

from app.db import db
from app.errors import DomainError, InvalidToken, NotAllowed, StaleVersion
from app.forms import ActionForm
from app.models import Organisation
from app.storage import storage
from app.web import error_message, send_blob, send_bytes, write
from tests import factories

_numbers = itertools.count(9000)


class Refused(DomainError):
    pass


class NameForm(FlaskForm):
    name = StringField()


def _organisations(name: str) -> list[Organisation]:
    return list(db.session.exec(select(Organisation).where(Organisation.name == name)).all())


def _add(name: str) -> Organisation:
    organisation = Organisation(name=name, credit_code=factories.credit_code(next(_numbers)),
                                city_code="440300")
    db.session.add(organisation)
    db.session.flush()
    return organisation


@pytest.fixture
def request_context(app):
    with app.test_request_context("/", method="POST"):
        yield


def test_a_write_that_goes_through_is_committed_once_and_flashes_its_success(request_context):
    sent = []
    with write(success="保存成功") as attempt:
        _add("甲公司")
        db.after_commit(lambda: sent.append("mail"))

    assert attempt.ok and attempt.message == "" and attempt.status == 200
    assert sent == ["mail"]  # the after-commit callbacks ran: the transaction was committed
    db.rollback()  # anything not committed would be gone now
    assert [organisation.name for organisation in _organisations("甲公司")] == ["甲公司"]
    assert get_flashed_messages(with_categories=True) == [("success", "保存成功")]


def test_a_refusal_rolls_everything_back_and_is_flashed(request_context):
    sent = []
    with write(success="never shown") as attempt:
        _add("乙公司")
        db.after_commit(lambda: sent.append("mail"))
        raise Refused("名称已被使用")

    assert not attempt.ok and attempt.message == "名称已被使用" and attempt.status == 400
    assert sent == [] and _organisations("乙公司") == []
    assert get_flashed_messages(with_categories=True) == [("danger", "名称已被使用")]


def test_a_refusal_goes_on_the_form_or_on_a_field(request_context):
    form = ActionForm(formdata=None)
    with write(form=form):
        raise Refused("表单级错误")
    field = NameForm(formdata=None).name
    with write(form=field):
        raise Refused("字段级错误")

    assert form.form_errors == ["表单级错误"]
    assert list(field.errors) == ["字段级错误"]
    assert get_flashed_messages() == []


def test_quiet_leaves_the_report_to_the_view(request_context):
    with write(quiet=True) as attempt:
        raise NotAllowed("不允许")

    assert attempt.status == 403 and isinstance(attempt.error, NotAllowed)
    assert get_flashed_messages() == []


def test_a_stale_row_is_reported_with_the_given_conflict(request_context):
    class SheetChanged(StaleVersion):
        def __init__(self):
            super().__init__("评分表已在别处修改")

    with write(stale=SheetChanged, quiet=True) as attempt:
        _add("丙公司")
        raise StaleDataError("UPDATE statement on table 'score_sheets' expected to update 1 row(s); 0 were matched.")

    assert isinstance(attempt.error, SheetChanged) and attempt.status == 409
    assert attempt.message == "评分表已在别处修改"
    assert _organisations("丙公司") == []
    assert error_message(StaleDataError("x")) == str(StaleVersion().message)


def test_commit_on_keeps_the_work_done_before_the_refusal(request_context):
    class Incomplete(DomainError):
        pass

    with write(commit_on=(Incomplete,), quiet=True) as attempt:
        _add("丁公司")
        raise Incomplete("尚未填完")

    db.rollback()
    assert isinstance(attempt.error, Incomplete)
    assert [organisation.name for organisation in _organisations("丁公司")] == ["丁公司"]


def test_reraise_and_other_errors_propagate_and_nothing_is_kept(request_context):
    with pytest.raises(InvalidToken):
        with write(reraise=(InvalidToken,)):
            _add("戊公司")
            raise InvalidToken("链接已失效")
    with pytest.raises(ZeroDivisionError):
        with write():
            _add("己公司")
            1 / 0  # noqa: B018
    db.rollback()  # what closing the request's session does
    assert _organisations("戊公司") == [] and _organisations("己公司") == []


def test_send_blob_serves_a_stored_file_privately_with_ranges(app):
    key = None
    with app.app_context():
        key = storage().put(b"%PDF-1.4 private bytes", suffix=".pdf")
    with app.test_request_context("/", headers={"Range": "bytes=0-7"}):
        response = send_blob(key, mimetype="application/pdf", as_attachment=True, download_name="方案说明.pdf")
        response.direct_passthrough = False
        assert response.status_code == 206
        assert response.get_data() == b"%PDF-1.4"
        assert response.headers["Content-Range"] == "bytes 0-7/22"
        assert response.headers["Cache-Control"] == "private, max-age=3600"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.headers["Content-Disposition"] == (
            "attachment; filename=.pdf; filename*=UTF-8''%E6%96%B9%E6%A1%88%E8%AF%B4%E6%98%8E.pdf")
        response.close()
    etag = f'"{key.rsplit("/", 1)[1]}"'
    with app.test_request_context("/", headers={"If-None-Match": etag}):
        response = send_blob(key, mimetype="application/pdf")
        assert response.status_code == 304
        response.close()
    with app.test_request_context("/", headers={"If-Match": '"another"'}):
        response = send_blob(key, mimetype="application/pdf")
        assert response.status_code == 412
        response.close()
    with app.test_request_context("/", method="HEAD"):
        response = send_blob(key, mimetype="application/pdf")
        assert response.status_code == 200 and response.headers["Content-Length"] == "22"
        response.close()


def test_send_blob_refuses_a_range_beyond_the_file_and_closes_it(app):
    from werkzeug.exceptions import RequestedRangeNotSatisfiable

    with app.app_context():
        key = storage().put(b"%PDF-1.4 short", suffix=".pdf")
    with app.test_request_context("/", headers={"Range": "bytes=100-200"}):
        with pytest.raises(RequestedRangeNotSatisfiable):  # and no ResourceWarning: filterwarnings = error
            send_blob(key, mimetype="application/pdf")


def test_send_blob_answers_404_for_a_missing_or_malformed_key(app):
    from werkzeug.exceptions import NotFound

    with app.test_request_context("/"):
        for key in ("ab/cd/" + "ab" + "0" * 62 + ".jpg", "../../etc/passwd"):
            with pytest.raises(NotFound):
                send_blob(key, mimetype="image/jpeg")


def test_send_bytes_is_a_download_never_stored_by_default(app):
    with app.test_request_context("/"):
        response = send_bytes(b"a,b\n", mimetype="text/csv", download_name="rankings.csv")
        response.direct_passthrough = False
        assert response.get_data() == b"a,b\n"
        assert response.headers["Content-Disposition"] == "attachment; filename=rankings.csv"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["Content-Length"] == "4"
        assert "Content-Security-Policy" not in response.headers
