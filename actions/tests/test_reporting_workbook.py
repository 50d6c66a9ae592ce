"""The offline Excel round trip: download, fill in with openpyxl, upload, preview, confirm."""

import datetime
import hashlib
import io
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.utils.protection import hash_password

from actions import reporting_workbook as workbook
from actions import services
from actions.models import Evidence, Item, Progress, ReportingUnit, Status, StatusUpdate

pytestmark = pytest.mark.django_db

XLSX = workbook.CONTENT_TYPE
# Columns as the sheet numbers them (1-based).
COLUMN = {column.key: position for position, column in enumerate(workbook.COLUMNS, start=1)}


def url(name, unit="KZ", language="en"):
    with translation.override(language):
        return reverse(name, args=[unit])


def kz_items():
    """The activities Kazakhstan reports on, in the order the workbook lists them."""
    return list(
        Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__code="KZ")
        .select_related("instrument")
        .order_by("instrument__position", "sort_key", "depth")
    )


def item(slug, key):
    return Item.objects.get(instrument__slug=slug, key=key)


def download(client, unit="KZ", language="en"):
    response = client.get(url("actions:workbook_download", unit, language))
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def register(book) -> list[dict]:
    """The signed register on the hidden sheet: each row as downloaded (columns F to M)."""
    meta = book["tracker"]
    names = ("instrument", "code", "text_digest", "slug", "key", "version", "fingerprint", "signature")
    entries = []
    for number in range(1, meta.max_row + 1):
        values = [meta.cell(number, 6 + offset).value for offset in range(len(names))]
        if values[0] is None:
            break
        entries.append(dict(zip(names, values, strict=True)))
    return entries


def row_of(book, slug, key) -> int:
    """The row of an activity in a workbook as downloaded (the register lists rows in order)."""
    for number, entry in enumerate(register(book), start=2):
        if (entry["slug"], entry["key"]) == (slug, key):
            return number
    raise AssertionError(f"{slug} {key} is not in the workbook")


def fill(book, slug, key, **values) -> int:
    """Type `values` (by column key) into the row of the activity; returns its Excel row number."""
    number = row_of(book, slug, key)
    for name, value in values.items():
        book.worksheets[0].cell(number, COLUMN[name]).value = value
    return number


def saved(book) -> bytes:
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def upload(client, data: bytes, unit="KZ", name="filled.xlsx", language="en"):
    return client.post(
        url("actions:workbook_upload", unit, language), {"workbook": SimpleUploadedFile(name, data, XLSX)}
    )


def confirm(client, data: bytes, unit="KZ", mode="submit", acknowledge=False):
    form = {"digest": hashlib.sha256(data).hexdigest(), "mode": mode}
    if acknowledge:
        form["acknowledge"] = "on"
    return client.post(url("actions:workbook_confirm", unit), form)


NOTHING_TO_CONFIRM = "There is nothing to confirm any more. Upload the workbook again."
CONFIRMED_ALREADY = (
    "This workbook preview has been confirmed already; its rows were saved then, and nothing more was saved now."
)


def sent_back(response) -> list[str]:
    """The messages of a confirmation refused with a redirect to the upload page."""
    assert response.status_code == 302
    assert response["Location"] == url("actions:workbook_upload")
    return [str(message) for message in get_messages(response.wsgi_request)]


def workbook_updates():
    return StatusUpdate.objects.filter(source=StatusUpdate.Source.WORKBOOK)


def label(key, language="en"):
    with translation.override(language):
        return str(workbook.COLUMNS[workbook.INDEX[key]].label)


@pytest.fixture
def aigerim(client, people):
    client.force_login(people["aigerim"])
    return people["aigerim"]


@pytest.fixture
def kz():
    return ReportingUnit.objects.get(code="KZ")


# Download ---------------------------------------------------------------------------------------


