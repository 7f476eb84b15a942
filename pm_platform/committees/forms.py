from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import DateTimeLocalField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from pm_platform.committees.rules import CATEGORIES


class VerifyForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=40)])
    certificate_no = StringField(_l("Property certificate number"), validators=[DataRequired(), Length(max=60)])


class MotionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text of the motion"))
    category = SelectField(_l("Category"), choices=[SelectChoice(c, c) for c in CATEGORIES])
    opens_at = DateTimeLocalField(_l("Voting opens (Beijing time)"), validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Voting closes (Beijing time)"), validators=[DataRequired()])
    attachments = MultipleFileField(_l("Attachments"))
    seats = SelectField(_l("Seats (committee elections)"), choices=[SelectChoice("", "—")] + [
        SelectChoice(str(n), str(n)) for n in (5, 7, 9, 11)], default="")
    candidates = SelectMultipleField(_l("Candidates' units (committee elections)"), coerce=int, choices=[],
                                     description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))


class VoteForm(FlaskForm):
    choice = RadioField(_l("Your vote"), choices=[SelectChoice("agree", _l("Agree")), SelectChoice("disagree", _l("Disagree")),
                                                 SelectChoice("abstain", _l("Abstain"))], validators=[DataRequired()])


class ProxyForm(FlaskForm):
    holder = StringField(_l("User name of the person you authorise"), validators=[DataRequired(), Length(max=80)])
    letter = FileField(_l("Signed authorisation letter"), validators=[DataRequired()])


def _unit_id(value):
    return int(value) if value not in (None, "") else None


class PaperBallotForm(FlaskForm):
    """A paper ballot typed in by a committee member: the unit is picked from the motion's register
    (`unit_choices` fills the picker), so a unit is never mistyped."""

    unit_id = SelectField(_l("Unit"), coerce=_unit_id, validators=[InputRequired(_l("Choose the unit."))])
    choice = RadioField(_l("Choice"), choices=[SelectChoice("agree", _l("Agree")), SelectChoice("disagree", _l("Disagree")),
                                               SelectChoice("abstain", _l("Abstain"))],
                        validators=[InputRequired(_l("Choose agree, disagree or abstain."))])
    scan = FileField(_l("Scan of the paper ballot"), validators=[FileRequired(_l("Attach the scan of the paper ballot."))])


def unit_choices(units: list[tuple[int, str, str]], placeholder: bool = True) -> list[SelectChoice]:
    """Picker options for (unit id, label, building) rows, grouped by building in the rows' order;
    a single picker starts with an empty option so that nothing is chosen by default."""
    return [SelectChoice("", "—")] * placeholder + [SelectChoice(str(unit_id), label, optgroup=building)
                                                    for unit_id, label, building in units]
