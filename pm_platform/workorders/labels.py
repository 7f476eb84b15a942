"""Words shown for the codes stored in work orders (translated on display)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORY = {
    "water": _l("Water supply / leak"), "power": _l("Power"), "gas": _l("Gas"),
    "lift_trapped": _l("Someone trapped in a lift"), "lift": _l("Lift fault"), "drain": _l("Drains / sewage"),
    "roof_leak": _l("Roof or wall leak"), "road": _l("Roads and paths"), "lighting": _l("Lighting"),
    "fire_safety": _l("Fire safety"), "parking": _l("Parking"), "ev_charging": _l("EV charging"),
    "greenery": _l("Greenery"), "sanitation": _l("Cleaning and rubbish"), "noise": _l("Noise"),
    "security": _l("Security"), "facility": _l("Shared facility"), "other": _l("Other"),
}
STATUS = {
    "new": _l("New"), "accepted": _l("Accepted"), "assigned": _l("Assigned"), "in_progress": _l("In progress"),
    "resolved": _l("Resolved, awaiting confirmation"), "closed": _l("Closed"), "reopened": _l("Reopened"),
}
PRIORITY = {"urgent": _l("Urgent"), "normal": _l("Normal"), "complex": _l("Complex")}
SOURCE = {"resident": _l("Resident"), "staff": _l("Phone or walk-in"), "hotline_12345": _l("12345 hotline"),
          "inspection": _l("Inspection"), "spot_check": _l("Spot check")}
CLOSE_KIND = {"confirmed": _l("Confirmed by the reporter"), "unconfirmed": _l("Closed without confirmation"),
              "reinspection": _l("Closed after re-inspection")}
EVENT = {
    "created": _l("Reported"), "reporter_added": _l("Reported again by another resident"),
    "accepted": _l("Accepted"), "assigned": _l("Assigned"), "started": _l("Work started"),
    "resolved": _l("Resolved"), "reopened": _l("Reopened"), "closed_confirmed": _l("Confirmed and rated"),
    "closed_unconfirmed": _l("Closed without confirmation"), "closed_reinspection": _l("Closed after re-inspection"),
    "reinspection_passed": _l("Re-inspection passed"), "escalated": _l("Escalated"),
    "rebound": _l("The problem came back (rebound)"), "rebounded": _l("A rebound was reported"),
    "follow_up": _l("Follow-up visit"),
}
WORKER_ROLE = {"firm_staff": _l("Firm staff"), "firm_manager": _l("Firm manager"),
               "community": _l("Community office"), "street": _l("Street office")}
ESCALATION = {0: "", 1: _l("Firm manager"), 2: _l("Community office"), 3: _l("Street office")}
NOTICE_KIND = {"water_outage": _l("Water cut"), "power_outage": _l("Power cut"), "lift_outage": _l("Lift out of service"),
               "fee_reminder": _l("Fee reminder"), "meeting": _l("Meeting"), "other": _l("Notice")}
