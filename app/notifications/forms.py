"""The user's mail settings."""
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, widgets

from app.i18n import lazy_gettext as _l
from app.notifications.labels import mutable_kinds


class MailSettingsForm(FlaskForm):
    language = RadioField(_l("Language of my mails"))
    # Ticked: the mail is wanted. The user's list stores the kinds turned off.
    wanted = SelectMultipleField(
        _l("Mails I receive"), widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = list(current_app.config["LANGUAGES"].items())
        self.wanted.choices = [(kind.key, kind.name) for kind in mutable_kinds()]
        if not self.is_submitted():
            self.language.data = user.language or current_app.config["BABEL_DEFAULT_LOCALE"]
            self.wanted.data = [kind.key for kind in mutable_kinds() if kind.key not in (user.muted_mails or [])]

    def muted(self) -> list[str]:
        return [key for key, _label in self.wanted.choices if key not in (self.wanted.data or [])]
