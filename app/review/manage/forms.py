"""The chair's review forms: panels, expert profiles, rubric choice,
conflicts, reminders and reopening a sheet."""

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from app.accounts.forms import validate_credit_code
from app.enums import Domain, Technology
from app.forms import CheckboxesField, NumberField, free_tags, id_field, single_line, strip
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds, coerce_id, parse_id
from app.review.manage import profiles
from app.review.manage.panels import NAME_MAX as PANEL_NAME_MAX
from app.review.manage.reminders import REASON_MAX


def _optional_id(value):
    """A chosen person's id, or None for the empty choice (ValueError for a number no row can have)."""
    if value in (None, "", "None"):
        return None
    return coerce_id(value)


def domain_choices():
    return [(domain.value, domain.label) for domain in Domain]


class PanelForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=PANEL_NAME_MAX), single_line])
    domains = CheckboxesField(_l("Domains"), validators=[DataRequired(message=_l("Choose at least one domain for the panel."))])
    # Any id is accepted here: the service says clearly who cannot sit on a panel.
    members = CheckboxesField(_l("Experts"), coerce=coerce_id, validate_choice=False)
    leader = SelectField(_l("Leader"), coerce=_optional_id, validate_choice=False)

    def set_experts(self, experts) -> None:
        self.domains.choices = domain_choices()
        self.members.choices = [(user.id, f"{user.name} <{user.email}>") for user in experts]
        self.leader.choices = [("", _l("No leader yet"))] + [(user.id, user.name) for user in experts]


class EmploymentForm(Form):
    organisation_name = StringField(_l("Organisation"), filters=[strip], validators=[Optional(), Length(max=profiles.NAME_MAX), single_line])
    credit_code = StringField(_l("Its credit code (if known)"), filters=[strip], validators=[Optional(), validate_credit_code])
    start_year = NumberField(_l("From (year)"), bounds=Bounds(*profiles.YEAR_RANGE, whole=True))
    end_year = NumberField(
        _l("Until (year)"), bounds=Bounds(*profiles.YEAR_RANGE, whole=True), description=_l("Empty: works there now.")
    )

    def validate_end_year(self, field):
        if field.data is not None and self.start_year.data is not None and field.data < self.start_year.data:
            raise ValidationError(_l("The end year comes before the start year."))

    def validate_organisation_name(self, field):
        if not field.data and (self.credit_code.data or self.start_year.data or self.end_year.data):
            raise ValidationError(_l("Give the name of every former employer."))


