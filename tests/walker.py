"""A walk of the site as its users see it, shared by tests/core/test_demo_walk.py (the small
demo) and benchmarks/demo_walk.py (the full demo).

For each login (and anonymously) it starts at "/" (and `entry_points`: QR codes) and follows every same-site link of every page
it reaches: <a href>, forms with method GET and a submit button (sent with their fields' default values) and
redirects; downloads (PDF, .xlsx, .csv, …) are fetched like pages. It never POSTs (signing in is
the one POST, done before the walk), never signs out and never switches the language. The walk is
bounded: every distinct endpoint it finds, at most `per_endpoint` distinct URLs of each.

A page fails the walk when it answers 5xx, and, when it is a Chinese page (text/html, <html
lang="zh-CN">), when its visible text shows English from the interface (`english_phrases`: the
catalogs' English msgids that have a Chinese translation, kept when distinctive enough not to
match data) or a raw status key the catalogs translate (`status_keys`). A problem matching an
entry of `known` (KnownFailure) is reported as known and does not fail the walk.
"""
from __future__ import annotations

import dataclasses
import importlib
import re
import time
from collections import deque
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from babel.messages.pofile import read_po
from flask import g, has_app_context
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "pm_platform"
DEMO_LOGINS = ("admin", "bureau", "street", "community", "manager", "inspector", "committee", "owner")
ANONYMOUS = "anonymous"


@dataclasses.dataclass(frozen=True)
class KnownFailure:
    """A failure someone is fixing elsewhere: `role` and `url` are regular expressions (searched),
    `kind` one of "5xx", "english", "status" (or "*"), `detail` a regular expression on the
    problem's detail (the status code, the English found)."""
    role: str
    url: str
    kind: str
    reason: str
    detail: str = ""

    def matches(self, problem: Problem) -> bool:
        return (re.search(self.role, problem.role) is not None and re.search(self.url, problem.url) is not None
                and self.kind in ("*", problem.kind) and re.search(self.detail, problem.detail) is not None)


@dataclasses.dataclass
class Visit:
    role: str
    url: str
    referrer: str
    endpoint: str
    status: int
    content_type: str
    seconds: float


@dataclasses.dataclass
class Problem:
    role: str
    url: str
    referrer: str
    kind: str      # "5xx", "4xx" (a link shown that leads nowhere), "english" or "status"
    detail: str
    known: str = ""  # the reason, when a KnownFailure matches

    def __str__(self) -> str:
        return f"[{self.role}] {self.url} (from {self.referrer or '-'}): {self.kind}: {self.detail}"


@dataclasses.dataclass
class RoleWalk:
    role: str
    visits: list[Visit] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def pages(self) -> int:
        """Pages that answered 200."""
        return sum(1 for v in self.visits if v.status == 200)

    @property
    def endpoints(self) -> set[str]:
        return {v.endpoint for v in self.visits if v.status == 200}


# --- what a page shows --------------------------------------------------------------------------

SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "textarea", "template", "svg"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_ATTRIBUTES = ("placeholder", "title", "alt", "aria-label")


