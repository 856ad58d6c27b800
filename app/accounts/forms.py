"""Account forms, and the account fields other areas reuse: a new password
checked against the policy, and the unified social credit code."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.accounts.credit_code import CreditCodeError, normalise_credit_code
from app.accounts.passwords import password_problem
from app.accounts.services import password_policy, password_words
from app.forms import name_field, single_line, strip, validate_phone
from app.i18n import lazy_gettext as _l
from app.reference import CITIES


def new_password_fields():
    """A password and its confirmation (checked by :class:`NewPasswordForm`)."""
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=128)],
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


class NewPasswordForm(FlaskForm):
    """A form that sets a password: the policy's rules under the field, and
    the password checked against them, with the words it must not contain
    (the email's local part, names) of ``user`` or of the form itself."""

    password, confirm = new_password_fields()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.password.description = password_policy().describe()

    def words(self) -> list[str]:
        return password_words(email=self.user.email, user=self.user) if self.user is not None else []

    def validate_password(self, field) -> None:
        problem = password_problem(field.data or "", policy=password_policy(), words=self.words())
        if problem is not None:
            raise ValidationError(problem)


class RegistrationForm(NewPasswordForm):
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.city.choices = [("", _l("Choose a city"))] + [(code, label) for code, (_zh, label) in CITIES.items()]

    def words(self) -> list[str]:
        return password_words(email=self.email.data or "", names=(self.contact_name.data, self.organisation_name.data))


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"})


class ForgotPasswordForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(NewPasswordForm):
    pass


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )


class AcceptInvitationForm(NewPasswordForm):
    name = name_field()
    phone = StringField(_l("Phone"), validators=[Length(max=30), validate_phone])

    def words(self) -> list[str]:
        return password_words(email=self.user.email, names=(self.name.data,))


class OneTimeCodeForm(FlaskForm):
    """The code of the authenticator app (or, at login, a recovery code)."""

    code = StringField(
        _l("Code"), filters=[strip], validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
                   "autocapitalize": "off"},
    )


class LoginCodeForm(OneTimeCodeForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"), filters=[strip],
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off", "autofocus": True},
    )


class ConfirmPasswordForm(FlaskForm):
    """The account's password again, before a change to how it logs in."""

    password = PasswordField(_l("Your password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"})
