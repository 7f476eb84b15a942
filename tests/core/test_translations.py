"""The Chinese catalogs: every label the pages show and every message a service refuses with is
translated, and no two domains disagree.

Flask-Babel merges the domains' catalogs into one, the last loaded winning, so a word translated
one way by fees and another by scoring would show scoring's word on the owner's bill page.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from pm_platform.core.i18n import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
# A service's refusal is shown on pages in the reader's language (DomainError.localized).
ERRORS = {"DomainError", "ValidationError", "NotFound", "PermissionDenied", "Unauthorized", "Conflict",
          "PresenceNotProven", "LabelReplaced"}
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2),
            **{name: None for name in ERRORS}}


def chinese_catalogs() -> dict[str, dict[str, str]]:
    """domain → {English: Chinese}; a plural entry is keyed by its singular."""
    catalogs = {}
    for po_path in sorted(PACKAGE_DIR.glob("*/translations/zh/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        catalogs[po_path.parts[-5]] = {
            _first(message.id): _first(message.string) for message in catalog if message.id and message.string}
    return catalogs


def _first(text: str | tuple) -> str:
    return text if isinstance(text, str) else text[0]


def asked_for() -> dict[str, str]:
    """English text → 'file:line' of one place that shows it, from the code and the templates."""
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    options = {"**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {}
    for folder in (PACKAGE_DIR, ROOT / "templates"):
        for filename, line, message, _comments, _context in extract_from_dir(
                folder, method_map, options, keywords=KEYWORDS):
            found.setdefault(_first(message), f"{Path(folder.name) / filename}:{line}")
    return found


def test_every_text_the_pages_show_has_a_chinese_translation():
    translated = set().union(*chinese_catalogs().values())
    shown = asked_for()
    assert len(shown) > 1000  # the extraction really read the code and the templates
    assert {text: where for text, where in shown.items() if text not in translated} == {}


def test_service_errors_are_fixed_text_with_placeholders():
    """An f-string message cannot be looked up in a catalog: values go in as {name} keywords."""
    formatted = []
    for path in PACKAGE_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS and node.args
                    and not isinstance(node.args[0], ast.Constant)):
                formatted.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert formatted == []


def test_no_two_domains_translate_the_same_text_differently():
    translations = defaultdict(dict)
    for domain, catalog in chinese_catalogs().items():
        for english, chinese in catalog.items():
            translations[english][domain] = chinese
    assert {english: by_domain for english, by_domain in translations.items()
            if len(set(by_domain.values())) > 1} == {}

