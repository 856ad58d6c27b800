"""Open data of the case library: the public record, CSV, the paged JSON
document and the OpenAPI description — and that nothing internal leaks."""
import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale

from app.enums import Domain, Technology
from app.library.opendata import (
    FIELDS,
    LICENCE_ID,
    LICENCE_URL,
    case_record,
    cases_csv,
    openapi_document,
    page_document,
)
from app.models.library import LibraryCase
from app.reference import CITIES

BOM = "\ufeff".encode()
URL = "https://example.org/library/cases/7"
PHOTOS = ["https://example.org/library/photos/11", "https://example.org/library/photos/12"]
# Strings and ids that must never reach the open data.
SECRETS = (
    "SECRET-HIDDEN-REASON",
    "secret-search-text zhang.san@example.com 13800138000",
    "SUBMITTED-SUMMARY-REPLACED",
    "blobs/display/secret-display-key",
    "blobs/thumb/secret-thumb-key",
    "908172",  # the library row's own id (the case's id is its entry's, as in its address)
    "553219",  # run_id
    "661034",  # call_id
)
ENGLISH_HEADER = [
    "Case ID", "Year", "Title", "Organisation", "City code", "City", "Domain code", "Domain",
    "Technology tags", "AI technologies", "Summary", "Problem solved", "Solution", "Deployment scale",
    "Outcomes", "Rank", "Score", "Featured", "Published at", "Public page", "Photos",
]


@pytest.fixture
def in_english(app):
    with app.test_request_context(), force_locale("en"):
        yield


def _case(**changes) -> LibraryCase:
    values = dict(
        id=908172,
        entry_id=7,
        call_id=661034,
        run_id=553219,
        year=2025,
        title="Defect detection on the press line",
        organisation_name="Foshan Precision Parts Co., Ltd.",
        domain=Domain.MANUFACTURING,
        city_code="440600",
        tech_tags=["computer_vision", "自研质检"],
        summary="SUBMITTED-SUMMARY-REPLACED",
        public_summary="Cameras find scratches before packing.",
        problem="Manual inspection missed defects.",
        solution="Line cameras and a trained model.",
        deployment_scale="3 lines, 2 plants",
        outcomes=[
            {"metric": "Defect detection rate", "before": 92.0, "after": 99.5, "unit": "%"},
            {"metric": "Inspectors per shift", "before": None, "after": 2.0, "unit": ""},
        ],
        photos=[
            {"id": 11, "caption": "Camera", "width": 800, "height": 600,
             "display_key": "blobs/display/secret-display-key", "thumb_key": "blobs/thumb/secret-thumb-key"},
        ],
        rank=3,
        score=88.25,
        featured=True,
        hidden=True,
        hidden_reason="SECRET-HIDDEN-REASON",
        search_text="secret-search-text zhang.san@example.com 13800138000",
        published_at=datetime(2025, 6, 1, 16, 30, 5, 123456, tzinfo=timezone(timedelta(hours=8))),
    )
    values.update(changes)
    return LibraryCase(**values)


def _record(case=None):
    return case_record(case or _case(), url=URL, photo_urls=PHOTOS)


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# --- the record -----------------------------------------------------------------


def test_record_has_exactly_the_public_fields_in_order(in_english):
    record = _record()
    assert tuple(record) == FIELDS
    assert record == {
        "id": 7,
        "year": 2025,
        "title": "Defect detection on the press line",
        "organisation": "Foshan Precision Parts Co., Ltd.",
        "city_code": "440600",
        "city": "佛山",
        "domain": "manufacturing",
        "domain_label": "Smart manufacturing",
        "tech_tags": ["computer_vision", "自研质检"],
        "tech_labels": ["Computer vision", "自研质检"],
        "summary": "Cameras find scratches before packing.",
        "problem": "Manual inspection missed defects.",
        "solution": "Line cameras and a trained model.",
        "deployment_scale": "3 lines, 2 plants",
        "outcomes": [
            {"metric": "Defect detection rate", "before": 92.0, "after": 99.5, "unit": "%"},
            {"metric": "Inspectors per shift", "before": None, "after": 2.0, "unit": ""},
        ],
        "rank": 3,
        "score": 88.25,
        "featured": True,
        "published_at": "2025-06-01T08:30:05Z",
        "url": URL,
        "photos": PHOTOS,
    }
    assert type(record["domain_label"]) is str
    assert all(type(label) is str for label in record["tech_labels"])


