"""Away from its instrument's pages an item is named with the instrument's short name ("Vilm 2.3"),
since a code alone is ambiguous: 2.3 is an action of the Vilm Declaration and an issue of CAMI."""

import pytest
from django.urls import reverse
from django.utils import translation

from actions.models import Instrument, Notification, Status
from actions.tests.reporting import item, report

pytestmark = pytest.mark.django_db


def test_each_instrument_has_a_short_name_in_every_language():
    names = {
        instrument.slug: [getattr(instrument, f"short_name_{language}") for language in ("en", "ru", "mn", "kk")]
        for instrument in Instrument.objects.all()
    }
    assert names == {
        "cami-pow": ["CAMI", "CAMI", "CAMI", "CAMI"],
        "vilm": ["Vilm", "Вильм", "Вилм", "Вильм"],
        "ulaanbaatar": ["Ulaanbaatar", "Улан-Батор", "Улаанбаатар", "Ұлан-Батор"],
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Vilm 2.3"), ("ru", "Вильм 2.3"), ("mn", "Вилм 2.3"), ("kk", "Вильм 2.3")],
)
def test_an_item_is_cited_with_its_instrument_in_the_readers_language(language, expected):
    vilm = item("2.3", instrument="vilm")
    with translation.override(language):
        assert vilm.citation == expected


def test_the_review_queue_the_inbox_and_the_dashboard_cite_the_instrument(client, people):
    update = report(people["aigerim"], "2.3", "KZ", instrument="vilm", status=Status.IN_PROGRESS)
    fence = report(people["aigerim"], "2.2.1 (d)", "KZ", status=Status.IN_PROGRESS)
    client.force_login(people["sara"])
    queue = client.get("/ru/review/").content.decode()
    assert f'href="{update.get_absolute_url().replace("/en/", "/ru/")}">Вильм 2.3</a>' in queue
    assert ">CAMI 2.2.1 (d)</a>" in queue
    inbox = client.get("/ru/inbox/").content.decode()
    headline = Notification.objects.filter(update=update, recipient=people["sara"]).get()
    with translation.override("ru"):
        assert "Вильм 2.3" in headline.headline
        assert headline.headline in inbox
    response = client.post(
        reverse("actions:review_queue"), {"updates": [fence.pk], "scope": "page", "decision": "accept"}
    )
    assert response.status_code == 302
    client.force_login(people["daulet"])
    board = client.get("/kk/dashboards/KZ/").content.decode()
    assert '<span class="code">CAMI 2.2.1 (d)</span>' in board
