"""The expert's forms: the conflict declaration and the score sheet.

The score sheet's fields depend on the frozen rubric, so the form carries only
the CSRF token and the version; :func:`sheet_values` reads the rubric's fields
from the posted data and the services validate them.
"""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import strip
from app.i18n import lazy_gettext as _l
from app.input_rules import parse_id

CONFLICT_REASON_MAX = 1000


class NoConflictForm(FlaskForm):
    confirm = BooleanField(
        _l("I declare that I have no conflict of interest with this entry."),
        validators=[DataRequired(message=_l("Tick the declaration to open the score sheet."))],
    )


class ConflictForm(FlaskForm):
    reason = TextAreaField(
        _l("What is the conflict of interest?"),
        description=_l("For example: I advised this organisation last year. The chair sees the reason; the applicant does not."),
        filters=[strip],
        validators=[DataRequired(message=_l("Say briefly what the conflict of interest is.")), Length(max=CONFLICT_REASON_MAX)],
        render_kw={"maxlength": CONFLICT_REASON_MAX, "rows": 3},
    )


class SheetForm(FlaskForm):
    """The sheet's CSRF token and the version it was loaded with."""

    # Required: without it two tabs could overwrite each other's scores.
    version = HiddenField(validators=[DataRequired()])

    def validate_version(self, field) -> None:
        if parse_id(field.data) is None:
            raise ValidationError(_l("The form is out of date. Please reload the page."))

    def version_number(self) -> int | None:
        return parse_id(self.version.data)


def _yes_no(raw: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(raw or "")


def sheet_values(formdata, rubric: dict) -> dict:
    """The keyword arguments of ``sheets.save_draft`` from the posted fields.

    Only fields that were posted are included, so a post with no fields
    (a bare "submit") changes nothing.
    """
    scores, comments, vetoes = {}, {}, {}
    for criterion in rubric["criteria"]:
        key = criterion["key"]
        if f"score-{key}" in formdata:
            scores[key] = formdata.get(f"score-{key}", "")
        if f"comment-{key}" in formdata:
            comments[key] = formdata.get(f"comment-{key}", "")
    for veto in rubric.get("vetoes", []):
        if f"veto-{veto['key']}" in formdata:
            vetoes[veto["key"]] = _yes_no(formdata.get(f"veto-{veto['key']}"))
    comment = formdata.get("comment") if "comment" in formdata else None
    return {"scores": scores, "comments": comments, "comment": comment, "vetoes": vetoes}
