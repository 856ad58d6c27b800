"""The curation forms of the public case library (publicity staff and chairs).

Plain buttons (feature, stop featuring, show again) post ``app.forms.ActionForm``
for their CSRF token.
"""
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.forms import limit_attributes, single_line, strip
from app.i18n import lazy_gettext as _l
from app.library.services import HEADLINE_LIMIT, REASON_LIMIT, SUMMARY_LIMIT


class HideForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for hiding"), filters=[strip],
        validators=[DataRequired(message=_l("Give the reason for hiding this scenario.")),
                    Length(max=REASON_LIMIT, message=_l("The reason is too long (at most %(limit)s characters).",
                                                        limit=REASON_LIMIT))],
        description=_l("Kept with the scenario and in the audit log. The public library stops showing the scenario."),
        render_kw=limit_attributes(REASON_LIMIT, rows=2),
    )


class SummaryForm(FlaskForm):
    text = TextAreaField(
        _l("Public summary"), filters=[strip],
        validators=[Optional(), Length(max=SUMMARY_LIMIT, message=_l(
            "The summary is too long (at most %(limit)s characters).", limit=SUMMARY_LIMIT))],
        description=_l("What the public library shows. Leave it empty, or as submitted, to show the submitted summary."),
        render_kw=limit_attributes(SUMMARY_LIMIT, rows=6),
    )
    save = SubmitField(_l("Save"))
    restore = SubmitField(_l("Restore the submitted summary"))


class HeadlineForm(FlaskForm):
    text = StringField(
        _l("Home page headline"), filters=[strip],
        validators=[Optional(), Length(max=HEADLINE_LIMIT, message=_l(
            "The headline is too long (at most %(limit)s characters).", limit=HEADLINE_LIMIT)), single_line],
        description=_l("Shown at the top of the public library's home page. Empty: no headline."),
        render_kw=limit_attributes(HEADLINE_LIMIT),
    )