def test_download_lists_every_activity_of_the_unit_with_its_text_and_deadline(client, aigerim):
    response = client.get(url("actions:workbook_download"))
    today = timezone.localdate().isoformat()
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == f'attachment; filename="tracker-KZ-{today}.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    items = kz_items()
    assert len(items) == 160  # 147 in the CAMI Programme of Work, 13 Vilm actions
    assert sheet.max_row == len(items) + 1
    assert [cell.value for cell in sheet[1]][:11] == [
        "Instrument",
        "Code",
        "Activity",
        "Priority",
        "Due",
        "Current status",
        "New status",
        "Progress (%)",
        "Narrative",
        "Link (URL)",
        "Date the work refers to",
    ]
    assert sheet.max_column == 12  # nothing but what the person sees
    keys = [(entry["slug"], entry["key"]) for entry in register(book)]
    assert keys == [(found.instrument.slug, found.key) for found in items]
    shown = [
        (sheet.cell(n, COLUMN["instrument"]).value, sheet.cell(n, COLUMN["code"]).value)
        for n in range(2, sheet.max_row + 1)
    ]
    assert shown == [(found.instrument.short_title, found.code or found.key) for found in items]
    first = [cell.value for cell in sheet[2]]
    assert first[:6] == [
        "CAMI Programme of Work",
        "1.1.1",
        item("cami-pow", "1.1.1").text_en,
        "High",
        None,
        "No accepted update yet",
    ]
    assert first[6:11] == [None] * 5  # the columns to fill in start empty
    summer = [cell.value for cell in sheet[row_of(book, "vilm", "2.3")]]
    assert summer[:2] == ["Vilm Declaration of Intent", "2.3"]
    assert summer[4] == "2013 оны зун (2013-08-31)"


def test_download_shows_the_accepted_status_and_a_pending_update(client, aigerim, people, kz):
    target = item("cami-pow", "1.1.2")
    accepted = services.update_create(
        author=aigerim,
        item=target,
        unit=kz,
        content=services.UpdateContent(status=Status.IN_PROGRESS, refers_to=datetime.date(2026, 1, 31), progress=40),
        based_on_version=0,
        submit=True,
    )
    services.update_accept(update=accepted, user=people["sara"])
    services.update_create(
        author=aigerim,
        item=target,
        unit=kz,
        content=services.UpdateContent(status=Status.COMPLETED, refers_to=datetime.date(2026, 6, 30)),
        based_on_version=1,
        submit=True,
    )
    book = download(client)
    number = row_of(book, "cami-pow", "1.1.2")
    sheet = book.worksheets[0]
    assert sheet.cell(number, COLUMN["current"]).value == "In progress (40 %)\nAn update is pending review: Completed"
    versions = {entry["key"]: entry["version"] for entry in register(book) if entry["slug"] == "cami-pow"}
    assert (versions["1.1.2"], versions["1.1.1"]) == ("2", "0")


def test_download_is_protected_with_drop_downs_and_hidden_machinery(client, aigerim):
    before = timezone.now()
    book = download(client)
    sheet = book.worksheets[0]
    meta = book["tracker"]
    assert sheet.protection.sheet
    # The password is part of the workbook's signature: unprotecting takes a deliberate step.
    password = meta["B6"].value[:12]
    assert sheet.protection.password == hash_password(password) == meta.protection.password
    assert book.security.lockStructure  # sheets cannot be added, renamed or unhidden (in Excel)
    assert sheet.freeze_panes == "A2"
    for key in ("instrument", "code", "text", "priority", "deadline", "current"):
        assert sheet.cell(2, COLUMN[key]).protection.locked, key
    for key in ("status", "progress", "narrative", "link", "refers_to", "narrative_language"):
        assert not sheet.cell(2, COLUMN[key]).protection.locked, key
    assert sheet.cell(2, COLUMN["text"]).alignment.wrap_text
    assert sheet.column_dimensions["C"].width == 60
    assert not any(sheet.column_dimensions[letter].hidden for letter in "ABCDEFGHIJKL")

    validations = {str(validation.sqref)[0]: validation for validation in sheet.data_validations.dataValidation}
    last = sheet.max_row
    assert str(validations["G"].sqref) == f"G2:G{last}"
    assert (validations["G"].type, validations["G"].formula1) == ("list", "tracker!$D$1:$D$7")
    assert (validations["L"].type, validations["L"].formula1) == ("list", "tracker!$E$1:$E$4")
    assert [meta.cell(row, 5).value for row in range(1, 5)] == ["English", "Русский", "Монгол", "Қазақша"]
    assert (validations["H"].type, validations["H"].operator, validations["H"].formula1, validations["H"].formula2) == (
        "decimal",
        "between",
        "0",
        "100",
    )
    assert str(validations["H"].sqref) == f"H2:H{last}"

    assert meta.sheet_state == "veryHidden"
    assert [meta.cell(row, 4).value for row in range(1, 8)] == [
        "Not started",
        "Planned",
        "In progress",
        "Completed",
        "Ongoing/continuous",
        "Delayed",
        "Not applicable",
    ]
    assert [meta.cell(row, 1).value for row in range(1, 7)] == [
        "unit",
        "language",
        "downloaded_at",
        "format",
        "sheet",
        "signature",
    ]
    assert meta["B5"].value == sheet.title == "Activities"
    assert (meta["B1"].value, meta["B2"].value) == ("KZ", "en")
    downloaded_at = datetime.datetime.fromisoformat(meta["B3"].value)
    assert downloaded_at.utcoffset() == datetime.timedelta(0)
    assert before <= downloaded_at <= timezone.now()


