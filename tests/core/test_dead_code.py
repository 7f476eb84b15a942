"""No dead code: every function, method, class and import of the platform has a caller (vulture,
reading pm_platform/, tasks/ and wsgi.py). Framework hooks that are called by name are listed
here with who calls them; anything else it finds is to be used or deleted."""
from pathlib import Path

import vulture

ROOT = Path(__file__).resolve().parents[2]

# Decorators that register a function with a framework (it is called, just not by our code).
REGISTERING_DECORATORS = [
    "@bp.*", "@blp.*", "@*.route", "@*.get", "@*.post", "@*.command", "@click.*", "@*.group",
    "@*.errorhandler", "@*.context_processor", "@*.before_request", "@*.after_request", "@*.teardown_*",
    "@service_task", "@shared_task", "@*.listens_for", "@login_manager.*", "@*.connect",
    "@validates*", "@pre_load", "@post_load", "@pre_dump", "@post_dump", "@validates_schema",
    "@property", "@*.setter", "@staticmethod", "@classmethod", "@public", "@*.user_loader",
]
# Called by name by a library, each with its caller.
HOOKS = {
    "process_formdata", "_value", "pre_validate",  # WTForms fields
    "get_cookie_secure",                           # Flask's session interface
    "get_id",                                      # Flask-Login
    "operation_helper",                            # apispec plugins (core/apidoc.py)
    "_credit", "_facility",                        # marshmallow fields.Method("…")
    "write_csv",  # core/sheets: the CSV writer whose output the importers read (round-trip tested)
    "ErrorSchema",  # core/schemas: the error body the OpenAPI document declares
}


def test_nothing_in_the_platform_is_unused():
    scan = vulture.Vulture(ignore_decorators=REGISTERING_DECORATORS, ignore_names=sorted(HOOKS))
    scan.scavenge([str(ROOT / "pm_platform"), str(ROOT / "tasks"), str(ROOT / "wsgi.py")])
    unused = [f"{item.filename.relative_to(ROOT) if hasattr(item.filename, 'relative_to') else item.filename}:"
              f"{item.first_lineno} {item.typ} {item.name}"
              for item in scan.get_unused_code(min_confidence=60)
              if item.typ in ("function", "method", "class", "import")]
    assert unused == []
