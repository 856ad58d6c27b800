"""The chair's forms for review rounds: round 2's settings, a shortlist
decision with its reason, and the panel of a later round."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.forms import CheckboxesField, NumberField, single_line, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds, coerce_id
from app.review.rounds.services import (
    BASIS_LABELS,
    COMBINATION_LABELS,
    KIND_LABELS,
    MAX_SHORTLIST,
    NAME_MAX,
    RoundSettings,
)
from app.review.rounds.shortlist import REASON_MAX

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class RoundForm(FlaskForm):
    """Round 2 of a call, with round 1's name and weight beside it."""

    first_name = StringField(_l("Name of round 1"), default=lambda: str(_l("Online review")), filters=[strip],
                             validators=[DataRequired(), Length(max=NAME_MAX), single_line])
    first_weight = NumberField(_l("Weight of round 1 (%)"), default=40, validators=[InputRequired()],
                               bounds=Bounds(0, 100))
    name = StringField(_l("Name of round 2"), default=lambda: str(_l("On-site defence")), filters=[strip],
                       validators=[DataRequired(), Length(max=NAME_MAX), single_line])
    kind = RadioField(_l("Kind of round 2"), default="defence",
                      validators=[InputRequired()])
    weight = NumberField(_l("Weight of round 2 (%)"), default=60, validators=[InputRequired()], bounds=Bounds(0, 100),
                         description=_l("The weights of all rounds add up to 100."))
    starts_at = DateTimeLocalField(_l("Round 2 starts"), format=DATETIME_LOCAL, validators=[Optional()],
                                   description=_l("Empty: with the review phase."))
    ends_at = DateTimeLocalField(_l("Round 2 ends"), format=DATETIME_LOCAL, validators=[Optional()],
                                 description=_l("Empty: with the review phase."))
    shortlist_basis = RadioField(_l("The shortlist takes"), default="per_domain",
                                 validators=[InputRequired()])
    shortlist_size = NumberField(_l("How many"), default=5, validators=[InputRequired()],
                                 bounds=Bounds(1, MAX_SHORTLIST, whole=True),
                                 description=_l("Per domain, or for the whole call, as chosen above."))
    shortlist_borderline = BooleanField(_l("Also take the borderline entries just below the line"), default=True)
    combination = RadioField(_l("The final ranking of the shortlist"), default="weighted",
                             validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = list(KIND_LABELS.items())
        self.shortlist_basis.choices = list(BASIS_LABELS.items())
        self.combination.choices = list(COMBINATION_LABELS.items())

    def settings(self, timezone: str) -> RoundSettings:
        zone = ZoneInfo(timezone)

        def aware(value: datetime | None) -> datetime | None:
            return value.replace(tzinfo=zone) if value else None

        return RoundSettings(
            first_name=self.first_name.data, first_weight=float(self.first_weight.data), name=self.name.data,
            kind=self.kind.data, weight=float(self.weight.data), starts_at=aware(self.starts_at.data),
            ends_at=aware(self.ends_at.data), shortlist_basis=self.shortlist_basis.data,
            shortlist_size=int(self.shortlist_size.data), shortlist_borderline=bool(self.shortlist_borderline.data),
            combination=self.combination.data,
        )

    def fill_from(self, call, first, second, timezone: str) -> None:
        """Show the call's rounds (dates in local time)."""
        zone = ZoneInfo(timezone)

        def local(value):
            return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0) if value else None

        self.first_name.data, self.first_weight.data = first.name, first.weight
        self.name.data, self.kind.data, self.weight.data = second.name, second.kind, second.weight
        self.starts_at.data, self.ends_at.data = local(second.starts_at), local(second.ends_at)
        self.shortlist_basis.data, self.shortlist_size.data = second.shortlist_basis, second.shortlist_size
        self.shortlist_borderline.data, self.combination.data = second.shortlist_borderline, call.round_combination


class ShortlistDecisionForm(FlaskForm):
    """Add an entry to the shortlist or take it off, with a reason."""

    entry_id = HiddenField(validators=[InputRequired()])
    include = HiddenField(validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "data-limit": REASON_MAX})

    def chosen_entry(self) -> int | None:
        try:
            return coerce_id(self.entry_id.data)
        except ValueError:
            return None


class PanelForm(FlaskForm):
    """The experts of a later round's panel."""

    expert_ids = CheckboxesField(_l("Experts"), coerce=coerce_id, validate_choice=True)

    def set_experts(self, experts) -> None:
        self.expert_ids.choices = [(user.id, f"{user.name} <{user.email}>") for user in experts]

