"""Pages for compounds, their units and the roster import."""
from __future__ import annotations

from flask import Blueprint, render_template, request, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from io import BytesIO

from pm_platform.core.errors import RowErrors, ValidationError
from pm_platform.extensions import db
from pm_platform.places import roster, scope, service
from pm_platform.places.scope import ALL_ROLES
from pm_platform.places.forms import RosterForm

bp = Blueprint("places", __name__)
# Menu entries: (endpoint, label, roles that see it); labels are translated in base.html.
NAV = [("places.compounds", _l("Compounds"), ALL_ROLES)]
UNITS_PER_PAGE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/compounds")
@login_required
def compounds():
    items = service.list_compounds(db.session, current_user)
    counts = service.compound_unit_counts(db.session, [c.id for c in items])
    return render_template("places/compounds.html", compounds=items, counts=counts)


@bp.get("/compounds/<int:compound_id>")
@login_required
def compound(compound_id: int):
    item = scope.get_compound(db.session, current_user, compound_id)
    page = max(request.args.get("page", 1, type=int), 1)
    units = service.list_units(db.session, current_user, compound_id, UNITS_PER_PAGE, (page - 1) * UNITS_PER_PAGE)
    roles = scope.roles_on(db.session, current_user, compound_id)
    return render_template("places/compound.html", compound=item, units=units, page=page,
                           per_page=UNITS_PER_PAGE, firm=service.current_firm(db.session, compound_id),
                           can_import=bool(roles & {"admin", "community", "firm_manager"}))


@bp.route("/compounds/<int:compound_id>/roster", methods=["GET", "POST"])
@login_required
def import_roster(compound_id: int):
    item = scope.get_compound(db.session, current_user, compound_id, roles={"admin", "community", "firm_manager"})
    form = RosterForm()
    result, row_errors = None, []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = roster.import_roster(db.session, current_user, compound_id, upload.filename, upload.read())
            db.session.commit()
        except RowErrors as exc:
            db.session.rollback()
            row_errors = exc.rows
            form.file.errors.append(exc.message)
        except ValidationError as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
    return render_template("places/roster.html", compound=item, form=form, result=result, row_errors=row_errors)


@bp.get("/roster-template.xlsx")
@login_required
def roster_template():
    return send_file(BytesIO(roster.roster_template()), mimetype=XLSX, as_attachment=True,
                     download_name="roster-template-业主花名册模板.xlsx")
