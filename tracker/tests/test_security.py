"""The tracker against hostile input and careless configuration.

What a focal point types, what an administrator or a translation import puts into names and texts,
and what a visitor uploads must stay inert wherever the tracker shows it again: in its pages (seen in
a real Chromium), in the PDF and in every workbook and CSV it writes. Every form needs its CSRF
token, evidence is served only through the permission check, the production settings pass Django's
deployment check, no secret is in the repository and every installed package is pinned.
"""

import ast
import csv
import datetime
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
from importlib import import_module
from importlib.metadata import distributions
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.utils import get_random_secret_key
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from openpyxl import load_workbook
from pypdf import PdfReader

from actions import services
from actions.models import (
    Agency,
    Evidence,
    Instrument,
    Invitation,
    Item,
    Notification,
    Profile,
    ReportingUnit,
    Role,
    StatusUpdate,
)
from actions.tests.people import PASSWORD, cast
from actions.tests.reporting import PDF_BYTES, item, pdf, report, workflow
from reports import documents
from reports.models import MeetingReport
from reports.tests.meetings import accepted, meeting

ROOT = Path(settings.BASE_DIR)
CUTOFF = datetime.date(2025, 12, 23)


def signed_in(client, user):
    if user is not None:
        client.force_login(user)
    return client


def form_data(**overrides):
    """What the update form posts."""
    return {
        "status": "in-progress",
        "progress": "40",
        "refers_to": "2026-06-30",
        "narrative": "Two passages in the border fence near Beyneu.",
        "narrative_language": "en",
        "links": "",
        "based_on_version": "0",
        "action": "submit",
        **overrides,
    }


# 1. Hostile markup in the pages, in a real browser ----------------------------------------------

SCRIPT = "<script>window.__hostile=1</script>"
IMAGE = '<img src=x onerror="window.__hostile=2">'
BREAKOUT = '"><svg onload=window.__hostile=3>'
JAVASCRIPT_LINK = '<a href="javascript:window.__hostile=4">map</a>'
NARRATIVE = f"Passages opened. {SCRIPT} {IMAGE} {BREAKOUT} {JAVASCRIPT_LINK}"
EVIDENCE_NAME = '"><svg onload=window.__hostile=5>.pdf'
UNIT_NAME = 'Kazakhstan <img src=x onerror="window.__hostile=6">"><svg onload=window.__hostile=7>'
AGENCY_NAME = "<script>window.__hostile=8</script> Ministry of Ecology"

# Every CSP violation the page sees, whatever the console makes of it.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def site(live_server):
    return live_server.url


class Browser:
    """A page that records CSP violations and script errors, and checks each page it opens."""

    def __init__(self, page, site, client):
        self.page, self.site, self.client = page, site, client
        self.errors = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def console(self, message):
        # Chromium's own request for /favicon.ico on the admin's pages is no concern of this test.
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            self.errors.append(message.text)

    def sign_in(self, user):
        """A session made by the test client, handed to the browser."""
        self.client.force_login(user)
        self.page.context.clear_cookies()
        cookie = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.site}])

    def open(self, path: str) -> str:
        """The page's visible text, whitespace collapsed, once its headers and behaviour are checked."""
        response = self.page.goto(self.site + path)
        assert response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        for directive in ("script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
            assert directive in policy, (path, policy)
        for directive, sources in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items():
            assert f"{directive} {' '.join(sources)}" in policy, (path, policy)
        assert self.page.evaluate("window.__violations") == [], path
        assert self.errors == [], path
        return " ".join(self.page.locator("body").inner_text().split())

    def assert_inert(self, path: str):
        assert self.page.evaluate("typeof window.__hostile") == "undefined", path
        assert self.page.locator("[onerror], [onload]").count() == 0, path
        assert self.page.locator('a[href^="javascript:" i]').count() == 0, path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hostile_names_and_narratives_are_shown_as_text(site, page, client):
    people = cast()
    ReportingUnit.objects.filter(code="KZ").update(name_en=UNIT_NAME)
    agency = item("1.1.1").responsible_parties.select_related("agency").first().agency
    Agency.objects.filter(pk=agency.pk).update(name_en=AGENCY_NAME)
    done = report(people["aigerim"], "1.1.1", "KZ", narrative=NARRATIVE, files=[pdf(EVIDENCE_NAME)])
    services.update_accept(update=done, user=people["sara"])
    pending = report(people["aigerim"], "2.2.1", "KZ", narrative=NARRATIVE, files=[pdf(EVIDENCE_NAME)])

    browser = Browser(page, site, client)
    browser.sign_in(people["sara"])
    narrative = " ".join(NARRATIVE.split())
    expected = {
        f"/en/updates/{done.pk}/": [narrative, EVIDENCE_NAME, UNIT_NAME],
        f"/en/updates/{pending.pk}/": [narrative, EVIDENCE_NAME, UNIT_NAME],
        "/en/instruments/cami-pow/1.1.1/": [narrative, UNIT_NAME, AGENCY_NAME],
        "/en/review/": [narrative, UNIT_NAME],
        "/en/dashboards/region/": [UNIT_NAME],
        "/en/dashboards/KZ/": [UNIT_NAME],
        "/en/progress/?unit=KZ": [UNIT_NAME],
    }
    for path, texts in expected.items():
        shown = browser.open(path)
        browser.assert_inert(path)
        for text in texts:
            assert text in shown, (path, text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_sites_own_pages_need_no_inline_script_or_style(site, page, client):
    people = cast()
    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 5, 2), narrative="Rangers were trained.")
    browser = Browser(page, site, client)
    # Signed out, then as the administrator, who sees every menu and the admin.
    for path in ("/en/", "/en/accounts/login/"):
        browser.open(path)
    browser.sign_in(people["ada"])
    for path in ("/en/", "/en/instruments/cami-pow/1.1.1/", "/en/dashboards/region/"):
        browser.open(path)
    assert "Site administration" in browser.open("/en/admin/")