def test_texts_that_look_like_formulas_are_written_as_text(client, aigerim):
    target = item("cami-pow", "1.1.1")
    target.text_en = '=HYPERLINK("http://evil.example","click")'
    target.save()
    sheet = download(client).worksheets[0]
    cell = sheet.cell(2, COLUMN["text"])
    assert cell.value == '=HYPERLINK("http://evil.example","click")'
    assert cell.data_type == "s"
    assert cell.quotePrefix
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_kazakh_download_has_kazakh_headers_and_texts(client, aigerim):
    book = download(client, language="kk")
    with translation.override("kk"):
        expected = [str(column.label) for column in workbook.COLUMNS]
        statuses = [str(status) for status in Status.labels]
        title = gettext("Activities")
        priority = pgettext("priority", "High")
        instrument = item("cami-pow", "1.1.1").instrument.short_title
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]] == expected
    assert expected[0] == "Құжат"  # "Instrument" is already in the Kazakh catalogue
    assert sheet.title == title == "Іс-шаралар"
    assert sheet.cell(2, COLUMN["priority"]).value == priority
    assert sheet.cell(2, COLUMN["instrument"]).value == instrument
    assert [book["tracker"].cell(row, 4).value for row in range(1, 8)] == statuses
    assert book["tracker"]["B2"].value == "kk"


# Upload, preview, confirm -----------------------------------------------------------------------


def test_filled_rows_are_previewed_then_submitted_for_review(client, aigerim, kz):
    book = download(client)
    first = fill(
        book,
        "cami-pow",
        "1.1.1",
        status="In progress",
        progress=40,
        narrative="Two ranger trainings held in Almaty.",
        link="https://example.org/report.pdf",
        refers_to=datetime.datetime(2026, 3, 31),
    )
    second = fill(book, "vilm", "2.3", status="completed", narrative="Signed.", refers_to="2026-02-15")
    third = fill(book, "cami-pow", "1.1.3", status="  DELAYED ")
    data = saved(book)

    response = upload(client, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 filled rows" in html
    assert f'id="row-{first}"' in html and f'id="row-{second}"' in html and f'id="row-{third}"' in html
    assert "Two ranger trainings held in Almaty." in html
    assert "https://example.org/report.pdf" in html
    assert "2026-03-31" in html and "2026-02-15" in html
    assert 'action="/en/reporting/KZ/workbook/confirm/"' in html
    assert workbook_updates().count() == 0  # nothing saved before the confirmation
    assert client.session["workbook:KZ"]["digest"] == hashlib.sha256(data).hexdigest()

    response = confirm(client, data)
    assert response.status_code == 302
    assert response["Location"] == "/en/reporting/"
    updates = {update.item.key: update for update in workbook_updates().select_related("item")}
    assert set(updates) == {"1.1.1", "2.3", "1.1.3"}
    training = updates["1.1.1"]
    assert (training.status, training.progress, training.narrative) == (
        Status.IN_PROGRESS,
        40,
        "Two ranger trainings held in Almaty.",
    )
    assert training.refers_to == datetime.date(2026, 3, 31)
    assert (training.state, training.author, training.unit, training.narrative_language) == (
        StatusUpdate.State.SUBMITTED,
        aigerim,
        kz,
        "en",
    )
    assert training.submitted_at is not None and training.based_on_version == 0
    assert list(Evidence.objects.filter(update=training).values_list("url", flat=True)) == [
        "https://example.org/report.pdf"
    ]
    assert (updates["2.3"].status, updates["2.3"].refers_to, updates["2.3"].narrative) == (
        Status.COMPLETED,
        datetime.date(2026, 2, 15),
        "Signed.",
    )
    assert updates["2.3"].progress is None
    assert (updates["1.1.3"].status, updates["1.1.3"].refers_to) == (Status.DELAYED, timezone.localdate())
    assert not Evidence.objects.filter(update=updates["1.1.3"]).exists()
    assert Progress.objects.get(item=training.item, unit=kz).version == 1
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "3 updates from the workbook were submitted for review."
    ]
    assert "workbook:KZ" not in client.session
    # The same preview cannot be confirmed twice, and a second click is told why nothing more was saved.
    again = confirm(client, data)
    assert again.status_code == 302 and again["Location"] == reverse("actions:my_reporting")
    assert [str(message) for message in get_messages(again.wsgi_request)][-1] == CONFIRMED_ALREADY
    assert workbook_updates().count() == 3


