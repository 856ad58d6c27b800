"""The brochure page's form: what goes into the brochure and how it looks."""
import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    ValidationError,
)

from app.brochure.builds import MAX_PICKED
from app.brochure.options import BuildOptions
from app.forms import NumberField, limit_attributes, single_line, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds, parse_id

LIMITS = {"title": 60, "subtitle": 80, "foreword": 2000, "back_text": 500}
YEAR_RANGE = (2000, 2100)
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def _text(label, name, *, required=False, area=False, description=None):
    validators = [DataRequired() if required else Optional(), Length(max=LIMITS[name])]
    if not area:
        validators.append(single_line)
    field_class = TextAreaField if area else StringField
    return field_class(label, filters=[strip], validators=validators, description=description,
                       render_kw=limit_attributes(LIMITS[name], rows=6 if area else None))


class BrochureForm(FlaskForm):
    picked: tuple[int, ...] | None = None  # the hand-picked entry numbers, once validated

    snapshot = SelectField(_l("Results snapshot"), validate_choice=False,
                           description=_l("The brochure prints this published snapshot's selection."))
    entries = TextAreaField(
        _l("Hand-picked entries (optional)"), filters=[strip], render_kw={"rows": 3},
        description=_l("Entry numbers, separated by commas or new lines, in the order they are to appear. "
                       "Empty: the snapshot's whole selection."),
    )
    order = RadioField(_l("Order"), default="domain", choices=[
        SelectChoice("domain", _l("By domain, then rank")),
        SelectChoice("city", _l("By city")),
    ])
    profile = RadioField(_l("Profile"), default="screen", choices=[
        SelectChoice("screen", _l("Screen: images at 150 dpi, a small file to share")),
        SelectChoice("print", _l("Print: images at 300 dpi, A4 with 3 mm bleed")),
    ])
    title = _text(_l("Brochure title"), "title", required=True)
    subtitle = _text(_l("Subtitle"), "subtitle")
    year = NumberField(_l("Year"), validators=[DataRequired()], bounds=Bounds(*YEAR_RANGE, whole=True))
    foreword = _text(_l("Foreword"), "foreword", area=True)
    back_text = _text(_l("Back cover text"), "back_text", area=True)
    cover = FileField(_l("Cover image (optional)"), render_kw={"accept": "image/jpeg,image/png,image/webp"},
                      description=_l("A JPEG, PNG or WebP photo. Without one, the first scenario's photo is used."))
    remove_cover = BooleanField(_l("Do not use the cover image of the previous build"))

    def set_snapshots(self, snapshots, *, label) -> None:
        """Choices: the call's published snapshots, newest first (``label(run)`` names one)."""
        self.snapshot.choices = [SelectChoice(str(run.id), label(run)) for run in snapshots] or [
            SelectChoice("", _l("No published snapshot yet: hand-pick the entries"))
        ]

    def validate_snapshot(self, field) -> None:
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose one of the published snapshots."))

    def validate_entries(self, field) -> None:
        numbers = []
        for token in _SEPARATORS.split(field.data or ""):
            if not token:
                continue
            number = parse_id(token.removeprefix("#").removeprefix("＃"))
            if number is None:
                raise ValidationError(_l("“%(value)s” is not an entry number.", value=token[:20]))
            numbers.append(number)
        if len(numbers) > MAX_PICKED:
            raise ValidationError(_l("At most %(n)s entries can be hand-picked.", n=MAX_PICKED))
        duplicates = sorted({number for number in numbers if numbers.count(number) > 1})
        if duplicates:
            raise ValidationError(_l("Listed more than once: %(numbers)s.",
                                     numbers="、".join(f"#{number}" for number in duplicates)))
        self.picked = tuple(numbers) or None

    def fill(self, defaults: dict) -> None:
        """Prefill with ``service.default_options`` (the previous build's choices, or the call's)."""
        for name in ("title", "subtitle", "year", "foreword", "back_text", "order", "profile"):
            getattr(self, name).data = defaults[name]
        picked = defaults.get("entry_ids")
        self.entries.data = "\n".join(str(number) for number in picked) if picked else ""

    def options(self, *, call_id: int, cover_key: str | None) -> BuildOptions:
        return BuildOptions(
            call_id=call_id,
            snapshot_id=int(self.snapshot.data) if self.snapshot.data else None,
            entry_ids=self.picked,
            order=self.order.data,
            title=self.title.data,
            subtitle=self.subtitle.data or "",
            year=self.year.data,
            foreword=self.foreword.data or "",
            back_text=self.back_text.data or "",
            cover_key=cover_key,
            profile=self.profile.data,
        )