# 2. Hostile markup in the PDF --------------------------------------------------------------------


@pytest.fixture
def listener():
    """A web server on this machine that counts the requests it gets."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = requests
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def generated(settings, tmp_path, client, django_capture_on_commit_callbacks):
    """A meeting report asked for through the page, made at once, and its file as downloaded."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "reports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }

    def generate(user, cop, scope: str, format: str) -> bytes:
        client.force_login(user)
        data = {
            "meeting": cop.pk,
            "instruments": [Instrument.objects.get(slug="cami-pow").pk],
            "scope": scope,
            "language": "en",
            "format": format,
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("reports:meeting_reports"), data).status_code == 302
        archived = MeetingReport.objects.latest("pk")
        assert archived.state == MeetingReport.State.READY, archived.error
        response = client.get(reverse("reports:report_file", args=[archived.pk]))
        return b"".join(response.streaming_content)

    return generate


def compact(text: str) -> str:
    # Text extraction breaks lines wherever the layout did.
    return re.sub(r"\s+", "", text)


@pytest.mark.django_db
def test_the_pdf_shows_hostile_markup_as_text_and_fetches_nothing_but_its_fonts(
    people, generated, listener, monkeypatch
):
    # reports/tests/test_report_pdf.py shows that FontsOnlyFetcher refuses addresses handed to it; here
    # the whole path, from the request to the archived file, meets a server that would see any fetch.
    base = listener.url
    pieces = [
        f'<img src="{base}/x.png">',
        '<link rel=stylesheet href="file:///etc/passwd">',
        f"<style>@import url({base}/y.css);</style>",
        f'<p style="background: url({base}/z.png)">',
        "url(http://127.0.0.1:9/w.png)",
    ]
    unit_name = f'Kazakhstan <link rel=stylesheet href="{base}/unit.css">'
    ReportingUnit.objects.filter(code="KZ").update(name_en=unit_name)
    accepted(people, "2.2.1", "KZ", on=datetime.date(2025, 5, 2), narrative=" ".join(pieces))
    asked = []

    class Recording(documents.FontsOnlyFetcher):
        def fetch(self, url, headers=None):
            asked.append(url)
            return super().fetch(url, headers)

    monkeypatch.setattr(documents, "FontsOnlyFetcher", Recording)
    data = generated(people["aigerim"], meeting(cutoff=CUTOFF), "KZ", "pdf")

    text = compact("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
    for piece in [*pieces, unit_name]:
        assert compact(piece) in text, piece
    assert "root:x:0:0" not in text
    fonts = set(documents.font_urls().values())
    assert asked and set(asked) <= fonts
    assert listener.requests == []


# 3. Texts that look like formulas in workbooks and CSV -------------------------------------------

FORMULAS = (
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
)
# What a spreadsheet may read as the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What the project's workbooks mark with Excel's quote prefix (actions/reporting_workbook.py).
QUOTED_START = ("=", "+", "-", "@")
KZ_ITEMS = ("1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.2.1", "2.2.1", "2.2.2")
HOSTILE_UNIT = '=HYPERLINK("http://x","Kazakhstan")'
HOSTILE_AGENCY = "@SUM(1+1) Ministry of Ecology"


def as_in_xlsx(text: str) -> str:
    # XML reads a bare carriage return as a line break unless the writer escapes it: openpyxl does
    # with lxml installed (pikepdf needs it), not without. The one change a text may undergo.
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.fixture
def hostile(people):
    """Names and texts an administrator or a translation import could set, each like a formula."""
    ReportingUnit.objects.filter(code="KZ").update(name_en=HOSTILE_UNIT)
    first = item("1.1.1").responsible_parties.select_related("agency").first().agency
    Agency.objects.filter(pk=first.pk).update(name_en=HOSTILE_AGENCY)
    for code, text in zip(KZ_ITEMS, FORMULAS, strict=True):
        Item.objects.filter(instrument__slug="cami-pow", key=code).update(text_en=text, text_ru=text)
    return people


def check_workbook(data: bytes, expected, *, quote_prefix: bool = True) -> None:
    """No cell holds a formula, each expected text is there as it was written, and (where the project
    does so) a text starting like a formula carries the quote prefix."""
    book = load_workbook(io.BytesIO(data))  # formulas are read as written, never evaluated
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if quote_prefix and cell.value.startswith(QUOTED_START):
                        assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
    missing = [text for text in expected if text not in texts and as_in_xlsx(text) not in texts]
    assert missing == []


@pytest.mark.django_db
def test_the_meeting_report_workbook_keeps_formula_like_texts_as_text(hostile, generated):
    # reports/tests/test_report_workbook.py tries one narrative starting with "="; here every kind
    # of start, in narratives, item texts, a unit's name and a meeting's name.
    for code, text in zip(KZ_ITEMS, FORMULAS, strict=True):
        accepted(hostile, code, "KZ", on=datetime.date(2025, 5, 2), narrative=text)
    cop = meeting("+COP15", cutoff=CUTOFF)
    data = generated(hostile["sara"], cop, "KZ", "xlsx")
    check_workbook(data, [*FORMULAS, HOSTILE_UNIT, "+COP15"])


@pytest.mark.django_db
def test_the_progress_list_export_keeps_formula_like_texts_as_text(client, hostile):
    client.force_login(hostile["sara"])
    response = client.get("/en/progress/xlsx/?unit=KZ")
    assert response.status_code == 200
    check_workbook(response.content, [*FORMULAS, HOSTILE_UNIT])


@pytest.mark.django_db
def test_the_offline_reporting_workbook_keeps_formula_like_texts_as_text(client, hostile):
    # actions/tests/test_workbook.py tries one item text starting with "="; here every kind of start.
    client.force_login(hostile["aigerim"])
    response = client.get(reverse("actions:workbook_download", args=["KZ"]))
    assert response.status_code == 200
    check_workbook(response.content, FORMULAS)


def open_data_records(client) -> list[dict]:
    return json.loads(client.get("/open-data/activities.json").content)


def record(records, code: str) -> dict:
    return next(each for each in records if each["instrument"] == "cami-pow" and each["key"] == code)


@pytest.mark.django_db
def test_the_open_data_workbook_keeps_formula_like_texts_as_text(client, hostile):
    records = open_data_records(client)
    # JSON is read by scripts: the texts are there exactly as stored.
    for code, text in zip(KZ_ITEMS, FORMULAS, strict=True):
        assert (record(records, code)["text_en"], record(records, code)["text_ru"]) == (text, text)
    assert record(records, "1.1.1")["responsible"][0] == HOSTILE_AGENCY
    response = client.get("/open-data/activities.xlsx")
    # reports/formats.py sets no quote prefix: see the expected failure below.
    check_workbook(response.content, [*FORMULAS, HOSTILE_AGENCY], quote_prefix=False)


@pytest.mark.django_db
def test_the_open_data_workbook_marks_formula_like_texts_like_the_other_workbooks(client, hostile):
    check_workbook(client.get("/open-data/activities.xlsx").content, FORMULAS)


def csv_value(value) -> str:
    """A JSON value as the CSV writes it: lists joined, nothing for null."""
    if isinstance(value, list):
        return "; ".join(value)
    return "" if value is None else str(value)


@pytest.mark.django_db
def test_the_open_data_csv_neutralises_formula_like_texts(client, hostile):
    records = open_data_records(client)
    response = client.get("/open-data/activities.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    keys = rows[0]
    # Each cell is the JSON value, with a leading apostrophe where a spreadsheet would see a formula:
    # the apostrophe is what Excel and LibreOffice show as "this is text", and the text after it is kept.
    expected = []
    for each in records:
        values = [csv_value(each[key]) for key in keys]
        expected.append(["'" + value if value.startswith(FORMULA_START) else value for value in values])
    assert rows[1:] == expected


# 4. Uploads and how evidence is served -----------------------------------------------------------

NEW_KZ_221 = ("KZ", "cami-pow", "2.2.1")
HTML_AS_PDF = b"\xef\xbb\xbf<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PDF_AND_HTML = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"
GIF_AND_SCRIPT = b"GIF89a/*<script>alert(document.cookie)</script>*/"


# actions/tests/test_reporting.py::test_evidence_type_is_read_from_the_content covers a real PDF and
# PNG, HTML named page.pdf, an executable and a broken docx; the size limits are in
# test_reporting.py::test_evidence_size_is_limited and test_workbook.py::test_an_oversized_file_is_refused_before_reading.
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", HTML_AS_PDF),
        ("photo.png", SVG),
        ("drawing.svg", SVG),
    ],
)
@pytest.mark.django_db
def test_markup_is_refused_whatever_its_name(client, people, name, content):
    client.force_login(people["aigerim"])
    files = [SimpleUploadedFile(name, content, content_type="application/pdf")]
    response = client.post(reverse("actions:update_new", args=NEW_KZ_221), {**form_data(), "files": files})
    assert response.status_code == 200
    assert f"{name} is not a PDF, an image or an office document" in response.content.decode()
    assert not StatusUpdate.objects.exists() and not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.exe", PDF_BYTES, "application/pdf"),
        ("page.html", PDF_AND_HTML, "application/pdf"),
        ("picture.gif", GIF_AND_SCRIPT, "image/gif"),
    ],
)
@pytest.mark.django_db
def test_a_file_is_typed_by_its_content_and_always_downloaded(client, people, name, content, content_type):
    # A polyglot passes as what its first bytes say; it is then only ever a download of that type,
    # which the browser may not sniff into HTML.
    client.force_login(people["aigerim"])
    files = [SimpleUploadedFile(name, content, content_type="text/html")]
    response = client.post(reverse("actions:update_new", args=NEW_KZ_221), {**form_data(), "files": files})
    assert response.status_code == 302
    evidence = Evidence.objects.exclude(file="").get()
    assert (evidence.file_name, evidence.content_type) == (name, content_type)
    download = client.get(reverse("actions:evidence", args=[evidence.pk]))
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == content


