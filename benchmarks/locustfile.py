"""Locust users for benchmarks/load.py: a day on the demo district, weighted as a real day is.

- Residents (the demo `owner`, most of the load): the start page, their bills, pay through the
  sandbox checkout when something is owed, report a problem, vote on the open motion (a vote
  again while it is open replaces the ballot).
- Inspectors (`inspector`): today's rounds, then a facility's label (/q/<token>) and a record
  submitted from it, at the facility's position, with a photo where the checklist asks for one.
- Gates: entry and exit events with a device key, each gate's plates entering and then leaving.
- Offices (`bureau`, `street`, `community`): the start page, their score board, the work-order
  supervision board.

Every form is filled from the page, with the CSRF token the page carries. A request is a failure
when its status is not the one a user expects (a form answered with itself is a failure too);
the failure's message holds the response's text, which load.py prints.

The facility tokens, the gate lots and their device keys come from the JSON file named by
PM_LOAD_DATA (written by load.py from the benchmark database).
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
import random
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from locust import HttpUser, between, constant_pacing, task

DATA = json.loads(open(os.environ["PM_LOAD_DATA"], encoding="utf-8").read()) if os.environ.get("PM_LOAD_DATA") else {}
PASSWORD = DATA.get("password", "demo-pass-2026")
OFFICES = ("bureau", "street", "community")


# --- pages and forms -------------------------------------------------------------------------

class Form:
    def __init__(self, attrs: dict):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.id = attrs.get("id") or ""
        self.fields: list[dict] = []   # {tag, type, name, value, checked, options: [(value, selected)]}


class FormParser(HTMLParser):
    """The forms of a page with their fields (inputs, selects with their options, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = Form(attrs)
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            self._form.fields.append({"tag": "input", "type": (attrs.get("type") or "text").lower(),
                                      "name": attrs["name"], "value": attrs.get("value") or "",
                                      "checked": "checked" in attrs, "required": "required" in attrs})
        elif tag == "select" and attrs.get("name"):
            self._select = {"tag": "select", "name": attrs["name"], "options": [],
                            "multiple": "multiple" in attrs}
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = {"tag": "textarea", "name": attrs["name"], "value": ""}
            self._form.fields.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def form_to(html: str, action_pattern: str) -> Form | None:
    """The first form whose action matches (re.search)."""
    return next((f for f in forms_of(html) if re.search(action_pattern, f.action)), None)


def csrf_of(form: Form) -> str:
    return next((f["value"] for f in form.fields if f["name"] == "csrf_token"), "")


def text_of(html: str, limit: int = 600) -> str:
    """What a person reads on an error page: the main text, tags and scripts removed."""
    body = re.sub(r"(?s)<(script|style|nav|header)\b.*?</\1>", " ", html or "")
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", body).strip()[:limit]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def tiny_jpeg() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


PHOTO = tiny_jpeg()


# --- a signed-in person ----------------------------------------------------------------------

class Person(HttpUser):
    abstract = True
    username = ""

    def on_start(self):
        self.login()

    def check(self, response, expected=(200,), name=None):
        """Mark the response failed unless its status is expected; the message holds the page's text."""
        if response.status_code in expected:
            response.success()
            return True
        location = response.headers.get("Location", "")
        response.failure(f"HTTP {response.status_code} (expected {'/'.join(map(str, expected))})"
                         f"{' -> ' + location if location else ''}: {text_of(response.text)}")
        return False

    def get(self, path, name=None, expected=(200,)):
        with self.client.get(path, name=name or path, allow_redirects=False, catch_response=True) as response:
            ok = self.check(response, expected)
        return response if ok else None

    def post(self, path, data, name=None, expected=(302, 303), files=None):
        with self.client.post(path, data=data, files=files, name=name or path, allow_redirects=False,
                              catch_response=True) as response:
            ok = self.check(response, expected)
        return response if ok else None

    def follow(self, response, name):
        """GET where a redirect points (its own line in the figures)."""
        return self.get(path_of(urljoin(self.host + "/", response.headers["Location"])), name=name)

    def login(self):
        page = self.get("/login")
        if page is None:
            return
        form = form_to(page.text, r"^$|/login")
        done = self.post("/login", {"csrf_token": csrf_of(form), "username": self.username, "password": PASSWORD},
                         name="/login [POST]")
        if done is not None and urlsplit(done.headers["Location"]).path == "/login":
            done.failure("signed in but sent back to the login page")


# --- residents ---------------------------------------------------------------------------------

class Resident(Person):
    weight = 12
    username = "owner"
    wait_time = between(3, 10)

    @task(5)
    def start_page(self):
        self.get("/", name="/ (owner)")

    @task(4)
    def bills_and_pay(self):
        page = self.get("/fees/my")
        if page is None:
            return
        form = form_to(page.text, r"^/fees/units/\d+/pay$")
        if form is None or random.random() > 0.5:  # nothing owed, or not paying today
            return
        ordered = self.post(form.action, {"csrf_token": csrf_of(form)}, name="/fees/units/[id]/pay")
        if ordered is None:
            return
        if urlsplit(ordered.headers["Location"]).path == "/fees/my":  # paid from another phone meanwhile
            self.follow(ordered, "/fees/my")
            return
        checkout = self.follow(ordered, "/payments/sandbox/[order]")
        if checkout is None:
            return
        confirm = form_to(checkout.text, r"^$")
        if confirm is None:  # paid already from another phone a moment ago: the page says so
            return
        paid = self.post(path_of(checkout.url), {"csrf_token": csrf_of(confirm)},
                         name="/payments/sandbox/[order] [POST]")
        if paid is not None:
            self.follow(paid, "/fees/my")

    @task(1)
    def report_problem(self):
        page = self.get("/workorders/report")
        if page is None:
            return
        form = form_to(page.text, r"^$|/workorders/report")
        data = {"csrf_token": csrf_of(form)}
        for field in form.fields:
            if field["tag"] == "select":
                values = [value for value, _selected in field["options"] if value]
                selected = [value for value, chosen in field["options"] if chosen]
                if field["name"] == "compound_id":
                    data[field["name"]] = selected[0] if selected else values[0]
                elif field["name"] == "category":
                    data[field["name"]] = random.choice([v for v in values if v != "facility"] or values)
                else:
                    data[field["name"]] = random.choice(values)
        data["description"] = random.choice(["楼道灯不亮了", "单元门禁坏了，刷卡打不开", "楼下垃圾没有清运",
                                             "雨后地下室有积水", "电梯按钮失灵"])
        done = self.post("/workorders/report", data, name="/workorders/report [POST]")
        if done is not None:
            self.follow(done, "/workorders/[id]")

    @task(1)
    def vote(self):
        page = self.get("/assembly")
        if page is None:
            return
        motions = sorted(set(re.findall(r'href="(/motions/\d+)"', page.text)))
        if not motions:
            return
        motion = self.get(random.choice(motions), name="/motions/[id]")
        if motion is None:
            return
        form = form_to(motion.text, r"^/motions/\d+/vote$")
        if form is None:  # not open, or not a voter here
            return
        done = self.post(form.action, {"csrf_token": csrf_of(form),
                                       "choice": random.choice(["agree", "agree", "disagree", "abstain"])},
                         name="/motions/[id]/vote")
        if done is not None:
            self.follow(done, "/motions/[id]")


# --- inspectors --------------------------------------------------------------------------------

class Inspector(Person):
    weight = 2
    username = "inspector"
    wait_time = between(5, 15)

    def on_start(self):
        super().on_start()
        self.route = itertools.cycle(random.sample(DATA["facilities"], len(DATA["facilities"])))

    @task(1)
    def today(self):
        self.get("/inspections/today")

    @task(3)
    def inspect(self):
        facility = next(self.route)
        page = self.get(f"/q/{facility['token']}", name="/q/[token]")
        if page is None:
            return
        form = form_to(page.text, r"^$")
        if form is None or form.id != "checklist":
            page.failure(f"no checklist for the inspector at {facility['name']}: {text_of(page.text)}")
            return
        data = {"csrf_token": csrf_of(form), "lat": facility["lat"], "lng": facility["lng"],
                "accuracy": random.randint(5, 20)}
        files = {}
        for field in form.fields:
            name = field["name"]
            if not name.startswith(("item_", "photo_")):
                continue
            if field["type"] == "radio":
                data.setdefault(name, "pass" if random.random() < 0.97 else "fail")
            elif field["type"] == "file":
                files[name] = ("photo.jpg", PHOTO, "image/jpeg")
            elif name.startswith("item_"):
                data[name] = reading(page.text, name[len("item_"):])
        self.post(f"/q/{facility['token']}", data, files=files, name="/q/[token] [POST]", expected=(200,))


def reading(html: str, key: str) -> str:
    """A reading inside the item's range, from its legend '(1.0–1.4 MPa)'; text items get a note."""
    match = re.search(rf'id="item-{re.escape(key)}">\s*<legend>[^<]*?\(([\d.]*)–([\d.]*)', html)
    if not match:
        return "正常"
    low, high = (float(v) if v else None for v in match.groups())
    if low is not None and high is not None:
        return f"{(low + high) / 2:.2f}"
    return f"{low if low is not None else high}"


# --- gates -------------------------------------------------------------------------------------

class Gate(HttpUser):
    """A barrier: each car's plate is read entering, and leaving on a later pass."""
    weight = 3
    wait_time = constant_pacing(2)
    PLATES = 40
    _numbers = itertools.count()

    def on_start(self):
        self.number = next(Gate._numbers)
        self.lot = DATA["lots"][self.number % len(DATA["lots"])]
        self.sent = 0
        self.run = random.randrange(10_000)  # event ids of a second run differ from the first's

    @task
    def event(self):
        slot = self.sent % (2 * self.PLATES)
        direction = "in" if slot < self.PLATES else "out"
        plate = f"京Q{self.number % 10}{self.run % 100:02d}{slot % self.PLATES:02d}"
        body = {"event_id": f"load-{self.number}-{self.run}-{self.sent}", "lot_id": self.lot["lot_id"],
                "plate": plate, "direction": direction,
                "at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
        self.sent += 1
        with self.client.post("/api/v1/parking/gate-events", json=body, catch_response=True,
                              headers={"Authorization": f"Bearer {self.lot['key']}"},
                              name=f"/api/v1/parking/gate-events ({direction})") as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:600]}")
            elif response.json().get("outcome") == "rejected":
                response.failure(f"rejected: {response.text[:600]}")
            else:
                response.success()


# --- offices -----------------------------------------------------------------------------------

class Office(Person):
    weight = 1
    wait_time = between(5, 15)
    _numbers = itertools.count()

    def on_start(self):
        self.username = OFFICES[next(Office._numbers) % len(OFFICES)]
        super().on_start()
        self.boards = []

    @task(2)
    def start_page(self):
        page = self.get("/", name=f"/ ({self.username})")
        if page is not None:
            self.boards = sorted(set(re.findall(r'href="(/scores/(?:district|street|community)/\d+)"', page.text)))

    @task(2)
    def score_board(self):
        for board in self.boards:
            self.get(board, name=f"/scores/{board.split('/')[2]}/[id]")

    @task(2)
    def work_order_board(self):
        self.get("/workorders/board")
