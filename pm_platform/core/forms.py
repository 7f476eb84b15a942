from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from pm_platform.core import money
from pm_platform.core.errors import Conflict, DomainError, ValidationError
from pm_platform.extensions import db


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class ActionForm(FlaskForm):
    """A button that changes state (publish, revoke …): only the CSRF token."""


class YuanField(StringField):
    """An amount typed in yuan ('1200', '0.35'); its data is integer fen, parsed by
    money.parse_yuan so that no float ever holds it. Amounts typed on pages are never negative."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():  # empty: for InputRequired or Optional to judge
            self.data = None
            return
        try:
            self.data = money.parse_yuan(valuelist[0], self.name)
        except DomainError:
            self.data = None
        if self.data is None or self.data < 0:
            self.data = None
            raise ValueError(_("Enter an amount in yuan, not negative, with at most two decimals (e.g. 12.50)."))

    def _value(self) -> str:
        if self.raw_data:  # show what was typed, right or wrong
            return self.raw_data[0]
        return money.format_yuan(self.data) if self.data is not None else ""


def attach_error(form: FlaskForm, error: DomainError, message: str | None = None) -> None:
    """Show a service's error on the form field it names, or above the form. A field typed in
    yuan answers for the service's `*_fen` argument; a nested argument ("tariff.cap_fen") for
    its last part. `message` replaces the service's own words."""
    name = (error.field or "").rsplit(".", 1)[-1]
    field = getattr(form, name, None) or getattr(form, name.removesuffix("_fen"), None)
    message = message or error.localized
    if field is not None and name != "csrf_token":
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def submit_form(form: FlaskForm, action, message_for=None) -> bool:
    """Run `action()` for a valid form; the request commits when the view returns. A service's
    refusal is rolled back and shown on the form (`message_for(error)` may give the words);
    returns whether it was saved."""
    if not form.validate_on_submit():
        return False
    try:
        action()
    except (ValidationError, Conflict) as exc:
        db.session.rollback()
        attach_error(form, exc, message_for(exc) if message_for else None)
        return False
    return True
