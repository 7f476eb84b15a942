"""PDF documents (receipts, notices, dossiers) from Jinja templates, through WeasyPrint."""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

from flask import render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher


class PdfResourceRefused(RuntimeError):
    """A PDF template asked for a file or network resource; embed it as a data: URI instead."""


# A fresh FontConfiguration matches and loads the fonts again on every document: reusing one cut a
# one-page receipt from ~45 to ~33 ms. One per thread, as Pango's font map is not thread-safe.
_local = threading.local()


def _font_config() -> FontConfiguration:
    if not hasattr(_local, "font_config"):
        _local.font_config = FontConfiguration()
    return _local.font_config


# WeasyPrint builds tens of thousands of boxes for a document of 20 pages; the allocations set off
# the cyclic garbage collector again and again, and each full collection walks every object of the
# process. Pausing it while a PDF renders cut the arrears notices of a building from ~0.97 to
# ~0.77 s of CPU (benchmarks/arrears_notices.py); the collector runs as usual afterwards. The
# collector is global, so a count keeps it paused while any thread is still rendering.
_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def _gc_paused():
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` (extending "pdf/base.html") with `context` and return the PDF.

    Needs an app context (it uses Flask's `render_template`). Images must be data: URIs,
    e.g. from `core.qr.qr_data_uri`; a template asking for a file: or network URL raises
    PdfResourceRefused. Relative URLs resolve to nothing (there is no base URL) and are skipped.
    """
    html = render_template(template_name, **context)
    # A PDF must never read local files (file:///etc/…) or make the server call out (SSRF): only
    # inline data: URIs load, and any other URL stops the rendering rather than leaving a silent
    # hole in a receipt. A fetcher per call (~0.2 ms), as it keeps per-request state.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    try:
        with _gc_paused():
            document = HTML(string=html, base_url=None, url_fetcher=fetcher)
            return document.write_pdf(font_config=_font_config())
    except FatalURLFetchingError as error:
        # FatalURLFetchingError is a BaseException: turn it into an ordinary error, or it would
        # slip past Flask's error handling and the worker's.
        raise PdfResourceRefused(f"{template_name}: {error}; only data: URIs may be used") from error
