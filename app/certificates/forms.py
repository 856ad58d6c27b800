"""The certificates page's form: the issuing body and the seal image."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from app.certificates.services import ISSUER_MAX
from app.forms import single_line, strip
from app.i18n import lazy_gettext as _l


class CertificateSettingsForm(FlaskForm):
    """What a call's certificates print besides the entry's data."""

    issuer = StringField(
        _l("Issuing body"), filters=[strip], validators=[DataRequired(), Length(max=ISSUER_MAX), single_line],
        description=_l("Printed on every certificate above the date, e.g. 广东省人工智能应用场景征集工作领导小组办公室."),
    )
    seal = FileField(
        _l("Seal image (optional)"), render_kw={"accept": "image/png,image/jpeg"},
        description=_l("A PNG (a transparent background is kept) or JPEG image, printed over the issuing body."),
    )
    remove_seal = BooleanField(_l("Remove the seal image"))
