"""The owners' assembly over the JSON API. Paths and fields are a contract for outside clients."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.api.auth import public
from pm_platform.committees import service
from pm_platform.committees.schemas import (
    BallotInSchema, MotionInSchema, MotionSchema, ObjectionInSchema, ObjectionSchema, PaperSchema,
    ProxyReviewSchema, ProxySchema, PublicReceiptSchema, ReceiptSchema, RuleSetInSchema, RuleSetSchema,
    TallySchema, VerificationInSchema, VerificationSchema,
)
from pm_platform.core.apidoc import upload_body
from pm_platform.core.errors import NotFound, ValidationError
from pm_platform.core.schemas import DB_INT
from pm_platform.extensions import db, limiter
from pm_platform.places import scope

blp = Blueprint("committees_api", __name__, description="Owners' assembly: motions, ballots, tally (Art. 278)")


def _upload(field: str) -> tuple[str, bytes]:
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise ValidationError("attach the file as multipart field '{name}'", field, name=field)
    return upload.filename, upload.read()


@blp.post("/me/ownership-verifications")
@limiter.limit("10 per hour")  # ID and certificate numbers must not be guessable by brute force
@blp.arguments(VerificationInSchema)
@blp.response(201, VerificationSchema)
@blp.alt_response(429, description="more than 10 tries in an hour: error.retry_after (and Retry-After) says "
                                   "how many seconds to wait")
def verify_ownership(data):
    owner = service.verify_ownership(db.session, current_user, data["id_number"], data["certificate_no"])
    return {"owner_id": owner.id, "name": owner.name,
            "compound_ids": sorted({o.unit.compound_id for o in owner.ownerships})}


@blp.get("/compounds/<int:compound_id>/motions")
@blp.response(200, MotionSchema(many=True))
def list_motions(compound_id: int):
    return service.list_motions(db.session, current_user, compound_id)


@blp.post("/compounds/<int:compound_id>/motions")
@blp.arguments(MotionInSchema)
@blp.response(201, MotionSchema)
def create_motion(data, compound_id: int):
    motion = service.create_motion(db.session, current_user, compound_id, title=data["title"], body=data["body"],
                                   category=data["category"], opens_at=data["opens_at"], closes_at=data["closes_at"],
                                   notice_on=data["notice_on"], seats=data["seats"],
                                   candidate_owner_ids=data["candidates"])
    return motion


@blp.get("/motions/<int:motion_id>")
@blp.response(200, MotionSchema)
def get_motion(motion_id: int):
    return service.get_motion(db.session, current_user, motion_id)


@blp.post("/motions/<int:motion_id>/open")
@blp.response(200, MotionSchema)
def open_motion(motion_id: int):
    motion = service.open_motion(db.session, current_user, motion_id)
    return motion


@blp.post("/motions/<int:motion_id>/ballots")
@blp.arguments(BallotInSchema)
@blp.response(201, ReceiptSchema)
def cast_ballot(data, motion_id: int):
    ballot = service.cast_ballot(db.session, current_user, motion_id, choice=data["choice"],
                                 candidates=data["candidates"], proxy_id=data["proxy_id"])
    return ballot


@blp.get("/motions/<int:motion_id>/tally")
@blp.response(200, TallySchema)
def tally(motion_id: int):
    motion = service.get_motion(db.session, current_user, motion_id)
    if motion.status == "open":  # the live count is for the committee and the offices
        scope.get_compound(db.session, current_user, motion.compound_id, service.TALLY_ROLES)
    return service.tally(db.session, motion)


@blp.get("/motions/<int:motion_id>/receipts")
@public
@blp.response(200, PublicReceiptSchema(many=True))
def receipts(motion_id: int):
    return service.receipts(db.session, service.public_motion(db.session, motion_id))


@blp.post("/motions/<int:motion_id>/proxies")
@blp.doc(requestBody=upload_body("letter", "the signed letter of authorisation (PDF or photo)",
                                 holder={"type": "string", "description": "the proxy holder's account name"}))
@blp.response(201, ProxySchema)
def submit_proxy(motion_id: int):
    name, letter = _upload("letter")
    proxy = service.submit_proxy(db.session, current_user, motion_id, request.form.get("holder", ""), name, letter)
    return proxy


@blp.post("/proxies/<int:proxy_id>/review")
@blp.arguments(ProxyReviewSchema)
@blp.response(200, ProxySchema)
def review_proxy(data, proxy_id: int):
    proxy = service.review_proxy(db.session, current_user, proxy_id, data["accept"])
    return proxy


@blp.post("/motions/<int:motion_id>/paper-ballots")
@blp.doc(requestBody=upload_body("scan", "the scanned paper ballot",
                                 unit_id={"type": "integer", "description": "a unit of the voter",
                                          "minimum": -DB_INT, "maximum": DB_INT},
                                 choice={"type": "string", "enum": ["agree", "disagree", "abstain"]}))
@blp.response(201, PaperSchema)
def enter_paper_ballot(motion_id: int):
    name, scan = _upload("scan")
    unit_id = request.form.get("unit_id", type=int)
    if unit_id is None:
        raise ValidationError("unit_id is required", "unit_id")
    if abs(unit_id) > DB_INT:  # beyond the database's integer: no such unit (not an overflow)
        raise NotFound("that unit is not on this motion's register", "unit_id")
    paper = service.enter_paper_ballot(db.session, current_user, motion_id, unit_id,
                                       request.form.get("choice", ""), name, scan)
    return {"id": paper.id, "motion_id": paper.motion_id, "choice": paper.choice, "status": paper.status,
            "counted_receipt": None}


@blp.post("/paper-ballots/<int:paper_id>/confirm")
@blp.response(200, PaperSchema)
def confirm_paper_ballot(paper_id: int):
    paper, ballot = service.confirm_paper_ballot(db.session, current_user, paper_id)
    return {"id": paper.id, "motion_id": paper.motion_id, "choice": paper.choice, "status": paper.status,
            "counted_receipt": ballot.receipt if ballot else None}


@blp.post("/compounds/<int:compound_id>/meeting-rules")
@blp.arguments(RuleSetInSchema)
@blp.response(201, RuleSetSchema)
def adopt_rule_set(data, compound_id: int):
    rule_set = service.adopt_rule_set(db.session, current_user, compound_id, **data)
    return rule_set


@blp.get("/compounds/<int:compound_id>/meeting-rules")
@blp.response(200, RuleSetSchema(many=True))
def list_rule_sets(compound_id: int):
    return service.rule_set_history(db.session, current_user, compound_id)


@blp.post("/motions/<int:motion_id>/objections")
@blp.arguments(ObjectionInSchema)
@blp.response(201, ObjectionSchema)
def raise_objection(data, motion_id: int):
    objection = service.raise_objection(db.session, current_user, motion_id, data["text"])
    return objection