def test_rows_can_be_saved_as_drafts_in_the_language_of_the_page(client, aigerim, kz):
    book = download(client, language="kk")
    fill(book, "cami-pow", "1.1.1", status="Planned", narrative="Жоспарланған.")
    data = saved(book)
    assert upload(client, data, language="kk").status_code == 200
    response = client.post(
        url("actions:workbook_confirm", language="kk"), {"digest": hashlib.sha256(data).hexdigest(), "mode": "draft"}
    )
    assert response["Location"] == "/kk/reporting/"
    update = workbook_updates().get()
    assert (update.state, update.status, update.narrative_language, update.submitted_at) == (
        StatusUpdate.State.DRAFT,
        Status.PLANNED,
        "kk",
        None,
    )
    assert not Progress.objects.filter(item=update.item, unit=kz, version__gt=0).exists()


def test_the_narrative_language_is_the_rows_own_else_the_workbooks(client, aigerim, kz):
    book = download(client, language="kk")
    fill(book, "cami-pow", "1.1.1", status="Planned", narrative="Жоспарланған.")
    fill(book, "cami-pow", "1.1.2", status="Planned", narrative="Запланировано.", narrative_language="Русский")
    fill(book, "cami-pow", "1.1.3", status="Planned", narrative="Planned.", narrative_language="ағылшын")
    fill(book, "cami-pow", "1.1.4", status="Planned", narrative="Planned.", narrative_language="mn")
    bad = fill(book, "cami-pow", "1.1.5", status="Planned", narrative="?", narrative_language="Klingon")
    with translation.override("en"):
        parsed = workbook.parse_workbook(saved(book), kz)
    assert [(error["row"], error["message"]) for error in parsed.errors] == [
        (bad, "“Klingon” is not a language of the tracker. Choose one from the list.")
    ]
    book.worksheets[0].cell(bad, COLUMN["narrative_language"]).value = None
    data = saved(book)
    assert upload(client, data, language="en").status_code == 200
    # Confirmed from the English page: the page's language says nothing of the narratives'.
    assert confirm(client, data, mode="draft").status_code == 302
    languages = {update.item.key: update.narrative_language for update in workbook_updates()}
    assert languages == {"1.1.1": "kk", "1.1.2": "ru", "1.1.3": "en", "1.1.4": "mn", "1.1.5": "kk"}


def test_a_workbook_with_no_filled_row_has_nothing_to_confirm(client, aigerim):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", narrative="   ")  # blank text counts as empty
    html = upload(client, saved(book)).content.decode()
    assert "nothing to send" in html
    assert "workbook/confirm/" not in html
    assert "workbook:KZ" not in client.session


def test_status_is_read_in_any_language_or_as_its_code(kz):
    with translation.override("en"):
        data = workbook.build_workbook(kz)
    book = load_workbook(io.BytesIO(data))
    spellings = {"1.1.1": "not-started", "1.1.2": "ONGOING/CONTINUOUS", "1.1.3": " Not applicable "}
    for language in ("ru", "mn", "kk"):
        with translation.override(language):
            spellings[f"1.1.{len(spellings) + 1}"] = str(Status.IN_PROGRESS.label).upper()
    for key, spelling in spellings.items():
        fill(book, "cami-pow", key, status=spelling)
    with translation.override("ru"):
        parsed = workbook.parse_workbook(saved(book), kz)
    assert parsed.errors == []
    assert [row["status"] for row in parsed.rows] == [
        "not-started",
        "ongoing",
        "not-applicable",
        "in-progress",
        "in-progress",
        "in-progress",
    ]