class PageParser(HTMLParser):
    """Links, GET forms and the visible text of one HTML page (attributes a user reads included:
    placeholder, title, alt, aria-label and a button input's value; text marked lang="en…", and
    scripts, styles, code and text areas left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.html_lang = ""
        self.links: list[str] = []
        self.forms: list[dict] = []     # {"action", "method", "fields": [(name, value)], "submit": has a button}
        self.texts: list[str] = []
        self._skip: list[str] = []
        self._form: dict | None = None
        self._select: dict | None = None  # {"name", "first", "selected"}
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang", "")
        if tag not in VOID_ELEMENTS and (tag in SKIPPED_ELEMENTS or a.get("lang", "").startswith("en")):
            self._skip.append(tag)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": [],
                          "submit": False}
            self.forms.append(self._form)
        elif tag == "button" and self._form is not None and a.get("type", "submit").lower() == "submit":
            self._form["submit"] = True
        elif tag == "input" and self._form is not None and a.get("type", "").lower() in ("submit", "image"):
            self._form["submit"] = True
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._form["fields"].append((a["name"], a.get("value", "")))
        elif tag == "select" and self._form is not None and a.get("name"):
            self._select = {"name": a["name"], "first": None, "selected": None, "multiple": "multiple" in a}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        if not self._skip:
            shown = [a[name] for name in SHOWN_ATTRIBUTES if a.get(name)]
            if tag == "input" and a.get("type", "").lower() in ("submit", "button", "reset") and a.get("value"):
                shown.append(a["value"])
            self.texts.extend(shown)

    def handle_endtag(self, tag):
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"] if self._option["value"] is not None else self._option["text"].strip()
            if self._select["first"] is None:
                self._select["first"] = value
            if self._option["selected"] and self._select["selected"] is None:
                self._select["selected"] = value
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            value = self._select["selected"]
            if value is None and not self._select["multiple"]:  # a browser sends the first option
                value = self._select["first"]
            if value is not None:
                self._form["fields"].append((self._select["name"], value))
            self._select = None
        elif tag == "form":
            self._form = None

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if not self._skip and data.strip():
            self.texts.append(data)


# --- the interface's English, from the catalogs -------------------------------------------------

PLACEHOLDER = re.compile(r"%\([^)]*\)[sdif]|%[sdif]|\{[^}]*\}")
WORD = re.compile(r"[A-Za-z]+")
EDGE_PUNCTUATION = " \t\n.,:;!?()[]\"'·…/-–—*#+=<>|"
# Single English words (≥ 5 letters) that the catalogs translate but that also occur in data the
# walk sees, or as a product name beside Chinese: not looked for.
NOT_DISTINCTIVE = {
    "admin", "bureau", "street", "community", "manager", "inspector", "committee", "owner",  # demo logins
    "Excel", "WeChat", "Alipay",
}


def catalogs() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*/translations/zh/LC_MESSAGES/messages.po"))


def translated_messages() -> dict[str, str]:
    """{English msgid: Chinese translation} over every domain's catalog (plurals: both forms)."""
    messages: dict[str, str] = {}
    for path in catalogs():
        with path.open("rb") as po:
            for message in read_po(po):
                if not message.id or not message.string:
                    continue
                ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
                strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
                if not any(strings):
                    continue
                for msgid in ids:
                    messages[msgid] = next(s for s in strings if s)
    return messages


def english_phrases(messages: dict[str, str] | None = None) -> list[str]:
    """The distinctive English of the interface: each msgid with a Chinese translation, split at
    its placeholders; a piece is kept when it has two or more words (7+ letters in all) or is one
    word of 5+ letters, and neither appears in a Chinese translation nor in NOT_DISTINCTIVE."""
    messages = translated_messages() if messages is None else messages
    chinese = "\n".join(messages.values()).lower()
    phrases = set()
    for msgid in messages:
        for piece in PLACEHOLDER.split(msgid):
            piece = " ".join(piece.split()).strip(EDGE_PUNCTUATION)
            words = WORD.findall(piece)
            letters = sum(map(len, words))
            if not words or not re.fullmatch(r"[A-Za-z]", piece[0]) or not re.search(r"[A-Za-z]$", piece):
                continue
            if (len(words) >= 2 and letters >= 7) or (len(words) == 1 and piece == words[0] and letters >= 5):
                if piece.lower() not in chinese and piece not in NOT_DISTINCTIVE:
                    phrases.add(piece)
    return sorted(phrases, key=lambda p: (-len(p), p))


PROSE = re.compile(r"(?<![A-Za-z0-9_./@-])[A-Za-z]{2,}(?:[ ,:;]+[A-Za-z]{2,}){3,}(?![A-Za-z0-9_./@-])")


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern:
    alternatives = [re.escape(p).replace(r"\ ", r"\s+") for p in phrases]
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(alternatives) + r")(?![A-Za-z])")


def status_keys(messages: dict[str, str] | None = None) -> set[str]:
    """The status keys of every domain's models (the values of each *STATUSES tuple) that the
    catalogs translate: the key itself, or its words ("in_progress" → "In progress"), is a msgid."""
    messages = translated_messages() if messages is None else messages
    lowered = {m.lower() for m in messages}
    keys = set()
    for path in sorted(PACKAGE_DIR.glob("*/models.py")):
        module = importlib.import_module(f"pm_platform.{path.parent.name}.models")
        for name, value in vars(module).items():
            if name.endswith("STATUSES") and isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                keys.update(v for v in value if v.lower() in lowered or v.replace("_", " ").lower() in lowered)
    return keys