@pytest.mark.django_db
def test_a_javascript_link_is_refused_as_evidence(client, people):
    client.force_login(people["aigerim"])
    links = "javascript:alert(document.cookie)\ndata:text/html,<script>alert(1)</script>"
    response = client.post(reverse("actions:update_new", args=NEW_KZ_221), form_data(links=links))
    assert set(response.context["form"].errors) == {"links"}
    assert not StatusUpdate.objects.exists()


@pytest.mark.django_db
def test_evidence_is_reached_only_through_the_permission_check(client, people, settings):
    update = report(people["aigerim"], "2.2.1", "KZ", files=[pdf(EVIDENCE_NAME)])
    evidence = update.evidence.get()
    # Stored under a random name that says nothing of the one it was uploaded with.
    stored = evidence.file.name
    assert re.fullmatch(r"kz/[0-9a-f]{32}\.pdf", stored)
    with evidence.file.storage.open(stored) as kept:
        assert kept.read() == PDF_BYTES
    url = reverse("actions:evidence", args=[evidence.pk])

    for user in ("aigerim", "sara"):
        response = signed_in(Client(), people[user]).get(url)
        assert response.status_code == 200, user
        assert response["Content-Disposition"].startswith("attachment;"), user
        assert response["X-Content-Type-Options"] == "nosniff", user
        assert b"".join(response.streaming_content) == PDF_BYTES
    assert signed_in(Client(), people["bat"]).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))

    for path in (f"/media/evidence/{stored}", f"/media/{stored}", f"/static/{stored}", f"/static/evidence/{stored}"):
        assert signed_in(Client(), people["sara"]).get(path, follow=True).status_code == 404, path
        with pytest.raises(Resolver404):
            resolve(path)
    assert settings.MEDIA_URL in ("", "/")
    serving = [pattern for pattern in all_patterns() if pattern.callback.__module__ == "django.views.static"]
    assert serving == []


