"""Open data of the public case library: published scenarios as JSON and CSV.

A record (:func:`case_record`) holds the public fields of one
:class:`~app.models.LibraryCase`, named by :data:`FIELDS` — the JSON keys and
the CSV columns, in that order — and nothing else: never the curation
internals (``hidden``, ``hidden_reason``), the search column, the submitted
summary when a curated one replaces it, storage keys of photos, or the ids
of the library row, the call and the results run. A case's ``id`` is its
entry's number: the one in its stable address ``/library/<year>/<id>``
(and in the brochure's QR codes), so a record and its page never disagree. The summary is the one the library shows
(``shown_summary``); photos and the case page are public URLs that the
caller builds.

- :func:`page_document`: one page of records with paging metadata, the
  licence and the links of the neighbouring pages (JSON).
- :func:`cases_csv`: records as UTF-8 CSV with a byte order mark, headers in
  the current language, text neutralised against formulas.
- :func:`openapi_document`: the OpenAPI 3.1 description of both downloads.

Everything here works on plain values; the views query, filter, paginate and
build the URLs. Data is published under :data:`LICENCE_ID`.
"""
from collections.abc import Iterable
from copy import deepcopy
from datetime import UTC, datetime
from typing import NamedTuple

from app.enums import Domain, Technology
from app.i18n import lazy_gettext as _l
from app.library.search import MAX_QUERY, SORTS
from app.models.library import LibraryCase
from app.reference import CITIES, technology_label
from app.spreadsheets import csv_bytes, neutralise

LICENCE_ID = "CC-BY-4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_NAME = "CC BY 4.0"
API_VERSION = "1.0"
JSON_PATH = "/library/data/cases.json"
CSV_PATH = "/library/data/cases.csv"

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100

# How the CSV writes what a cell cannot hold as such.
LIST_SEPARATOR = "；"  # between list items (tags, labels, photos, outcomes)
NO_VALUE = "—"  # an outcome's "before" when the capability did not exist
CSV_TRUE, CSV_FALSE = "true", "false"  # the same in every language

_OUTCOME_KEYS = ("metric", "before", "after", "unit")


class _Field(NamedTuple):
    """One exported field: its key, its CSV column title and its JSON Schema."""

    name: str
    title: object
    schema: dict


