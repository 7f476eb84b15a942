"""QR codes as PNG bytes, for labels, tickets and receipts."""
from __future__ import annotations

import base64
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def qr_png(data: str, box_size: int = 8, border: int = 2) -> bytes:
    """PNG image of a QR code for `data` (`box_size` pixels per module, `border` modules of margin).

    Level M survives a smudged or partly torn printed label; a border of 2 is below the
    spec's 4, but printed labels and PDFs have white space around them anyway.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)  # the default PIL factory writes PNG
    return buffer.getvalue()


def qr_data_uri(data: str, box_size: int = 8, border: int = 2) -> str:
    """The QR code as a `data:` URI, the only kind of image `core.pdf` lets a template load."""
    png = base64.b64encode(qr_png(data, box_size=box_size, border=border)).decode("ascii")
    return f"data:image/png;base64,{png}"
