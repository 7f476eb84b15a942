from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import BooleanField, DateField, FormField, IntegerField, StringField, TextAreaField
from wtforms.form import Form
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from pm_platform.core import clock
from pm_platform.scoring.models import SPOT_ITEMS, SPOT_MAX

MONTH_PATTERN = clock.PERIOD_PATTERN
ITEM_LABELS = {
    "cleaning": _l("Cleaning"), "greenery": _l("Greenery upkeep"), "fire_lanes": _l("Fire lanes clear"),
    "parking": _l("Parking order"), "notice_board": _l("Notice board current"), "facilities": _l("Facilities working"),
}


class SpotItemForm(Form):
    score = IntegerField(_l("Score (0–10)"), validators=[InputRequired(), NumberRange(0, SPOT_MAX)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
    photos = MultipleFileField(_l("Photos"), validators=[FileAllowed(["jpg", "jpeg", "png", "webp"])])


class SpotCheckForm(FlaskForm):
    checked_on = DateField(_l("Date of the check"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    open_work_orders = BooleanField(_l("Open a work order for the firm for each failed item (below 6)"), default=True)
    for _key in SPOT_ITEMS:
        locals()[_key] = FormField(SpotItemForm, label=ITEM_LABELS[_key])
    del _key


class RevisionForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the correction"), validators=[DataRequired(), Length(max=2000)])


class IncidentForm(FlaskForm):
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=2000)])


class FundForm(FlaskForm):
    amount = StringField(_l("Fund for the half-year (yuan)"), validators=[DataRequired(), Length(max=20)])


class IndicatorForm(Form):
    weight = IntegerField(_l("Weight"), validators=[InputRequired(), NumberRange(0, 100)])
    floor = IntegerField(_l("Floor rate"), validators=[InputRequired(), NumberRange(0, 100)])
    target = IntegerField(_l("Target rate"), validators=[InputRequired(), NumberRange(0, 100)])


class DeductionForm(Form):
    per = IntegerField(_l("Points each"), validators=[InputRequired(), NumberRange(0, 100)])
    cap = IntegerField(_l("Cap"), validators=[Optional(), NumberRange(0, 100)])


class SchemeForm(FlaskForm):
    effective_month = StringField(_l("From month (YYYY-MM)"), validators=[DataRequired(), Regexp(MONTH_PATTERN)])


def scheme_form(definition: dict, formdata=None) -> SchemeForm:
    """The scheme form with one row per indicator and deduction, filled from a definition."""

    class Filled(SchemeForm):
        pass

    for ind in definition["indicators"]:
        setattr(Filled, f"i_{ind['key']}", FormField(IndicatorForm, default=ind))
    for ded in definition["deductions"]:
        setattr(Filled, f"d_{ded['key']}", FormField(DeductionForm, default=ded))
    return Filled(formdata=formdata) if formdata is not None else Filled()