def _string(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


_OUTCOME_SCHEMA = {
    "type": "object",
    "description": "A quantified outcome, e.g. defect detection rate 92 → 99.5 %.",
    "properties": {
        "metric": {"type": "string"},
        "before": {"type": ["number", "null"], "description": "Null: the capability did not exist before."},
        "after": {"type": "number"},
        "unit": {"type": "string"},
    },
    "required": list(_OUTCOME_KEYS),
    "additionalProperties": False,
}

_FIELDS = (
    _Field("id", _l("Case ID"), {
        "type": "integer",
        "description": "The case's number: the entry number in its public address /library/{year}/{id} (see `url`).",
    }),
    _Field("year", _l("Year"), {"type": "integer", "description": "Year of the call."}),
    _Field("title", _l("Title"), _string("Title of the scenario.")),
    _Field("organisation", _l("Organisation"), _string("The organisation that submitted the scenario.")),
    _Field("city_code", _l("City code"), _string("GB/T 2260 code of the city.", enum=list(CITIES))),
    _Field("city", _l("City"), _string("Chinese name of the city.")),
    _Field("domain", _l("Domain code"), _string("Domain code.", enum=[domain.value for domain in Domain])),
    _Field("domain_label", _l("Domain"), _string("Name of the domain in the language of the request.")),
    _Field("tech_tags", _l("Technology tags"), {
        "type": "array",
        "items": {"type": "string"},
        "description": "AI technologies: vocabulary codes (see the `tag` parameter) or free tags as typed.",
    }),
    _Field("tech_labels", _l("AI technologies"), {
        "type": "array",
        "items": {"type": "string"},
        "description": "Names of tech_tags, in the same order, in the language of the request.",
    }),
    _Field("summary", _l("Summary"), _string("Public summary.")),
    _Field("problem", _l("Problem solved"), _string("The problem the scenario solves.")),
    _Field("solution", _l("Solution"), _string("The solution.")),
    _Field("deployment_scale", _l("Deployment scale"), _string("Scale of deployment.")),
    _Field("outcomes", _l("Outcomes"), {"type": "array", "items": {"$ref": "#/components/schemas/Outcome"}}),
    _Field("rank", _l("Rank"), {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "Overall rank in the call; null when the results do not publish ranks.",
    }),
    _Field("score", _l("Score"), {
        "type": ["number", "null"],
        "description": "Final score; null when the results do not publish scores.",
    }),
    _Field("featured", _l("Featured"), {"type": "boolean", "description": "Featured by the library's editors."}),
    _Field("published_at", _l("Published at"), _string("When the case was published (UTC).", format="date-time")),
    _Field("url", _l("Public page"), _string("The case's page in the public library.", format="uri")),
    _Field("photos", _l("Photos"), {
        "type": "array",
        "items": {"type": "string", "format": "uri"},
        "description": "Photo URLs.",
    }),
)
FIELDS: tuple[str, ...] = tuple(field.name for field in _FIELDS)


# --- records ------------------------------------------------------------------


def case_record(case: LibraryCase, *, url: str, photo_urls: list[str]) -> dict:
    """The public record of ``case``: exactly the keys of :data:`FIELDS`.

    Labels (domain, technologies) are in the current language; ``url`` is
    the case's public page and ``photo_urls`` its photos, both built by the
    caller (the stored photo keys are internal and never exported).
    """
    domain = Domain(case.domain)
    tags = list(case.tech_tags or ())
    city = CITIES.get(case.city_code)
    return {
        "id": case.entry_id,
        "year": case.year,
        "title": case.title,
        "organisation": case.organisation_name,
        "city_code": case.city_code,
        "city": city[0] if city else case.city_code,
        "domain": domain.value,
        "domain_label": str(domain.label),
        "tech_tags": tags,
        "tech_labels": [str(technology_label(tag)) for tag in tags],
        "summary": case.shown_summary,
        "problem": case.problem,
        "solution": case.solution,
        "deployment_scale": case.deployment_scale,
        "outcomes": [{key: outcome.get(key) for key in _OUTCOME_KEYS} for outcome in case.outcomes or ()],
        "rank": case.rank,
        "score": case.score,
        "featured": bool(case.featured),
        "published_at": iso_utc(case.published_at),
        "url": url,
        "photos": list(photo_urls),
    }


def iso_utc(value: datetime) -> str:
    """``value`` as ISO 8601 in UTC with a ``Z``, to the second."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given for a UTC timestamp")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- JSON -----------------------------------------------------------------------


def page_count(total: int, per_page: int) -> int:
    """Pages needed for ``total`` records. Nothing to show is one empty page,
    so page 1 always exists and the ``last`` link always answers."""
    if per_page < 1 or total < 0:
        raise ValueError("per_page must be at least 1 and total not negative")
    return max(1, -(-total // per_page))


def page_document(
    records: list[dict], *, page: int, per_page: int, total: int, links: dict[str, str | None]
) -> dict:
    """One page of the JSON download: ``data`` (the records), ``meta``
    (paging, see :func:`page_count`, and the licence) and ``links`` (the
    caller's self/next/prev/first/last URLs, None where there is no page)."""
    if page < 1:
        raise ValueError("page must be at least 1")
    return {
        "data": records,
        "meta": {
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": page_count(total, per_page),
            "licence": LICENCE_ID,
            "licence_url": LICENCE_URL,
        },
        "links": dict(links),
    }


# --- CSV ------------------------------------------------------------------------


def cases_csv(records: Iterable[dict]) -> bytes:
    """``records`` as UTF-8 CSV with a byte order mark.

    Columns in :data:`FIELDS` order, titled in the current language; lists
    joined with :data:`LIST_SEPARATOR`, each outcome written as
    ``metric: before → after unit`` (:data:`NO_VALUE` for no "before"),
    ``featured`` as ``true``/``false``, None as an empty cell, numbers as
    numbers, and text that a spreadsheet would run as a formula prefixed
    with a single quote.
    """
    return csv_bytes([str(field.title) for field in _FIELDS], (_csv_cells(record) for record in records))


def _csv_cells(record: dict) -> list:
    cells = []
    for name in FIELDS:
        value = record[name]
        if name == "outcomes":
            value = LIST_SEPARATOR.join(_outcome_text(outcome) for outcome in value)
        elif isinstance(value, list):
            value = LIST_SEPARATOR.join(value)
        elif isinstance(value, bool):
            value = CSV_TRUE if value else CSV_FALSE
        cells.append(None if value == "" else neutralise(value))
    return cells


def _outcome_text(outcome: dict) -> str:
    before, after = _number_text(outcome.get("before")), _number_text(outcome.get("after"))
    return f"{outcome.get('metric') or ''}: {before} → {after} {outcome.get('unit') or ''}".strip()


def _number_text(value) -> str:
    """A figure as plain text: no locale grouping, a whole float without ``.0``."""
    if value is None:
        return NO_VALUE
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- OpenAPI --------------------------------------------------------------------


def openapi_document(*, base_url: str, title: str, description: str) -> dict:
    """The OpenAPI 3.1.0 description of the JSON and CSV downloads, with the
    schema of a case, the paging envelope and the error body (400 on a bad
    query parameter). ``title`` and ``description`` are the caller's, in the
    request's language; the rest is fixed English."""
    filters = ["q", "domain", "city", "tag", "year", "sort"]
    errors = {
        "400": {
            "description": "A query parameter is not valid.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": str(title),
            "description": str(description),
            "version": API_VERSION,
            "license": {"name": LICENCE_NAME, "identifier": LICENCE_ID},
        },
        "servers": [{"url": base_url}],
        "paths": {
            JSON_PATH: {
                "get": {
                    "operationId": "listCases",
                    "summary": "Published cases, one page at a time",
                    "parameters": _refs([*filters, "page", "per_page"]),
                    "responses": {
                        "200": {
                            "description": "One page of published cases.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CasePage"}}},
                        },
                        **errors,
                    },
                }
            },
            CSV_PATH: {
                "get": {
                    "operationId": "downloadCasesCsv",
                    "summary": "All matching published cases as CSV",
                    "parameters": _refs(filters),
                    "responses": {
                        "200": {
                            "description": (
                                "UTF-8 CSV with a byte order mark. One column per property of Case, in its "
                                "order, titled in the language of the request. List items are joined with "
                                f"\"{LIST_SEPARATOR}\"; an outcome is written \"metric: before → after unit\" "
                                f"(\"{NO_VALUE}\" when there was no value before); featured is true or false; "
                                "an empty cell is null. Text that would start a spreadsheet formula "
                                "(=, +, -, @) is prefixed with a single quote."
                            ),
                            "content": {"text/csv": {"schema": {"type": "string"}}},
                        },
                        **errors,
                    },
                }
            },
        },
        # Copies: the caller may change the document without changing this module.
        "components": deepcopy({"parameters": _parameters(), "schemas": _schemas()}),
    }


