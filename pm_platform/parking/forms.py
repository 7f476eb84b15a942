from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class ResolveForm(FlaskForm):
    note = StringField(_l("Note"), validators=[Length(max=300)])
