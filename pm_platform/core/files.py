"""Uploaded file names: kept for people to read, never used as a path.

A name arrives as the uploader typed it (`../../etc/passwd`, `C:\\x\\scan.pdf`, control
characters). `safe_filename` keeps its last part, readable (Chinese included), with nothing that a
file system or an archive would read as a directory or a device.

    >>> safe_filename("../../委托书.pdf")
    '委托书.pdf'
    >>> safe_filename("..")
    'file'
"""
from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def safe_filename(name: str | None, fallback: str = "file") -> str:
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    if not name:
        return fallback
    if len(name) > MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_LENGTH - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:MAX_LENGTH]
    return name
