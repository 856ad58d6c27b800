from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Email, Length

from app.enums import STAFF_ROLES
from app.forms import name_field, strip


class RolesField(SelectMultipleField):
    """Staff roles as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

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
