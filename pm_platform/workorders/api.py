"""Work orders over the JSON API. Paths and fields are a contract for outside clients."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.core.errors import ValidationError
from pm_platform.extensions import db
from pm_platform.places import scope
from pm_platform.workorders import hotline, service
from pm_platform.workorders.figures import workorder_figures
from pm_platform.workorders.models import WorkOrder
from pm_platform.workorders.schemas import (
    ImportArgsSchema, ImportResultSchema, ListArgsSchema, PeriodArgsSchema, RatingInSchema, StatsSchema, TransitionInSchema,
    WorkOrderInSchema, WorkOrderSchema, WorkOrderSummarySchema,
)

blp = Blueprint("workorders_api", __name__, description="Work orders: reports, 12345 tickets, closure")
STATS_ROLES = scope.OFFICE_ROLES | {"firm_manager", "committee"}


@blp.post("/workorders")
@blp.arguments(WorkOrderInSchema)
@blp.response(201, WorkOrderSchema)
def create_work_order(data):
    order = service.create_work_order(db.session, current_user, **data)
    return order


@blp.get("/workorders")
@blp.arguments(ListArgsSchema, location="query")
@blp.response(200, WorkOrderSummarySchema(many=True))
def list_work_orders(args):
    """The orders the caller may see (a resident's own, a repairer's assigned, a compound's for
    offices and managers), newest first."""
    query = service.visible_orders(db.session, current_user)
    if args["status"]:
        query = query.where(WorkOrder.status == args["status"])
    if args["compound_id"]:
        query = query.where(WorkOrder.compound_id == args["compound_id"])
    return db.session.scalars(query.order_by(WorkOrder.id.desc()).limit(args["limit"]).offset(args["offset"])).all()


@blp.get("/workorders/<int:work_order_id>")
@blp.response(200, WorkOrderSchema)
def get_work_order(work_order_id: int):
    return service.get_work_order(db.session, current_user, work_order_id)


@blp.post("/workorders/<int:work_order_id>/transitions")
@blp.arguments(TransitionInSchema)
@blp.response(200, WorkOrderSchema)
def transition(data, work_order_id: int):
    order = service.transition_work_order(db.session, current_user, work_order_id, data["to"], note=data["note"],
                                          photos=data["photos"], assignee_id=data["assignee_id"])
    return order


@blp.post("/workorders/<int:work_order_id>/rating")
@blp.arguments(RatingInSchema)
@blp.response(200, WorkOrderSchema)
def rate(data, work_order_id: int):
    order = service.rate_work_order(db.session, current_user, work_order_id, data["stars"], data["comment"])
    return order


@blp.post("/workorders/imports/12345")
@blp.arguments(ImportArgsSchema, location="form", content_type="multipart/form-data")
@blp.response(200, ImportResultSchema)
@blp.alt_response(422, description="Row errors: {error: {code, message, field, rows: [{row, column, message}]}}")
def import_hotline(args):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("attach the 12345 tickets as multipart field 'file'", "file")
    result = hotline.import_hotline_tickets(db.session, current_user, upload.filename, upload.read(),
                                            args["compound_id"])
    return result


@blp.get("/compounds/<int:compound_id>/workorder-stats")
@blp.arguments(PeriodArgsSchema, location="query")
@blp.response(200, StatsSchema)
def stats(args, compound_id: int):
    scope.get_compound(db.session, current_user, compound_id, STATS_ROLES)
    figures = workorder_figures(db.session, [compound_id], args["period"])[compound_id]
    rates = {name: {"numerator": n, "denominator": d} for name, (n, d) in figures.ratios().items()}
    return {**vars(figures), "compound_id": compound_id, "period": args["period"],
            "median_resolve_seconds": figures.median_resolve_seconds, "rates": rates}
