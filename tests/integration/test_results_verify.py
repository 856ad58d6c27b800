"""A snapshot anyone can verify: the public and private documents sealed at
publication, the public document's download, ``flask results verify``, the
public page /results/verify, the hashes on the exports, and snapshots
published before all this (one legacy hash) that keep verifying."""
import csv
import hashlib
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.enums import Domain, Phase
from app.models import Call, ResultEntry, ResultRun
from app.results import exports, snapshot
from app.results.publishing import legacy_document, publish, snapshot_rows, verify

FIVE = [
    [80, 82, 84, 86, 88],  # trimmed: 84
    [70, 60, 65, 75, 95],  # trimmed: 70
    [90, 91, 89, 92, 88],  # trimmed: 90
    [50, 55, 52, 58, 54],  # trimmed: 53.6667
]
CALL_NAME = "2026年人工智能应用场景征集"
# Published at 16:30:00.000250 in Beijing: 08:30:00.000250 UTC, microseconds kept.
PUBLISHED = datetime(2026, 7, 2, 16, 30, 0, 250, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def published(app, make, session):
    """A call of four entries in two domains, three selected, published with public scores at PUBLISHED."""
    # The results phase runs at PUBLISHED: publishing then needs no early confirmation.
    scored = make.scored_call(totals=FIVE, target_count=3, open_phase=Phase.RESULTS, now=PUBLISHED, name=CALL_NAME,
                              year=2026, domains=[Domain.MANUFACTURING, Domain.HEALTHCARE], cities=["440300", "440100"])
    run = scored.compute(resamples=50)
    with app.test_request_context():
        publish(session, run=run, actor=scored.chair, now=PUBLISHED, public_scores=True)
        session.commit()
    return scored, run


def _download(client, run) -> bytes:
    response = client.get(f"/results/snapshots/{run.id}/public.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.data


def _make_legacy(session, run) -> None:
    """Turn ``run`` into a snapshot as published before the two documents: one hash of its legacy document."""
    run.public_hash = run.private_hash = None
    run.content_hash = snapshot.document_hash(legacy_document(session, run))
    session.add(run)
    session.commit()


# --- sealing and the public document ------------------------------------------------


def test_publishing_seals_both_documents_and_the_snapshot_hash_over_them(app, published, session, client):
    scored, run = published
    session.expire_all()
    run = session.get(ResultRun, run.id)
    data = _download(client, run)
    assert hashlib.sha256(data).hexdigest() == run.public_hash
    public = snapshot.public_document(run, snapshot_rows(session, run))
    private = snapshot.private_document(run, snapshot_rows(session, run),
                                        columns=[c.name for c in ResultEntry.__table__.columns])
    assert run.private_hash == snapshot.document_hash(private)
    assert run.content_hash == hashlib.sha256(
        f'{{"private":"{run.private_hash}","public":"{run.public_hash}"}}'.encode()).hexdigest()
    assert json.loads(data) == public
    with app.test_request_context():
        assert verify(session, run)
    # What stays private: the experts, their statistics, who computed and published.
    text = data.decode("utf-8")
    assert all(expert.name not in text for expert in scored.experts)
    assert "experts" not in public and "computed_by_id" not in text and "published_by_id" not in text
    assert {e["name"] for e in private["summary"]["experts"]} >= {x.name for x in scored.experts}


def test_the_public_document_reads_back_byte_for_byte_as_written(published, session, client):
    """The same data gives the same bytes on SQLite and on PostgreSQL: the
    document read back from the database equals, byte for byte, the one
    written out here from the values themselves (this test runs on both)."""
    scored, run = published
    parameters = {key: value for key, value in run.parameters.items() if key != "call"}
    ids = {entry.title: entry.id for entry in scored.entries}
    session.expire_all()

    def entry(title, rank, domain_rank, score, domain, city, selected, decision):
        return {"entry_id": ids[title], "title": title, "domain": domain, "city_code": city, "selected": selected,
                "decision": decision, "rank": rank, "domain_rank": domain_rank, "score": score}

    document = json.loads(_download(client, run))
    organisations = {e["entry_id"]: e.pop("organisation_name") for e in document["entries"]}
    assert all(isinstance(name, str) and name for name in organisations.values())
    expected = {
        "format": "scenario-showcase/results-public/1",
        "call": {"id": scored.call.id, "name": CALL_NAME, "year": 2026},
        "snapshot": run.id,
        "published_at": "2026-07-02T08:30:00.000250Z",
        "method": "trimmed_mean",
        "settings": parameters,
        "public_scores": True,
        "entries": [
            entry("场景003", 1, 1, 90.0, "manufacturing", "440300", True, "selected"),
            entry("场景001", 2, 2, 84.0, "manufacturing", "440300", True, "selected"),
            entry("场景002", 3, 1, 70.0, "healthcare", "440100", True, "selected"),
            entry("场景004", 4, 2, 53.6667, "healthcare", "440100", False, "target_reached"),
        ],
    }
    assert document == expected
    for item in document["entries"]:
        item["organisation_name"] = organisations[item["entry_id"]]
    # Written out by the documented rule, the values give exactly the bytes served.
    assert snapshot.canonical_json(document) == _download(client, run)
    assert b"53.6667," in _download(client, run) and "场景003".encode() in _download(client, run)


def test_without_public_scores_the_public_document_holds_the_selection_only(app, make, session, client):
    scored = make.scored_call(totals=FIVE, target_count=3, open_phase=Phase.RESULTS)
    run = scored.publish(public_scores=False)
    document = json.loads(_download(client, run))
    assert [e["title"] for e in document["entries"]] == ["场景001", "场景002", "场景003"]  # by entry id
    assert all("rank" not in e and "score" not in e for e in document["entries"])


def test_drafts_have_no_public_document(published, client):
    scored, run = published
    draft = scored.compute(resamples=50)
    assert draft.published_at is None
    assert client.get(f"/results/snapshots/{draft.id}/public.json").status_code == 404
    assert client.get(f"/results/snapshots/{draft.id + 1000}/public.json").status_code == 404
    assert client.get(f"/results/snapshots/{run.id}/public.json").status_code == 200


# --- flask results verify FILE -----------------------------------------------------------


def test_the_command_line_says_a_downloaded_document_matches(published, client, runner, tmp_path):
    scored, run = published
    path = tmp_path / "public.json"
    path.write_bytes(_download(client, run))
    result = runner.invoke(args=["results", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert (f"该文件与“{CALL_NAME}”（2026年）的结果快照 {run.id} 完全一致（发布于 2026-07-02 08:30 UTC），未经改动。"
            in result.output)
    assert f"公开哈希值（SHA-256）：{run.public_hash}" in result.output
    assert f"快照哈希值（SHA-256）：{run.content_hash}" in result.output

    # Reformatted (indented, \u escapes), it is still the same document.
    path.write_text(json.dumps(json.loads(path.read_bytes()), indent=2), encoding="utf-8")
    assert runner.invoke(args=["results", "verify", str(path)]).exit_code == 0


def test_the_command_line_says_why_a_document_does_not_match(published, client, runner, tmp_path):
    scored, run = published
    document = json.loads(_download(client, run))
    document["entries"][3]["selected"] = True
    altered = tmp_path / "altered.json"
    altered.write_bytes(snapshot.canonical_json(document))
    result = runner.invoke(args=["results", "verify", str(altered)])
    assert result.exit_code == 1
    assert (f"该文件标明属于结果快照 {run.id}，但已被改动：其哈希值为 {snapshot.document_hash(document)}，"
            f"而该快照的公开哈希值为 {run.public_hash}。") in result.output

    broken = tmp_path / "broken.json"
    broken.write_bytes(_download(client, run)[:-1])
    result = runner.invoke(args=["results", "verify", str(broken)])
    assert result.exit_code == 1 and "这不是 JSON 文件（或不是 UTF-8 文本）" in result.output

    other = tmp_path / "other.json"
    other.write_text('{"snapshot": 1099511627776}', encoding="utf-8")  # an id no row can have
    result = runner.invoke(args=["results", "verify", str(other)])
    digest = snapshot.document_hash({"snapshot": 2**40})
    assert result.exit_code == 1 and f"哈希值 {digest} 与任何已发布的结果快照都不匹配。" in result.output


# --- the public page ---------------------------------------------------------------------


def test_the_verify_page_matches_a_pasted_document_without_login(published, client):
    scored, run = published
    page = client.get("/results/verify")
    assert page.status_code == 200 and "核验结果快照" in page.get_data(as_text=True)
    text = _download(client, run).decode("utf-8")
    answer = client.post("/results/verify", data={"document": text}).get_data(as_text=True)
    assert f"的结果快照 {run.id} 完全一致" in answer and run.public_hash in answer and run.content_hash in answer


def test_the_verify_page_takes_an_uploaded_file(published, client):
    scored, run = published
    data = {"document": "", "upload": (io.BytesIO(_download(client, run)), "public.json")}
    answer = client.post("/results/verify", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert f"的结果快照 {run.id} 完全一致" in answer


def test_the_verify_page_refuses_bad_json_empty_and_too_large_input(published, client, english):
    bad = client.post("/results/verify", data={"document": '{"snapshot": 1,'}).get_data(as_text=True)
    assert "This is not a JSON document (or not UTF-8 text): a public snapshot document is JSON." in bad
    empty = client.post("/results/verify", data={"document": "  "}).get_data(as_text=True)
    assert "Nothing to check: paste the document, choose its file or enter a hash." in empty
    # Encoded here: the test client would spool a body this large to a file it never closes.
    boundary, body = encode_multipart(
        {"upload": FileStorage(io.BytesIO(b" " * (8 * 1024 * 1024 + 1)), filename="big.json")})
    answer = client.post("/results/verify", data=body,
                         content_type=f"multipart/form-data; boundary={boundary}").get_data(as_text=True)
    assert "The document is larger than 8 MB: no public snapshot document is that large." in answer


def test_the_verify_page_refuses_bad_json_in_chinese_by_default(published, client):
    bad = client.post("/results/verify", data={"document": "不是JSON"}).get_data(as_text=True)
    assert "这不是 JSON 文件（或不是 UTF-8 文本）：快照公开文件为 JSON 格式。" in bad


def test_the_verify_page_checks_a_hash(published, client, english):
    scored, run = published
    public = client.get(f"/results/verify?hash={run.public_hash.upper()}").get_data(as_text=True)
    assert f"The document matches results snapshot {run.id} of “{CALL_NAME}” (2026)" in public
    whole = client.get(f"/results/verify?hash={run.content_hash}").get_data(as_text=True)
    assert f"This is the snapshot hash of results snapshot {run.id}" in whole
    unknown = client.get(f"/results/verify?hash={'0' * 64}").get_data(as_text=True)
    assert f"The hash {'0' * 64} matches no published results snapshot." in unknown
    wrong = client.get("/results/verify?hash=abc").get_data(as_text=True)
    assert "A SHA-256 hash is 64 hexadecimal characters (0–9, a–f)." in wrong


def test_the_verify_form_needs_its_csrf_token(published, client, csrf):
    scored, run = published
    response = client.post("/results/verify", data={"document": _download(client, run).decode()})
    assert response.status_code == 400 and run.public_hash not in response.get_data(as_text=True)


def test_the_library_links_the_snapshot_document_and_its_hash(published, client):
    scored, run = published
    data_page = client.get("/library/data").get_data(as_text=True)
    assert f"/results/snapshots/{run.id}/public.json" in data_page and run.public_hash in data_page
    assert data_page.count('id="snapshots"') == 1 and "<title>开放数据" in data_page
    case = client.get(f"/library/2026/{scored.entries[2].id}").get_data(as_text=True)
    assert f"/results/snapshots/{run.id}/public.json" in case and f"/results/verify?hash={run.public_hash}" in case


def test_the_chairs_list_of_snapshots_links_the_public_document(published, client, login):
    scored, run = published
    login(scored.chair)
    page = client.get(f"/results/?call={scored.call.id}").get_data(as_text=True)
    assert f"/results/snapshots/{run.id}/public.json" in page and run.content_hash in page


# --- exports -------------------------------------------------------------------------------


def test_exports_print_the_public_hash_and_where_to_verify_it(app, published, session, tmp_path):
    scored, run = published
    rows = snapshot_rows(session, run)
    call = session.get(Call, run.call_id)
    url = f"{app.config['BASE_URL'].rstrip('/')}/results/verify?hash={run.public_hash}"
    with app.app_context():
        table = list(csv.reader(io.StringIO(exports.rankings_csv(run, rows, call=call).decode("utf-8-sig"))))
        book = load_workbook(io.BytesIO(exports.rankings_xlsx(run, rows, call=call)))
        pdf = exports.rankings_pdf(run, rows, call=call)
    assert table[-4:] == [[], ["公开哈希值（SHA-256）", run.public_hash], ["快照哈希值（SHA-256）", run.content_hash],
                          ["核验网址", url]]
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True) if row[0]}
    assert (about["公开哈希值（SHA-256）"], about["快照哈希值（SHA-256）"], about["核验网址"]) == (
        run.public_hash, run.content_hash, url)
    path = tmp_path / "rankings.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, check=True, text=True).stdout
    flat = "".join(text.split())
    assert run.public_hash in flat and url in flat and "公开哈希值" in text


def test_a_draft_export_says_it_has_no_hash(app, make, session):
    scored = make.scored_call(totals=FIVE)
    run = scored.compute(resamples=50)
    rows = snapshot_rows(session, run)
    with app.app_context():
        table = list(csv.reader(io.StringIO(exports.rankings_csv(run, rows, call=scored.call).decode("utf-8-sig"))))
    assert table[-2:] == [[], ["快照哈希值", "草稿，尚未发布：没有哈希值，其中内容无法核验。"]]
    assert [line[0] for line in table[1:-2]] == ["1", "2", "3", "4"]


# --- snapshots published before ------------------------------------------------------------


def test_a_legacy_snapshot_keeps_verifying_by_its_one_hash(app, published, session, client, runner, tmp_path):
    scored, run = published
    document = _download(client, run)
    _make_legacy(session, run)
    session.expire_all()
    run = session.get(ResultRun, run.id)
    with app.test_request_context():
        assert verify(session, run)
    assert client.get(f"/results/snapshots/{run.id}/public.json").status_code == 404
    answer = client.get(f"/results/verify?hash={run.content_hash}").get_data(as_text=True)
    assert f"这是“{CALL_NAME}”（2026年）结果快照 {run.id} 的快照哈希值" in answer
    path = tmp_path / "public.json"
    path.write_bytes(document)
    result = runner.invoke(args=["results", "verify", str(path)])
    assert result.exit_code == 1 and f"结果快照 {run.id} 发布于快照公开文件启用之前" in result.output

    row = session.exec(select(ResultEntry).where(ResultEntry.run_id == run.id, ResultEntry.rank == 1)).one()
    row.score = 99.0
    session.add(row)
    session.commit()
    with app.test_request_context():
        assert not verify(session, run)


def test_any_change_to_a_sealed_snapshot_fails_verification(app, published, session):
    scored, run = published
    with app.test_request_context():
        run.summary = {**run.summary, "counts": {**run.summary["counts"], "experts": 99}}  # private only
        assert not verify(session, run)
    session.rollback()
    session.expire_all()
    with app.test_request_context():
        assert verify(session, session.get(ResultRun, run.id))


def test_the_readmes_verifier_gives_the_published_hashes(published, client, tmp_path):
    """The ≤ 10-line verifier of the README, run as a third party would run it."""
    scored, run = published
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Verifying a published snapshot", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 10
    verifier = tmp_path / "verifier.py"
    verifier.write_text(code, encoding="utf-8")
    document = tmp_path / "public.json"
    document.write_text(json.dumps(json.loads(_download(client, run)), indent=1), encoding="utf-8")  # reformatted
    output = subprocess.run([sys.executable, str(verifier), str(document), run.private_hash], capture_output=True,
                            check=True, text=True).stdout
    assert output.splitlines() == [f"public hash: {run.public_hash}", f"snapshot hash: {run.content_hash}"]
