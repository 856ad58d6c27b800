"""The chair's defence forms: one entry's session, and filling a room.

Times are typed in the site's local time (``TIMEZONE``, Beijing time) like a
call's phases, and stored in UTC.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.calls.forms import DATETIME_LOCAL
from app.enums import Domain
from app.forms import NumberField, limit_attributes, single_line, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds
from app.review.defence.services import BREAK_RANGE, DURATION_RANGE, LINK_MAX, NOTE_MAX, ROOM_MAX


def _local(field, timezone: str) -> datetime:
    return field.data.replace(tzinfo=ZoneInfo(timezone))


def local_value(value: datetime, timezone: str) -> datetime:
    """A stored time as the form shows it (local, to the minute)."""
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, second=0, microsecond=0)


class _PlaceAndTime(FlaskForm):
    room = StringField(_l("Room"), filters=[strip], validators=[Optional(), Length(max=ROOM_MAX), single_line],
                       render_kw={"maxlength": ROOM_MAX})
    video_link = StringField(
        _l("Video link"), filters=[strip], validators=[Optional(), Length(max=LINK_MAX), single_line],
        render_kw={"maxlength": LINK_MAX, "inputmode": "url", "placeholder": "https://"},
        description=_l("An https:// address, for a session by video or as a fallback. Give a room, a link or both."),
    )
    starts_at = DateTimeLocalField(_l("Starts"), format=DATETIME_LOCAL, validators=[InputRequired()])
    duration_minutes = NumberField(_l("Duration (minutes)"), default=20, validators=[InputRequired()],
                                   bounds=Bounds(*DURATION_RANGE, whole=True))

    def start(self, timezone: str) -> datetime:
        return _local(self.starts_at, timezone)


class SlotForm(_PlaceAndTime):
    """One shortlisted entry's session."""

    note = TextAreaField(_l("Note for the applicant"), filters=[strip], validators=[Optional(), Length(max=NOTE_MAX)],
                         render_kw=limit_attributes(NOTE_MAX, rows=2))

    def fill_from(self, slot, timezone: str) -> None:
        self.room.data, self.video_link.data = slot.room, slot.video_link
        self.starts_at.data = local_value(slot.starts_at, timezone)
        self.duration_minutes.data, self.note.data = slot.duration_minutes, slot.note


class FillRoomForm(_PlaceAndTime):
    """Consecutive sessions in one room for the entries without one."""

    domain = SelectField(_l("Domain"), validate_choice=False)
    break_minutes = NumberField(_l("Break between sessions (minutes)"), default=5, validators=[InputRequired()],
                                bounds=Bounds(*BREAK_RANGE, whole=True))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain.choices = [("", _l("All domains"))] + [(domain.value, domain.label) for domain in Domain]

    def chosen_domain(self) -> Domain | None:
        try:
            return Domain(self.domain.data) if self.domain.data else None
        except ValueError:
            return None

    def validate_domain(self, field):
        if field.data and self.chosen_domain() is None:
            raise ValidationError(_l("Choose one of the domains offered."))
