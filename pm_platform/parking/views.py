"""Pages for lot managers (occupancy, takings, anomalies; tariffs, spaces, vehicles and passes,
black and white lists, coupons) and for owners (their vehicles, a month's pass bought online)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from pm_platform.core import clock, money
from pm_platform.core.forms import submit_form
from pm_platform.extensions import db
from pm_platform.fees import payments
from pm_platform.parking import service
from pm_platform.parking.forms import (
    CAR_TYPE_LABELS, CHANNEL_LABELS, LIST_KIND_LABELS, SPACE_KIND_LABELS, TEMPLATE_LABELS, BuyPassForm, CouponForm,
    PassForm, PassPriceForm, PlateListForm, ResolveForm, SpaceForm, TariffForm, VehicleForm,
)
from pm_platform.places import scope, service as places

bp = Blueprint("parking", __name__)
NAV = [("parking.lots", _l("Parking lots"), service.VIEWER_ROLES),
       ("parking.my_vehicles", _l("My vehicles"), {"owner"})]
LABELS = {"car_type": CAR_TYPE_LABELS, "space": SPACE_KIND_LABELS, "list": LIST_KIND_LABELS,
          "template": TEMPLATE_LABELS, "channel": CHANNEL_LABELS}
# the service's refusals these forms can meet, in the page's language; others read as the service words them
MESSAGES = {
    ("conflict", "plate"): _l("This plate is already registered in this compound."),
    ("conflict", "code"): _l("This lot already has a space with this number."),
    ("conflict", "effective_from"): _l("A tariff for this car type already starts at that time."),
    ("invalid", "effective_from"): _l("A tariff cannot start in the past: stays already begun keep their tariff."),
    ("invalid", "unit_id"): _l("The unit is not in this compound."),
    ("invalid", "valid_to"): _l("The last day must not be before the first day."),
    ("invalid", "free_minutes"): _l("Give free minutes or an amount off."),
    ("invalid", "monthly_pass_price_fen"): _l("The price must be more than 0."),
    ("invalid", "tariff.day_start"): _l("Enter a time like 07:00."),
    ("invalid", "tariff.day_end"): _l("Enter a time like 19:00, after the day begins."),
}

# What an anomaly means, in the page's language. The gate stores its note in English (the API's
# words, kept as they are); the page explains the anomaly from its kind and plate instead.
ANOMALY_NOTES = {
    "exit_without_entry": _l("No entry was recorded: charged as 24 hours up to the exit."),
    "entry_without_exit": _l("No exit was recorded: the earlier stay was closed at this entry."),
    "bad_plate": _l("The gate sent a plate that cannot be read: %(plate)s"),
    "future_time": _l("The gate's clock is ahead: the event's time is later than the server's."),
    "out_of_order": _l("The event is earlier than this plate's last event."),
}


def anomaly_note(anomaly) -> str:
    note = ANOMALY_NOTES.get(anomaly.kind)
    return anomaly.note if note is None else str(note) % {"plate": anomaly.plate}


@bp.context_processor
def labels():
    return {"labels": LABELS, "anomaly_note": anomaly_note}


def _submit(form, action, done: str) -> bool:
    """Save the form through `action()`; a refused input goes onto its field, in our words."""
    saved = submit_form(form, action, lambda exc: str(MESSAGES.get((exc.code, exc.field), exc.localized)))
    if saved:
        flash(done)
    return saved


def _render(template: str, lot, **context):
    """A lot page, with the tabs the user's roles on the lot's compound open."""
    roles = scope.roles_on(db.session, current_user, lot.compound_id)
    return render_template(template, lot=lot, can_manage=bool(roles & service.MANAGER_ROLES),
                           can_serve=bool(roles & service.STAFF_ROLES), **context)


def _units(compound_id: int) -> dict[int, str]:
    return {unit.id: unit.label for unit in places.list_units(db.session, current_user, compound_id)}


def _unit_choices(units: dict[int, str]) -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(unit_id, label) for unit_id, label in units.items()]


@bp.get("/parking")
@login_required
def lots():
    items = service.list_lots(db.session, current_user)
    return render_template("parking/lots.html", figures=[service.lot_figures(db.session, lot) for lot in items])


@bp.get("/parking/lots/<int:lot_id>")
@login_required
def lot(lot_id: int):
    item = service.get_lot(db.session, current_user, lot_id)
    return _render("parking/lot.html", item, figures=service.lot_figures(db.session, item),
                   anomalies=service.open_anomalies(db.session, item), form=ResolveForm(),
                   sessions=service.recent_stays(db.session, item))


@bp.post("/parking/anomalies/<int:anomaly_id>/resolve")
@login_required
def resolve(anomaly_id: int):
    form = ResolveForm()
    anomaly = service.resolve_anomaly(db.session, current_user, anomaly_id, form.note.data or "")
    flash(_("Anomaly marked as handled."))
    return redirect(url_for("parking.lot", lot_id=anomaly.lot_id))


# --- the lot manager's forms ------------------------------------------------------------------

@bp.route("/parking/lots/<int:lot_id>/tariffs", methods=["GET", "POST"])
@login_required
def tariffs(lot_id: int):
    item = service.get_lot(db.session, current_user, lot_id, roles=service.MANAGER_ROLES)
    form = TariffForm()
    if _submit(form, lambda: service.set_tariff(db.session, current_user, lot_id, form.car_type.data, form.params(),
                                                form.starts_at()), _("Tariff saved.")):
        return redirect(url_for("parking.tariffs", lot_id=lot_id))
    return _render("parking/tariffs.html", item, form=form,
                   history=service.tariff_history(db.session, current_user, lot_id))


@bp.route("/parking/lots/<int:lot_id>/spaces", methods=["GET", "POST"])
@login_required
def spaces(lot_id: int):
    item = service.get_lot(db.session, current_user, lot_id, roles=service.MANAGER_ROLES)
    units = _units(item.compound_id)
    form = SpaceForm()
    form.unit_id.choices = _unit_choices(units)
    if _submit(form, lambda: service.add_space(db.session, current_user, lot_id, form.code.data, form.kind.data,
                                               form.unit_id.data), _("Space added.")):
        return redirect(url_for("parking.spaces", lot_id=lot_id))
    return _render("parking/spaces.html", item, form=form, units=units,
                   spaces=service.list_spaces(db.session, current_user, lot_id))


def _vehicle_forms(lot, units: dict[int, str], vehicles, posted: str | None) -> dict:
    """The vehicles page's three forms; only the one posted reads the request."""
    def make(form_class, name, **defaults):
        return form_class() if name == posted else form_class(formdata=None, **defaults)

    today = clock.local_today()
    price = money.format_yuan(lot.monthly_pass_price_fen) if lot.monthly_pass_price_fen else ""
    forms = {"vehicle_form": make(VehicleForm, "vehicle"),
             "pass_form": make(PassForm, "pass", valid_from=today, valid_to=service.month_pass_end(today), price=price),
             "price_form": make(PassPriceForm, "price", monthly_pass_price=price)}
    forms["vehicle_form"].unit_id.choices = _unit_choices(units)
    forms["pass_form"].vehicle_id.choices = [SelectChoice(v.id, v.plate) for v in vehicles]
    return forms