class ExpertProfileForm(FlaskForm):
    affiliation_name = StringField(
        _l("Organisation you work for"), filters=[strip], validators=[Optional(), Length(max=profiles.NAME_MAX), single_line]
    )
    affiliation_code = StringField(
        _l("Its unified social credit code"),
        filters=[strip],
        validators=[Optional(), validate_credit_code],
        description=_l("18 characters. Used to keep you away from entries of your own organisation."),
    )
    employments = FieldList(FormField(EmploymentForm), min_entries=1, max_entries=profiles.MAX_EMPLOYMENTS)
    expertise_domains = CheckboxesField(_l("Domains of expertise"), validators=[Optional()])
    tech_tags = CheckboxesField(_l("AI technologies you know well"), validators=[Optional()])
    free_tags = StringField(
        _l("Other technologies"),
        filters=[strip],
        validators=[Optional(), Length(max=(profiles.TAG_MAX + 1) * profiles.MAX_FREE_TAGS), single_line],
        description=_l("Up to %(n)s more, separated by commas.", n=profiles.MAX_FREE_TAGS),
    )
    max_assignments = NumberField(
        _l("Most entries per call"),
        bounds=Bounds(*profiles.CAP_RANGE, whole=True),
        description=_l("Empty: no limit. Only chairs set this."),
    )

    def __init__(self, *args, cap_field: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not cap_field:
            del self.max_assignments
        self.expertise_domains.choices = domain_choices()
        self.tech_tags.choices = [(technology.value, technology.label) for technology in Technology]

    def validate_affiliation_code(self, field):
        if field.data and not self.affiliation_name.data:
            raise ValidationError(_l("Give the name of the organisation the credit code belongs to."))

    def validate_free_tags(self, field):
        tags = self.free_tag_list()
        if len(tags) > profiles.MAX_FREE_TAGS:
            raise ValidationError(_l("At most %(n)s other technologies.", n=profiles.MAX_FREE_TAGS))
        if any(len(tag) > profiles.TAG_MAX for tag in tags):
            raise ValidationError(_l("Each technology name has at most %(n)s characters.", n=profiles.TAG_MAX))

    def free_tag_list(self) -> list[str]:
        return free_tags(self.free_tags.data)

    def values(self) -> dict:
        values = {
            "affiliation_name": self.affiliation_name.data or "",
            "affiliation_code": self.affiliation_code.data or "",
            "employments": [
                profiles.Employment(
                    organisation_name=row.form.organisation_name.data or "",
                    credit_code=row.form.credit_code.data or "",
                    start_year=row.form.start_year.data,
                    end_year=row.form.end_year.data,
                )
                for row in self.employments
            ],
            "expertise_domains": list(self.expertise_domains.data or []),
            "tech_tags": list(self.tech_tags.data or []) + self.free_tag_list(),
        }
        if "max_assignments" in self:
            values["max_assignments"] = self.max_assignments.data
        return values


def profile_data(profile) -> dict:
    """What the profile form shows, with one spare employer row."""
    vocabulary = {technology.value for technology in Technology}
    jobs = [
        {"organisation_name": job.organisation_name, "credit_code": job.credit_code, "start_year": job.start_year, "end_year": job.end_year}
        for job in sorted(profile.employments, key=lambda job: (job.start_year or 0, job.organisation_name))
    ] if profile else []
    if len(jobs) < profiles.MAX_EMPLOYMENTS:
        jobs.append({"organisation_name": "", "credit_code": "", "start_year": None, "end_year": None})
    if profile is None:
        return {"employments": jobs}
    return {
        "affiliation_name": profile.affiliation_name,
        "affiliation_code": profile.affiliation_code,
        "employments": jobs,
        "expertise_domains": list(profile.expertise_domains),
        "tech_tags": [tag for tag in profile.tech_tags if tag in vocabulary],
        "free_tags": "，".join(tag for tag in profile.tech_tags if tag not in vocabulary),
        "max_assignments": profile.max_assignments,
    }


class RubricChoiceForm(FlaskForm):
    """The rubric file of the call's default (``domain`` empty) or of one domain
    (``rubric_key`` empty: use the call's default)."""

    domain = SelectField(_l("Domain"), validate_choice=False)
    rubric_key = SelectField(_l("Rubric"), validate_choice=False)

    def validate_domain(self, field):
        if field.data and field.data not in {domain.value for domain in Domain}:
            raise ValidationError(_l("Choose domains from the list."))

    def validate_rubric_key(self, field):
        if not self.domain.data and not field.data:
            raise ValidationError(_l("Choose the call's default rubric."))

    def target_domain(self) -> Domain | None:
        return Domain(self.domain.data) if self.domain.data else None


class ConflictForm(FlaskForm):
    expert_id = SelectField(_l("Expert"), coerce=_optional_id, validators=[InputRequired()])
    entry_id = id_field(_l("Entry number"), validators=[InputRequired()])
    reason = TextAreaField(_l("Conflict of interest"), filters=[strip], validators=[DataRequired(), Length(max=REASON_MAX)])

    def set_experts(self, experts) -> None:
        self.expert_id.choices = [("", _l("Choose an expert"))] + [(user.id, f"{user.name} <{user.email}>") for user in experts]

    def validate_expert_id(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose an expert."))


class ReminderForm(FlaskForm):
    """The reminder button: every expert with open sheets, or one."""

    expert_id = HiddenField()

    def expert(self) -> int | None:
        return parse_id(self.expert_id.data)


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the sheet is reopened"),
        filters=[strip],
        validators=[DataRequired(message=_l("Give a reason: the expert is told it.")), Length(max=REASON_MAX)],
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )
