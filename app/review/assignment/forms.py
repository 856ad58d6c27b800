"""Forms of the chair's assignment pages."""
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from app.forms import NumberField, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import SEED_RANGE, Bounds, coerce_id
from app.review.assignment.services import MAX_PER_ENTRY, REASON_MAX


class RunForm(FlaskForm):
    """The automatic assignment: a full run, or a top-up of entries in review."""

    per_entry = NumberField(_l("Experts per entry"), validators=[InputRequired()], bounds=Bounds(1, MAX_PER_ENTRY, whole=True))
    seed = NumberField(
        _l("Seed"),
        default=0,
        description=_l("The same seed gives the same assignment; another seed breaks ties differently."),
        validators=[InputRequired()],
        bounds=Bounds(*SEED_RANGE, whole=True),
    )
    run = SubmitField(_l("Assign experts"))
    top_up = SubmitField(_l("Top up entries in review"))


def _reason_field(description):
    return TextAreaField(
        _l("Reason"),
        description=description,
        filters=[strip],
        validators=[InputRequired(message=_l("Give a reason: it is kept in the entry's history.")), Length(max=REASON_MAX)],
        render_kw={"maxlength": REASON_MAX, "rows": 2},
    )


class AddExpertForm(FlaskForm):
    """Add an expert to an entry by hand. The choices are the entry's panel
    experts; the service decides (and explains) who may not be added."""

    expert_id = SelectField(
        _l("Expert"), coerce=coerce_id, validate_choice=False,
        validators=[InputRequired(message=_l("Choose an expert."))],
    )
    reason = _reason_field(_l("Why this expert is added by hand."))

    def set_options(self, options) -> None:
        self.expert_id.choices = [(option.id, _option_label(option)) for option in options if option.problem is None]


def _option_label(option):
    """The expert, their panel and load; a cap reached is said (a chair may still add them)."""
    if option.cap is not None and option.load >= option.cap:
        return _l("%(name)s (%(panel)s, %(load)s entries, at their maximum of %(cap)s)",
                  name=option.name, panel=option.panel_name, load=option.load, cap=option.cap)
    return _l("%(name)s (%(panel)s, %(load)s entries)", name=option.name, panel=option.panel_name, load=option.load)


class RemoveExpertForm(FlaskForm):
    reason = _reason_field(_l("Why the expert is taken off this entry; the automatic assignment will not give it back to them."))