# 5. CSRF on every form ---------------------------------------------------------------------------


def all_patterns(patterns=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from all_patterns(pattern.url_patterns)
        else:
            yield pattern


def url_names() -> set[str]:
    """Every named URL of the project, as "namespace:name"."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, ":".join(filter(None, [namespace, pattern.namespace])))
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


@pytest.fixture
def world(people):
    """Something for every view to act on."""
    updates = workflow(people)
    cop = meeting(cutoff=CUTOFF)
    archived = MeetingReport.objects.create(
        meeting=cop, unit=None, language="en", format="pdf", requested_by=people["sara"]
    )
    invitation = Invitation.objects.create(
        email="new@example.kz", role=Role.FOCAL_POINT, language="en", invited_by=people["sara"]
    )
    aigerim = people["aigerim"]
    return {
        **updates,
        "people": people,
        "meeting": cop,
        "report": archived,
        "invitation": invitation,
        "uid": urlsafe_base64_encode(force_bytes(aigerim.pk)),
        "reset_token": default_token_generator.make_token(aigerim),
    }


def workbook_file():
    return SimpleUploadedFile("filled.xlsx", b"PK\x03\x04 not a workbook", content_type="application/octet-stream")


# The views that take a form: who may use it, its arguments, what it posts, the answer once the token
# is there too, and whether that request changes what is stored.
POST_VIEWS = {
    "actions:update_new": ("aigerim", lambda w: ["KZ", "cami-pow", "1.1.2"], lambda w: form_data(), 302, True),
    "actions:update_edit": (
        "aigerim",
        lambda w: [w["draft_kz"].pk],
        lambda w: form_data(narrative="Changed", action="save"),
        302,
        True,
    ),
    "actions:update_submit": ("aigerim", lambda w: [w["draft_kz"].pk], lambda w: {}, 302, True),
    "actions:update_delete": ("aigerim", lambda w: [w["draft_kz"].pk], lambda w: {}, 302, True),
    "actions:update_revise": (
        "aigerim",
        lambda w: [w["returned_kz"].pk],
        lambda w: form_data(
            based_on_version=str(services.current_version(w["returned_kz"].item, w["returned_kz"].unit))
        ),
        302,
        True,
    ),
    "actions:update_review": (
        "sara",
        lambda w: [w["pending_kz"].pk],
        lambda w: {"decision": "accept", "comment": ""},
        302,
        True,
    ),
    "actions:comment_add": (
        "aigerim",
        lambda w: [w["pending_kz"].pk],
        lambda w: {"text": "The sections are named in the report.", "language": "en"},
        302,
        True,
    ),
    "actions:review_queue": (
        "sara",
        lambda w: [],
        lambda w: {"updates": [w["pending_kz"].pk, w["pending_mn"].pk], "decision": "accept", "comment": ""},
        302,
        True,
    ),
    "actions:workbook_upload": ("aigerim", lambda w: ["KZ"], lambda w: {"workbook": workbook_file()}, 200, False),
    "actions:workbook_confirm": ("aigerim", lambda w: ["KZ"], lambda w: {}, 302, False),
    "actions:translations": ("sara", lambda w: [], lambda w: {"workbook": workbook_file()}, 400, False),
    "actions:profile": ("aigerim", lambda w: [], lambda w: {"email_frequency": "digest", "language": "ru"}, 302, True),
    "actions:inbox_read_all": ("aigerim", lambda w: [], lambda w: {}, 302, True),
    "actions:inbox_open": (
        "aigerim",
        lambda w: [Notification.objects.get(recipient=w["people"]["aigerim"], update=w["returned_kz"]).pk],
        lambda w: {},
        302,
        True,
    ),
    "actions:people": (
        "sara",
        lambda w: [],
        lambda w: {
            "email": "other@example.mn",
            "name": "Bold",
            "role": Role.FOCAL_POINT,
            "units": [ReportingUnit.objects.get(code="MN").pk],
            "language": "mn",
        },
        302,
        True,
    ),
    "actions:invitation_accept": (
        None,
        lambda w: [w["invitation"].token],
        lambda w: {"username": "nurlan", "password1": "steppe-and-saiga-42", "password2": "steppe-and-saiga-42"},
        302,
        True,
    ),
    "reports:meeting_reports": (
        "sara",
        lambda w: [],
        lambda w: {
            "meeting": w["meeting"].pk,
            "instruments": [Instrument.objects.get(slug="vilm").pk],
            "scope": "region",
            "language": "en",
            "format": "xlsx",
        },
        302,
        True,
    ),
    "login": (None, lambda w: [], lambda w: {"username": "aigerim", "password": PASSWORD}, 302, True),
    "logout": ("aigerim", lambda w: [], lambda w: {}, 302, True),
    "password_change": (
        "aigerim",
        lambda w: [],
        lambda w: {
            "old_password": PASSWORD,
            "new_password1": "saiga-steppe-2026",
            "new_password2": "saiga-steppe-2026",
        },
        302,
        True,
    ),
    "password_reset": (None, lambda w: [], lambda w: {"email": "aigerim@example.org"}, 302, True),
    "password_reset_confirm": (
        None,
        lambda w: [w["uid"], w["reset_token"]],
        lambda w: {"new_password1": "saiga-steppe-2026", "new_password2": "saiga-steppe-2026"},
        302,
        True,
    ),
}

# Pages and files that change nothing: a POST to them still needs the token.
READ_VIEWS = {
    "health": (None, lambda w: []),
    "open_data:activities_json": (None, lambda w: []),
    "open_data:activities_csv": (None, lambda w: []),
    "open_data:activities_xlsx": (None, lambda w: []),
    "open_data:activities_excel_csv": (None, lambda w: []),
    "open_data:datapackage": (None, lambda w: []),
    "reports:open_data": (None, lambda w: []),
    "reports:report": ("sara", lambda w: [w["report"].pk]),
    "reports:report_file": ("sara", lambda w: [w["report"].pk]),
    "reports:dashboards": ("sara", lambda w: []),
    "reports:dashboard_region": ("sara", lambda w: []),
    "reports:dashboard_unit": ("sara", lambda w: ["KZ"]),
    "reports:progress": ("sara", lambda w: []),
    "reports:progress_xlsx": ("sara", lambda w: []),
    "actions:home": (None, lambda w: []),
    "actions:item_list": (None, lambda w: []),
    "actions:instrument": (None, lambda w: ["cami-pow"]),
    "actions:item": (None, lambda w: ["cami-pow", "1.1.1"]),
    "actions:my_reporting": ("aigerim", lambda w: []),
    "actions:landing": ("aigerim", lambda w: []),
    "actions:inbox": ("aigerim", lambda w: []),
    "actions:update": ("aigerim", lambda w: [w["draft_kz"].pk]),
    "actions:evidence": ("aigerim", lambda w: [w["pending_kz"].evidence.get().pk]),
    "actions:evidence_inline": ("aigerim", lambda w: [w["pending_kz"].evidence.get().pk]),
    "actions:workbook_download": ("aigerim", lambda w: ["KZ"]),
    "actions:translations_download": ("sara", lambda w: ["kk"]),
    "password_change_done": ("aigerim", lambda w: []),
    "password_reset_done": (None, lambda w: []),
    "password_reset_complete": (None, lambda w: []),
}


def session_of(client) -> dict:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if cookie is None or not cookie.value:
        return {}
    return dict(import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie.value).load())


def stored(client) -> dict:
    """What a request could have changed: every table's size, the updates, passwords, mail, session."""
    state = {model._meta.label: model._default_manager.count() for model in apps.get_models()}
    state["updates"] = list(StatusUpdate.objects.order_by("pk").values_list("pk", "state", "narrative"))
    state["unread"] = Notification.objects.filter(read_at=None).count()
    state["profiles"] = list(Profile.objects.order_by("pk").values_list("pk", "language", "email_frequency"))
    state["passwords"] = list(get_user_model().objects.order_by("pk").values_list("pk", "password"))
    state["mail"] = len(mail.outbox)
    state["signed in as"] = session_of(client).get("_auth_user_id")
    return state


def refused_for_csrf(response) -> bool:
    return response.status_code == 403 and b"CSRF verification failed" in response.content


def with_token(client, data: dict) -> dict:
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    return {**data, "csrfmiddlewaretoken": token}


@pytest.mark.parametrize("name", sorted(POST_VIEWS))
@pytest.mark.django_db
def test_a_form_posted_without_its_token_is_refused_and_changes_nothing(world, name):
    role, arguments, data, answer, changes = POST_VIEWS[name]
    client = signed_in(Client(enforce_csrf_checks=True), world["people"].get(role))
    url = reverse(name, args=arguments(world))
    before = stored(client)
    assert refused_for_csrf(client.post(url, data(world)))
    assert stored(client) == before
    # The same request with the token goes through: the refusal was the token's doing.
    response = client.post(url, with_token(client, data(world)))
    assert response.status_code == answer
    assert (stored(client) != before) == changes


@pytest.mark.django_db
def test_a_post_to_any_other_page_without_the_token_is_refused(world):
    refused = []
    for name, (role, arguments) in READ_VIEWS.items():
        client = signed_in(Client(enforce_csrf_checks=True), world["people"].get(role))
        before = stored(client)
        response = client.post(reverse(name, args=arguments(world)), {})
        if not refused_for_csrf(response) or stored(client) != before:
            refused.append(name)
    assert refused == []


def admin_addresses(world) -> dict[str, str]:
    """Every named address of the admin, with an existing object where it takes one."""
    ada = world["people"]["ada"]
    by_prefix = {f"{model._meta.app_label}_{model._meta.model_name}_": model for model in admin.site._registry}
    addresses = {}
    for name in sorted(url_names()):
        if not name.startswith("admin:"):
            continue
        short = name.removeprefix("admin:")
        model = next((model for prefix, model in by_prefix.items() if short.startswith(prefix)), None)
        some = model._default_manager.order_by("pk").first() if model is not None else None
        pk = str(some.pk) if some is not None else "1"
        if short == "view_on_site":
            args = [ContentType.objects.get_for_model(StatusUpdate).pk, world["pending_kz"].pk]
        elif short == "app_list":
            args = ["actions"]
        elif short == "auth_user_password_change":
            args = [ada.pk]
        elif short.endswith("_simple_history"):
            history = some.history.first() if some is not None else None
            args = [pk, history.history_id if history is not None else 1]
        elif model is not None and short.endswith(("_history", "_delete", "_change")):
            args = [pk]
        else:
            args = []
        addresses[name] = reverse(name, args=args)
    return addresses


@pytest.mark.django_db
def test_a_post_to_the_admin_without_the_token_is_refused(world):
    client = signed_in(Client(enforce_csrf_checks=True), world["people"]["ada"])
    addresses = admin_addresses(world)
    assert {"admin:actions_item_change", "admin:actions_statusupdate_delete", "admin:auth_user_add"} <= set(addresses)
    before = stored(client)
    accepted_anyway = [name for name, url in addresses.items() if not refused_for_csrf(client.post(url, {}))]
    assert accepted_anyway == []
    assert stored(client) == before


def test_every_view_is_listed_for_the_csrf_tests():
    """A new view must say whether it takes a form: add it to POST_VIEWS or READ_VIEWS."""
    project = {name for name in url_names() if not name.startswith("admin:")}
    assert set(POST_VIEWS) & set(READ_VIEWS) == set()
    assert project - set(POST_VIEWS) - set(READ_VIEWS) == set()
    assert (set(POST_VIEWS) | set(READ_VIEWS)) - project == set()


def test_no_view_is_exempt_from_csrf():
    exempt = [str(pattern.pattern) for pattern in all_patterns() if getattr(pattern.callback, "csrf_exempt", False)]
    assert exempt == []
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


POST_FORM = re.compile(r"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def test_every_post_form_in_the_templates_carries_the_token():
    templates = sorted(ROOT.glob("*/templates/**/*.html"))
    forms = [
        (path.relative_to(ROOT), body) for path in templates for body in POST_FORM.findall(path.read_text("utf-8"))
    ]
    assert len(forms) >= 15
    assert [str(path) for path, body in forms if "{% csrf_token %}" not in body] == []


# 6. Production settings and secrets --------------------------------------------------------------

PRODUCTION = {
    "DEBUG": "false",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
    "ALLOWED_HOSTS": "tracker.example.org",
}
SHOW_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth.password_validation import get_default_password_validators
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "X_FRAME_OPTIONS": settings.X_FRAME_OPTIONS,
    "min_length": [each.min_length for each in get_default_password_validators() if hasattr(each, "min_length")],
}))
"""


def run(arguments: list[str], **variables) -> subprocess.CompletedProcess:
    """A Python of the virtualenv in the project, with only `variables` set (no inherited DATABASE_URL)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "tracker.settings", **variables}
    return subprocess.run([sys.executable, *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_production_profile_passes_the_deployment_check():
    secret = get_random_secret_key()
    checked = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION, SECRET_KEY=secret)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout

    shown = run(["-c", SHOW_SETTINGS], **PRODUCTION, SECRET_KEY=secret)
    assert shown.returncode == 0, shown.stderr
    values = json.loads(shown.stdout)
    assert values["DEBUG"] is False and values["SECRET_KEY"] == secret
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_SSL_REDIRECT"] and values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert values["min_length"] and min(values["min_length"]) >= 10


@pytest.mark.parametrize("secret", [None, ""])
def test_production_refuses_to_start_without_a_secret_key(secret):
    variables = dict(PRODUCTION) if secret is None else {**PRODUCTION, "SECRET_KEY": secret}
    refused = run(["manage.py", "check"], **variables)
    assert refused.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in refused.stderr


def repository_files() -> list[Path]:
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name]


