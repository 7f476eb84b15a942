import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from pyzbar.pyzbar import decode

from pm_platform.core.pdf import PdfResourceRefused, render_pdf
from pm_platform.core.qr import qr_data_uri

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TOKEN = "rcpt-7Hq2xN9vKd"


@pytest.fixture
def app_context():
    # A bare app: these tests need only the templates folder, not the whole platform.
    app = Flask(__name__, template_folder=str(TEMPLATES))
    with app.app_context():
        yield


def selftest(**extra) -> bytes:
    context = {"unit": "3栋2单元501", "amount": "¥1,072.40", "qr": qr_data_uri(TOKEN)}
    return render_pdf("pdf/_selftest.html", {**context, **extra})


def poppler(tmp_path: Path, pdf: bytes, *command: str) -> str:
    """Run a poppler-utils command on `pdf`, written to the path that "{pdf}" stands for."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    argv = [str(path) if arg == "{pdf}" else arg for arg in command]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def test_chinese_text_is_embedded_in_wenquanyi(app_context, tmp_path):
    pdf = selftest()
    assert pdf.startswith(b"%PDF-")

    fonts = poppler(tmp_path, pdf, "pdffonts", "{pdf}").splitlines()[2:]  # skip the two header lines
    assert fonts, "no fonts in the PDF"
    for line in fonts:
        # name, type (may contain spaces), encoding, emb, sub, uni, object, generation
        assert "WenQuanYi" in line.split()[0], f"text set in a font other than WenQuanYi: {line}"
        assert line.split()[-5] == "yes", f"font not embedded: {line}"

    text = poppler(tmp_path, pdf, "pdftotext", "-enc", "UTF-8", "{pdf}", "-")
    assert "收据 Receipt" in text
    assert "3栋2单元501" in text
    assert "¥1,072.40" in text


def test_one_a4_page(app_context, tmp_path):
    info = poppler(tmp_path, selftest(), "pdfinfo", "{pdf}")
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info


def test_qr_code_scans_from_the_printed_page(app_context, tmp_path):
    poppler(tmp_path, selftest(), "pdftoppm", "-r", "150", "-png", "-f", "1", "-singlefile",
            "{pdf}", str(tmp_path / "page"))
    with Image.open(tmp_path / "page.png") as page:
        assert [symbol.data.decode() for symbol in decode(page)] == [TOKEN]


def test_context_values_are_escaped_not_markup(app_context, tmp_path):
    # An owner-typed value cannot smuggle in an image that the renderer would fetch.
    text = poppler(tmp_path, selftest(unit='<img src="file:///etc/passwd">'),
                   "pdftotext", "-enc", "UTF-8", "{pdf}", "-")
    assert '<img src="file:///etc/passwd">' in text


def test_file_urls_are_refused(app_context):
    with pytest.raises(PdfResourceRefused, match="file:///etc/passwd"):
        selftest(img_src="file:///etc/passwd")


def test_network_urls_are_refused_without_a_request(app_context):
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_error(404)

        def log_message(self, *args):
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/logo.png"
            with pytest.raises(PdfResourceRefused, match="logo.png"):
                selftest(img_src=url)
        finally:
            server.shutdown()
            thread.join()
    assert requests == []


def test_relative_urls_resolve_to_nothing(app_context, tmp_path):
    # With no base URL a relative path is not a file path: the page renders without it.
    images = poppler(tmp_path, selftest(img_src="/etc/passwd"), "pdfimages", "-list", "{pdf}").splitlines()[2:]
    assert len(images) == 1  # only the QR code


def test_the_garbage_collector_runs_again_after_a_rendering(app_context):
    # render_pdf pauses the collector while WeasyPrint builds its boxes (benchmarks/arrears_notices.py)
    import gc

    assert gc.isenabled()
    selftest()
    assert gc.isenabled()
    with pytest.raises(PdfResourceRefused):
        selftest(img_src="file:///etc/passwd")
    assert gc.isenabled()
