"""Form pieces shared by several areas: the one numeric field every form
uses (:class:`NumberField`), ids, names, phones, tags.

Text needs no filter here: every value a request brings has already passed
``app.input_rules.clean_text`` (``app.web.InputRequest``).
"""
import re

import email_validator
from flask import flash
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from app.enums import Technology
from app.i18n import lazy_gettext as _l
from app.input_rules import ID_BOUNDS, Bounds, NumberError

# Intranet deployments (and the demo accounts) use addresses under ".local",
# which email-validator refuses as a special-use domain by default.
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def strip(value):
    """A WTForms filter: drop surrounding white space (pasted values often have it)."""
    return value.strip() if isinstance(value, str) else value


def limit_attributes(limit: int, *, rows: int | None = None) -> dict:
    """``render_kw`` of a text field with a length limit: the browser enforces it
    and the ``field`` macro's counter shows it (``data-limit``); ``rows`` for a textarea."""
    return {"maxlength": limit, "data-limit": limit} | ({"rows": rows} if rows else {})


def flash_form_errors(form) -> None:
    """Every error of ``form`` as a message on the page the user is sent back to."""
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "danger")


class ActionForm(FlaskForm):
    """An empty form: the CSRF token of a POST-only button."""


def validate_phone(_form, field) -> None:
    value = re.sub(r"[\s()]", "", field.data or "")
    if value and not _PHONE.match(value):
        raise ValidationError(_l("Enter a mainland mobile number (11 digits) or a landline with its area code, e.g. 020-12345678."))
    field.data = value


# Control characters in a one-line value (a name, a phone number) are never
# intended and break mail headers and exports.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def single_line(_form, field) -> None:
    if field.data and _CONTROL.search(field.data):
        raise ValidationError(_l("Line breaks and control characters are not allowed here."))


def name_field(label=None):
    return StringField(label or _l("Full name"), filters=[strip], validators=[DataRequired(), Length(max=100), single_line])


class NumberField(Field):
    """A number within ``bounds`` (:class:`app.input_rules.Bounds`): typed in
    plain decimal notation, finite, in the field's documented range; ``data``
    is an int (``bounds.whole``) or a float, None when left empty (add
    ``InputRequired()`` to require one). Anything else is refused with a
    message that names the field and the range.

    Whole numbers get a number input with the range as ``min``/``max``; other
    numbers a text input with the decimal keypad (a number input would round
    or hide what was typed).
    """

    def __init__(self, label=None, validators=None, *, bounds: Bounds, **kwargs):
        render_kw = kwargs.pop("render_kw", None) or {}
        if bounds.whole:
            kwargs.setdefault("widget", widgets.NumberInput())
            render_kw = {"min": bounds.minimum, "max": bounds.maximum} | render_kw
        else:
            kwargs.setdefault("widget", widgets.TextInput())
            render_kw = {"inputmode": "decimal"} | render_kw
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.bounds = bounds

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        if self.bounds.whole:
            return str(self.data)
        return "%.15g" % self.data

    def process_formdata(self, valuelist) -> None:
        if not valuelist:
            return
        try:
            self.data = self.bounds.parse(valuelist[0])
        except NumberError:
            self.data = None
            raise ValueError(self.bounds.message(self.label.text)) from None


def id_field(label, **kwargs) -> NumberField:
    """A row id typed by hand (an entry number): 1 to ``app.input_rules.MAX_ID``."""
    return NumberField(label, bounds=ID_BOUNDS, **kwargs)


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


_TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")


def free_tags(text: str | None) -> list[str]:
    """Technology tags typed as text (commas, 、 or new lines between them),
    without duplicates and without the fixed vocabulary's own keys."""
    vocabulary = {technology.value for technology in Technology}
    tags = [tag.strip() for tag in _TAG_SEPARATORS.split(text or "") if tag.strip()]
    return list(dict.fromkeys(tag for tag in tags if tag not in vocabulary))