def _refs(names: list[str]) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _parameters() -> dict:
    return {
        "q": _query("q", "Words to find in titles, summaries, organisations and technology names: every "
                         "word must occur (case-insensitive substring, Chinese or English). Only the first "
                         f"{MAX_QUERY} characters are used.", {"type": "string"}),
        "domain": _query("domain", "Only cases of this domain.",
                         {"type": "string", "enum": [domain.value for domain in Domain]}),
        "city": _query("city", "Only cases of this city (GB/T 2260 code).",
                       {"type": "string", "enum": list(CITIES)}),
        "tag": _query("tag", "Only cases using this AI technology.",
                      {"type": "string", "enum": [technology.value for technology in Technology]}),
        "year": _query("year", "Only cases of this year's call.", {"type": "integer", "minimum": 2000, "maximum": 2100}),
        "sort": _query("sort", "Order: rank (best first), newest (latest published first) or title.",
                       {"type": "string", "enum": list(SORTS), "default": SORTS[0]}),
        "page": _query("page", "Page number.", {"type": "integer", "minimum": 1, "default": 1}),
        "per_page": _query("per_page", "Cases per page.", {
            "type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE,
        }),
    }


def _schemas() -> dict:
    link = {"type": "string", "format": "uri"}
    return {
        "Case": {
            "type": "object",
            "description": "A published scenario as the public library shows it.",
            "properties": {field.name: field.schema for field in _FIELDS},
            "required": list(FIELDS),
            "additionalProperties": False,
        },
        "Outcome": _OUTCOME_SCHEMA,
        "CasePage": {
            "type": "object",
            "properties": {
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
                "meta": {
                    "type": "object",
                    "properties": {
                        "page": {"type": "integer", "minimum": 1},
                        "per_page": {"type": "integer", "minimum": 1},
                        "total": {"type": "integer", "minimum": 0, "description": "Matching cases."},
                        "pages": {"type": "integer", "minimum": 1, "description": "At least 1 (an empty page)."},
                        "licence": {"type": "string", "const": LICENCE_ID},
                        "licence_url": {"type": "string", "format": "uri", "const": LICENCE_URL},
                    },
                    "required": ["page", "per_page", "total", "pages", "licence", "licence_url"],
                },
                "links": {
                    "type": "object",
                    "properties": {
                        "self": link,
                        "first": link,
                        "last": link,
                        "next": {"type": ["string", "null"], "format": "uri"},
                        "prev": {"type": ["string", "null"], "format": "uri"},
                    },
                    "required": ["self", "first", "last", "next", "prev"],
                },
            },
            "required": ["data", "meta", "links"],
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "field": {"type": ["string", "null"], "description": "The query parameter at fault."},
                    },
                    "required": ["message", "field"],
                }
            },
            "required": ["error"],
        },
    }
