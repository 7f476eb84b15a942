"""Demo: an open vote on renewing the property firm in the demo committee's compound, with
paper ballots already entered and confirmed; the demo owner can still vote online."""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from pm_platform.committees import service
from pm_platform.committees.models import Motion, RegisterUnit, RegisterVoter
from pm_platform.core import clock
from pm_platform.core.models import User
from pm_platform.places.demo import DEMO_PASSWORD
from pm_platform.places.models import RoleGrant
from pm_platform.places.service import create_user_with_role

TITLE = "关于续聘物业服务企业的表决"


def build_demo(session: Session, rng: random.Random, size: str = "full") -> str:
    """The same vote at either size (the small district's compound has fewer owners)."""
    committee = session.scalar(select(User).where(User.username == "committee"))
    if committee is None:
        return "skipped (no demo committee)"
    compound_id = session.scalar(select(RoleGrant.scope_id).where(RoleGrant.user_id == committee.id,
                                                                  RoleGrant.role == "committee"))
    if session.scalar(select(Motion.id).where(Motion.compound_id == compound_id, Motion.title == TITLE)):
        return "already present"
    second = create_user_with_role(session, "committee2", DEMO_PASSWORD, "committee", f"compound:{compound_id}")
    service.adopt_rule_set(session, committee, compound_id, proxy_limit=5, objection_days=7)
    now = clock.now_utc()
    motion = service.create_motion(
        session, committee, compound_id, title=TITLE, category="firm_hiring",
        body="现物业服务合同即将到期。拟续聘现物业服务企业,服务期三年,收费标准不变。请业主在投票期内表决。",
        notice_on=clock.local_today() - dt.timedelta(days=15),
        opens_at=now - dt.timedelta(days=2), closes_at=now + dt.timedelta(days=12))
    service.open_motion(session, committee, motion.id)
    owner_user = session.scalar(select(User).where(User.username == "owner"))
    own_owner = service.owner_of(session, owner_user) if owner_user else None
    own_voter = service.voter_for(session, motion, own_owner) if own_owner else None
    voters = session.scalars(select(RegisterVoter).where(RegisterVoter.motion_id == motion.id,
                                                         RegisterVoter.id != (own_voter.id if own_voter else 0))).all()
    first_unit = dict(session.execute(select(RegisterUnit.voter_id, RegisterUnit.unit_id)
                                      .where(RegisterUnit.motion_id == motion.id).order_by(RegisterUnit.unit_id.desc())).all())
    entered = rng.sample(voters, k=len(voters) * 11 // 20)
    for voter in entered:
        choice = rng.choices(["agree", "disagree", "abstain"], weights=[7, 2, 1])[0]
        paper = service.enter_paper_ballot(session, committee, motion.id, first_unit[voter.id], choice,
                                           "纸质表决票扫描件.txt", "demo scan".encode())
        service.confirm_paper_ballot(session, second, paper.id)
    return f"1 open motion with {len(entered)} confirmed paper ballots of {motion.total_owners} owners"
