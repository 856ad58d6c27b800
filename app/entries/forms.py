"""The step forms of the entry wizard.

No field is required here: a draft is saved as it is, sitting after sitting;
completeness is checked when the entry is submitted
(``completeness.missing_items``). Limits and formats are always enforced.
"""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.accounts.forms import validate_credit_code
from app.enums import Domain, Technology
from app.forms import CheckboxesField, NumberField, free_tags, limit_attributes, single_line, strip, validate_phone
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds, parse_id
from app.models.entries import INVESTMENT_RANGE, LIMITS, MAX_FREE_TAGS, MAX_OUTCOMES, MAX_PARTNERS, OUTCOME_RANGE
from app.reference import CITIES


def _text(label, name, *, multiline=False, description=None):
    """A text field limited to ``LIMITS[name]`` characters (shown by the form)."""
    limit = LIMITS[name]
    validators = [Optional(), Length(max=limit)]
    if not multiline:
        validators.append(single_line)
    field = TextAreaField if multiline else StringField
    return field(
        label,
        filters=[strip],
        validators=validators,
        description=description,
        render_kw=limit_attributes(limit, rows=(6 if limit > 500 else 3) if multiline else None),
    )


class EntryStepForm(FlaskForm):
    """Every step carries the version of the entry it was loaded from."""

    version = HiddenField()

    def version_number(self) -> int | None:
        return parse_id(self.version.data)


class PartnerForm(Form):
    name = StringField(_l("Partner organisation"), filters=[strip], validators=[Optional(), Length(max=LIMITS["partner_name"]), single_line])
    credit_code = StringField(_l("Its credit code (if known)"), filters=[strip], validators=[Optional()])

    validate_credit_code = validate_credit_code


class BasicsForm(EntryStepForm):
    title = _text(_l("Title"), "title", description=_l("A short name for the scenario, as it would appear in the brochure."))
    domain = SelectField(_l("Domain"), validators=[Optional()])
    city_code = SelectField(_l("City"), validators=[Optional()])
    summary = _text(_l("Summary"), "summary", multiline=True, description=_l("What the scenario does and achieves; printed in the showcase brochure."))
    tech_tags = CheckboxesField(_l("AI technologies"), validators=[Optional()])
    free_tags = StringField(
        _l("Other technologies"),
        filters=[strip],
        validators=[Optional(), Length(max=(LIMITS["free_tag"] + 1) * MAX_FREE_TAGS), single_line],
        description=_l("Up to %(n)s more, separated by commas.", n=MAX_FREE_TAGS),
    )
    partners = FieldList(FormField(PartnerForm), min_entries=1, max_entries=MAX_PARTNERS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.domain.choices = [("", _l("Choose a domain"))] + [(d.value, d.label) for d in Domain]
        self.city_code.choices = [("", _l("Choose a city"))] + [(code, label) for code, (_zh, label) in CITIES.items()]
        self.tech_tags.choices = [(t.value, t.label) for t in Technology]

    def validate_free_tags(self, field):
        tags = self.free_tag_list()
        if len(tags) > MAX_FREE_TAGS:
            raise ValidationError(_l("At most %(n)s other technologies.", n=MAX_FREE_TAGS))
        if any(len(tag) > LIMITS["free_tag"] for tag in tags):
            raise ValidationError(_l("Each technology name has at most %(n)s characters.", n=LIMITS["free_tag"]))

    def free_tag_list(self) -> list[str]:
        return free_tags(self.free_tags.data)

    def values(self) -> dict:
        partners = [
            {"name": row.form.name.data, "credit_code": row.form.credit_code.data or ""}
            for row in self.partners
            if row.form.name.data
        ]
        return {
            "title": self.title.data or "",
            "domain": Domain(self.domain.data) if self.domain.data else None,
            "city_code": self.city_code.data or None,
            "summary": self.summary.data or "",
            "tech_tags": list(self.tech_tags.data or []) + self.free_tag_list(),
            "partners": partners,
        }


class SolutionForm(EntryStepForm):
    problem = _text(_l("Problem solved"), "problem", multiline=True, description=_l("The pain point in the business before the scenario (痛点)."))
    solution = _text(_l("Solution"), "solution", multiline=True, description=_l("How AI is applied: data, models, systems and how they fit into the work."))
    deployment_scale = _text(_l("Deployment scale"), "deployment_scale", description=_l("Sites, lines, users or volume covered."))
    deployment_start = DateField(_l("Deployed since"), validators=[Optional()])
    deployment_end = DateField(_l("Deployed until"), validators=[Optional()], description=_l("Leave empty if it is still running."))
    investment = NumberField(_l("Investment (10,000 yuan)"), bounds=Bounds(*INVESTMENT_RANGE))
    investment_note = _text(_l("About the investment"), "investment_note")

    def validate_deployment_end(self, field):
        if field.data and self.deployment_start.data and field.data < self.deployment_start.data:
            raise ValidationError(_l("The end cannot be before the start."))

    def values(self) -> dict:
        return {
            "problem": self.problem.data or "",
            "solution": self.solution.data or "",
            "deployment_scale": self.deployment_scale.data or "",
            "deployment_start": self.deployment_start.data,
            "deployment_end": self.deployment_end.data,
            "investment": self.investment.data,
            "investment_note": self.investment_note.data or "",
        }


class OutcomeForm(Form):
    metric = StringField(_l("Metric"), filters=[strip], validators=[Optional(), Length(max=LIMITS["metric"]), single_line])
    before = NumberField(_l("Before"), bounds=Bounds(*OUTCOME_RANGE))
    after = NumberField(_l("After"), bounds=Bounds(*OUTCOME_RANGE))
    unit = StringField(_l("Unit"), filters=[strip], validators=[Optional(), Length(max=LIMITS["unit"]), single_line])

    # Optional() stops the validator chain of an empty field, so each check
    # sits on the field that is filled in.
    def validate_metric(self, field):
        if field.data and self.after.data is None:
            raise ValidationError(_l("Give the value after the change."))

    def validate_after(self, field):
        if field.data is not None and not self.metric.data:
            raise ValidationError(_l("Name the metric."))


class OutcomesForm(EntryStepForm):
    outcomes = FieldList(FormField(OutcomeForm), min_entries=1, max_entries=MAX_OUTCOMES)
    replicability = _text(_l("Replicability"), "replicability", multiline=True, description=_l("Where else the scenario can be applied, and what it takes (推广价值)."))
    data_security = _text(
        _l("Data security and ethics measures"), "data_security", multiline=True,
        description=_l("How data is protected, who can access it, how bias and misuse are prevented."),
    )

    def outcome_rows(self) -> list[dict]:
        return [
            {"metric": row.form.metric.data, "before": row.form.before.data, "after": row.form.after.data, "unit": row.form.unit.data or ""}
            for row in self.outcomes
            if row.form.metric.data
        ]

    def values(self) -> dict:
        return {"replicability": self.replicability.data or "", "data_security": self.data_security.data or ""}


class ContactsForm(EntryStepForm):
    contact_name = _text(_l("Contact person"), "contact_name")
    contact_position = _text(_l("Position"), "contact_position")
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=LIMITS["contact_phone"]), validate_phone])
    contact_email = StringField(
        _l("Contact email"), filters=[strip],
        validators=[Optional(), Length(max=LIMITS["contact_email"]), Email(message=_l("Enter a valid email address."))],
    )

    def values(self) -> dict:
        return {name: getattr(self, name).data or "" for name in ("contact_name", "contact_position", "contact_phone", "contact_email")}


