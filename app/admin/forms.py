from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError

from app.enums import STAFF_ROLES
from app.forms import CheckboxesField, name_field, strip
from app.i18n import lazy_gettext as _l


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
