from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.enums import Phase
from app.forms import single_line, strip
from app.reference import Domain

# What <input type="datetime-local"> sends and expects (minutes precision).
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CallForm(FlaskForm):
    """A call's name, target, per-domain quotas and phase dates.

    Dates are typed in the call's local time (``TIMEZONE``) and stored in UTC.
    """

    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=200), single_line])
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    target_count = IntegerField(
        _l("Target number of showcase scenarios"), default=200, validators=[InputRequired(), NumberRange(min=1, max=10000)]
    )

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

    def fill_from(self, call, timezone: str) -> None:
        """Show an existing call's values (dates in local time)."""
        zone = ZoneInfo(timezone)
        self.name.data, self.year.data, self.target_count.data = call.name, call.year, call.target_count
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
        IntegerField(_domain.label, default=25, validators=[InputRequired(), NumberRange(min=0, max=10000)]),
    )
for _phase in Phase:
    setattr(CallForm, f"{_phase.value}_starts", DateTimeLocalField(_l("Starts"), format=DATETIME_LOCAL, validators=[InputRequired()]))
    setattr(CallForm, f"{_phase.value}_ends", DateTimeLocalField(_l("Ends"), format=DATETIME_LOCAL, validators=[InputRequired()]))