class PhotoForm(EntryStepForm):
    photo = FileField(_l("Photo"), validators=[InputRequired(message=_l("Choose a photo to upload."))],
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    caption = _text(_l("Caption"), "caption")


class PhotoEditForm(EntryStepForm):
    caption = _text(_l("Caption"), "caption")
    move = NumberField(_l("Move"), bounds=Bounds(-1, 1, whole=True))


class AttachmentForm(EntryStepForm):
    document = FileField(_l("PDF document"), validators=[InputRequired(message=_l("Choose a PDF to upload."))],
                         render_kw={"accept": "application/pdf"})


STEP_FORMS = {"basics": BasicsForm, "solution": SolutionForm, "outcomes": OutcomesForm, "contacts": ContactsForm}


def initial_data(step: str, entry) -> dict:
    """What a step form shows for ``entry``, with one spare row in row lists."""
    data = {"version": entry.version}
    if step == "basics":
        vocabulary = {t.value for t in Technology}
        partners = list(entry.partners)
        if len(partners) < MAX_PARTNERS:
            partners.append({"name": "", "credit_code": ""})
        data |= {
            "title": entry.title,
            "domain": entry.domain.value if entry.domain else "",
            "city_code": entry.city_code or "",
            "summary": entry.summary,
            "tech_tags": [tag for tag in entry.tech_tags if tag in vocabulary],
            "free_tags": "，".join(tag for tag in entry.tech_tags if tag not in vocabulary),
            "partners": partners,
        }
    elif step == "solution":
        data |= {
            name: getattr(entry, name)
            for name in ("problem", "solution", "deployment_scale", "deployment_start", "deployment_end", "investment", "investment_note")
        }
    elif step == "outcomes":
        rows = [{"metric": o.metric, "before": o.before, "after": o.after, "unit": o.unit} for o in entry.outcomes]
        if len(rows) < MAX_OUTCOMES:
            rows.append({"metric": "", "before": None, "after": None, "unit": ""})
        data |= {"outcomes": rows, "replicability": entry.replicability, "data_security": entry.data_security}
    elif step == "contacts":
        data |= {name: getattr(entry, name) for name in ("contact_name", "contact_position", "contact_phone", "contact_email")}
    return data
