"""The public case library: home, browsing and search, a page per scenario,
photos, and open data. No login; only what published snapshots put in the
library (``LibraryCase``) and is not hidden is ever shown.

The scenario's URL, ``/library/<year>/<entry id>``, is printed as a QR code
in the brochure: it must stay stable.
"""
from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.db import db
from app.enums import Domain, Technology
from app.library import opendata, search
from app.library.caching import conditional
from app.library.citymap import city_tile_map
from app.library.search import filter_messages
from app.library.services import headline
from app.models import LibraryCase
from app.programme.services import programme_progress
from app.reference import CITIES
from app.site.services import load_settings
from app.web import BadQuery, query_page, send_blob

bp = Blueprint("library", __name__, url_prefix="/library")

FEATURED = 6
PER_PAGE = 12


def case_url(case: LibraryCase, *, external: bool = False) -> str:
    return url_for("library.case", year=case.year, entry_id=case.entry_id, _external=external)


def photo_url(case: LibraryCase, photo: dict, *, size: str = "display", external: bool = False) -> str:
    return url_for("library.photo", entry_id=case.entry_id, photo_id=photo["id"], size=size, _external=external)


@bp.route("/")
@conditional
def home():
    by_domain = search.counts_by(db.session, LibraryCase.domain)
    by_city = search.counts_by(db.session, LibraryCase.city_code)
    featured = search.featured_cases(db.session, limit=FEATURED)
    latest = search.latest_call(db.session)
    city_map = city_tile_map(by_city, link=lambda code: url_for("library.cases", city=code),
                             title=_("Published scenarios by city"))
    return render_template(
        "library/home.html", headline=headline(db.session), total=sum(by_domain.values()),
        domains=[(domain, by_domain.get(domain.value, 0)) for domain in Domain], cities=len(by_city),
        featured=featured, latest=latest, city_map=city_map,
        programme=programme_progress(db.session, target=load_settings(db.session).programme_target),
    )


@bp.route("/cases")
@conditional
def cases():
    filters, problems = search.Filters.parse(request.args)
    found = search.find(db.session, filters, page=query_page(), per_page=PER_PAGE)
    return render_template(
        "library/cases.html", filters=filters, found=found, problems=filter_messages(problems),
        domains=list(Domain), cities=sorted(CITIES), technologies=list(Technology), years=search.years(db.session),
        sorts=[("rank", _("Rank")), ("newest", _("Newest")), ("title", _("Title"))],
    )


@bp.route("/<int:year>/<int:entry_id>")
@conditional
def case(year: int, entry_id: int):
    shown = search.visible_case(db.session, year=year, entry_id=entry_id)
    if shown is None:
        abort(404)
    return render_template("library/case.html", case=shown, url=case_url(shown, external=True),
                           snapshot=search.snapshot_of(db.session, shown))


@bp.route("/photos/<int:entry_id>/<int:photo_id>")
def photo(entry_id: int, photo_id: int):
    """A photo the library shows, in the rendition published with it; nothing else."""
    published = search.visible_photo(db.session, entry_id=entry_id, photo_id=photo_id)
    if published is None:
        abort(404)
    key = published["thumb_key"] if request.args.get("size") == "thumb" else published["display_key"]
    # Public, but revalidated every time: a case may be hidden later.
    return send_blob(key, mimetype="image/jpeg", cache_control="no-cache", sandbox=False)


# --- open data ---------------------------------------------------------------------


def _records(cases: list[LibraryCase]) -> list[dict]:
    return [opendata.case_record(case, url=case_url(case, external=True),
                                 photo_urls=[photo_url(case, p, external=True) for p in case.photos])
            for case in cases]


def _bad_request(problems: dict[str, str]):
    field = next(iter(problems))
    response = jsonify({"error": {"message": filter_messages({field: problems[field]})[0], "field": field}})
    response.status_code = 400
    return response


@bp.route("/data")
@conditional
def data():
    return render_template("library/data.html", fields=opendata.FIELDS, licence_url=opendata.LICENCE_URL,
                           licence_name=opendata.LICENCE_NAME, snapshots=search.published_snapshots(db.session))


@bp.route("/data/cases.json")
@conditional
def cases_json():
    filters, problems = search.Filters.parse(request.args)
    try:
        page = query_page()
    except BadQuery:
        problems["page"] = "number"
    per_page = request.args.get("per_page", opendata.DEFAULT_PER_PAGE, type=int)
    if per_page is None or not 1 <= per_page <= opendata.MAX_PER_PAGE:
        problems["per_page"] = "range"
    if problems:
        return _bad_request(problems)
    # A page past the end is the last page.
    found = search.find(db.session, filters, page=page, per_page=per_page)
    page, pages = found.page, opendata.page_count(found.total, per_page)

    def link(number: int | None) -> str | None:
        if number is None:
            return None
        return url_for("library.cases_json", page=number, per_page=per_page, _external=True, **filters.args())

    links = {"self": link(page), "first": link(1), "last": link(pages),
             "next": link(page + 1 if page < pages else None), "prev": link(page - 1 if page > 1 else None)}
    return jsonify(opendata.page_document(_records(found.cases), page=page, per_page=per_page, total=found.total,
                                          links=links))


@bp.route("/data/cases.csv")
@conditional
def cases_csv():
    filters, problems = search.Filters.parse(request.args)
    if problems:
        return _bad_request(problems)
    found = search.find(db.session, filters, per_page=1_000_000)
    response = make_response(opendata.cases_csv(_records(found.cases)))
    response.mimetype = "text/csv"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=showcase-cases.csv"
    return response


@bp.route("/data/openapi.json")
def openapi():
    return jsonify(opendata.openapi_document(
        base_url=request.url_root.rstrip("/"), title=_("Scenario Showcase open data"),
        description=_("Published AI application scenarios of the showcase case library.")))


@bp.errorhandler(404)
def not_found(error):
    return render_template("library/not_found.html"), 404
