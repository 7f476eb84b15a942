"""Places and people over the JSON API. Paths and fields are a contract for outside clients."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.core.apidoc import upload_body
from pm_platform.core.errors import ValidationError
from pm_platform.extensions import db
from pm_platform.places import roster, scope, service
from pm_platform.places.schemas import (
    CompoundInSchema, CompoundSchema, MeSchema, PageArgsSchema, PlaceInSchema, PlaceSchema,
    RosterResultSchema, UnitSchema,
)

blp = Blueprint("places_api", __name__, description="Places, compounds, units and rosters")


@blp.get("/me")
@blp.response(200, MeSchema)
def me():
    grants = [{"role": g.role, "scope": f"{g.kind}:{g.id}" if g.kind else None}
              for g in scope.grants_of(db.session, current_user)]
    return {"id": current_user.id, "username": current_user.username,
            "display_name": current_user.display_name, "grants": grants}


@blp.post("/places")
@blp.arguments(PlaceInSchema)
@blp.response(201, PlaceSchema)
def create_place(data):
    area = service.create_area(db.session, current_user, data["kind"], data["name"], data["parent_id"])
    return area


@blp.get("/compounds")
@blp.response(200, CompoundSchema(many=True))
def list_compounds():
    return service.list_compounds(db.session, current_user)


@blp.post("/compounds")
@blp.arguments(CompoundInSchema)
@blp.response(201, CompoundSchema)
def create_compound(data):
    compound = service.create_compound(db.session, current_user, data["name"], data["community_id"], data["address"])
    return compound


@blp.get("/compounds/<int:compound_id>")
@blp.response(200, CompoundSchema)
def get_compound(compound_id: int):
    return scope.get_compound(db.session, current_user, compound_id)


@blp.get("/compounds/<int:compound_id>/units")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, UnitSchema(many=True))
def list_units(args, compound_id: int):
    return service.list_units(db.session, current_user, compound_id, args["limit"], args["offset"])


@blp.post("/compounds/<int:compound_id>/roster")
@blp.doc(requestBody=upload_body("file", "the roster, .xlsx or .csv"))
@blp.response(200, RosterResultSchema)
@blp.alt_response(422, description="Row errors: {error: {code, message, field, rows: [{row, column, message}]}}")
def import_roster(compound_id: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError("attach the roster as multipart field 'file'", "file")
    result = roster.import_roster(db.session, current_user, compound_id, upload.filename, upload.read())
    return result
