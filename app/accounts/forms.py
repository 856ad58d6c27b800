"""Account forms, and the account fields other areas reuse: a new password
with its strength check, and the unified social credit code."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.accounts.credit_code import CreditCodeError, normalise_credit_code
from app.accounts.services import check_password_strength
from app.errors import DomainError
from app.forms import name_field, single_line, strip, validate_phone
from app.i18n import lazy_gettext as _l
from app.reference import CITIES


def validate_password_strength(_form, field) -> None:
    try:
        check_password_strength(field.data or "")
    except DomainError as error:
        raise ValidationError(error.message) from None


def new_password_fields():
    """A password and its confirmation, for registration, reset and invitation."""
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=128), validate_password_strength],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def validate_credit_code(_form, field) -> None:
    """An optional unified social credit code, normalised when valid."""
    if field.data:
        try:
            field.data = normalise_credit_code(field.data)
        except CreditCodeError as error:
            raise ValidationError(error.message) from None


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
