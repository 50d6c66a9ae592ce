"""A reading page that the browser holds already is answered 304 Not Modified, without being drawn
again, and only while nothing it shows has changed: not after an accepted update or an edit, not for
another reader, not when the menu's counts change, not while a message waits to be shown."""

import datetime
import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from actions import services
from actions.models import Item, Status
from actions.tests.reporting import report
from reports.tests.meetings import accepted

pytestmark = pytest.mark.django_db

KZ = reverse("reports:dashboard_unit", args=["KZ"])
PAGES = [
    reverse("actions:home"),
    reverse("actions:instrument", args=["vilm"]),
    reverse("actions:item_list") + "?instrument=vilm",
    reverse("reports:dashboard_region"),
    KZ,
    reverse("reports:progress") + "?status=completed",
]


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def again(client, url: str, response):
    """The request a browser makes for a page it holds: with the ETag it was given."""
    return client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])


@pytest.mark.parametrize("url", PAGES)
def test_a_page_the_browser_holds_is_not_drawn_again(people, url):
    client = signed_in(people["sara"])
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    held = again(client, url, first)
    assert held.status_code == 304 and held.content == b""
    assert held["ETag"] == first["ETag"]
    # The page in another language, or with other filters, is another page.
    other = url.replace("/en/", "/ru/") if url.startswith("/en/") else "/ru" + url
    assert client.get(other, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_an_accepted_update_and_an_edit_are_drawn_at_the_next_visit(people):
    client = signed_in(people["sara"])
    first = client.get(KZ)
    pending = report(people["aigerim"], "1.1.2", "KZ", status=Status.COMPLETED)
    # The submission raised the Secretariat's "Review (1)" in the menu: drawn again.
    submitted = again(client, KZ, first)
    assert submitted.status_code == 200 and "Review (1)" in submitted.content.decode()
    assert again(client, KZ, submitted).status_code == 304
    services.update_accept(update=pending, user=people["sara"])
    after = again(client, KZ, submitted)
    assert after.status_code == 200
    assert '<span class="figure">1</span> Completed</a>' in after.content.decode()
    url = reverse("actions:instrument", args=["vilm"])
    held = client.get(url)
    item = Item.objects.filter(instrument__slug="vilm", kind__in=Item.TRACKABLE_KINDS).order_by("sort_key").first()
    item.text = "Reworded for the test"
    item.save()
    edited = again(client, url, held)
    assert edited.status_code == 200 and "Reworded for the test" in edited.content.decode()


def test_another_reader_never_gets_a_not_modified_for_a_page_held_by_someone_else(people):
    accepted(people, "1.1.1", "MN", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    url = reverse("reports:progress") + "?status=completed"
    secretariat, ministry = signed_in(people["sara"]), signed_in(people["daulet"])
    held = secretariat.get(url)
    shown = again(ministry, url, held)
    assert shown.status_code == 200
    assert re.search(r"\b0 rows found", shown.content.decode())  # Kazakhstan's ministry: none of Mongolia's
    assert re.search(r"\b1 row found", held.content.decode())
    # Signed out, the same address asks to sign in, whatever the browser holds.
    assert again(Client(), url, held).status_code == 302
    # A reader refused a page is refused it again, never told it has not changed.
    region = reverse("reports:dashboard_region")
    assert "ETag" not in ministry.get(region)
    assert again(ministry, region, secretariat.get(region)).status_code == 403


def test_a_message_waiting_is_shown_not_answered_not_modified(people):
    client = signed_in(people["sara"])
    url = reverse("actions:home")
    held = client.get(url)
    # A message queued for the next page (as a form leaves "Saved." after a redirect), in its cookie.
    storage = CookieStorage(RequestFactory().get(url))
    storage.add(constants.SUCCESS, "Saved for the test")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies[storage.cookie_name] = carrier.cookies[storage.cookie_name].value
    shown = again(client, url, held)
    assert shown.status_code == 200 and "Saved for the test" in shown.content.decode()
    assert "ETag" not in shown


def test_only_the_exact_etag_counts_whatever_else_a_client_sends(people):
    ministry, secretariat = signed_in(people["daulet"]), signed_in(people["sara"])
    region = reverse("reports:dashboard_region")
    # "*" ("any version you have") never stands for the page: the view's own checks answer.
    assert ministry.get(region, HTTP_IF_NONE_MATCH="*").status_code == 403
    assert Client().get(region, HTTP_IF_NONE_MATCH="*").status_code == 302
    assert secretariat.get(region, HTTP_IF_NONE_MATCH="*").status_code == 200
    held = secretariat.get(region)
    # The weak form that compression gives the ETag, as the browser sends it back.
    assert secretariat.get(region, HTTP_IF_NONE_MATCH=f"W/{held['ETag']}").status_code == 304
    assert secretariat.get(region, HTTP_IF_NONE_MATCH=f'"other", W/{held["ETag"]}').status_code == 304
    for hostile in ("x" * 5000 + held["ETag"], '"', "W/", held["ETag"][:-2] + '"'):
        assert secretariat.get(region, HTTP_IF_NONE_MATCH=hostile).status_code == 200
    # A NUL in a header is refused before any view, as everywhere (tracker.middleware).
    assert secretariat.get(region, HTTP_IF_NONE_MATCH='"a\x00b"').status_code == 400
    assert secretariat.get(region, HTTP_IF_MATCH='"nothing"').status_code == 200


def test_a_visitor_of_the_public_pages_is_given_no_cookie_for_it(people):
    visitor = Client()
    for url in PAGES[:3]:
        first = visitor.get(url)
        assert first.status_code == 200 and not first.cookies, (url, first.cookies)
        assert again(visitor, url, first).status_code == 304
