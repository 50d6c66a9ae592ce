"""After sign-in each person lands on the page of their job; forms start where the item stands;
returned updates come first on My reporting."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.models import Item, ReportingUnit, Status
from actions.tests.people import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, next_url=""):
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data, follow=True)


@pytest.mark.parametrize(
    ("username", "lands_on"),
    [
        ("sara", "/en/review/"),
        ("aigerim", "/en/reporting/"),
        ("bat", "/en/reporting/"),
        ("daulet", "/en/dashboards/KZ/"),
    ],
)
def test_each_role_lands_on_the_page_of_its_job(client, people, username, lands_on):
    response = sign_in(client, username)
    assert response.redirect_chain[-1][0] == lands_on
    assert response.status_code == 200


def test_a_next_address_still_wins(client, people):
    response = sign_in(client, "sara", next_url="/en/activities/")
    assert [url for url, _status in response.redirect_chain] == ["/en/activities/"]


def test_the_landing_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("actions:landing"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def accepted(people, item, *, status, progress):
    kz = ReportingUnit.objects.get(code="KZ")
    update = services.update_create(
        author=people["aigerim"],
        item=item,
        unit=kz,
        content=services.UpdateContent(status=status, refers_to=datetime.date(2026, 6, 30), progress=progress),
        based_on_version=services.current_version(item, kz),
        submit=True,
    )
    return services.update_accept(update=update, user=people["sara"])


def selected_status(html: str, form_id_prefix: str = "id_") -> str:
    select = re.search(rf'<select name="status"[^>]*id="{form_id_prefix}status"[^>]*>(.*?)</select>', html, re.S)
    assert select, html[:500]
    chosen = re.search(r'<option value="([^"]+)"[^>]*selected', select.group(1))
    return chosen.group(1) if chosen else ""


def test_the_full_form_starts_with_the_status_and_progress_in_force(client, people):
    item = Item.objects.get(instrument__slug="cami-pow", key="1.1.1")
    accepted(people, item, status=Status.IN_PROGRESS, progress=40)
    client.force_login(people["aigerim"])
    html = client.get(reverse("actions:update_new", args=["KZ", "cami-pow", item.slug])).content.decode()
    assert selected_status(html) == "in-progress"
    assert re.search(r'name="progress" value="40"', html)


def test_the_quick_form_starts_with_the_status_and_progress_in_force(client, people):
    # An overdue activity in progress stays on My reporting, with its quick form.
    today = timezone.localdate()
    item = (
        Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__code="KZ", due__lt=today)
        .order_by("sort_key")
        .first()
    )
    accepted(people, item, status=Status.IN_PROGRESS, progress=60)
    client.force_login(people["aigerim"])
    kz = ReportingUnit.objects.get(code="KZ")
    html = client.get(reverse("actions:my_reporting"), {"reason": "overdue"}).content.decode()
    prefix = f"quick-{item.pk}-{kz.pk}-"
    assert selected_status(html, prefix) == "in-progress"
    assert re.search(rf'name="progress" value="60"[^>]*id="{prefix}progress"', html)


def test_each_quick_form_is_the_form_django_renders_for_its_row(client, people):
    """The page renders each starting state once and puts each row's ids and version in: every
    row's form must be exactly the form rendered for that row alone."""
    from actions.forms import QuickUpdateForm, UpdateForm

    today = timezone.localdate()
    items = list(
        Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__code="KZ", due__lt=today).order_by("sort_key")[
            :3
        ]
    )
    accepted(people, items[0], status=Status.IN_PROGRESS, progress=60)
    accepted(people, items[1], status=Status.IN_PROGRESS, progress=60)
    accepted(people, items[1], status=Status.DELAYED, progress=None)
    client.force_login(people["aigerim"])
    response = client.get(reverse("actions:my_reporting"), {"reason": "overdue"})
    entries = list(response.context["page"])
    assert {entry.item.pk for entry in entries} >= {item.pk for item in items}
    versions = set()
    for entry in entries:
        alone = QuickUpdateForm(
            initial={"based_on_version": entry.version, **UpdateForm.initial_status(entry.current)},
            auto_id=f"quick-{entry.item.pk}-{entry.unit.pk}-%s",
        ).as_div()
        assert entry.form_html == alone
        assert entry.form_html in response.content.decode()
        versions.add(entry.version)
    assert len(versions) > 1  # rows based on different versions, each carrying its own


def test_returned_updates_come_first_in_their_own_box(client, people):
    kz = ReportingUnit.objects.get(code="KZ")
    item = Item.objects.get(instrument__slug="vilm", key="2.3")
    update = services.update_create(
        author=people["aigerim"],
        item=item,
        unit=kz,
        content=services.UpdateContent(status=Status.COMPLETED, refers_to=datetime.date(2026, 6, 30)),
        based_on_version=0,
        submit=True,
    )
    services.update_return(update=update, user=people["sara"], comment="Please attach the agreement.")
    draft_item = Item.objects.get(instrument__slug="cami-pow", key="1.1.2")
    services.update_create(
        author=people["aigerim"],
        item=draft_item,
        unit=kz,
        content=services.UpdateContent(status=Status.PLANNED, refers_to=datetime.date(2026, 6, 30)),
        based_on_version=0,
        submit=False,
    )
    client.force_login(people["aigerim"])
    # Whatever the filter of the list below, the box is there.
    html = client.get(reverse("actions:my_reporting"), {"reason": "none-yet"}).content.decode()
    box = html.index('class="returned-box"')
    assert box < html.index("Your drafts")
    section = html[box : html.index("</section>", box)]
    assert "1 update returned to you" in section
    assert '<span class="code">Vilm 2.3</span>' in section
    assert "Please attach the agreement." in section
    assert reverse("actions:update_revise", args=[update.pk]) in section
    # Drafts name the instrument: 1.1.2 exists in more than one instrument.
    drafts = html[html.index("Your drafts") :]
    assert '<span class="code">CAMI 1.1.2</span>' in drafts
    # In the reader's language.
    html = client.get("/kk/reporting/").content.decode()
    assert '<span class="code">Вильм 2.3</span>' in html and '<span class="code">CAMI 1.1.2</span>' in html
