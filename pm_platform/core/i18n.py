"""Translation catalogs: one per domain, compiled from .po to .mo at setup and test time."""
from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def translation_dirs() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*/translations"))


def compile_catalogs() -> int:
    """Compile every domain's messages.po whose .mo is missing or older; returns how many."""
    compiled = 0
    for po_path in PACKAGE_DIR.glob("*/translations/*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        compiled += 1
    return compiled
