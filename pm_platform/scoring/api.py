"""Scores over the JSON API. Paths and fields are a contract for outside clients."""
from __future__ import annotations

import base64
import binascii

from flask_login import current_user
from flask_smorest import Blueprint

from pm_platform.core.errors import ValidationError
from pm_platform.extensions import db
from pm_platform.scoring import boards, service
from pm_platform.scoring.schemas import (
    CardListArgs, CardListSchema, CardSchema, RedBlackArgs, RedBlackSchema, SpotCheckInSchema, SpotCheckSchema,
)

blp = Blueprint("scoring_api", __name__, description="Scorecards, red/black lists and spot checks")


@blp.get("/scorecards")
@blp.arguments(CardListArgs, location="query")
@blp.response(200, CardListSchema)
def list_scorecards(args):
    """Current cards of a month in a scope, and each firm's area-weighted score over them."""
    return boards.card_list(db.session, current_user, args["month"], args["scope"])


@blp.get("/scorecards/<int:card_id>")
@blp.response(200, CardSchema)
def get_scorecard(card_id: int):
    """One card: every indicator with its raw figures and points, and the card's revisions."""
    return boards.card_detail(db.session, current_user, card_id)


@blp.get("/redblack")
@blp.arguments(RedBlackArgs, location="query")
@blp.response(200, RedBlackSchema)
def get_redblack(args):
    """The month's red and black lists: as published, or a preview until they are."""
    return boards.redblack(db.session, current_user, args["month"], args["scope"])


def _photos(key: str, photos: list[dict]) -> list[tuple[str, bytes]]:
    try:
        return [(p["content_type"], base64.b64decode(p["data_base64"], validate=True)) for p in photos]
    except (binascii.Error, ValueError):
        raise ValidationError("{item}: a photo is not valid base64", key, item=key) from None


@blp.post("/compounds/<int:compound_id>/spot-checks")
@blp.arguments(SpotCheckInSchema)
@blp.response(201, SpotCheckSchema)
def create_spot_check(data, compound_id: int):
    """Record a community office's spot check: every item scored 0–10, photos optional."""
    items = {key: {"score": item["score"], "note": item["note"], "photos": _photos(key, item["photos"])}
             for key, item in data["items"].items()}
    check = service.record_spot_check(db.session, current_user, compound_id, data["checked_on"], items, data["note"],
                                      data["open_work_orders"])
    return check
