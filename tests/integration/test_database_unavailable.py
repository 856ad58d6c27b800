"""A database that cannot be reached: a 503 page that needs nothing from it
(translated, with Retry-After), or JSON for the autosave scripts; never a 500.
(The production-stack test restarts a real PostgreSQL: tests/stack/.)"""
import pytest

from app import create_app
from tests.conftest import make_test_config

# Nothing listens on the discard port: every connection is refused at once.
UNREACHABLE = "postgresql://postgres@127.0.0.1:9/nothing"


@pytest.fixture
def offline(tmp_path):
    app = create_app(make_test_config(UNREACHABLE, tmp_path))
    yield app.test_client()
    app.extensions["db"].engine.dispose()


def test_a_page_is_a_translated_503_without_the_database(offline):
    response = offline.get("/library/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "服务暂时不可用" in page
    assert "服务暂时无法连接数据库。您之前保存的内容不会丢失，请一分钟后再试。" in page
    assert 'href="/library/"' in page  # try again
    # The request id the logs carry, for the user to quote.
    assert response.headers["X-Request-ID"] and f"请求编号：<code class=\"user-select-all ms-1\">{response.headers['X-Request-ID']}</code>" in page


def test_english_and_json_answers(offline):
    offline.set_cookie("lang", "en")
    page = offline.get("/library/").get_data(as_text=True)
    assert "Temporarily unavailable" in page and "cannot reach its database" in page

    response = offline.get("/library/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["ok"] is False
    assert response.get_json()["message"].startswith("The service cannot reach its database")


def test_a_connection_lost_after_the_work_does_not_fail_the_response(app, client, monkeypatch):
    # A restart between the request's last query and the end of the request: the rollback
    # that closes the session cannot reach the server. The page still answers; the session
    # gives its dead connection back as invalid.
    import sqlalchemy as sa
    from sqlmodel import Session

    invalidated = []
    close = Session.close

    def lost(self):
        monkeypatch.setattr(Session, "close", close)  # once
        raise sa.exc.OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))

    def invalidate(self):
        invalidated.append(self)
        close(self)

    assert client.get("/library/").status_code == 200
    monkeypatch.setattr(Session, "close", lost)
    monkeypatch.setattr(Session, "invalidate", invalidate)
    assert client.get("/library/").status_code == 200
    assert len(invalidated) == 1