def test_progress_typed_as_a_percentage_and_excel_dates_are_understood(kz):
    with translation.override("en"):
        book = load_workbook(io.BytesIO(workbook.build_workbook(kz)))
    number = fill(book, "cami-pow", "1.1.1", status="Completed", progress=0.4, refers_to=datetime.date(2026, 1, 2))
    book.worksheets[0].cell(number, COLUMN["progress"]).number_format = "0%"
    fill(book, "cami-pow", "1.1.2", status="Completed", progress="75 %", refers_to=" 2026-02-03 ")
    fill(book, "cami-pow", "1.1.3", status="Completed", progress=80.0)
    parsed = workbook.parse_workbook(saved(book), kz, today=datetime.date(2026, 11, 1))
    assert parsed.errors == []
    assert [(row["progress"], row["refers_to"]) for row in parsed.rows] == [
        (40, "2026-01-02"),
        (75, "2026-02-03"),
        (80, "2026-11-01"),
    ]


def test_errors_name_the_row_and_the_column_and_nothing_is_saved(client, aigerim, kz):
    book = download(client)
    unknown = fill(book, "cami-pow", "1.1.1", status="Finished")
    too_much = fill(book, "cami-pow", "1.1.2", status="Completed", progress=150)
    formula = fill(book, "cami-pow", "1.1.3", status="Completed", narrative="=1+1")
    bad_link = fill(book, "cami-pow", "1.1.4", status="Completed", link="javascript:alert(1)")
    bad_date = fill(book, "cami-pow", "1.1.5", status="Completed", refers_to="31/03/2026", progress="half")
    no_status = fill(book, "cami-pow", "1.1.6", progress=50)
    fine = fill(book, "cami-pow", "1.1.7", status="Completed")
    data = saved(book)

    parsed = workbook.parse_workbook(data, kz)
    assert [(error["row"], error["column"], error["message"]) for error in parsed.errors] == [
        (unknown, "New status", "“Finished” is not a status. Choose one from the list."),
        (too_much, "Progress (%)", "150 was read as 150 %: progress goes from 0 to 100 %."),
        (formula, "Narrative", "Formulas are not accepted: type the value itself."),
        (bad_link, "Link (URL)", "Enter a full web address starting with http:// or https://."),
        (bad_date, "Progress (%)", "“half” is not a number. Enter the progress as a whole number from 0 to 100."),
        (bad_date, "Date the work refers to", "Enter a date, for example 2026-03-31."),
        (no_status, "New status", "Choose a new status: the other cells of this row are filled in."),
    ]
    assert [row["row"] for row in parsed.rows if not row["errors"]] == [fine]

    response = upload(client, data)
    html = response.content.decode()
    assert "7 cells to correct" in html
    assert f"<td>{formula}</td><td>Narrative</td><td>Formulas are not accepted: type the value itself.</td>" in html
    assert f"<td>{too_much}</td><td>Progress (%)</td>" in html
    assert "workbook/confirm/" not in html  # no confirm button: fix the file first
    assert "workbook:KZ" not in client.session
    assert sent_back(confirm(client, data)) == [NOTHING_TO_CONFIRM]
    assert not StatusUpdate.objects.exists()


def test_array_formulas_and_formulas_in_any_input_column_are_refused(client, aigerim, kz):
    book = download(client)
    number = fill(book, "cami-pow", "1.1.1", status='=INDIRECT("tracker!D4")', progress="=40", link="=A1")
    parsed = workbook.parse_workbook(saved(book), kz)
    assert {(error["row"], error["column"]) for error in parsed.errors} == {
        (number, "New status"),
        (number, "Progress (%)"),
        (number, "Link (URL)"),
    }
    assert {error["message"] for error in parsed.errors} == {"Formulas are not accepted: type the value itself."}


