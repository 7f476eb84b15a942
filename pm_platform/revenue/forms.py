"""Page forms for the common fund. Amounts are typed in yuan and become fen in the view."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

SOURCE_LABELS = {
    "parking": _l("Parking income"), "lockers": _l("Express lockers"), "advertising": _l("Advertising"),
    "venue_rental": _l("Venue rental"), "recycling": _l("Recycling"), "other": _l("Other"),
}


class RevenueForm(FlaskForm):
    source = SelectField(_l("Source"), choices=[SelectChoice(value, label) for value, label in SOURCE_LABELS.items()])
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=300)])
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    gross = StringField(_l("Gross income (yuan)"), validators=[DataRequired()])
    cost = StringField(_l("Reasonable cost (yuan)"), default="0")
    cost_justification = TextAreaField(_l("Why the cost is reasonable"), validators=[Optional(), Length(max=2000)])


class ExpenditureForm(FlaskForm):
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=300)])
    occurred_on = DateField(_l("Date"), validators=[DataRequired()])
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired()])
    decision_ref = StringField(_l("Approving decision or resolution"), validators=[DataRequired(), Length(max=200)])
    attachment = FileField(_l("Scan of the decision"), validators=[FileRequired()])


class ReverseForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])
