"""Page forms for parking. Amounts are typed in yuan (YuanField turns them into fen)."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.validators import ValidationError as FieldError
from wtforms.widgets import HiddenInput

from pm_platform.core import money
from pm_platform.core.clock import SHANGHAI
from pm_platform.core.errors import ValidationError
from pm_platform.parking import service, tariffs

CAR_TYPE_LABELS = {"own_space": _l("Own space"), "monthly": _l("Monthly pass"), "internal": _l("Internal (free)"),
                   "temporary": _l("Temporary")}
SPACE_KIND_LABELS = {"owned": _l("Owned space"), "rented": _l("Rented space"), "public": _l("Public space")}
LIST_KIND_LABELS = {"black": _l("Black-listed"), "white": _l("White-listed")}
TEMPLATE_LABELS = {"standard": _l("Standard: first period, then per started period"),
                   "per_entry": _l("Per entry: a price per started 24 hours"),
                   "day_night": _l("Day and night: per period by day, a price per night")}
CHANNEL_LABELS = {"office": _l("Sold at the office"), "online": _l("Bought online")}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def optional_id(value):
    """A select's value as an id, or None for the empty choice."""
    return int(value) if value not in (None, "", "None") else None


class YuanField(StringField):
    """An amount typed in yuan; once validated, `fen` holds it in integer fen (None when empty)."""

    fen: int | None = None

    def pre_validate(self, form):
        self.fen = None
        text = (self.data or "").strip()
        if not text:
            return
        try:
            fen = money.parse_yuan(text, self.name)
        except ValidationError:
            raise FieldError(_("Enter an amount in yuan, e.g. 300 or 299.50.")) from None
        if not 0 <= fen <= service.MAX_AMOUNT_FEN:
            raise FieldError(_("Enter an amount from 0 to 100,000,000 yuan."))
        self.fen = fen


def plate(form, field):
    try:
        service.normalise_plate(field.data)
    except ValidationError:
        raise FieldError(_("Not a mainland licence plate (e.g. 京A12345).")) from None


def _minutes(low: int = 0):
    return [Optional(), NumberRange(low, service.MAX_MINUTES)]


FOR_STANDARD = _l("Standard template")
FOR_DAY_NIGHT = _l("Day-and-night template")
FOR_STANDARD_DAY_NIGHT = _l("Standard and day-and-night templates")


class TariffForm(FlaskForm):
    """A tariff from one of the templates; only the chosen template's fields are read."""

    car_type = SelectField(_l("Car type"), choices=_choices(CAR_TYPE_LABELS), default="temporary")
    template = SelectField(_l("Template"), choices=_choices(TEMPLATE_LABELS))
    effective_from = DateTimeLocalField(_l("Applies to stays that begin from"), validators=[Optional()],
                                        description=_l("Leave empty to apply from now."))
    free_minutes = IntegerField(_l("Free minutes"), default=0, validators=_minutes())
    first_minutes = IntegerField(_l("First period (minutes)"), validators=_minutes(1), description=FOR_STANDARD)
    first_price = YuanField(_l("Price of the first period (yuan)"), description=FOR_STANDARD)
    unit_minutes = IntegerField(_l("Then per started period of (minutes)"), validators=_minutes(1),
                                description=FOR_STANDARD_DAY_NIGHT)
    unit_price = YuanField(_l("Price per started period (yuan)"), description=FOR_STANDARD)
    price = YuanField(_l("Price per started 24 hours (yuan)"), description=_l("Per-entry template"))
    day_start = StringField(_l("Day begins (HH:MM)"), default="07:00", description=FOR_DAY_NIGHT)
    day_end = StringField(_l("Day ends (HH:MM)"), default="19:00", description=FOR_DAY_NIGHT)
    day_unit_price = YuanField(_l("Daytime price per started period (yuan)"), description=FOR_DAY_NIGHT)
    night_price = YuanField(_l("Price per night (yuan)"), description=FOR_DAY_NIGHT)
    cap = YuanField(_l("At most per 24 hours (yuan)"), description=FOR_STANDARD_DAY_NIGHT)

    def _needed(self) -> dict:
        """The chosen template's fields: {tariff key: form field} (amounts typed in yuan, kept in fen)."""
        if self.template.data not in tariffs.TEMPLATES:
            return {}
        return {key: self[key.removesuffix("_fen")] for key in tariffs.template_fields(self.template.data)}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self._needed().values():
            if field.data in (None, "") and not field.errors:
                field.errors.append(_("Required for this template."))
                valid = False
        return valid

    def params(self) -> dict:
        """The tariff as tariff_from_dict reads it."""
        return {"template": self.template.data} | {
            key: field.fen if isinstance(field, YuanField) else field.data for key, field in self._needed().items()}

    def starts_at(self) -> dt.datetime | None:
        """The time typed, in Shanghai; None for now."""
        return self.effective_from.data.replace(tzinfo=SHANGHAI) if self.effective_from.data else None


class SpaceForm(FlaskForm):
    code = StringField(_l("Space number"), validators=[DataRequired(), Length(max=30)])
    kind = SelectField(_l("Kind"), choices=_choices(SPACE_KIND_LABELS))
    unit_id = SelectField(_l("Unit (owned or rented spaces)"), coerce=optional_id)


class VehicleForm(FlaskForm):
    plate = StringField(_l("Plate"), validators=[DataRequired(), plate])
    car_type = SelectField(_l("Car type"), choices=_choices(CAR_TYPE_LABELS), default="monthly")
    unit_id = SelectField(_l("Unit"), coerce=optional_id)


class PassForm(FlaskForm):
    vehicle_id = SelectField(_l("Vehicle"), coerce=int)
    # InputRequired, not DataRequired: a date that does not parse keeps its own message
    valid_from = DateField(_l("First day"), validators=[InputRequired()])
    valid_to = DateField(_l("Last day"), validators=[InputRequired()])
    price = YuanField(_l("Price (yuan)"), validators=[DataRequired()])


class PassPriceForm(FlaskForm):
    monthly_pass_price = YuanField(_l("Monthly pass price online (yuan)"),
                                       description=_l("Leave empty to stop selling passes online."))


class PlateListForm(FlaskForm):
    plate = StringField(_l("Plate"), validators=[DataRequired(), plate])
    kind = SelectField(_l("List"), choices=_choices(LIST_KIND_LABELS))
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)])


class CouponForm(FlaskForm):
    plate = StringField(_l("Plate"), validators=[DataRequired(), plate])
    issuer = StringField(_l("Issued by"), validators=[Optional(), Length(max=100)],
                         description=_l("The merchant's name; leave empty for the office."))
    free_minutes = IntegerField(_l("Free minutes"), default=0, validators=_minutes())
    amount_off = YuanField(_l("Amount off (yuan)"))


class BuyPassForm(FlaskForm):
    lot_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


class ResolveForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Length(max=300)])
