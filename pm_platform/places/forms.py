from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

DEVICE_KIND_LABELS = {"gate": _l("Parking gate"), "locker": _l("Locker cabinet")}


class RosterForm(FlaskForm):
    file = FileField(_l("Roster file (.xlsx or .csv)"), validators=[FileRequired()])


class DeviceForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(value, label) for value, label in DEVICE_KIND_LABELS.items()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
