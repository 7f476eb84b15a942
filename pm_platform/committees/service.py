"""The owners' assembly: the public face of the assembly modules. Callers keep importing this
module (`from pm_platform.committees import service`); the code lives in:

- committees/common.py: TALLY_ROLES, the upload limit, who manages an assembly (can_manage) and
  the row lock the voting paths share;
- committees/motions.py: verification of owners, meeting rules, motions and the frozen register;
- committees/ballots.py: ballots, proxies and paper ballots;
- committees/tally.py: the tally, election results, receipts, the public motion;
- committees/closing.py: closing, objections, finalising, the announcement, committee terms;
- committees/documents.py: governance for the offices' documents, the evidence pack, the desk.

The modules import each other in that order only and never this module. To patch a function for
a test, patch it in the module that holds it.
"""
from pm_platform.committees.ballots import (
    cast_ballot, committee_queue, confirm_paper_ballot, enter_paper_ballot, my_ballot, proxies_held,
    review_proxy, submit_proxy, voter_for, votes_waiting,
)
from pm_platform.committees.closing import (
    announcement, close_due_motions, finalise_due_motions, objections, raise_objection, remind_terms_ending,
)
from pm_platform.committees.common import TALLY_ROLES, can_manage
from pm_platform.committees.documents import (
    candidate_units, candidates_by_unit, compound_governance, desk, evidence_pack, register_units,
)
from pm_platform.committees.models import Motion
from pm_platform.committees.motions import (
    adopt_rule_set, create_motion, get_motion, list_motions, open_motion, owner_of, register_text,
    rule_set_history, rules_of, verify_ownership,
)
from pm_platform.committees.tally import area_bands, compute_tally, public_motion, receipts, tally
from pm_platform.core import clock
from pm_platform.core.errors import NotFound
from pm_platform.places import scope

__all__ = [
    "Motion", "NotFound", "TALLY_ROLES", "adopt_rule_set", "announcement", "area_bands", "can_manage",
    "candidate_units", "candidates_by_unit", "cast_ballot", "clock", "close_due_motions", "committee_queue",
    "compound_governance", "compute_tally", "confirm_paper_ballot", "create_motion", "desk",
    "enter_paper_ballot", "evidence_pack", "finalise_due_motions", "get_motion", "list_motions", "my_ballot",
    "objections", "open_motion", "owner_of", "proxies_held", "public_motion", "raise_objection", "receipts",
    "register_text", "register_units", "remind_terms_ending", "review_proxy", "rule_set_history", "rules_of",
    "scope", "submit_proxy", "tally", "verify_ownership", "voter_for", "votes_waiting",
]
