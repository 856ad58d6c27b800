"""Forms of the public notice: the call's notice settings, the public
objection form, and the chair's and the applicant's handling forms."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from app.forms import NumberField, limit_attributes, single_line, strip, validate_phone
from app.i18n import lazy_gettext as _l
from app.input_rules import Bounds
from app.notices.objections import (
    ANSWER_LIMIT,
    GROUNDS_RANGE,
    NAME_LIMIT,
    NOTE_LIMIT,
    ORGANISATION_LIMIT,
    QUESTION_LIMIT,
    REASON_LIMIT,
)
from app.notices.periods import DAYS_RANGE
from app.notices.services import CONTACT_LIMIT

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class NoticeSettingsForm(FlaskForm):
    required = BooleanField(_l("Put the proposed list up for public notice before the official list is published"))
    days = NumberField(_l("Length of the notice period (days)"), default=5, validators=[InputRequired()],
                       bounds=Bounds(*DAYS_RANGE, whole=True))
    working_days = RadioField(_l("Count the days as"), choices=[
        SelectChoice("working", _l("working days (Chinese public-holiday calendar)")), SelectChoice("calendar", _l("calendar days"))],
        default="working")
    contact = TextAreaField(_l("Contact for objections (printed on the notice)"), filters=[strip],
                            validators=[Length(max=CONTACT_LIMIT)], render_kw=limit_attributes(CONTACT_LIMIT, rows=3))
    anonymous = BooleanField(_l("Accept anonymous objections"))


class ObjectionForm(FlaskForm):
    entry = SelectField(_l("The entry concerned"), coerce=int, validators=[InputRequired()])
    anonymous = BooleanField(_l("File anonymously (without name or contact)"))
    name = StringField(_l("Your name"), filters=[strip], validators=[Length(max=NAME_LIMIT), single_line],
                       render_kw=limit_attributes(NAME_LIMIT))
    phone = StringField(_l("Phone"), filters=[strip], validators=[Optional(), validate_phone])
    email = StringField(_l("E-mail"), filters=[strip],
                        validators=[Optional(), Length(max=254), Email(message=_l("Enter a valid e-mail address."))])
    organisation = StringField(_l("Organisation (optional)"), filters=[strip],
                               validators=[Length(max=ORGANISATION_LIMIT), single_line],
                               render_kw=limit_attributes(ORGANISATION_LIMIT))
    grounds = TextAreaField(
        _l("Grounds of the objection"), filters=[strip],
        validators=[DataRequired(), Length(min=GROUNDS_RANGE[0], max=GROUNDS_RANGE[1])],
        description=_l("Facts and evidence, %(low)s to %(high)s characters.", low=GROUNDS_RANGE[0],
                       high=GROUNDS_RANGE[1]),
        render_kw=limit_attributes(GROUNDS_RANGE[1], rows=6))


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Staff member"), coerce=int, validators=[InputRequired()])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Investigation note"), filters=[strip], validators=[DataRequired(), Length(max=NOTE_LIMIT)],
                         render_kw=limit_attributes(NOTE_LIMIT, rows=3))


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Question to the applicant"), filters=[strip],
                             validators=[DataRequired(), Length(max=QUESTION_LIMIT)],
                             render_kw=limit_attributes(QUESTION_LIMIT, rows=3))
    due = DateTimeLocalField(_l("Answer before"), format=DATETIME_LOCAL, validators=[InputRequired()])


class DecideForm(FlaskForm):
    outcome = RadioField(_l("Decision"), choices=[
        SelectChoice("dismissed", _l("Dismiss: the entry stays on the list")),
        SelectChoice("upheld", _l("Uphold: the entry leaves the list and the next entry takes its place"))],
        validators=[InputRequired()])
    reason = TextAreaField(_l("Reason (public when the objection is upheld)"), filters=[strip],
                           validators=[DataRequired(), Length(max=REASON_LIMIT)],
                           render_kw=limit_attributes(REASON_LIMIT, rows=3))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), filters=[strip], validators=[DataRequired(), Length(max=ANSWER_LIMIT)],
                           render_kw=limit_attributes(ANSWER_LIMIT, rows=6))


class ProposedPublishForm(FlaskForm):
    public_scores = BooleanField(_l("Show the scores on the notice"))
    confirm = BooleanField(_l("I have checked the ranking and the selection; publishing freezes them."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
    early = BooleanField(_l("Publish before the results phase"))
