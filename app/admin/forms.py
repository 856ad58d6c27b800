from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.audit.labels import action_label
from app.audit.services import AuditFilters
from app.enums import STAFF_ROLES
from app.forms import CheckboxesField, NumberField, name_field, single_line, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds
from app.site.services import ICP_PATTERN, POLICE_PATTERN, PROGRAMME_TARGET_RANGE


class RolesField(CheckboxesField):
    """Staff roles as a list of checkboxes."""

    def __init__(self, label=None, **kwargs):
        super().__init__(label, validators=[DataRequired(message=_l("Choose at least one role."))], **kwargs)
        self.choices = [(role.value, role.label) for role in STAFF_ROLES]


class InviteForm(FlaskForm):
    email = StringField(
        _l("Email"), filters=[strip], validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email address."))]
    )
    name = name_field()
    roles = RolesField(_l("Roles"))


class StaffForm(FlaskForm):
    roles = RolesField(_l("Roles"))
    active = BooleanField(_l("Account may log in"))


class MembershipDecisionForm(FlaskForm):
    """A chair's decision on an applicant's membership; declining or removing needs a reason."""

    reason = TextAreaField(_l("Reason"), filters=[strip], validators=[Length(max=500)])

    def __init__(self, *args, decision: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision = decision

    def validate_reason(self, field):
        if self.decision in {"remove", "decline"} and not field.data:
            raise ValidationError(_l("Give a reason: the applicant is told it."))


class SiteSettingsForm(FlaskForm):
    """The site's name and the filing numbers shown in every page's footer."""

    site_name = StringField(
        _l("Site name"), filters=[strip], validators=[DataRequired(), Length(max=60), single_line],
        description=_l("Shown in the header and in every page's title."),
    )
    icp_number = StringField(
        _l("ICP filing number (ICP备案号)"), filters=[strip],
        validators=[Optional(), Length(max=40), Regexp(ICP_PATTERN, message=_l("Write it as on the filing, e.g. 粤ICP备12345678号-1."))],
        description=_l("E.g. 粤ICP备12345678号-1; shown in the footer with a link to the MIIT filing system. Leave empty to hide it."),
    )
    police_number = StringField(
        _l("Public security filing number (公安备案号)"), filters=[strip],
        validators=[Optional(), Length(max=40),
                    Regexp(POLICE_PATTERN, message=_l("Write it as on the filing, e.g. 粤公网安备44010602000001号."))],
        description=_l("E.g. 粤公网安备44010602000001号; shown in the footer with a link to its record at the "
                       "Ministry of Public Security. Leave empty to hide it."),
    )
    programme_target = NumberField(
        _l("Programme target (showcase scenarios over all calls)"), validators=[Optional()],
        bounds=Bounds(*PROGRAMME_TARGET_RANGE, whole=True),
        description=_l("The programme page and the case library measure the selected scenarios of every call "
                       "against it."),
    )


class AuditFilterForm(FlaskForm):
    """The audit log's filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    actor = StringField(_l("Who"), filters=[strip], validators=[Optional(), Length(max=254)],
                        render_kw={"placeholder": _l("Email, or “system”")})
    object_type = SelectField(_l("Object"), validators=[Optional()])
    since = DateField(_l("From date"), validators=[Optional()])
    until = DateField(_l("Until date"), validators=[Optional()])

    def __init__(self, *args, actions=(), object_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("All actions"))] + [(action, action_label(action)) for action in actions]
        self.object_type.choices = [("", _l("All objects"))] + [(name, name) for name in object_types]

    def filters(self, *, zone: ZoneInfo) -> AuditFilters:
        """The filters the form holds (invalid values ignored); dates are whole days in ``zone``."""
        def start(day):
            return datetime.combine(day, time(), tzinfo=zone) if day else None

        return AuditFilters(
            action=self.action.data or None if not self.action.errors else None,
            actor=self.actor.data or None,
            object_type=self.object_type.data or None if not self.object_type.errors else None,
            since=start(self.since.data) if not self.since.errors else None,
            until=start(self.until.data + timedelta(days=1)) if self.until.data and not self.until.errors else None,
        )

    def query_args(self) -> dict:
        """The filters as query arguments (for the pager and the export link)."""
        return {name: self.data[name].isoformat() if hasattr(self.data[name], "isoformat") else self.data[name]
                for name in ("action", "actor", "object_type", "since", "until") if self.data[name]}
