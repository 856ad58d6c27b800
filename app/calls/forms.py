from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app.calls.services import DEFAULT_EXPERTS_PER_ENTRY, EXPERTS_PER_ENTRY_RANGE, QUOTA_RANGE, TARGET_RANGE, YEAR_RANGE
from app.enums import Domain, Phase
from app.forms import NumberField, single_line, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds, NumberError

# What <input type="datetime-local"> sends and expects (minutes precision).
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CallForm(FlaskForm):
    """A call's name, target, review settings, per-domain quotas and phase dates.

    Dates are typed in the call's local time (``TIMEZONE``) and stored in UTC.
    """

    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200), single_line])
    year = NumberField(_l("Year"), validators=[InputRequired()], bounds=Bounds(*YEAR_RANGE, whole=True))
    target_count = NumberField(
        _l("Target number of showcase scenarios"), default=200, validators=[InputRequired()],
        bounds=Bounds(*TARGET_RANGE, whole=True),
    )
    experts_per_entry = NumberField(
        _l("Experts per entry"),
        default=DEFAULT_EXPERTS_PER_ENTRY,
        validators=[InputRequired()],
        bounds=Bounds(*EXPERTS_PER_ENTRY_RANGE, whole=True),
        description=_l("How many experts score each entry: %(low)s to %(high)s.", low=EXPERTS_PER_ENTRY_RANGE[0], high=EXPERTS_PER_ENTRY_RANGE[1]),
    )
    blind_review = BooleanField(
        _l("Blind review: experts do not see the names of the applicant organisations"), default=True
    )
    show_others_scores = BooleanField(
        _l("Experts see the other experts' scores of an entry once they have submitted their own"), default=False
    )

    def review_settings(self) -> dict:
        return {
            "experts_per_entry": self.experts_per_entry.data,
            "blind_review": bool(self.blind_review.data),
            "show_others_scores": bool(self.show_others_scores.data),
        }

    def quota_fields(self):
        return [(domain, self[f"quota_{domain.value}"]) for domain in Domain]

    def phase_fields(self):
        return [(phase, self[f"{phase.value}_starts"], self[f"{phase.value}_ends"]) for phase in Phase]

    def quotas(self) -> dict[Domain, int]:
        return {domain: field.data for domain, field in self.quota_fields()}

    def schedule(self, timezone: str) -> dict[Phase, tuple[datetime, datetime]]:
        zone = ZoneInfo(timezone)
        return {
            phase: (starts.data.replace(tzinfo=zone), ends.data.replace(tzinfo=zone))
            for phase, starts, ends in self.phase_fields()
        }

    def prefill(self, args) -> None:
        """Start a new call from suggested values in ``args`` (the programme
        page's link): its target and per-domain quotas; values that are not
        whole numbers in range are ignored."""
        fields = [self.target_count] + [field for _domain, field in self.quota_fields()]
        for field in fields:
            try:
                value = field.bounds.parse(args.get(field.name))
            except NumberError:
                continue
            if value is not None:
                field.data = value

    def fill_from(self, call, timezone: str) -> None:
        """Show an existing call's values (dates in local time)."""
        zone = ZoneInfo(timezone)
        self.name.data, self.year.data, self.target_count.data = call.name, call.year, call.target_count
        self.experts_per_entry.data = call.experts_per_entry
        self.blind_review.data, self.show_others_scores.data = call.blind_review, call.show_others_scores
        for domain, field in self.quota_fields():
            field.data = call.quota_for(domain)
        for phase, starts, ends in self.phase_fields():
            window = call.phase_window(phase)
            if window is not None:
                starts.data = window.starts_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
                ends.data = window.ends_at.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


for _domain in Domain:
    setattr(
        CallForm,
        f"quota_{_domain.value}",
        NumberField(_domain.label, default=25, validators=[InputRequired()], bounds=Bounds(*QUOTA_RANGE, whole=True)),
    )
for _phase in Phase:
    setattr(CallForm, f"{_phase.value}_starts", DateTimeLocalField(_l("Starts"), format=DATETIME_LOCAL, validators=[InputRequired()]))
    setattr(CallForm, f"{_phase.value}_ends", DateTimeLocalField(_l("Ends"), format=DATETIME_LOCAL, validators=[InputRequired()]))