def test_changed_identity_cells_and_rows_outside_the_list_are_refused(client, aigerim, kz):
    book = download(client)
    sheet = book.worksheets[0]
    renamed = fill(book, "cami-pow", "1.1.1", status="Completed")
    sheet.cell(renamed, COLUMN["code"]).value = "1.1.2"
    retexted = fill(book, "cami-pow", "1.1.3", status="Completed")
    sheet.cell(retexted, COLUMN["text"]).value = "Something else"
    unknown = fill(book, "cami-pow", "1.1.6", status="Completed")
    sheet.cell(unknown, COLUMN["code"]).value = "9.9.9"
    sheet.cell(unknown, COLUMN["text"]).value = "An activity of my own"
    outside = sheet.max_row + 3
    sheet.cell(outside, COLUMN["status"]).value = "Completed"
    copied = fill(book, "cami-pow", "1.1.4", status="Completed")
    duplicate = fill(book, "cami-pow", "1.1.5", status="Planned")
    for key in ("instrument", "code", "text"):
        sheet.cell(duplicate, COLUMN[key]).value = sheet.cell(copied, COLUMN[key]).value
    parsed = workbook.parse_workbook(saved(book), kz)
    cami = "CAMI Programme of Work"
    assert [(error["row"], error["column"], error["message"]) for error in parsed.errors] == [
        (
            renamed,
            "Code",
            f"This row shows {cami} 1.1.2, but its activity text is that of {cami} 1.1.1. Part of the row has been "
            "moved, for example by sorting only some columns. Nothing has been saved: sort whole rows only, or "
            "download a new workbook.",
        ),
        (
            retexted,
            "Activity",
            f"The activity text of {cami} 1.1.3 has been changed in this row. The texts cannot be changed in the "
            "workbook: download a new workbook.",
        ),
        (duplicate, "Code", f"Activity 1.1.4 is already filled in row {copied}."),
        (
            unknown,
            "Code",
            f"This row shows {cami} 9.9.9, which is not an activity of this workbook. The instrument and code of a "
            "row cannot be changed: download a new workbook.",
        ),
        (outside, "Code", "This row is not an activity of the workbook: fill in only the rows of activities."),
    ]


def test_a_changed_register_refuses_the_whole_workbook(client, aigerim, kz):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed")
    book["tracker"].cell(1, 11).value = "7"  # the version of the first row
    with pytest.raises(workbook.WorkbookRejected) as rejected:
        workbook.parse_workbook(saved(book), kz)
    assert rejected.value.message.startswith("This workbook does not come from the tracker")


def test_an_activity_no_longer_applying_to_the_unit_is_refused(client, aigerim, kz):
    book = download(client)
    number = fill(book, "cami-pow", "1.1.1", status="Completed")
    item("cami-pow", "1.1.1").applies_to.remove(kz)
    parsed = workbook.parse_workbook(saved(book), kz)
    assert [(error["row"], error["message"]) for error in parsed.errors] == [
        (number, "Activity 1.1.1 is no longer among the activities of this reporting unit.")
    ]


# Conflicts --------------------------------------------------------------------------------------


def test_an_update_submitted_after_the_download_is_a_conflict_to_acknowledge(client, aigerim, people, kz):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed", narrative="Done.")
    fill(book, "cami-pow", "1.1.2", status="Planned")
    data = saved(book)
    colleague = people["aigerim"]
    colleague.first_name, colleague.last_name = "Aigerim", "Nurlanovna"
    colleague.save()
    meanwhile = services.update_create(
        author=colleague,
        item=item("cami-pow", "1.1.1"),
        unit=kz,
        content=services.UpdateContent(status=Status.DELAYED, refers_to=datetime.date(2026, 5, 1)),
        based_on_version=0,
        submit=True,
    )

    html = upload(client, data).content.decode()
    assert "Updated since your download: Aigerim Nurlanovna reported “Delayed”" in html
    assert "Pending review" in html
    assert 'type="checkbox" name="acknowledge"' in html
    stored = client.session["workbook:KZ"]
    assert stored["versions"] == {str(item("cami-pow", "1.1.1").pk): 1, str(item("cami-pow", "1.1.2").pk): 0}

    refused = confirm(client, data)
    assert refused.status_code == 200
    assert "tick the box" in refused.content.decode()
    assert list(StatusUpdate.objects.all()) == [meanwhile]

    response = confirm(client, data, acknowledge=True)
    assert response["Location"] == "/en/reporting/"
    updates = {update.item.key: update for update in workbook_updates().select_related("item")}
    # Based on the version the user saw in the preview, so that the service accepts it.
    assert (updates["1.1.1"].based_on_version, updates["1.1.1"].state) == (1, StatusUpdate.State.SUBMITTED)
    assert updates["1.1.2"].based_on_version == 0
    assert Progress.objects.get(item=updates["1.1.1"].item, unit=kz).version == 2


