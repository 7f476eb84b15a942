import base64
import io

from PIL import Image
from pyzbar.pyzbar import decode

from pm_platform.core.qr import qr_data_uri, qr_png

TOKEN = "https://pm.example.cn/i/Zx8_kP2-qLw9"


def scan(png: bytes) -> list[str]:
    return [symbol.data.decode() for symbol in decode(Image.open(io.BytesIO(png)))]


def test_png_scans_back_to_the_token():
    png = qr_png(TOKEN)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert scan(png) == [TOKEN]


def test_box_size_and_border_set_the_pixel_size():
    small = Image.open(io.BytesIO(qr_png("x", box_size=4, border=2)))
    large = Image.open(io.BytesIO(qr_png("x", box_size=8, border=4)))
    # version 1 is 21 modules wide
    assert small.size == ((21 + 2 * 2) * 4,) * 2
    assert large.size == ((21 + 2 * 4) * 8,) * 2


def test_data_uri_embeds_the_same_png():
    uri = qr_data_uri(TOKEN, box_size=4)
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix):]) == qr_png(TOKEN, box_size=4)
