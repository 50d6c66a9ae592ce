"""No input ends in a server error: hostile and careless values in every URL of the project.

Every URL pattern (the resolver's, the admin's included) is requested with values drawn by a seeded
generator, so that a failure reproduces: hostile ones (NUL, 5000 characters, huge and negative
numbers, markup, "../", unicode, nothing) mixed with real ones (the ids, codes and slugs of an update
in each state, so that the views behind a valid address are reached too), in each path segment,
in every query parameter the filter sets, the admin's list filters and the views read, and in
every field of the project's forms, as an anonymous visitor, a focal point, the Secretariat and
an administrator, on whichever database the tests run on. Each answer is below 500, and a refused
request (4xx, or a form shown again) has saved nothing.
"""

import datetime
import random
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import CharField, SlugField
from django.urls import URLResolver, get_resolver

from actions.models import (
    Evidence,
    Invitation,
    Item,
    Progress,
    Role,
    StatusUpdate,
    UpdateComment,
    WorkbookConfirmation,
)
from actions.tests.people import PASSWORD
from actions.tests.reporting import workflow
from actions.tests.urls import url_routes
from reports.models import MeetingReport
from reports.tests.meetings import meeting
from tracker.middleware import MAX_SEGMENT
from tracker.tests.test_form_limits import project_classes

SEED = 20261202
ROLES = ("anonymous", "aigerim", "sara", "ada")
ATTEMPTS = 3
PARAMETER = re.compile(r"<(?:\w+:)?\w+>")
HOSTILE = [
    "\x00",
    "a\x00b",
    "%00",
    "x" * 5000,
    "9" * 30,
    str(2**31),
    str(2**63),
    "-1",
    "0",
    "1.5",
    "²",
    "١٢",
    "<script>window.__hostile=1</script>",
    '"><svg onload=alert(1)>',
    "../../etc/passwd",
    "Әбілқайыр Ғұмар Қазақ",
    "' OR 1=1 --",
    "",
    " ",
    "\u202e\u200b",
    "%",
    "9999-12-31",
    "0000-00-00",
]
# Tables a refused request must leave as they were.
WATCHED = (
    StatusUpdate, Evidence, Progress, Invitation, WorkbookConfirmation, MeetingReport, UpdateComment, get_user_model(),
)  # fmt: skip
# What a view reads from the request itself rather than through a form: request.GET.get("page").
READS = re.compile(r"request\.(GET|POST)\.(?:get|getlist|pop)\(\s*\"(\w+)\"")


def parameters_read() -> dict[str, set[str]]:
    """The names every view of the project reads from the query string ("GET") and the forms ("POST")."""
    read = {"GET": set(), "POST": set()}
    for app in ("actions", "reports", "tracker"):
        for source in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "tests" not in source.parts:
                for method, name in READS.findall(source.read_text(encoding="utf-8")):
                    read[method].add(name)
    return read


def query_parameters() -> list[str]:
    """Every filter of the filter sets, every view's own query parameter and the admin's list filters."""
    names = set(parameters_read()["GET"])
    for filterset in project_classes(django_filters.FilterSet):
        names |= set(filterset.base_filters)
    for model_admin in admin.site._registry.values():
        for entry in model_admin.list_filter:
            if isinstance(entry, str):
                names |= {entry, f"{entry}__exact", f"{entry}__id__exact", f"{entry}__isnull"}
        names |= {"q", "o", "p", "e", "id__gt", "id__in", "_to_field"}
    return sorted(names)


def form_fields() -> list[str]:
    """Every field of the project's forms, those of the sign-in and password pages, and what views read."""
    names = set(parameters_read()["POST"])
    for form in project_classes(forms.BaseForm):
        names |= set(form.base_fields)
    for view in views(get_resolver().url_patterns):
        for attribute in ("authentication_form", "form_class"):
            form = view.view_initkwargs.get(attribute) or getattr(view.view_class, attribute, None)
            if form is not None:
                names |= set(form.base_fields)
    return sorted(names)


