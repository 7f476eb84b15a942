"""Page forms for fees. Amounts are typed in yuan (parse_yuan turns them into fen)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

PERIOD_HELP = _l("Month, e.g. 2026-11")


class FeeItemForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("per_area", _l("Per m² of floor area")), SelectChoice("fixed", _l("Fixed per unit"))])
    rate = StringField(_l("Rate (yuan per month)"), validators=[DataRequired()])
    applies_to = SelectField(_l("Applies to"), choices=[SelectChoice("residential", _l("Residential")), SelectChoice("commercial", _l("Commercial")),
                                                       SelectChoice("parking", _l("Parking space")), SelectChoice("all", _l("All units"))])
    cycle = SelectField(_l("Billing cycle"), choices=[SelectChoice("monthly", _l("Monthly")), SelectChoice("quarterly", _l("Quarterly")),
                                                     SelectChoice("yearly", _l("Yearly"))])
    due_day = IntegerField(_l("Due day of the month"), default=15, validators=[NumberRange(1, 28)])
    from_period = StringField(_l("From month"), description=PERIOD_HELP, validators=[DataRequired()])


class RateForm(FlaskForm):
    rate = StringField(_l("New rate (yuan per month)"), validators=[DataRequired()])
    from_period = StringField(_l("From month"), description=PERIOD_HELP, validators=[DataRequired()])


class BillingRunForm(FlaskForm):
    period = StringField(_l("Month to bill"), description=PERIOD_HELP, validators=[DataRequired()])


class LateFeeForm(FlaskForm):
    per_10k_day = IntegerField(_l("Late fee (parts per ten thousand per day, 0 = off)"),
                               validators=[NumberRange(0, 100)], default=0)


class PaymentForm(FlaskForm):
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired()])
    channel = SelectField(_l("Channel"), choices=[SelectChoice("cash", _l("Cash")), SelectChoice("bank", _l("Bank transfer")), SelectChoice("pos", _l("POS"))])
    reference = StringField(_l("Transaction number / note"), validators=[Optional(), Length(max=100)])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=100)])


class RefundForm(ReasonForm):
    amount = StringField(_l("Amount to refund (yuan)"), validators=[DataRequired()])


class WaiverForm(FlaskForm):
    percent = IntegerField(_l("Share waived (percent)"), validators=[NumberRange(1, 100)], default=100)
    fee_item_id = SelectField(_l("Fee item"), coerce=int)
    from_period = StringField(_l("From month"), description=PERIOD_HELP, validators=[DataRequired()])
    to_period = StringField(_l("To month"), description=PERIOD_HELP, validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""
