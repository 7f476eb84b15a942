"""Page forms for locker contracts and sites. Amounts are typed in yuan and held as fen."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from pm_platform.core.forms import YuanField
from pm_platform.lockers.service import MAX_FREE_HOURS


class ContractForm(FlaskForm):
    operator = StringField(_l("Operator"), validators=[DataRequired(), Length(max=100)])
    monthly_rent = YuanField(_l("Monthly site rent (yuan)"), validators=[InputRequired()])
    commission = YuanField(_l("Commission per parcel (yuan)"), validators=[InputRequired()])
    free_hours = IntegerField(_l("Free storage hours"), default=48,
                              validators=[InputRequired(), NumberRange(min=1, max=MAX_FREE_HOURS)])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on (leave empty if open-ended)"), validators=[Optional()])


class SiteForm(FlaskForm):
    name = StringField(_l("Site name"), validators=[DataRequired(), Length(max=100)])
