"""The chair's results forms: settings, selection overrides, veto decisions,
publishing; the filters of the rankings table; and the public check of a
snapshot document."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
)

from app.enums import Domain
from app.forms import NumberField, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds
from app.reference import CITIES, city_label
from app.results import aggregation
from app.results.settings import ZSCORE_MIN_SHEETS_RANGE, ZSCORE_SD_FLOOR_RANGE
from app.review.rubrics.services import AGGREGATION_LABELS

REASON_MAX = 1000
RUBRIC_DEFAULT = ""
# Ranges of the settings (both ends included): disagreement thresholds in
# points of the 0–100 sheet total, and the cap of showcase scenarios per organisation.
THRESHOLD_RANGE = (0.1, 100)
CAP_RANGE = (1, 1000)


class SettingsForm(FlaskForm):
    method = SelectField(
        _l("Aggregation method"),
        description=_l("How an entry's sheet totals become its score."),
    )
    sd_threshold = NumberField(
        _l("Disagreement threshold: standard deviation (points)"), bounds=Bounds(*THRESHOLD_RANGE),
        description=_l("Entries whose sheet totals spread this much or more are flagged. Empty: not used."),
    )
    range_threshold = NumberField(
        _l("Disagreement threshold: range (points)"), bounds=Bounds(*THRESHOLD_RANGE),
        description=_l("Entries whose highest and lowest sheet totals lie this far apart or more are flagged. Empty: not used."),
    )
    organisation_cap = NumberField(
        _l("Most showcase scenarios per organisation"), bounds=Bounds(*CAP_RANGE, whole=True),
        description=_l("Empty: no cap."),
    )
    zscore_min_sheets = NumberField(
        _l("Z-score method: fewest sheets per expert"), bounds=Bounds(*ZSCORE_MIN_SHEETS_RANGE, whole=True),
        description=_l("An expert with fewer sheets is not standardised on their own sheets but on the whole call. Empty: 8."),
    )
    zscore_sd_floor = NumberField(
        _l("Z-score method: smallest spread per expert (SD, points)"), bounds=Bounds(*ZSCORE_SD_FLOOR_RANGE),
        description=_l("An expert whose totals spread less is standardised on the whole call. Empty: no floor."),
    )
    quota_fill = BooleanField(
        _l("Unfilled quota places go to the best remaining entries of other domains (in rank order, respecting the per-organisation cap)"),
        default=True,
        description=_l("Off: a domain with fewer selectable entries than its quota leaves its places empty."),
    )

    def set_choices(self, default_method: str) -> None:
        self.method.choices = [
            (RUBRIC_DEFAULT, _l("As the default rubric says (%(method)s)", method=AGGREGATION_LABELS[default_method]))
        ] + [(key, label) for key, label in AGGREGATION_LABELS.items()]

    def chosen_method(self) -> str | None:
        return self.method.data or None

    def chosen_zscore_min_sheets(self) -> int:
        return aggregation.ZSCORE_MIN_SHEETS if self.zscore_min_sheets.data is None else self.zscore_min_sheets.data


def _reason_field(label):
    return TextAreaField(label, filters=[strip], validators=[DataRequired(message=_l("Give a reason: it is recorded.")),
                                                             Length(max=REASON_MAX)])


class OverrideForm(FlaskForm):
    entry_id = HiddenField(validators=[InputRequired()])
    include = RadioField(
        _l("Selection"),
        choices=[SelectChoice("include", _l("Select it")), SelectChoice("exclude", _l("Do not select it"))],
        validators=[InputRequired(message=_l("Choose whether to select the entry or not."))],
    )
    reason = _reason_field(_l("Reason for the change"))


class VetoForm(FlaskForm):
    decision = RadioField(
        _l("Veto decision"),
        choices=[SelectChoice("confirm", _l("Confirm the veto: exclude the entry")), SelectChoice("dismiss", _l("Dismiss the veto"))],
        validators=[InputRequired(message=_l("Confirm or dismiss the veto."))],
    )
    reason = _reason_field(_l("Reason"))


class PublishForm(FlaskForm):
    public_scores = BooleanField(_l("Show ranks and scores on the public library and in the brochure"))
    confirm = BooleanField(
        _l("I have checked the ranking and the selection; publishing freezes them."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )
    # Shown only before the call's results phase; its label names the phase
    # that runs (``app/templates/results/index.html``).
    early = BooleanField(_l("Publish before the results phase"))


SCOPES = ("overall", "domain", "city")
FLAGS = ("disputed", "borderline", "veto", "incomplete", "selected", "not_selected")
SORTS = ("rank", "score", "raw_mean", "raw_sd", "raw_range", "sheets")


class RankingFilterForm(FlaskForm):
    """The GET filters of the rankings table (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    scope = SelectField(_l("Ranking"), choices=[SelectChoice("overall", _l("Overall")), SelectChoice("domain", _l("By domain")),
                                                SelectChoice("city", _l("By city"))], default="overall")
    domain = SelectField(_l("Domain"), default="")
    city = SelectField(_l("City"), default="")
    flag = SelectField(_l("Show"), default="")
    q = StringField(_l("Title or organisation"), filters=[strip], validators=[Optional(), Length(max=60)])
    sort = SelectField(_l("Sort by"), default="rank")
    direction = SelectField(_l("Order"), choices=[SelectChoice("", _l("Best first")), SelectChoice("asc", _l("Ascending")), SelectChoice("desc", _l("Descending"))],
                            default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain.choices = [SelectChoice("", _l("All domains"))] + [SelectChoice(d.value, d.label) for d in Domain]
        self.city.choices = [SelectChoice("", _l("All cities"))] + [SelectChoice(code, city_label(code)) for code in CITIES]
        self.flag.choices = [
            SelectChoice("", _l("All entries")),
            SelectChoice("disputed", _l("Disputed (experts disagree)")),
            SelectChoice("borderline", _l("Borderline at the cut line")),
            SelectChoice("veto", _l("Veto flags")),
            SelectChoice("incomplete", _l("Sheets outstanding")),
            SelectChoice("selected", _l("Selected")),
            SelectChoice("not_selected", _l("Not selected")),
        ]
        self.sort.choices = [
            SelectChoice("rank", _l("Rank")),
            SelectChoice("score", _l("Score")),
            SelectChoice("raw_mean", _l("Raw mean")),
            SelectChoice("raw_sd", _l("Standard deviation")),
            SelectChoice("raw_range", _l("Range")),
            SelectChoice("sheets", _l("Sheets")),
        ]


class VerifyForm(FlaskForm):
    """The public check of a snapshot document: pasted, or its file chosen."""

    document = TextAreaField(
        _l("Paste the public snapshot document (JSON)"),
        render_kw={"rows": 6, "spellcheck": "false", "autocomplete": "off"},
    )
    upload = FileField(_l("Or choose the downloaded file"), render_kw={"accept": "application/json,.json"})
