"""The dashboards' figures are kept under the data version: never shown to a reader they were not
drawn for, never older than the last accepted update or edit of the reference data."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actions import services
from actions.models import DataVersion, Item, Status
from actions.tests.reporting import report
from reports.tests.meetings import accepted

pytestmark = pytest.mark.django_db

KZ = reverse("reports:dashboard_unit", args=["KZ"])


def signed_in(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def figures(page: str) -> str:
    return page[page.index('<section id="figures"') : page.index('<section id="changes"')]


def completed_figure(page: str) -> int:
    return int(re.search(r'<span class="figure">(\d+)</span> Completed</a>', figures(page)).group(1))


def region_row(page: str) -> str:
    start = page.index('<th scope="row">The whole region</th>')
    return page[start : page.index("</tr>", start)]


def test_a_second_reading_draws_nothing_again(people, monkeypatch):
    from reports import dashboard

    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    built = []
    build = dashboard.build
    monkeypatch.setattr(dashboard, "build", lambda *args, **kwargs: built.append(args) or build(*args, **kwargs))
    client = signed_in(people["sara"])
    with CaptureQueriesContext(connection) as first:
        first_page = client.get(KZ).content.decode()
    with CaptureQueriesContext(connection) as second:
        second_page = client.get(KZ).content.decode()
    assert len(built) == 1
    # What is left is the page around the figures: the session, the menu's counts, the latest updates.
    assert len(second) <= len(first) - 5, (len(first), len(second))
    assert figures(second_page) == figures(first_page)


def test_readers_with_other_rights_never_get_each_others_page(people):
    update = accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    secretariat, ministry = signed_in(people["sara"]), signed_in(people["daulet"])
    # The Secretariat reads first, so that its page is what is kept.
    for _ in range(2):
        secretariat_page = secretariat.get(KZ).content.decode()
        ministry_page = ministry.get(KZ).content.decode()
        # The whole region's row of the status table links its rows only for those who read the region.
        assert "<a " in region_row(secretariat_page) and "<a " not in region_row(ministry_page)
        assert f'<a href="{reverse("reports:dashboard_region")}"' in secretariat_page
        assert f'<a href="{reverse("reports:dashboard_region")}"' not in ministry_page
        # The update itself opens for the Secretariat; the ministry viewer sees the state only.
        assert update.get_absolute_url() in secretariat_page
    # A focal point of Mongolia may not read Kazakhstan's dashboard at all, cached or not.
    assert signed_in(people["bat"]).get(KZ).status_code == 403
    # In another language the figures are drawn in that language, not taken from the English page.
    with translation.override("ru"):
        russian = ministry.get(reverse("reports:dashboard_unit", args=["KZ"])).content.decode()
    assert "Основные показатели" in russian and "Key figures" not in russian


def test_an_accepted_update_shows_on_the_next_reading(people):
    client = signed_in(people["sara"])
    before = client.get(KZ).content.decode()
    token = DataVersion.objects.get().token
    pending = report(people["aigerim"], "1.1.2", "KZ", status=Status.COMPLETED)
    # A submission changes no figure: the kept page stays.
    assert DataVersion.objects.get().token == token
    assert figures(client.get(KZ).content.decode()) == figures(before)
    services.update_accept(update=pending, user=people["sara"])
    after = client.get(KZ).content.decode()
    assert DataVersion.objects.get().token != token
    assert (completed_figure(before), completed_figure(after)) == (0, 1)


def test_an_edit_of_the_reference_data_shows_on_the_next_reading(people):
    client = signed_in(people["sara"])
    url = reverse("reports:dashboard_unit", args=["KZ"]) + "?instrument=cami-pow"
    assert "A renamed objective" not in client.get(url).content.decode()
    objective = Item.objects.get(instrument__slug="cami-pow", code="1")
    objective.text = "A renamed objective"
    objective.save()
    assert "A renamed objective" in client.get(url).content.decode()


def test_the_progress_list_is_kept_per_readable_units(people):
    from reports.tests.test_dashboards import _rows_listed

    accepted(people, "1.1.1", "MN", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    url = reverse("reports:progress") + "?status=completed"
    secretariat, ministry = signed_in(people["sara"]), signed_in(people["daulet"])
    assert _rows_listed(secretariat, url) == 1  # Mongolia's
    assert _rows_listed(ministry, url) == 0  # Kazakhstan's only, though the Secretariat's list was kept
    accepted(people, "1.1.2", "KZ", on=datetime.date(2025, 4, 1), status=Status.COMPLETED)
    assert (_rows_listed(secretariat, url), _rows_listed(ministry, url)) == (2, 1)


def workbook_rows(client, query: str) -> list[tuple]:
    """(reporting unit, status) of each row of the progress list's workbook."""
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("reports:progress_xlsx") + query)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [(row[5], row[6]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_the_progress_workbook_is_kept_per_readable_units_and_follows_accepted_updates(people, monkeypatch):
    from reports import views

    written = []
    progress_workbook = views.progress_workbook
    monkeypatch.setattr(
        views, "progress_workbook", lambda *args, **kwargs: written.append(1) or progress_workbook(*args, **kwargs)
    )
    accepted(people, "1.1.1", "MN", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    secretariat, ministry = signed_in(people["sara"]), signed_in(people["daulet"])
    assert workbook_rows(secretariat, "?status=completed") == [("Mongolia", "● Completed")]
    assert workbook_rows(secretariat, "?status=completed") == [("Mongolia", "● Completed")]
    assert len(written) == 1  # the second download was the kept workbook
    # Kazakhstan's ministry reads Kazakhstan's rows only, though the Secretariat's workbook was kept.
    assert workbook_rows(ministry, "?status=completed") == []
    # A submission changes no accepted state; its acceptance shows in the next download.
    pending = report(people["aigerim"], "1.1.2", "KZ", status=Status.COMPLETED)
    assert workbook_rows(ministry, "?status=completed") == []
    services.update_accept(update=pending, user=people["sara"])
    assert workbook_rows(ministry, "?status=completed") == [("Kazakhstan", "● Completed")]
    assert workbook_rows(secretariat, "?status=completed") == [
        ("Mongolia", "● Completed"),
        ("Kazakhstan", "● Completed"),
    ]
    # Another language is another workbook.
    with translation.override("ru"):
        russian = workbook_rows(secretariat, "?status=completed")
    assert russian == [("Монголия", "● Выполнено"), ("Казахстан", "● Выполнено")]