def test_submitted_summary_is_exported_without_a_curated_one(in_english):
    assert _record(_case(public_summary=None, summary="As submitted."))["summary"] == "As submitted."
    # An empty curated summary is still the curated one.
    assert _record(_case(public_summary=""))["summary"] == ""


def test_rank_and_score_are_null_when_not_published(in_english):
    record = _record(_case(rank=None, score=None))
    assert record["rank"] is None and record["score"] is None
    assert json.loads(json.dumps(record))["rank"] is None


def test_outcome_keys_beyond_the_four_public_ones_are_dropped(in_english):
    case = _case(outcomes=[{"metric": "Yield", "before": 1, "after": 2, "unit": "t", "note": "SECRET-NOTE"}])
    assert _record(case)["outcomes"] == [{"metric": "Yield", "before": 1, "after": 2, "unit": "t"}]


def test_labels_follow_the_language(app):
    with app.test_request_context(), force_locale("zh"):
        record = _record()
    assert record["domain_label"] == "智能制造"
    assert record["city"] == "佛山"


def test_naive_publication_time_is_refused(in_english):
    with pytest.raises(ValueError):
        _record(_case(published_at=datetime(2025, 6, 1, 8, 30)))


def test_nothing_internal_reaches_the_record_the_json_or_the_csv(in_english):
    record = _record()
    dumped = json.dumps(page_document([record], page=1, per_page=20, total=1, links={}), ensure_ascii=False)
    text = cases_csv([record]).decode("utf-8-sig")
    for secret in SECRETS:
        assert secret not in json.dumps(record, ensure_ascii=False)
        assert secret not in dumped
        assert secret not in text
    for key in ("hidden", "hidden_reason", "search_text", "entry_id", "run_id", "call_id", "public_summary"):
        assert key not in record
    assert "display_key" not in dumped and "thumb_key" not in dumped


# --- CSV ----------------------------------------------------------------------


def test_csv_has_bom_header_in_order_and_flattened_cells(in_english):
    data = cases_csv([_record()])
    assert data.startswith(BOM)
    header, row = _rows(data)
    assert header == ENGLISH_HEADER
    assert len(header) == len(FIELDS)
    cells = dict(zip(FIELDS, row, strict=True))
    assert cells["id"] == "7"
    assert cells["tech_tags"] == "computer_vision；自研质检"
    assert cells["tech_labels"] == "Computer vision；自研质检"
    assert cells["photos"] == "；".join(PHOTOS)
    assert cells["outcomes"] == "Defect detection rate: 92 → 99.5 %；Inspectors per shift: — → 2"
    assert cells["featured"] == "true"
    assert cells["score"] == "88.25"
    assert cells["published_at"] == "2025-06-01T08:30:05Z"


def test_csv_writes_none_and_empty_lists_as_empty_cells(in_english):
    record = _record(_case(rank=None, score=None, featured=False, tech_tags=[], outcomes=[]))
    record["photos"] = []
    (_header, row) = _rows(cases_csv([record]))
    cells = dict(zip(FIELDS, row, strict=True))
    assert [cells[name] for name in ("rank", "score", "tech_tags", "tech_labels", "outcomes", "photos")] == [""] * 6
    assert cells["featured"] == "false"


def test_csv_neutralises_formulas(in_english):
    record = _record(_case(title="=HYPERLINK(\"http://evil.example\")", problem="+1", solution="@SUM(A1)",
                           tech_tags=["=cmd"]))
    (_header, row) = _rows(cases_csv([record]))
    cells = dict(zip(FIELDS, row, strict=True))
    assert cells["title"] == "'=HYPERLINK(\"http://evil.example\")"
    assert cells["problem"] == "'+1"
    assert cells["solution"] == "'@SUM(A1)"
    assert cells["tech_tags"] == "'=cmd"
    # The JSON keeps the text as it is.
    assert record["title"] == "=HYPERLINK(\"http://evil.example\")"


def test_csv_header_is_translated(app):
    with app.test_request_context(), force_locale("zh"):
        header, *rows = _rows(cases_csv([]))
    assert rows == []
    assert header[FIELDS.index("title")] == "场景名称"
    assert header[FIELDS.index("domain_label")] == "所属领域"


# --- the JSON page ----------------------------------------------------------------


def test_page_document_envelope(in_english):
    links = {"self": "u?page=2", "next": "u?page=3", "prev": "u?page=1", "first": "u?page=1", "last": "u?page=3"}
    document = page_document([_record()], page=2, per_page=20, total=41, links=links)
    assert document == {
        "data": [_record()],
        "meta": {"page": 2, "per_page": 20, "total": 41, "pages": 3,
                 "licence": LICENCE_ID, "licence_url": LICENCE_URL},
        "links": links,
    }
    json.dumps(document)