class LanguageCheck:
    def __init__(self):
        messages = translated_messages()
        self.phrases = english_phrases(messages)
        self.pattern = phrase_pattern(self.phrases)
        self.status_keys = status_keys(messages)
        self.translated_words = {m.lower() for m in messages if re.fullmatch(r"[A-Za-z]+(?: [A-Za-z]+)?", m)}

    def english(self, texts: list[str]) -> list[str]:
        """The interface's English phrases a page shows, and English prose not from the catalogs
        (a run of four or more English words, e.g. a note a service stored in English)."""
        found = {" ".join(m.group(0).split()) for t in texts for m in self.pattern.finditer(t)}
        found |= {" ".join(m.group(0).split()) for t in texts for m in PROSE.finditer(t)}
        return sorted(found)

    def raw_statuses(self, texts: list[str]) -> list[str]:
        """Status keys shown as they are: a text (a cell, an option) that is only the key, or a key
        with an underscore anywhere in the text; and a text that is only a lowercase key the
        catalogs translate in a word or two ("paid" for Paid, "in_progress" for In progress)."""
        found = set()
        for text in texts:
            bare = text.strip(EDGE_PUNCTUATION)
            if bare in self.status_keys:
                found.add(bare)
            elif (re.fullmatch(r"[a-z]+(?:_[a-z]+)?", bare) and bare not in NOT_DISTINCTIVE
                  and bare.replace("_", " ") in self.translated_words):
                found.add(bare)
            for word in re.findall(r"(?<![A-Za-z0-9_])[a-z]+(?:_[a-z]+)+(?![A-Za-z0-9_])", text):
                if word in self.status_keys:
                    found.add(word)
        return sorted(found)


# --- the walk -----------------------------------------------------------------------------------

def entry_points(session) -> list[str]:
    """Where people arrive from outside the site, besides "/": a receipt's QR code (its public
    check), a facility label's QR code (the scan page) and a motion's public notice."""
    from sqlalchemy import select

    from pm_platform.committees.models import Motion
    from pm_platform.fees.models import Payment
    from pm_platform.inspections.models import FacilityLabel

    starts = []
    payment = session.execute(select(Payment.receipt_no, Payment.verify_code).order_by(Payment.id).limit(1)).first()
    if payment:
        starts.append(f"/receipts/{payment.receipt_no}/verify?{urlencode({'code': payment.verify_code})}")
    token = session.scalar(select(FacilityLabel.token).where(FacilityLabel.revoked_at.is_(None))
                           .order_by(FacilityLabel.id).limit(1))
    if token:
        starts.append(f"/q/{token}")
    motion_id = session.scalar(select(Motion.id).order_by(Motion.id).limit(1))
    if motion_id:
        starts.append(f"/motions/{motion_id}/public")
    return starts


def login(client, username: str, password: str) -> bool:
    """Sign in through the login form; True when the site let the user in."""
    response = client.post("/login", data={"username": username, "password": password})
    return response.status_code == 302 and "/login" not in response.headers.get("Location", "")