def views(patterns):
    """The class-based views of every URL (Django's sign-in and password pages among them)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern.url_patterns)
        elif hasattr(pattern.callback, "view_class"):
            yield pattern.callback


def valid_values(world) -> list[str]:
    """Real ids, codes, slugs and tokens, so that some addresses lead to a real page."""
    values = ["KZ", "MN", "CMS", "cami-pow", "vilm", "1.1.1", "1.3.4", "2.2.1", "kk", "en", "region", "1"]
    values += [str(update.pk) for update in world["updates"].values()]
    values += [str(world["updates"]["pending_kz"].evidence.first().pk), str(world["report"].pk)]
    values += [world["invitation"].token, str(world["invitation"].pk)]
    return values


def fill(route: str, generator: random.Random, valid: list[str]) -> str:
    """The route with a hostile or a real value in each parameter, as a browser would send it."""

    def value(_match):
        return quote(generator.choice(HOSTILE if generator.random() < 0.6 else valid), safe="")

    return "/" + PARAMETER.sub(value, route)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in WATCHED}


def refused(method: str, response) -> bool:
    """Answered with a 4xx, or a form shown again (a POST answered 200) instead of a redirect."""
    return response.status_code >= 400 or (method == "post" and response.status_code == 200)


@pytest.fixture
def signed_in(client, people):
    def as_role(role):
        client.logout()
        if role != "anonymous":
            client.force_login(people[role])
        return client

    return as_role


@pytest.fixture
def world(people):
    """An update in each state, a meeting with an archived report, an open invitation."""
    report = MeetingReport.objects.create(
        meeting=meeting(cutoff=datetime.date(2025, 12, 23)),
        unit=None,
        language="en",
        format="pdf",
        requested_by=people["sara"],
    )
    invitation = Invitation.objects.create(
        email="new@example.kz", role=Role.FOCAL_POINT, language="en", invited_by=people["sara"]
    )
    return {"updates": workflow(people), "report": report, "invitation": invitation}


@pytest.mark.django_db
def test_hostile_values_in_every_url_never_end_in_a_server_error(signed_in, people, world, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    generator = random.Random(SEED)
    routes = sorted(set(url_routes()))
    assert len(routes) > 100 and any(route.startswith("en/admin/actions/item/") for route in routes)
    queries, fields, valid = query_parameters(), form_fields(), valid_values(world)
    assert {"q", "within", "deadline", "page", "state__exact"} <= set(queries)
    assert {"narrative", "based_on_version", "updates", "units", "username", "next"} <= set(fields)
    failures = []
    requests = 0
    for role in ROLES:
        client = signed_in(role)
        client.raise_request_exception = False
        for route in routes:
            # An address without parameters is one page: one try of its query and form is enough.
            for attempt in range(ATTEMPTS if PARAMETER.search(route) else 1):
                path = fill(route, generator, valid) if attempt else PARAMETER.sub("a%00b", "/" + route)
                query = {name: generator.choice(HOSTILE + valid) for name in generator.sample(queries, 4)}
                form = {name: generator.choice(HOSTILE + valid) for name in generator.sample(fields, 10)}
                for method, arguments in (
                    ("get", {"path": f"{path}?{urlencode(query)}"}),
                    ("post", {"path": path, "data": form}),
                ):
                    before = counts()
                    response = getattr(client, method)(**arguments)
                    requests += 1
                    if response.status_code >= 500:
                        failures.append((role, method.upper(), arguments["path"][:200], response.status_code))
                    elif refused(method, response) and counts() != before:
                        failures.append((role, method.upper(), arguments["path"][:200], "saved while refused"))
                    if role != "anonymous" and "logout" in route:
                        client.force_login(people[role])  # signed out by the request: sign in again
    assert failures == [], f"{len(failures)} of {requests} requests: {failures[:10]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/en/reporting/%00/workbook/",
        "/en/dashboards/%00/",
        "/en/instruments/cami-pow/1.1%001/",
        "/en/accounts/invitation/%00abc/",
        "/en/reporting/KZ/cami-pow/%00/new/",
        "/en/activities/?q=%00",
        "/en/activities/?unit=99999999999999999999",
        "/en/progress/?unit=99999999999999999999&instrument=%00",
        "/en/admin/actions/item/?instrument__id__exact=99999999999999999999",
        "/en/admin/actions/item/?id__gt=abc",
        "/en/admin/actions/statusupdate/?state=%00",
        "/en/" + "x" * 3000 + "/",
        "/en/activities/%1b%5b31m/",
        "/en/dashboards/K%0AZ/",
    ],
)
def test_known_hostile_addresses_are_refused_plainly(signed_in, people, path):
    client = signed_in("ada")
    client.raise_request_exception = False
    response = client.get(path)
    assert response.status_code in (200, 302, 400, 404), response.status_code
    if any(code in path.split("?")[0] for code in ("%00", "%1b", "%0A")) or len(path) > 1000:
        assert response.status_code == 404
        assert "There is no page at this address." in response.content.decode()


@pytest.mark.django_db
def test_a_nul_byte_in_a_form_is_a_bad_request_that_saves_nothing(signed_in, people):
    client = signed_in("aigerim")
    before = counts()
    response = client.post(
        "/en/reporting/KZ/cami-pow/1.1.1/new/",
        {"status": "completed", "narrative": "a\x00b", "refers_to": "2026-01-01", "narrative_language": "en",
         "based_on_version": "0", "action": "submit"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Nothing was saved." in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cookie", "header"),
    [
        ({"sessionid": "abcdefgh\x00ijk"}, {}),
        ({"csrftoken": "a\x00" * 16}, {}),
        ({"django_language": "k\x00k"}, {}),
        ({}, {"HTTP_USER_AGENT": "Mozilla\x00"}),
        ({}, {"HTTP_ACCEPT": "text/html\x00"}),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "kk\x00"}),
    ],
)
def test_a_nul_in_a_cookie_or_header_is_a_bad_request_that_saves_nothing(client, people, cookie, header):
    """The session key is looked up, and django-axes records the User-Agent and Accept of a sign-in."""
    from axes.models import AccessAttempt, AccessLog

    client.raise_request_exception = False
    before = counts(), AccessAttempt.objects.count(), AccessLog.objects.count()
    for password in ("wrong", PASSWORD, None):
        # Sent again each time: the 400 page replaces a bad CSRF cookie, as Django's error pages do.
        for name, value in cookie.items():
            client.cookies[name] = value
        if password is None:
            response = client.get("/en/reporting/", **header)
        else:
            response = client.post("/en/accounts/login/", {"username": "aigerim", "password": password}, **header)
        assert response.status_code == 400
        assert "Nothing was saved." in response.content.decode()
    assert (counts(), AccessAttempt.objects.count(), AccessLog.objects.count()) == before


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["/en/accounts/login/", "/en/admin/login/"])
def test_an_overlong_user_name_is_a_form_error_on_both_sign_in_pages(client, people, address):
    from axes.models import AccessAttempt

    client.raise_request_exception = False
    response = client.post(address, {"username": "u" * 5000, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert AccessAttempt.objects.count() == 0


def test_no_key_an_address_carries_is_longer_than_a_path_segment_may_be():
    """Every code, slug, key or token column (unique or slug) fits in MAX_SEGMENT, the bound the
    middleware refuses longer path segments beyond."""
    keys = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, CharField) and field.max_length and (field.unique or isinstance(field, SlugField))
    ]
    assert keys
    assert max(field.max_length for field in keys) <= MAX_SEGMENT
    # The item's slug is unique within its instrument only, and is in every activity's address.
    assert Item._meta.get_field("slug").max_length <= MAX_SEGMENT


def test_the_project_registers_every_model_it_watches():
    assert all(apps.is_installed(model._meta.app_config.name) for model in WATCHED)


def update_form(**overrides):
    data = {
        "status": "completed",
        "refers_to": "2026-01-01",
        "narrative_language": "en",
        "based_on_version": "0",
        "action": "submit",
    }
    return {**data, **overrides}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("based_on_version", str(2**31)),
        ("based_on_version", str(2**70)),
        ("based_on_version", "-5"),
        ("progress", str(2**70)),
        ("links", "https://example.org/" + "a" * 600),
        ("refers_to", "9999-12-31"),
        ("refers_to", "0001-01-01x"),
    ],
)
def test_values_beyond_a_columns_range_are_form_errors(signed_in, people, field, value):
    client = signed_in("aigerim")
    before = counts()
    response = client.post("/en/reporting/KZ/cami-pow/1.1.1/new/", update_form(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["9" * 30, str(2**63), "-1", "abc"])
def test_huge_ids_in_a_multiple_choice_are_form_errors(signed_in, people, value):
    client = signed_in("sara")
    before = counts()
    response = client.post("/en/review/", {"updates": [value], "decision": "accept"})
    assert response.status_code in (200, 302)
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize("seen", ["²", "9" * 30, "-1", "1.5", ""])
def test_an_odd_version_seen_is_not_a_server_error(signed_in, people, world, seen):
    """The submit button posts the version the page showed; "²" is a digit to str.isdigit only."""
    client = signed_in("aigerim")
    client.raise_request_exception = False
    draft = world["updates"]["draft_kz"]
    response = client.post(f"/en/updates/{draft.pk}/submit/", {"seen_version": seen})
    assert response.status_code == 302