# Literal keys that are known not to be secrets: the development default and the benchmark's.
KNOWN_KEYS = {"development-only-key-not-for-production", "benchmark-only-not-a-secret"}
SECRET_KEY_LITERAL = re.compile(rb"""SECRET_KEY["']?\s*[:=]\s*["']([^"'\s]+)["']""")


def test_no_secret_is_in_the_repository():
    files = [path for path in repository_files() if path.is_file()]
    assert len(files) > 100
    found = []
    for path in files:
        content = path.read_bytes()
        if re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----", content):
            found.append(f"{path}: private key")
        if re.search(rb"AKIA[0-9A-Z]{16}", content):
            found.append(f"{path}: AWS access key")
        for key in SECRET_KEY_LITERAL.findall(content):
            if key.decode() not in KNOWN_KEYS:
                found.append(f"{path}: SECRET_KEY literal")
        if path.name == ".env" or path.suffix in {".pem", ".key", ".p12"}:
            found.append(f"{path}: key or environment file")
    assert found == []


def test_the_only_secret_key_in_the_settings_is_the_development_default():
    tree = ast.parse((ROOT / "tracker" / "settings.py").read_text("utf-8"))
    literals = [
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == "SECRET_KEY" for target in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    assert literals == ["development-only-key-not-for-production"]
    # With DEBUG on and no key, the development default; production without a key does not start
    # (test_production_refuses_to_start_without_a_secret_key).
    shown = run(["-c", SHOW_SETTINGS])
    assert json.loads(shown.stdout)["SECRET_KEY"] == "development-only-key-not-for-production"


# 7. Pinned dependencies --------------------------------------------------------------------------

PIN = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9][A-Za-z0-9.+!_-]*)")
TOOLS = {"pip", "setuptools", "wheel"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    pinned, loose = {}, []
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / file).read_text("utf-8").splitlines():
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("-r "):
                continue
            match = PIN.fullmatch(line)
            if match is None:
                loose.append(f"{file}: {line}")
            else:
                pinned[canonical(match["name"])] = match["version"]
    assert loose == []
    return pinned


def test_every_installed_package_is_pinned_at_its_installed_version():
    pinned = pins()
    installed = {canonical(dist.metadata["Name"]): dist.version for dist in distributions()}
    installed = {name: version for name, version in installed.items() if name not in TOOLS}
    assert {name: version for name, version in installed.items() if name not in pinned} == {}
    assert {name: (pinned[name], version) for name, version in installed.items() if pinned[name] != version} == {}
    assert sorted(set(pinned) - set(installed)) == []
