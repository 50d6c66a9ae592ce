"""Asking for a meeting report, generating it in the background, the archive, and who may do what."""

import datetime
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.models import Instrument, ReportingUnit, Status
from actions.tests.reporting import report
from actions.tests.urls import url_names
from reports import services
from reports.models import MeetingReport
from reports.snapshot import take
from reports.tests.meetings import accepted, meeting

pytestmark = pytest.mark.django_db

CUTOFF = datetime.date(2025, 12, 23)
ROLES = ("anonymous", "aigerim", "bat", "daulet", "sara", "ada", "nobody")


@pytest.fixture
def immediate(settings):
    """Tasks run as soon as they are queued, inside the request."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def reports_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "reports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def form(cop, scope, *, language="en", format="xlsx", instruments=("vilm",)):
    return {
        "meeting": cop.pk,
        "instruments": [pk for pk in Instrument.objects.filter(slug__in=instruments).values_list("pk", flat=True)],
        "scope": scope,
        "language": language,
        "format": format,
    }


def matrix_values(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[1]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_content_is_frozen_at_the_cutoff(people):
    before = accepted(people, "2.2.1", "KZ", on=datetime.date(2025, 6, 1), status=Status.IN_PROGRESS, progress=30)
    accepted(people, "2.2.1", "KZ", on=datetime.date(2026, 1, 10), status=Status.COMPLETED, progress=100)
    # Submitted before the cut-off but accepted after it: not part of the report.
    late = accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 12, 1), status=Status.COMPLETED)
    late.__class__.objects.filter(pk=late.pk).update(
        reviewed_at=datetime.datetime(2025, 12, 24, 8, tzinfo=datetime.UTC)
    )
    # Accepted during the cut-off day itself: counted.
    last_day = accepted(people, "1.1.2", "KZ", on=CUTOFF, status=Status.PLANNED)
    cop = meeting(cutoff=CUTOFF)
    kz = ReportingUnit.objects.get(code="KZ")
    instruments = list(Instrument.objects.filter(slug="cami-pow"))

    first = take(cop, instruments, kz, "en")
    cells = {row.item.code: row.cells[kz.pk] for row in first.parts[0].rows if row.trackable}
    assert (cells["2.2.1"].status, cells["2.2.1"].progress, cells["2.2.1"].update_id) == ("in-progress", 30, before.pk)
    assert cells["1.1.1"].status == "none"
    assert (cells["1.1.2"].status, cells["1.1.2"].update_id) == ("planned", last_day.pk)

    # New updates after the report: generating it again gives the same content.
    report_first = services.render(_archived(people["sara"], cop, instruments, kz, "xlsx"))
    accepted(people, "1.1.3", "KZ", on=datetime.date(2026, 2, 1), status=Status.COMPLETED)
    pending = report(people["aigerim"], "1.1.4", "KZ")
    assert pending.state == "submitted"
    report_again = services.render(_archived(people["sara"], cop, instruments, kz, "xlsx"))
    assert matrix_values(report_first) == matrix_values(report_again)

    pdf_first = services.render(_archived(people["sara"], cop, instruments, kz, "pdf"))
    accepted(people, "1.2.1", "KZ", on=datetime.date(2026, 3, 1), status=Status.DELAYED)
    pdf_again = services.render(_archived(people["sara"], cop, instruments, kz, "pdf"))
    assert [page.extract_text() for page in PdfReader(io.BytesIO(pdf_first)).pages] == [
        page.extract_text() for page in PdfReader(io.BytesIO(pdf_again)).pages
    ]


def _archived(user, cop, instruments, unit, format, language="en"):
    archived = MeetingReport.objects.create(meeting=cop, unit=unit, language=language, format=format, requested_by=user)
    archived.instruments.set(instruments)
    return archived


def test_generating_archives_the_file_with_its_hash(people, client, immediate, reports_storage,
                                                   django_capture_on_commit_callbacks):  # fmt: skip
    accepted(people, "2.3", "KZ", on=datetime.date(2025, 3, 1), instrument="vilm", narrative="Passages in the fence.")
    cop = meeting(cutoff=CUTOFF)
    client.force_login(people["sara"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:meeting_reports"), form(cop, "region", format="pdf"))
    archived = MeetingReport.objects.get()
    assert response.status_code == 302 and response.url == archived.get_absolute_url()
    archived.refresh_from_db()
    assert archived.state == MeetingReport.State.READY
    assert (archived.requested_by, archived.unit, archived.language, archived.format) == (
        people["sara"],
        None,
        "en",
        "pdf",
    )
    assert [instrument.slug for instrument in archived.instruments.all()] == ["vilm"]
    data = archived.file.read()
    assert data.startswith(b"%PDF")
    assert archived.sha256 == hashlib.sha256(data).hexdigest() and archived.size == len(data)
    assert archived.file_name == "unep-cms-cop15-inf-x-region-2025-12-23-en.pdf"

    page = client.get(archived.get_absolute_url())
    assert archived.sha256 in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()
    download = client.get(reverse("reports:report_file", args=[archived.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{archived.file_name}"'
    assert b"".join(download.streaming_content) == data
    archive = client.get(reverse("reports:meeting_reports")).content.decode()
    assert reverse("reports:report_file", args=[archived.pk]) in archive


def test_a_failed_generation_says_so_and_keeps_no_file(people, client, immediate, reports_storage, monkeypatch,
                                                       django_capture_on_commit_callbacks):  # fmt: skip
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("reports.excel_exports.render_xlsx", broken)
    cop = meeting(cutoff=CUTOFF)
    client.force_login(people["sara"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:meeting_reports"), form(cop, "KZ"))
    archived = MeetingReport.objects.get()
    assert (archived.state, archived.file.name, archived.error) == ("failed", "", "OSError: disk full")
    page = client.get(archived.get_absolute_url()).content.decode()
    assert "could not be generated" in page
    assert client.get(reverse("reports:report_file", args=[archived.pk])).status_code == 404


def test_a_report_whose_worker_died_is_shown_failed_and_can_be_asked_again(people, client, settings):
    """A worker killed while generating leaves the report "running": after the timeout it is failed."""
    from django.utils import timezone

    settings.REPORT_GENERATION_TIMEOUT_MINUTES = 30
    cop = meeting(cutoff=CUTOFF)
    lost, busy = (
        MeetingReport.objects.create(
            meeting=cop,
            language="en",
            format="pdf",
            requested_by=people["sara"],
            state="running",
            percent=40,
            started_at=timezone.now() - datetime.timedelta(minutes=minutes),
        )
        for minutes in (31, 5)
    )
    client.force_login(people["sara"])
    page = client.get(lost.get_absolute_url()).content.decode()
    assert "could not be generated" in page
    assert 'http-equiv="refresh"' not in page
    lost.refresh_from_db()
    busy.refresh_from_db()
    assert (lost.state, lost.error) == ("failed", "Interrupted: the generation did not finish.")
    assert lost.finished_at is not None
    assert busy.state == "running"
    assert "The report is being generated." in client.get(busy.get_absolute_url()).content.decode()


# Who may ask for what: (scope, expected answer per role). A refused scope is not among the
# form's choices, so the form answers 200 with an error; a person who may generate nothing gets 403.
GENERATE = [
    ("region", {"aigerim": 200, "bat": 200, "daulet": 403, "sara": 302, "ada": 302, "nobody": 403}),
    ("KZ", {"aigerim": 302, "bat": 200, "daulet": 403, "sara": 302, "ada": 302, "nobody": 403}),
    ("MN", {"aigerim": 200, "bat": 302, "daulet": 403, "sara": 302, "ada": 302, "nobody": 403}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("scope", "expected"), GENERATE)
def test_only_the_secretariat_generates_regional_reports(people, client, reports_storage, role, scope, expected):
    cop = meeting(cutoff=CUTOFF)
    if role != "anonymous":
        client.force_login(people[role])
    response = client.post(reverse("reports:meeting_reports"), form(cop, scope))
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected[role]
    assert MeetingReport.objects.count() == (1 if role != "anonymous" and expected[role] == 302 else 0)


def test_the_service_refuses_what_the_form_does_not_offer(people):
    cop = meeting(cutoff=CUTOFF)
    instruments = list(Instrument.objects.all())
    with pytest.raises(PermissionDenied):
        services.report_request(
            user=people["aigerim"], meeting=cop, instruments=instruments, unit=None, language="en", format="pdf"
        )
    with pytest.raises(PermissionDenied):
        services.report_request(
            user=people["daulet"],
            meeting=cop,
            instruments=instruments,
            unit=ReportingUnit.objects.get(code="KZ"),
            language="en",
            format="pdf",
        )
    assert MeetingReport.objects.count() == 0


# Reading the archive: a report of Kazakhstan and a regional one, for each role.
READ = [
    ("reports:report", "kz", {"aigerim": 200, "bat": 404, "daulet": 200, "sara": 200, "ada": 200, "nobody": 404}),
    ("reports:report_file", "kz", {"aigerim": 200, "bat": 404, "daulet": 200, "sara": 200, "ada": 200, "nobody": 404}),
    ("reports:report", "region", {"aigerim": 404, "bat": 404, "daulet": 404, "sara": 200, "ada": 200, "nobody": 404}),
    (
        "reports:report_file",
        "region",
        {"aigerim": 404, "bat": 404, "daulet": 404, "sara": 200, "ada": 200, "nobody": 404},
    ),
    ("reports:meeting_reports", None, {role: 200 for role in ROLES}),
]


@pytest.fixture
def archive(people, reports_storage):
    cop = meeting(cutoff=CUTOFF)
    vilm = list(Instrument.objects.filter(slug="vilm"))
    made = {
        "kz": _archived(people["aigerim"], cop, vilm, ReportingUnit.objects.get(code="KZ"), "xlsx"),
        "region": _archived(people["sara"], cop, vilm, None, "xlsx"),
    }
    for archived in made.values():
        services.report_generate(report_id=archived.pk)
    return made


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "which", "expected"), READ)
def test_reading_the_archive(people, client, archive, role, name, which, expected):
    if role != "anonymous":
        client.force_login(people[role])
    url = reverse(name, args=[archive[which].pk]) if which else reverse(name)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        return
    assert response.status_code == expected[role]
    if name == "reports:meeting_reports":
        listed = {key for key, archived in archive.items() if archived.get_absolute_url() in response.content.decode()}
        visible = {key for key in archive if READ[0 if key == "kz" else 2][2][role] == 200}
        assert listed == visible


def test_the_form_offers_each_person_what_they_may_generate(people, client):
    meeting(cutoff=CUTOFF)
    client.force_login(people["aigerim"])
    page = client.get(reverse("reports:meeting_reports")).content.decode()
    assert 'value="KZ"' in page and 'value="region"' not in page and 'value="MN"' not in page
    client.force_login(people["sara"])
    page = client.get(reverse("reports:meeting_reports")).content.decode()
    assert 'value="region"' in page and 'value="MN"' in page and 'value="KZ"' in page
    client.force_login(people["daulet"])
    page = client.get(reverse("reports:meeting_reports")).content.decode()
    assert '<form method="post" class="update-form report-form"' not in page


def test_every_report_page_has_an_entry_in_the_matrix():
    from reports.tests.test_dashboards import ACCESS

    public = {"reports:open_data"}
    covered = {name for name, _which, _expected in READ} | {name for name, _args, _expected in ACCESS}
    assert url_names("reports") - covered - public == set()
