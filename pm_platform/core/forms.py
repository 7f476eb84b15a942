from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from pm_platform.core.errors import DomainError


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])


class ActionForm(FlaskForm):
    """A button that changes state (publish, revoke …): only the CSRF token."""


def attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's error on the form field it names, or above the form. A field typed in
    yuan answers for the service's `*_fen` argument."""
    name = error.field or ""
    field = getattr(form, name, None) or getattr(form, name.removesuffix("_fen"), None)
    message = _(error.message)  # the catalog holds the services' fixed messages
    if field is not None and name != "csrf_token":
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