def test_a_text_edited_after_the_download_is_a_conflict(client, aigerim, kz):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed")
    number = fill(book, "cami-pow", "1.1.2", status="Completed")
    data = saved(book)
    target = item("cami-pow", "1.1.1")
    target.text_en = "Strengthen the capacity of rangers, reworded."
    target.save()
    untouched = item("cami-pow", "1.1.2")
    untouched.priority_raw = "high (reviewed)"  # not the text or deadline: no conflict
    untouched.save()

    parsed = workbook.parse_workbook(data, kz)
    conflicts = {row["key"]: row["conflicts"] for row in parsed.rows}
    assert [conflict["kind"] for conflict in conflicts["1.1.1"]] == ["reference"]
    assert conflicts["1.1.2"] == []
    assert datetime.datetime.fromisoformat(conflicts["1.1.1"][0]["changed_at"]) > parsed.downloaded_at
    html = upload(client, data).content.decode()
    assert "The text or deadline of this activity was changed on" in html
    assert f'id="row-{number}"' in html
    assert "tick the box" in confirm(client, data).content.decode()
    assert confirm(client, data, acknowledge=True)["Location"] == "/en/reporting/"
    assert workbook_updates().count() == 2


def test_conflicts_are_found_with_the_same_queries_for_one_row_or_many(client, aigerim, kz, django_assert_num_queries):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed")
    one = saved(book)
    for key in ("1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6"):
        fill(book, "cami-pow", key, status="Completed")
    many = saved(book)
    for found in Item.objects.filter(instrument__slug="cami-pow", key__in=["1.1.1", "1.1.2", "1.1.3"]):
        found.text_en += " Edited."
        found.save()
    # Items of the unit, progress rows, history of the edited items.
    with django_assert_num_queries(3):
        assert len(workbook.parse_workbook(one, kz).conflicts) == 1
    with django_assert_num_queries(3):
        assert len(workbook.parse_workbook(many, kz).conflicts) == 3


def test_a_change_between_preview_and_confirm_rolls_every_row_back(client, aigerim, kz):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed")
    fill(book, "cami-pow", "1.1.2", status="Completed")
    data = saved(book)
    assert upload(client, data).status_code == 200
    services.update_create(
        author=aigerim,
        item=item("cami-pow", "1.1.2"),
        unit=kz,
        content=services.UpdateContent(status=Status.PLANNED, refers_to=datetime.date(2026, 5, 1)),
        based_on_version=0,
        submit=True,
    )
    assert sent_back(confirm(client, data)) == [
        "Nothing was saved: Someone else has reported on this activity for this unit in the meantime. "
        "Upload the workbook again to see the current state."
    ]
    assert workbook_updates().count() == 0  # the row of 1.1.1, saved first, was rolled back too
    assert not Progress.objects.filter(item=item("cami-pow", "1.1.1"), unit=kz, version__gt=0).exists()
    assert "workbook:KZ" not in client.session


def test_a_confirmation_for_another_file_is_refused(client, aigerim):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed")
    data = saved(book)
    upload(client, data)
    response = client.post(url("actions:workbook_confirm"), {"digest": "0" * 64, "mode": "submit"})
    assert sent_back(response) == [NOTHING_TO_CONFIRM]
    assert "workbook:KZ" in client.session  # the real preview can still be confirmed
    assert not StatusUpdate.objects.exists()


# Files the tracker refuses ----------------------------------------------------------------------


