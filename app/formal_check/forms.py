"""The table's filters (from the query string) and the formal check decision forms."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.calls.forms import DATETIME_LOCAL
from app.entries.states import DECISIONS
from app.enums import Domain, EntryStatus
from app.formal_check.services import IDENTITY_FILTERS, MAX_SELECTION, SORTS, EntryFilters, decisions_from
from app.forms import strip
from app.i18n import in_brackets, timezone_name
from app.i18n import lazy_gettext as _l
from app.input_rules import coerce_id
from app.reference import CITIES

REASON_MAX = 1000
SEARCH_MAX = 100


def _member(enum_class, value):
    """The enum member with this value, or None for an empty or unknown one."""
    try:
        return enum_class(value) if value else None
    except ValueError:
        return None


class TableFilterForm(FlaskForm):
    """The table's filters and sort order, read from the query string (GET, no CSRF).

    Unknown values are ignored rather than refused: a stale bookmark still
    opens the table.
    """

    class Meta:
        csrf = False

    call = SelectField(_l("Call"), coerce=str, validate_choice=False)
    domain = SelectField(
        _l("Domain"),
        choices=[SelectChoice("", _l("All domains"))] + [SelectChoice(d.value, d.label) for d in Domain],
        validate_choice=False,
    )
    city = SelectField(
        _l("City"),
        choices=[SelectChoice("", _l("All cities"))] + [SelectChoice(code, label) for code, (_zh, label) in CITIES.items()],
        validate_choice=False,
    )
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All statuses"))] + [SelectChoice(s.value, s.label) for s in EntryStatus],
        validate_choice=False,
    )
    organisation = StringField(_l("Organisation name"), filters=[strip], render_kw={"maxlength": SEARCH_MAX})
    q = StringField(_l("Title, summary or organisation"), filters=[strip], render_kw={"maxlength": SEARCH_MAX})
    # Shown for blind calls only (the identity check of entries/blind.py).
    identity = SelectField(
        _l("Organisation named"),
        choices=[SelectChoice("", _l("All entries")), SelectChoice("named", _l("Names its organisation")),
                 SelectChoice("clear", _l("No mention found"))],
        validate_choice=False,
    )
    sort = HiddenField(default="submitted")
    order = HiddenField(default="asc")

    def set_calls(self, calls) -> None:
        self.call.choices = [SelectChoice(str(call.id), f"{call.name}{in_brackets(call.year)}") for call in calls]

    def selected_call(self, calls):
        """The call asked for in the query string, if it exists."""
        return next((call for call in calls if str(call.id) == self.call.data), None)

    def filters(self) -> EntryFilters:
        city = self.city.data if self.city.data in CITIES else None
        return EntryFilters(
            domain=_member(Domain, self.domain.data),
            city_code=city,
            status=_member(EntryStatus, self.status.data),
            organisation=(self.organisation.data or "")[:SEARCH_MAX],
            text=(self.q.data or "")[:SEARCH_MAX],
            identity=self.identity.data if self.identity.data in IDENTITY_FILTERS else "",
            sort=self.sort.data if self.sort.data in SORTS else "submitted",
            descending=self.order.data == "desc",
        )


class DecisionForm(FlaskForm):
    """The formal check of one entry: eligible, returned for revision (a
    reason and a resubmission deadline) or ineligible (a reason).

    The deadline is typed in local time (``TIMEZONE``) and stored in UTC.
    Whether a reason and a deadline are needed is checked by the transition,
    which knows the phase dates too.
    """

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice(status.value, status.label) for status in DECISIONS],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Needed to return an entry or to declare it ineligible. The applicant sees it."),
        filters=[strip],
        validators=[Length(max=REASON_MAX)],
        render_kw={"maxlength": REASON_MAX, "rows": 3},
    )
    revision_deadline = DateTimeLocalField(
        _l("Resubmission deadline"), format=[DATETIME_LOCAL, DATETIME_LOCAL + ":%S"], validators=[Optional()]
    )
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.revision_deadline.description = _l(
            "Only for returning an entry: until when the applicant may resubmit it (%(zone)s).",
            zone=timezone_name(current_app.config["TIMEZONE"]),
        )

    def target(self) -> EntryStatus:
        return EntryStatus(self.decision.data)

    def deadline(self, zone: str) -> datetime | None:
        """The deadline in UTC (typed in ``zone``), or None."""
        if self.revision_deadline.data is None:
            return None
        return self.revision_deadline.data.replace(tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)

    def options_for(self, entry) -> list:
        """The radio buttons of the decisions ``entry`` can take from its status."""
        allowed = {status.value for status in decisions_from(entry.status)}
        return [option for option in self.decision if option.data in allowed]


class EntryIdsField(Field):
    """The ids of the checked table rows (many inputs with one name)."""

    def process_formdata(self, valuelist):
        try:
            self.data = [coerce_id(value) for value in valuelist]
        except ValueError:
            self.data = []
            raise ValueError(_l("The selection could not be read. Please select the entries again.")) from None


class BulkDecisionForm(DecisionForm):
    """One decision for the entries checked in the table, all or nothing."""

    entry_ids = EntryIdsField(default=list)

    def validate_entry_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Select at least one entry."))
        if len(set(field.data)) > MAX_SELECTION:
            raise ValidationError(_l("Select at most %(count)s entries at a time.", count=MAX_SELECTION))