def _vehicles_page(lot_id: int, posted: str, action, done: str):
    """The vehicles and passes page, taking the form named `posted` when it is submitted."""
    item = service.get_lot(db.session, current_user, lot_id, roles=service.MANAGER_ROLES)
    units = _units(item.compound_id)
    vehicles = service.list_vehicles(db.session, current_user, item.compound_id)
    forms = _vehicle_forms(item, units, vehicles, posted if request.method == "POST" else None)
    form = forms[f"{posted}_form"]
    if _submit(form, lambda: action(item, form), done):
        return redirect(url_for("parking.vehicles", lot_id=lot_id))
    return _render("parking/vehicles.html", item, units=units, vehicles=vehicles, **forms)


@bp.route("/parking/lots/<int:lot_id>/vehicles", methods=["GET", "POST"])
@login_required
def vehicles(lot_id: int):
    return _vehicles_page(lot_id, "vehicle", lambda lot, form: service.register_vehicle(
        db.session, current_user, lot.compound_id, form.plate.data, form.car_type.data, form.unit_id.data),
        _("Vehicle registered."))


@bp.post("/parking/lots/<int:lot_id>/passes")
@login_required
def sell_pass(lot_id: int):
    return _vehicles_page(lot_id, "pass", lambda lot, form: service.sell_pass(
        db.session, current_user, form.vehicle_id.data, lot.id, form.valid_from.data, form.valid_to.data,
        form.price.fen), _("Pass sold."))


@bp.post("/parking/lots/<int:lot_id>/pass-price")
@login_required
def pass_price(lot_id: int):
    return _vehicles_page(lot_id, "price", lambda lot, form: service.set_pass_price(
        db.session, current_user, lot.id, form.monthly_pass_price.fen), _("Monthly pass price saved."))


@bp.route("/parking/lots/<int:lot_id>/plate-lists", methods=["GET", "POST"])
@login_required
def plate_lists(lot_id: int):
    item = service.get_lot(db.session, current_user, lot_id, roles=service.MANAGER_ROLES)
    form = PlateListForm()
    if _submit(form, lambda: service.set_plate_list(db.session, current_user, item.compound_id, form.plate.data,
                                                    form.kind.data, form.reason.data or ""), _("Plate listed.")):
        return redirect(url_for("parking.plate_lists", lot_id=lot_id))
    return _render("parking/plate_lists.html", item, form=form,
                   entries=service.list_plate_entries(db.session, current_user, item.compound_id))


@bp.route("/parking/lots/<int:lot_id>/coupons", methods=["GET", "POST"])
@login_required
def coupons(lot_id: int):
    item = service.get_lot(db.session, current_user, lot_id, roles=service.STAFF_ROLES)
    form = CouponForm()
    if _submit(form, lambda: service.issue_coupon(db.session, current_user, lot_id, form.plate.data,
                                                  form.issuer.data or "", free_minutes=form.free_minutes.data or 0,
                                                  amount_off_fen=form.amount_off.fen or 0), _("Coupon issued.")):
        return redirect(url_for("parking.coupons", lot_id=lot_id))
    return _render("parking/coupons.html", item, form=form,
                   coupons=service.recent_coupons(db.session, current_user, lot_id))


# --- owners ------------------------------------------------------------------------------------

@bp.get("/parking/my")
@login_required
def my_vehicles():
    items = service.owner_vehicles(db.session, current_user)
    selling = service.lots_selling_passes(db.session, {v.compound_id for v in items})
    # what each vehicle can buy: a lot of its compound, with the period a pass bought now would cover
    offers = {v.id: [(lot, *service.next_pass_period(db.session, v.id, lot.id))
                     for lot in selling if lot.compound_id == v.compound_id] for v in items}
    return render_template("parking/my_vehicles.html", vehicles=items, offers=offers, form=BuyPassForm())


@bp.post("/parking/vehicles/<int:vehicle_id>/buy-pass")
@login_required
def buy_pass(vehicle_id: int):
    """An owner's buy button: an order for a month's pass, then the provider's checkout."""
    form = BuyPassForm()
    if not form.validate_on_submit():
        abort(400)
    order = service.buy_pass_online(db.session, current_user, vehicle_id, form.lot_id.data)
    return redirect(payments.checkout_url(order, url_for("parking.my_vehicles")))
