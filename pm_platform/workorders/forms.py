from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField, DateTimeLocalField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pm_platform.workorders import labels


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs or a dict as the option objects WTForms wants."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


class ReportForm(FlaskForm):
    compound_id = SelectField(_l("Compound"), coerce=int)
    category = SelectField(_l("What is wrong"), choices=choices(labels.CATEGORY))
    place = SelectField(_l("Where"), validators=[DataRequired()])
    facility_id = IntegerField(_l("Facility number (from its QR label)"), validators=[Optional(), NumberRange(min=1)])
    description = TextAreaField(_l("Describe the problem"), validators=[DataRequired(), Length(max=2000)])
    photos = MultipleFileField(_l("Photos (up to 6)"))
    reporter_name = StringField(_l("Caller's name"), validators=[Optional(), Length(max=100)])
    reporter_phone = StringField(_l("Caller's phone"), validators=[Optional(), Length(max=30)])


class TransitionForm(FlaskForm):
    to = SelectField(choices=choices((s, s) for s in ("accepted", "assigned", "in_progress", "resolved", "reopened")))
    assignee_id = SelectField(_l("Assign to"), coerce=int, validate_choice=False, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    photos = MultipleFileField(_l("Photos"))


class RatingForm(FlaskForm):
    stars = RadioField(_l("How satisfied are you?"), coerce=int,
                       choices=choices((n, "★" * n) for n in range(5, 0, -1)),
                       validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=1000)])


class FollowUpForm(FlaskForm):
    is_fixed = SelectField(_l("Is the problem gone?"), choices=choices([("yes", _l("Yes, fixed")), ("no", _l("No, still there"))]))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class ImportForm(FlaskForm):
    compound_id = SelectField(_l("Compound (when the file has no 小区 column)"), coerce=int)
    file = FileField(_l("12345 ticket file (.xlsx)"), validators=[FileRequired()])


class NoticeForm(FlaskForm):
    compound_id = SelectField(_l("Compound"), coerce=int)
    kind = SelectField(_l("Kind"), choices=choices(labels.NOTICE_KIND))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=5000)])
    starts_at = DateTimeLocalField(_l("Starts"), validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), validators=[DataRequired()])
    building_ids = SelectMultipleField(_l("Only these buildings"), coerce=int, validate_choice=False)
    work_order_ids = StringField(_l("Work orders it explains (numbers, comma-separated)"),
                                 validators=[Optional(), Length(max=500)])


class ReadForm(FlaskForm):
    confirm = BooleanField(default=True)