def test_a_workbook_of_another_unit_is_refused(client, people):
    client.force_login(people["bat"])
    book = download(client, unit="MN")
    mongolian = book.worksheets[0]
    mongolian.cell(2, COLUMN["status"]).value = "Completed"
    data = saved(book)
    client.force_login(people["aigerim"])
    html = upload(client, data).content.decode()
    assert "This workbook is for Mongolia, not Kazakhstan." in html
    assert "workbook:KZ" not in client.session
    assert sent_back(confirm(client, data)) == [NOTHING_TO_CONFIRM]
    assert not StatusUpdate.objects.exists()


def test_an_oversized_file_is_refused_before_reading(client, aigerim, settings):
    book = download(client)
    fill(book, "cami-pow", "1.1.1", status="Completed")
    settings.WORKBOOK_MAX_BYTES = 1000
    html = upload(client, saved(book)).content.decode()
    assert "The file is too large" in html
    assert "smaller than 1000\xa0bytes" in html
    assert not StatusUpdate.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.csv", b"code;status\n1.1.1;Completed\n"),
        ("report.xlsx", b"code;status\n1.1.1;Completed\n"),
        ("report.xlsx", b"PK\x03\x04 broken"),
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(client, aigerim, name, content):
    html = upload(client, content, name=name).content.decode()
    assert "This file is not an Excel workbook (.xlsx)." in html
    assert "workbook:KZ" not in client.session


def test_a_zip_that_is_not_a_workbook_is_refused(client, aigerim):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    html = upload(client, stream.getvalue()).content.decode()
    assert "This file is not an Excel workbook (.xlsx)." in html


def test_a_zip_bomb_is_refused_without_unpacking(client, aigerim):
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    assert len(stream.getvalue()) < 200_000
    html = upload(client, stream.getvalue()).content.decode()
    assert "once unpacked it would be far larger" in html


def test_a_workbook_not_made_by_the_tracker_is_refused(client, aigerim):
    foreign = Workbook()
    foreign.active.append([label(column.key) for column in workbook.COLUMNS])
    foreign.active.append(["CAMI Programme of Work", "1.1.1", "", "", "", "", "Completed"])
    html = upload(client, saved(foreign)).content.decode()
    assert escape("This workbook does not come from the tracker") in html

    book = download(client)
    book["tracker"]["B1"].value = "MN"  # a changed unit breaks the signature
    html = upload(client, saved(book)).content.decode()
    assert escape("This workbook does not come from the tracker") in html


def test_a_workbook_with_changed_columns_is_refused(client, aigerim):
    book = download(client)
    book.worksheets[0].cell(1, COLUMN["narrative"]).value = "Comments"
    fill(book, "cami-pow", "1.1.1", status="Completed")
    html = upload(client, saved(book)).content.decode()
    assert "The columns of this workbook have been changed" in html
    assert not StatusUpdate.objects.exists()


# Who may use it ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["daulet", "bat", "nobody", "sara", "ada"])
def test_only_those_who_report_for_the_unit_may_use_its_workbook(client, people, name):
    client.force_login(people[name])
    assert client.get(url("actions:workbook_download")).status_code == 403
    assert client.get(url("actions:workbook_upload")).status_code == 403
    assert upload(client, b"anything").status_code == 403
    assert client.post(url("actions:workbook_confirm"), {"digest": "x", "mode": "submit"}).status_code == 403


def test_the_secretariat_reports_for_cms_and_the_superuser_too(client, people):
    for name in ("sara", "ada"):
        client.force_login(people[name])
        book = download(client, unit="CMS")
        expected = Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__code="CMS").count()
        assert book.worksheets[0].max_row == expected + 1
        assert book["tracker"]["B1"].value == "CMS"


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("actions:workbook_download", "actions:workbook_upload", "actions:workbook_confirm"):
        response = client.get(url(name)) if name != "actions:workbook_confirm" else client.post(url(name))
        assert response.status_code == 302
        assert response["Location"] == f"/en/accounts/login/?next={url(name)}"


def test_an_unknown_unit_is_not_found(client, aigerim):
    assert client.get(url("actions:workbook_download", unit="XX")).status_code == 404
    assert client.get(url("actions:workbook_upload", unit="XX")).status_code == 404


def test_the_upload_page_links_to_the_download(client, aigerim):
    html = client.get(url("actions:workbook_upload")).content.decode()
    assert 'href="/en/reporting/KZ/workbook/"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Kazakhstan" in html
