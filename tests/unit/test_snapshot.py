"""The canonical serialisation of a published snapshot's documents and the
hash composition (app/results/snapshot.py), against bytes written out by hand."""
import hashlib
import json
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from app.enums import Domain
from app.results import snapshot

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _run(*, public_scores: bool) -> SimpleNamespace:
    return SimpleNamespace(
        id=7, call_id=3, method="trimmed_mean", public_scores=public_scores,
        parameters={"call": {"id": 3, "name": "2026年征集", "year": 2026}, "target": 2, "seed": 3, "quotas": {},
                    "sd_threshold": 15.0},
        summary={"experts": [{"expert_id": 11, "name": "张专家", "leniency": 1.5}]},
        computed_at=datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI), computed_by_id=5,
        published_at=datetime(2026, 7, 2, 16, 30, 0, 250, tzinfo=SHANGHAI), published_by_id=5,
        inputs_hash="f" * 64,
    )


def _row(entry_id, rank, *, selected, score, decision):
    return SimpleNamespace(
        id=100 + entry_id, run_id=7, entry_id=entry_id, title=f"场景{entry_id}", organisation_name="某公司",
        domain=Domain.MANUFACTURING, city_code="440300", rank=rank, domain_rank=rank, score=score, raw_mean=score,
        selected=selected, decision=decision, chair_reason=None,
    )


ROWS = [
    _row(9, 1, selected=True, score=90.0, decision="selected"),
    _row(4, 2, selected=True, score=84.1234, decision="selected"),
    _row(6, 3, selected=False, score=70.5, decision="target_reached"),
]
COLUMNS = ["id", "run_id", "entry_id", "title", "organisation_name", "domain", "city_code", "rank", "domain_rank",
           "score", "raw_mean", "selected", "decision", "chair_reason"]


def test_canonical_json_sorts_keys_keeps_utf8_and_has_no_spaces():
    document = {"b": [1, 2.5, 85.0, None, True], "a": {"z": "智能制造", "y": "\n\"é"}}
    assert snapshot.canonical_json(document) == (
        '{"a":{"y":"\\n\\"é","z":"智能制造"},"b":[1,2.5,85.0,null,true]}'.encode("utf-8")
    )


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_canonical_json_refuses_what_json_cannot_hold(number):
    with pytest.raises(ValueError):
        snapshot.canonical_json({"score": number})


def test_a_document_hash_is_the_sha256_of_its_canonical_bytes():
    assert snapshot.document_hash({"年": 2026, "a": 0.1}) == hashlib.sha256('{"a":0.1,"年":2026}'.encode()).hexdigest()


def test_the_snapshot_hash_is_taken_over_both_document_hashes():
    public, private = "a" * 64, "b" * 64
    expected = hashlib.sha256(('{"private":"' + private + '","public":"' + public + '"}').encode("ascii")).hexdigest()
    assert snapshot.snapshot_hash(public, private) == expected
    assert snapshot.snapshot_hash(private, public) != expected  # the two hashes keep their places


def test_times_are_utc_iso_8601_with_microseconds():
    assert snapshot.utc_time(datetime(2026, 7, 2, 16, 30, 0, 250, tzinfo=SHANGHAI)) == "2026-07-02T08:30:00.000250Z"
    assert snapshot.utc_time(None) is None


def test_with_public_scores_the_public_document_has_the_whole_ranking():
    document = snapshot.public_document(_run(public_scores=True), ROWS)
    assert document == {
        "format": "scenario-showcase/results-public/1",
        "call": {"id": 3, "name": "2026年征集", "year": 2026},
        "snapshot": 7,
        "published_at": "2026-07-02T08:30:00.000250Z",
        "method": "trimmed_mean",
        "settings": {"target": 2, "seed": 3, "quotas": {}, "sd_threshold": 15.0},
        "public_scores": True,
        "entries": [
            {"entry_id": 9, "title": "场景9", "organisation_name": "某公司", "domain": "manufacturing",
             "city_code": "440300", "selected": True, "decision": "selected", "rank": 1, "domain_rank": 1,
             "score": 90.0},
            {"entry_id": 4, "title": "场景4", "organisation_name": "某公司", "domain": "manufacturing",
             "city_code": "440300", "selected": True, "decision": "selected", "rank": 2, "domain_rank": 2,
             "score": 84.1234},
            {"entry_id": 6, "title": "场景6", "organisation_name": "某公司", "domain": "manufacturing",
             "city_code": "440300", "selected": False, "decision": "target_reached", "rank": 3, "domain_rank": 3,
             "score": 70.5},
        ],
    }


def test_without_public_scores_only_the_selection_is_public_and_its_order_gives_no_rank_away():
    document = snapshot.public_document(_run(public_scores=False), ROWS)
    assert [entry["entry_id"] for entry in document["entries"]] == [4, 9]
    assert all(set(entry) == set(snapshot.PUBLIC_ENTRY_FIELDS) for entry in document["entries"])


def test_the_private_document_holds_the_rest_and_the_public_one_none_of_it():
    run = _run(public_scores=True)
    public = snapshot.canonical_json(snapshot.public_document(run, ROWS)).decode()
    private = snapshot.private_document(run, ROWS, columns=COLUMNS)
    for secret in ("张专家", "leniency", "computed_by_id", "published_by_id", "raw_mean", "inputs_hash"):
        assert secret not in public
    assert private["summary"]["experts"][0]["name"] == "张专家"
    assert (private["computed_by_id"], private["published_by_id"], private["inputs_hash"]) == (5, 5, "f" * 64)
    assert private["computed_at"] == "2026-07-01T01:00:00.000000Z"
    assert [entry["entry_id"] for entry in private["entries"]] == [9, 4, 6]
    assert set(private["entries"][0]) == set(COLUMNS) - {"id", "run_id"}
    assert private["parameters"]["call"]["name"] == "2026年征集"


def test_a_reformatted_public_document_hashes_the_same_once_read_back():
    document = snapshot.public_document(_run(public_scores=True), ROWS)
    pretty = json.dumps(document, ensure_ascii=True, indent=2)
    assert snapshot.document_hash(json.loads(pretty)) == snapshot.document_hash(document)
