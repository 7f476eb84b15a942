from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField, DateField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pm_platform.inspections.checklists import KIND_LABELS


def kind_choices():
    return [SelectChoice(kind, label) for kind, label in KIND_LABELS.items()]


class FacilityForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=kind_choices)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    building = StringField(_l("Building"), validators=[Optional(), Length(max=50)])
    floor = StringField(_l("Floor"), validators=[Optional(), Length(max=20)])
    location_text = StringField(_l("Where exactly"), validators=[Optional(), Length(max=300)])
    lat = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(-90, 90)])
    lng = DecimalField(_l("Longitude"), places=6, validators=[Optional(), NumberRange(-180, 180)])
    renovation_project = StringField(_l("Renovation project"), validators=[Optional(), Length(max=200)])
    contractor = StringField(_l("Contractor"), validators=[Optional(), Length(max=200)])
    warranty_ends_on = DateField(_l("Warranty ends on"), validators=[Optional()])
    photo = FileField(_l("Photo"))


class UploadForm(FlaskForm):
    file = FileField(_l("Facility list (.xlsx or .csv)"), validators=[FileRequired()])


class ReplaceLabelForm(FlaskForm):
    reason = StringField(_l("Why is the label replaced?"), validators=[DataRequired(), Length(max=200)])


class PlanForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    facilities = SelectMultipleField(_l("Route (in order)"), coerce=int, validators=[DataRequired()])
    members = SelectMultipleField(_l("Inspector or team"), coerce=int, validators=[DataRequired()])
    frequency = SelectField(_l("Frequency"), choices=[SelectChoice("daily", _l("Daily")), SelectChoice("weekly", _l("Weekly")),
                                                       SelectChoice("monthly", _l("Monthly"))])
    weekdays = SelectMultipleField(_l("Weekdays"), coerce=int, choices=[
        SelectChoice(day, label) for day, label in enumerate(
            (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun")), start=1)])
    month_day = IntegerField(_l("Day of the month"), validators=[Optional(), NumberRange(1, 31)])
    window_start = TimeField(_l("Window opens"), validators=[DataRequired()])
    window_end = TimeField(_l("Window closes"), validators=[DataRequired()])
    late_minutes = IntegerField(_l("Late records accepted for (minutes)"), default=60,
                                validators=[DataRequired(), NumberRange(0, 720)])


class ChecklistForm(FlaskForm):
    """One checklist edited as a table of rows; a row with no label is dropped."""

    radius_m = IntegerField(_l("Allowed distance from the facility (m)"), validators=[DataRequired(), NumberRange(5, 1000)])
    is_high_risk = BooleanField(_l("High risk: refuse records that cannot prove presence"))


class ScanForm(FlaskForm):
    """The scan page's fields are the checklist's own; this form carries the CSRF token."""


class ReportForm(FlaskForm):
    description = TextAreaField(_l("What is wrong?"), validators=[DataRequired(), Length(max=1000)])