class Walker:
    def __init__(self, app, per_endpoint: int = 3, known: Iterable[KnownFailure] = ()):
        self.app = app
        self.per_endpoint = per_endpoint
        self.known = list(known)
        self.language = LanguageCheck()
        self.known_used: set[KnownFailure] = set()

    def endpoint(self, url: str) -> str:
        parts = urlsplit(url)
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _args = adapter.match(parts.path, method="GET", query_args=parts.query)
            return endpoint
        except RequestRedirect:
            return "<redirect>"
        except MethodNotAllowed:
            return "<not GET>"
        except NotFound:
            return "<not found>"

    @staticmethod
    def same_site(base: str, href: str) -> str | None:
        """The link as a local URL (path?query, no fragment), or None when it leaves the site or
        should not be followed (sign-out, language switch)."""
        href = href.strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            return None
        absolute = urlsplit(urljoin("http://localhost" + base, href))
        if absolute.scheme not in ("http", "https") or absolute.netloc not in ("localhost", ""):
            return None
        query = [(k, v) for k, v in parse_qsl(absolute.query, keep_blank_values=True) if k != "lang"]
        if len(query) != len(parse_qsl(absolute.query, keep_blank_values=True)):
            return None  # the language switch: it would change every following page
        if absolute.path in ("/logout",) or absolute.path.startswith("/static/"):
            return None
        return urlunsplit(("", "", absolute.path or "/", urlencode(query), ""))

    def walk(self, client, role: str, starts: Iterable[str] = ("/",)) -> RoleWalk:
        result = RoleWalk(role)
        queue: deque[tuple[str, str]] = deque((start, "") for start in starts)
        seen = set(starts)
        per_endpoint: dict[str, int] = {}
        while queue:
            url, referrer = queue.popleft()
            endpoint = self.endpoint(url)
            if per_endpoint.get(endpoint, 0) >= self.per_endpoint:
                continue
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            if has_app_context():  # requests sharing an outer app context would keep the last user in g
                g.pop("_login_user", None)
            started = time.perf_counter()
            try:
                response = client.get(url, headers={"Referer": "http://localhost" + referrer} if referrer else {})
                body = response.get_data()
            except Exception as exc:  # noqa: BLE001 - an app that propagates errors (TESTING): a 500
                result.visits.append(Visit(role, url, referrer, endpoint, 500, "", time.perf_counter() - started))
                self._problem(result, url, referrer, "5xx", f"500 {type(exc).__name__}: {exc}"[:300])
                continue
            seconds = time.perf_counter() - started
            result.visits.append(Visit(role, url, referrer, endpoint, response.status_code,
                                       response.mimetype or "", seconds))
            if response.status_code >= 500:
                self._problem(result, url, referrer, "5xx", str(response.status_code))
            elif response.status_code in (403, 404) and referrer:  # a page offered a link that leads nowhere
                self._problem(result, url, referrer, "4xx", f"{response.status_code}: a link this user was shown")
            found: list[str] = []
            if response.status_code in (301, 302, 303, 307, 308) and "Location" in response.headers:
                found.append(response.headers["Location"])
            if response.mimetype == "text/html":
                page = PageParser()
                page.feed(body.decode(response.mimetype_params.get("charset", "utf-8"), "replace"))
                page.close()
                found += page.links
                for form in page.forms:
                    if form["method"] == "get" and form["submit"]:  # a form the user can send
                        action = form["action"] or url
                        found.append(action.split("?")[0] + ("?" + urlencode(form["fields"]) if form["fields"] else ""))
                if page.html_lang.startswith("zh"):
                    english = self.language.english(page.texts)
                    if english:
                        self._problem(result, url, referrer, "english", ", ".join(repr(e) for e in english))
                    raw = self.language.raw_statuses(page.texts)
                    if raw:
                        self._problem(result, url, referrer, "status", ", ".join(raw))
            for href in found:
                target = self.same_site(url, href)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append((target, url))
        return result

    def _problem(self, result: RoleWalk, url: str, referrer: str, kind: str, detail: str) -> None:
        problem = Problem(result.role, url, referrer, kind, detail)
        for entry in self.known:
            if entry.matches(problem):
                problem.known = entry.reason
                self.known_used.add(entry)
                break
        result.problems.append(problem)


def slowest(walks: Iterable[RoleWalk], count: int = 15) -> list[Visit]:
    return sorted((v for w in walks for v in w.visits), key=lambda v: v.seconds, reverse=True)[:count]


def summary(walks: Iterable[RoleWalk]) -> str:
    lines = []
    for w in walks:
        statuses: dict[int, int] = {}
        for v in w.visits:
            statuses[v.status] = statuses.get(v.status, 0) + 1
        failing = [p for p in w.problems if not p.known]
        lines.append(f"{w.role:10} {len(w.visits):4} requests, {w.pages:4} pages (200), {len(w.endpoints):3} endpoints, "
                     f"statuses {dict(sorted(statuses.items()))}, {len(failing)} problems, "
                     f"{len(w.problems) - len(failing)} known")
    return "\n".join(lines)
