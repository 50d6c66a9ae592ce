"""The offline Excel round trip in a real browser: download, fill in, upload, check, confirm."""

import datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from actions import reporting_workbook as workbook
from actions import services
from actions.models import Evidence, Item, ReportingUnit, Status, StatusUpdate
from actions.tests.people import cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLUMN = {column.key: position for position, column in enumerate(workbook.COLUMNS, start=1)}


@pytest.fixture
def site(live_server):
    return live_server.url


@pytest.fixture
def people(site):
    return cast()


def sign_in(page, client, site, user):
    """Sign in without the login form: a session made by the test client, handed to the browser."""
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": site}])


def download_through_the_page(page, site, tmp_path):
    page.goto(f"{site}/en/reporting/KZ/workbook/upload/")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the Excel workbook").click()
    download = info.value
    assert download.suggested_filename == f"tracker-KZ-{timezone.localdate().isoformat()}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return load_workbook(path)


def fill(book, slug, key, **values):
    """Type `values` into the row that shows the activity (by its instrument and code, as a person finds it)."""
    target = Item.objects.select_related("instrument").get(instrument__slug=slug, key=key)
    sheet = book.worksheets[0]
    for number in range(2, sheet.max_row + 1):
        if (sheet.cell(number, COLUMN["instrument"]).value, sheet.cell(number, COLUMN["code"]).value) == (
            target.instrument.short_title,
            target.code or target.key,
        ):
            for name, value in values.items():
                sheet.cell(number, COLUMN[name]).value = value
            return number
    raise AssertionError(f"{slug} {key} is not in the workbook")


def upload_through_the_page(page, book, tmp_path):
    path = tmp_path / "filled.xlsx"
    book.save(path)
    page.get_by_label("Filled workbook (.xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()


def test_download_fill_upload_check_and_confirm(site, people, page, client, tmp_path):
    sign_in(page, client, site, people["aigerim"])
    book = download_through_the_page(page, site, tmp_path)
    expected = Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__code="KZ").count()
    assert book.worksheets[0].max_row == expected + 1
    fill(
        book,
        "cami-pow",
        "1.1.1",
        status="In progress",
        progress=60,
        narrative="Ranger training in Almaty, 24 participants.",
        link="https://example.org/training",
        refers_to=datetime.datetime(2026, 4, 30),
    )
    fill(book, "vilm", "2.3", status="Completed")

    upload_through_the_page(page, book, tmp_path)
    rows = page.locator("table.workbook-rows tbody tr")
    assert rows.count() == 2
    assert "Ranger training in Almaty" in rows.nth(0).inner_text()
    assert "Completed" in rows.nth(1).inner_text()
    assert page.get_by_label("Submit for review").is_checked()
    assert not StatusUpdate.objects.exists()

    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{site}/en/reporting/")
    assert "2 updates from the workbook were submitted for review." in page.locator("main").inner_text()
    updates = {update.item.key: update for update in StatusUpdate.objects.select_related("item")}
    assert set(updates) == {"1.1.1", "2.3"}
    training = updates["1.1.1"]
    assert (training.status, training.progress, training.state, training.source) == (
        Status.IN_PROGRESS,
        60,
        StatusUpdate.State.SUBMITTED,
        StatusUpdate.Source.WORKBOOK,
    )
    assert training.refers_to == datetime.date(2026, 4, 30)
    assert Evidence.objects.get(update=training).url == "https://example.org/training"
    assert updates["2.3"].status == Status.COMPLETED


def test_a_conflict_must_be_acknowledged_in_the_browser(site, people, page, client, tmp_path):
    sign_in(page, client, site, people["aigerim"])
    book = download_through_the_page(page, site, tmp_path)
    fill(book, "cami-pow", "1.1.1", status="Completed", narrative="Done from the workbook.")
    target, kz = Item.objects.get(instrument__slug="cami-pow", key="1.1.1"), ReportingUnit.objects.get(code="KZ")
    services.update_create(
        author=people["aigerim"],
        item=target,
        unit=kz,
        content=services.UpdateContent(status=Status.DELAYED, refers_to=datetime.date(2026, 5, 1)),
        based_on_version=0,
        submit=True,
    )

    upload_through_the_page(page, book, tmp_path)
    assert "Updated since your download" in page.locator("table.workbook-rows").inner_text()
    acknowledge = page.get_by_label("I have read the newer updates and still want to send my rows")
    page.get_by_role("button", name="Confirm").click()
    # The box is required: the browser keeps the form on the page.
    assert page.url.endswith("/en/reporting/KZ/workbook/upload/")
    assert StatusUpdate.objects.count() == 1
    acknowledge.check()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{site}/en/reporting/")
    mine = StatusUpdate.objects.get(source=StatusUpdate.Source.WORKBOOK)
    assert (mine.narrative, mine.based_on_version, mine.state) == (
        "Done from the workbook.",
        1,
        StatusUpdate.State.SUBMITTED,
    )
