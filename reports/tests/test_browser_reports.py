"""Meeting reports in a real browser: ask for one, wait while the worker makes it, download it."""

import datetime
import io

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.models import Instrument
from actions.tests.people import PASSWORD, cast
from reports.models import MeetingReport
from reports.tests.meetings import accepted, meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "reports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return live_server.url


def sign_in(page, site, username, language):
    page.goto(f"{site}/{language}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_focal_point_generates_a_kazakh_pdf_while_the_page_waits(site, page):
    people = cast()
    accepted(people, "2.2.1", "KZ", on=datetime.date(2025, 5, 2), narrative="Өткелдер салынды.")
    cop = meeting(cutoff=datetime.date(2025, 12, 23))
    sign_in(page, site, "aigerim", "kk")
    page.goto(f"{site}/kk/meeting-reports/")
    page.locator("#id_meeting").select_option(str(cop.pk))
    # A focal point is offered their own unit only.
    assert page.locator("#id_scope option").all_inner_texts() == ["Қазақстан"]
    page.locator("input[name=format][value=pdf]").check()
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_load_state()

    # The request returned at once; the page waits for the worker and says so.
    report = MeetingReport.objects.get()
    # The acceptance above also queued the e-mails of its notifications (actions.tasks).
    reports_queued = DBTaskResult.objects.filter(task_path="reports.tasks.generate_report")
    assert report.state == MeetingReport.State.QUEUED and reports_queued.count() == 1
    assert page.locator("progress").count() == 1
    assert page.locator('meta[http-equiv="refresh"]').count() == 1

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    # The page refreshes itself every three seconds; it shows the download once the report is ready.
    page.locator(".report-state a.button").wait_for(timeout=20_000)
    report.refresh_from_db()
    assert report.state == MeetingReport.State.READY and report.percent == 100
    assert page.locator("progress").count() == 0
    with page.expect_download() as download_info:
        page.locator("a.button").click()
    download = download_info.value
    assert download.suggested_filename == report.file_name
    data = download.path().read_bytes()
    text = "\n".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(data)).pages)
    assert "Қорытынды" in text and "Өткелдер салынды." in text


def test_the_secretariat_generates_a_regional_workbook(site, page, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    people = cast()
    accepted(people, "2.3", "KZ", on=datetime.date(2025, 3, 1), instrument="vilm", narrative="Passages.")
    cop = meeting(cutoff=datetime.date(2025, 12, 23))
    sign_in(page, site, "sara", "ru")
    page.goto(f"{site}/ru/meeting-reports/")
    page.locator("#id_meeting").select_option(str(cop.pk))
    page.locator("#id_scope").select_option("region")
    page.locator("input[name=format][value=xlsx]").check()
    vilm = Instrument.objects.get(slug="vilm")
    for box in page.locator("input[name=instruments]").all():
        box.set_checked(box.get_attribute("value") == str(vilm.pk))
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_load_state()
    with page.expect_download() as download_info:
        page.locator("a.button").click()
    workbook = load_workbook(io.BytesIO(download_info.value.path().read_bytes()))
    assert workbook.sheetnames[0] == "Сводка"
    matrix = workbook.worksheets[1]
    header = [cell.value for cell in matrix[1]]
    row = next(row for row in matrix.iter_rows(min_row=2, values_only=True) if row[1] == "2.3")
    assert "Passages." not in row and row[header.index("KZ")].endswith("Выполняется")