@pytest.mark.parametrize(("total", "per_page", "pages"), [(0, 20, 1), (1, 20, 1), (20, 20, 1), (21, 20, 2),
                                                          (41, 20, 3), (100, 100, 1)])
def test_pages(total, per_page, pages):
    """An empty result is one empty page: page 1 always exists."""
    assert page_document([], page=1, per_page=per_page, total=total, links={})["meta"]["pages"] == pages


@pytest.mark.parametrize(("page", "per_page", "total"), [(0, 20, 5), (1, 0, 5), (1, 20, -1)])
def test_page_document_refuses_impossible_paging(page, per_page, total):
    with pytest.raises(ValueError):
        page_document([], page=page, per_page=per_page, total=total, links={})


# --- OpenAPI ------------------------------------------------------------------


def _openapi():
    return openapi_document(base_url="https://example.org", title="Case library open data",
                            description="Published scenarios.")


def _parameters(document, path):
    refs = document["paths"][path]["get"]["parameters"]
    prefix = "#/components/parameters/"
    resolved = [document["components"]["parameters"][ref["$ref"].removeprefix(prefix)] for ref in refs]
    return {parameter["name"]: parameter for parameter in resolved}


def test_openapi_document_structure():
    document = _openapi()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["license"] == {"name": "CC BY 4.0", "identifier": LICENCE_ID}
    assert document["servers"] == [{"url": "https://example.org"}]
    assert set(document["paths"]) == {"/library/data/cases.json", "/library/data/cases.csv"}

    case = document["components"]["schemas"]["Case"]
    assert list(case["properties"]) == list(FIELDS)
    assert case["required"] == list(FIELDS)
    assert case["properties"]["rank"]["type"] == ["integer", "null"]
    assert case["properties"]["score"]["type"] == ["number", "null"]

    json_parameters = _parameters(document, "/library/data/cases.json")
    assert set(json_parameters) == {"q", "domain", "city", "tag", "year", "sort", "page", "per_page"}
    assert json_parameters["domain"]["schema"]["enum"] == [domain.value for domain in Domain]
    assert json_parameters["city"]["schema"]["enum"] == list(CITIES)
    assert len(json_parameters["city"]["schema"]["enum"]) == 21
    assert json_parameters["tag"]["schema"]["enum"] == [technology.value for technology in Technology]
    assert json_parameters["sort"]["schema"]["enum"] == ["rank", "newest", "title"]
    assert json_parameters["sort"]["schema"]["default"] == "rank"
    assert json_parameters["year"]["schema"] == {"type": "integer", "minimum": 2000, "maximum": 2100}
    assert json_parameters["page"]["schema"]["minimum"] == 1
    assert json_parameters["per_page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert all(parameter["in"] == "query" for parameter in json_parameters.values())

    csv_parameters = _parameters(document, "/library/data/cases.csv")
    assert set(csv_parameters) == {"q", "domain", "city", "tag", "year", "sort"}

    json_get = document["paths"]["/library/data/cases.json"]["get"]
    assert json_get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CasePage"
    }
    assert json_get["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    csv_get = document["paths"]["/library/data/cases.csv"]["get"]
    assert "text/csv" in csv_get["responses"]["200"]["content"]
    error = document["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["properties"]) == {"message", "field"}

    assert json.loads(json.dumps(document)) == document


def test_openapi_document_is_a_copy():
    document = _openapi()
    document["components"]["schemas"]["Case"]["properties"].clear()
    assert list(_openapi()["components"]["schemas"]["Case"]["properties"]) == list(FIELDS)


def test_openapi_document_validates():
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(_openapi())


def test_page_document_matches_its_schema(in_english):
    """When ``jsonschema`` is installed, the JSON page validates against the
    schemas of the OpenAPI document."""
    jsonschema = pytest.importorskip("jsonschema")
    components = _openapi()["components"]["schemas"]
    schema = {"$defs": components, **components["CasePage"]}
    schema = json.loads(json.dumps(schema).replace("#/components/schemas/", "#/$defs/"))
    links = {"self": URL, "next": None, "prev": None, "first": URL, "last": URL}
    document = page_document([_record(), _record(_case(rank=None, score=None))], page=1, per_page=20, total=2,
                             links=links)
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(document)))
