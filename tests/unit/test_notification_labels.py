"""Every kind of notification reads as a sentence, in both languages; old or
broken rows read as a neutral one."""
import pytest
from flask_babel import force_locale

from app.notifications.labels import _SENTENCES, KINDS, mutable_kinds, sentence

PARAMS = {
    "entry_id": 7, "title": "智能质检", "status": "eligible", "reason": "缺材料", "deadline": "2026-12-10T08:00:00+00:00",
    "call": "2027年征集", "count": 3, "selected": True, "name": "王芳", "organisation": "云智科技", "credit_code": "X",
    "approved": True, "inviter": None,
}


def test_every_kind_has_a_sentence_and_every_sentence_a_kind():
    assert set(KINDS) == set(_SENTENCES)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_reads_in_english_and_chinese(app, kind):
    with app.test_request_context():
        with force_locale("en"):
            english = sentence(kind, PARAMS)
        with force_locale("zh"):
            chinese = sentence(kind, PARAMS)
    assert english and chinese and english != chinese
    assert "%(" not in english and "%(" not in chinese


def test_plural_counts_and_dates_are_written_for_the_reader(app):
    with app.test_request_context(), force_locale("en"):
        one = sentence("review.assigned", PARAMS | {"count": 1})
        three = sentence("review.assigned", PARAMS)
    assert one.startswith("1 entry of 2027年征集 was assigned") and three.startswith("3 entries of 2027年征集 were assigned")
    assert "12/10/26" in three  # the stored ISO time, written as the locale writes it


def test_unknown_kinds_and_broken_parameters_read_neutrally(app):
    with app.test_request_context(), force_locale("en"):
        assert sentence("gone.kind", {}) == "You have a notification."
        assert sentence("entry.checked", {"title": "x", "status": "no-such-status"}) == "You have a notification."


def test_only_non_essential_mailing_kinds_can_be_muted():
    keys = {kind.key for kind in mutable_kinds()}
    assert "invitation" not in keys and "entry.submitted" in keys
    assert all(KINDS[key].template for key in keys)
