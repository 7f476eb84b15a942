"""Looking at a PDF as a person would: its pages, the text of a page, page 1 as an image."""
from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageOps


def _keep(data: bytes) -> None:
    """With PDF_LOOK_DIR set, every PDF a test reads is also written there (to look at by hand)."""
    folder = os.environ.get("PDF_LOOK_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{hashlib.sha256(data).hexdigest()[:10]}.pdf").write_bytes(data)


def _run(*argv: str, data: bytes) -> str:
    _keep(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        argv = tuple(str(path) if arg == "{pdf}" else arg for arg in argv)
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def page_count(data: bytes) -> int:
    info = _run("pdfinfo", "{pdf}", data=data)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_size(data: bytes) -> str:
    """pdfinfo's "Page size" line, e.g. "595.276 x 841.89 pts (A4)"."""
    info = _run("pdfinfo", "{pdf}", data=data)
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Page size:"))


def page_text(data: bytes, page: int | None = None) -> str:
    """The text pdftotext reads on one page (or all of them), in reading layout."""
    pages = ("-f", str(page), "-l", str(page)) if page else ()
    return _run("pdftotext", "-layout", "-enc", "UTF-8", *pages, "{pdf}", "-", data=data)


def page_image(data: bytes, page: int = 1, dpi: int = 60) -> Image.Image:
    """Page `page` rendered by pdftoppm, as an RGB image."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile",
                        str(path), str(Path(tmp) / "page")], check=True, capture_output=True)
        with Image.open(Path(tmp) / "page.png") as image:
            return image.convert("RGB")


def ink(image: Image.Image) -> float:
    """The share of the page that is not (near) white: 0.0 for a blank page."""
    grey = ImageOps.grayscale(image)
    dark = sum(grey.histogram()[:200])
    return dark / (grey.width * grey.height)


def empty_sections(text: str, headings: list[str]) -> list[str]:
    """The headings (among `headings`, in the order they print) with no line of text under them
    before the next heading or the end of the page text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = [(i, h) for i, line in enumerate(lines) for h in headings if line.startswith(h)]
    empty = []
    for n, (index, heading) in enumerate(found):
        following = found[n + 1][0] if n + 1 < len(found) else len(lines)
        if following == index + 1:
            empty.append(heading)
    return empty
