"""Pages for compounds, their units and the roster import."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from io import BytesIO

from pm_platform.core.errors import RowErrors, ValidationError
from pm_platform.core.forms import ActionForm, attach_error
from pm_platform.extensions import db
from pm_platform.places import roster, scope, service
from pm_platform.places.scope import ALL_ROLES
from pm_platform.places.forms import DEVICE_KIND_LABELS, DeviceForm, RosterForm

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
                           can_import=bool(roles & {"admin", "community", "firm_manager"}),
                           can_see_devices=bool(roles & service.DEVICE_VIEWER_ROLES))


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
        except RowErrors as exc:
            db.session.rollback()
            row_errors = exc.localized_rows
            form.file.errors.append(exc.localized)
        except ValidationError as exc:
            db.session.rollback()
            form.file.errors.append(exc.localized)
    return render_template("places/roster.html", compound=item, form=form, result=result, row_errors=row_errors)


@bp.get("/roster-template.xlsx")
@login_required
def roster_template():
    return send_file(BytesIO(roster.roster_template()), mimetype=XLSX, as_attachment=True,
                     download_name="roster-template-业主花名册模板.xlsx")


# --- devices (gates and locker cabinets) ---------------------------------------

def _devices_page(compound_id: int, form: DeviceForm):
    compound = scope.get_compound(db.session, current_user, compound_id, roles=service.DEVICE_VIEWER_ROLES)
    can_manage = bool(scope.roles_on(db.session, current_user, compound_id) & service.DEVICE_MANAGER_ROLES)
    return render_template("places/devices.html", compound=compound, form=form, can_manage=can_manage,
                           devices=service.list_devices(db.session, current_user, compound_id),
                           kinds=DEVICE_KIND_LABELS)


@bp.get("/compounds/<int:compound_id>/devices")
@login_required
def devices(compound_id: int):
    return _devices_page(compound_id, DeviceForm())


@bp.post("/compounds/<int:compound_id>/devices")
@login_required
def create_device(compound_id: int):
    compound = scope.get_compound(db.session, current_user, compound_id, roles=service.DEVICE_MANAGER_ROLES)
    form = DeviceForm()
    if form.validate_on_submit():
        try:
            device, key = service.create_device(db.session, current_user, form.kind.data, compound_id, form.name.data)
        except ValidationError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            # The key lives in this one response: never in a URL, the session cookie or a cache.
            response = make_response(render_template("places/device_key.html", compound=compound, device=device,
                                                     key=key, kinds=DEVICE_KIND_LABELS))
            response.headers["Cache-Control"] = "no-store"
            return response
    return _devices_page(compound_id, form)


@bp.route("/devices/<int:device_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke_device(device_id: int):
    device = service.get_device(db.session, current_user, device_id, roles=service.DEVICE_MANAGER_ROLES)
    form = ActionForm()
    if form.validate_on_submit():
        service.revoke_device(db.session, current_user, device_id)
        flash(_("Device %(name)s revoked: its key is refused from now on.", name=device.name))
        return redirect(url_for("places.devices", compound_id=device.compound_id))
    return render_template("places/device_revoke.html", device=device, form=form, kinds=DEVICE_KIND_LABELS)
