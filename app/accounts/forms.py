from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from app.forms import (
    name_field,
    new_password_fields,
    single_line,
    strip,
    validate_credit_code,
    validate_phone,
)
from app.i18n import lazy_gettext as _l
from app.reference import CITIES


def _email_field():
    return StringField(
        _l("Email"),
        filters=[strip],
        validators=[DataRequired(), Length(max=254), Email(message=_l("Enter a valid email address."))],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class RegistrationForm(FlaskForm):
    organisation_name = StringField(
        _l("Organisation name"), filters=[strip], validators=[DataRequired(), Length(max=200), single_line]
    )
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), validate_credit_code],
        description=_l("18 characters, as on the business licence."),
        render_kw={"maxlength": 18, "autocapitalize": "characters", "spellcheck": "false"},
    )
    city = SelectField(_l("City"), validators=[DataRequired()])
    contact_name = name_field(_l("Contact person"))
    email = _email_field()
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=30), validate_phone])
    password, confirm = new_password_fields()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.city.choices = [("", _l("Choose a city"))] + [(code, label) for code, (_zh, label) in CITIES.items()]



class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"})


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    password, confirm = new_password_fields()


class AcceptInvitationForm(FlaskForm):
    name = name_field()
    phone = StringField(_l("Phone"), validators=[Length(max=30), validate_phone])
    password, confirm = new_password_fields()
