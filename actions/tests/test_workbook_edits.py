"""The round-trip workbooks survive what people do to them in a spreadsheet.

Every edit a focal point or a translator makes every day (sorting on any column, filtering, hiding,
deleting or moving rows, swapping two rows, a re-save by openpyxl or by a real LibreOffice) gives
either exactly the intended changes on exactly the intended records, or a refusal that names the row,
with nothing saved.
"""

import io
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from actions import reporting_workbook
from actions.forms import read_percent
from actions.models import Agency, Item, ReportingUnit, Status, StatusUpdate
from actions.tests.test_reporting_workbook import COLUMN, confirm, download, saved, upload

pytestmark = pytest.mark.django_db

VISIBLE = range(1, len(reporting_workbook.COLUMNS) + 1)
# What the focal point types, per activity (slug, key): status and narrative.
FILLED = {
    ("cami-pow", "1.1.1"): ("Completed", "Рабочая группа создана."),
    ("vilm", "2.3"): ("In progress", "Жұмыс жүріп жатыр."),
    ("cami-pow", "2.2.1 (b)"): ("Planned", "Fence survey planned."),
}


def resaved(book):
    """The workbook as openpyxl writes and reads it again."""
    return load_workbook(io.BytesIO(saved(book)))


def rows(sheet, columns=VISIBLE) -> list[list]:
    return [[sheet.cell(number, column).value for column in columns] for number in range(2, sheet.max_row + 1)]


def write(sheet, values: list[list], columns=VISIBLE) -> None:
    for number, row in enumerate(values, start=2):
        for column, value in zip(columns, row, strict=True):
            sheet.cell(number, column).value = value


def sort(sheet, column: int, *, reverse=False, columns=VISIBLE) -> None:
    """Sort the rows on one column, moving only `columns`, as a spreadsheet sorts a selection."""
    position = list(columns).index(column)
    ordered = sorted(rows(sheet, columns), key=lambda row: str(row[position] or ""), reverse=reverse)
    write(sheet, ordered, columns)


def shown_identity(slug: str, key: str) -> tuple[str, str]:
    item = Item.objects.select_related("instrument").get(instrument__slug=slug, key=key)
    return item.instrument.short_title, item.code or item.key


def row_showing(sheet, slug: str, key: str) -> int:
    wanted = shown_identity(slug, key)
    for number in range(2, sheet.max_row + 1):
        if (sheet.cell(number, COLUMN["instrument"]).value, sheet.cell(number, COLUMN["code"]).value) == wanted:
            return number
    raise AssertionError(f"{slug} {key} is not shown")


@pytest.fixture
def aigerim(client, people):
    client.force_login(people["aigerim"])
    return people["aigerim"]


@pytest.fixture
def filled(client, aigerim):
    book = download(client)
    sheet = book.worksheets[0]
    for (slug, key), (status, narrative) in FILLED.items():
        number = row_showing(sheet, slug, key)
        sheet.cell(number, COLUMN["status"]).value = status
        sheet.cell(number, COLUMN["narrative"]).value = narrative
    return book


def saved_updates() -> set[tuple]:
    return {
        (update.item.instrument.slug, update.item.key, update.get_status_display(), update.narrative)
        for update in StatusUpdate.objects.select_related("item__instrument")
    }


def intended(exclude=()) -> set[tuple]:
    return {(slug, key, status, narrative) for (slug, key), (status, narrative) in FILLED.items() if key not in exclude}


def send(client, data: bytes):
    response = upload(client, data)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert not response.context["errors"], response.context["errors"]
    assert confirm(client, data).status_code == 302


def hide_rows(sheet):
    # What a filter does: the rows are hidden, not gone; a filled row hidden still counts.
    for number in range(2, sheet.max_row + 1, 2):
        sheet.row_dimensions[number].hidden = True


def delete_some_rows(sheet):
    # Deleting rows nobody filled in changes nothing; the rows below move up.
    for number in sorted({3, 5, 40, 41, 42}, reverse=True):
        if sheet.cell(number, COLUMN["status"]).value is None:
            sheet.delete_rows(number)


def move_a_row_to_the_top(sheet):
    number = row_showing(sheet, "vilm", "2.3")
    values = [sheet.cell(number, column).value for column in VISIBLE]
    sheet.delete_rows(number)
    sheet.insert_rows(2)
    for column, value in zip(VISIBLE, values, strict=True):
        sheet.cell(2, column).value = value


def swap_two_rows(sheet):
    first, second = row_showing(sheet, "cami-pow", "1.1.1"), row_showing(sheet, "vilm", "2.3")
    one, other = ([sheet.cell(number, column).value for column in VISIBLE] for number in (first, second))
    for column, a, b in zip(VISIBLE, one, other, strict=True):
        sheet.cell(first, column).value, sheet.cell(second, column).value = b, a


EDITS = {
    "sort by code, ascending": lambda sheet: sort(sheet, COLUMN["code"]),
    "sort by code, descending": lambda sheet: sort(sheet, COLUMN["code"], reverse=True),
    "sort by text": lambda sheet: sort(sheet, COLUMN["text"]),
    "sort by priority, descending": lambda sheet: sort(sheet, COLUMN["priority"], reverse=True),
    "sort by new status": lambda sheet: sort(sheet, COLUMN["status"]),
    "sort by instrument, descending": lambda sheet: sort(sheet, COLUMN["instrument"], reverse=True),
    "filter: hide rows": hide_rows,
    "delete empty rows": delete_some_rows,
    "move a row": move_a_row_to_the_top,
    "swap two rows": swap_two_rows,
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_whole_rows_sorted_filtered_moved_or_swapped_save_exactly_what_was_typed(client, filled, edit):
    edit(filled.worksheets[0])
    book = resaved(filled)
    send(client, saved(book))
    assert saved_updates() == intended()


def test_a_sort_after_another_and_a_deleted_filled_row(client, filled):
    sheet = filled.worksheets[0]
    sort(sheet, COLUMN["deadline"])
    book = resaved(filled)
    sheet = book.worksheets[0]
    sort(sheet, COLUMN["code"], reverse=True)
    sheet.delete_rows(row_showing(sheet, "cami-pow", "1.1.1"))
    send(client, saved(resaved(book)))
    assert saved_updates() == intended(exclude={"1.1.1"})


@pytest.mark.parametrize(
    "columns",
    [range(2, 3), range(1, 3), range(3, 13)],
    ids=["the code column only", "instrument and code only", "text and the cells to fill in"],
)
def test_a_sort_of_some_columns_tears_rows_apart_and_is_refused_naming_the_row(client, filled, columns):
    sheet = filled.worksheets[0]
    sort(sheet, columns[0], reverse=True, columns=columns)
    response = upload(client, saved(resaved(filled)))
    errors = response.context["errors"]
    assert errors, "a torn row must be refused"
    torn = [error for error in errors if "but its activity text is that of" in error["message"]]
    assert torn, errors
    # The message names what the row shows and the activity its text belongs to.
    first = torn[0]
    sheet = filled.worksheets[0]
    instrument, code = (sheet.cell(first["row"], COLUMN[key]).value for key in ("instrument", "code"))
    assert first["message"].startswith(f"This row shows {instrument} {code}, but its activity text is that of ")
    assert "workbook/confirm/" not in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_a_libreoffice_re_save_of_a_sorted_workbook_is_read_right(client, filled, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: bin/setup --dev installs libreoffice-calc-nogui"
    sort(filled.worksheets[0], COLUMN["code"], reverse=True)
    source = tmp_path / "filled.xlsx"
    filled.save(source)
    out = tmp_path / "out"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = (out / "filled.xlsx").read_bytes()
    resaved_book = load_workbook(io.BytesIO(data))
    # What LibreOffice keeps and drops (docs/reporting.md): the sheet stays protected, the hidden
    # sheet becomes merely hidden, and the upload does not depend on either.
    assert resaved_book.worksheets[0].protection.sheet
    assert resaved_book["tracker"].sheet_state in ("hidden", "veryHidden")
    send(client, data)
    assert saved_updates() == intended()


def edit_in_libreoffice(source, target, password: str, edits) -> None:
    """Run the edits in LibreOffice Calc (actions/tests/libreoffice_edit.py, with the system Python's uno)."""
    script = settings.BASE_DIR / "actions" / "tests" / "libreoffice_edit.py"
    # A headless LibreOffice on a loaded machine now and then aborts or drops its UNO bridge before
    # the edits are saved ("URP bridge disposed"); that says nothing of the workbook, so it gets
    # more starts, a moment apart. What the edits produce is checked by the caller, never retried.
    failures = []
    for attempt in range(4):
        Path(target).unlink(missing_ok=True)
        done = subprocess.run(
            ["/usr/bin/python3", str(script), str(source), str(target), password, str(edits)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode == 0 and Path(target).exists():
            return
        failures.append(f"start {attempt + 1}: exit {done.returncode}\n{done.stderr[-1200:]}")
        time.sleep(2 * (attempt + 1))
    raise AssertionError("\n".join(failures))


def test_typed_and_sorted_in_a_real_libreoffice_the_rows_are_saved_on_the_right_activities(client, aigerim, tmp_path):
    """Typing "40 %" and "12,5" into a Russian workbook, then sorting the selection A:K descending
    by code, in LibreOffice Calc driven through its UNO interface (actions/tests/libreoffice_edit.py)."""
    book = download(client, language="ru")
    password = book["tracker"]["B6"].value[:12]
    sheet = book.worksheets[0]
    last = sheet.max_row
    first, second = row_showing(sheet, "cami-pow", "1.1.1"), row_showing(sheet, "vilm", "2.3")
    source, target, edits = tmp_path / "in.xlsx", tmp_path / "out.xlsx", tmp_path / "edits.json"
    with translation.override("ru"):
        labels = {value: str(label) for value, label in Status.choices}
    book.save(source)
    edits.write_text(
        json.dumps(
            [
                {"type": [f"G{first}", labels["completed"]]},
                {"type": [f"H{first}", "40 %"]},
                {"type": [f"I{first}", "Рабочая группа создана"]},
                {"type": [f"G{second}", labels["in-progress"]]},
                {"type": [f"H{second}", "12,5"]},
                {"sort": [f"A2:L{last}", 1, False]},
            ]
        ),
        encoding="utf-8",
    )
    edit_in_libreoffice(source, target, password, edits)
    data = target.read_bytes()
    kz = ReportingUnit.objects.get(code="KZ")
    with translation.override("ru"):
        parsed = reporting_workbook.parse_workbook(data, kz)
        # Sorted: the rows typed in are now elsewhere, and found by what they show.
        edited = load_workbook(io.BytesIO(data)).worksheets[0]
        assert row_showing(edited, "cami-pow", "1.1.1") == last
        by_key = {row["key"]: row for row in parsed.rows}
        assert set(by_key) == {"1.1.1", "2.3"}
        assert (by_key["1.1.1"]["status"], by_key["1.1.1"]["progress"]) == ("completed", 40)
        assert by_key["1.1.1"]["notes"] == [
            translation.gettext("%(written)s was read as %(percent)s %%.") % {"written": "0,4", "percent": "40"}
        ]
        assert [(error["row"], error["message"]) for error in parsed.errors] == [
            (
                row_showing(edited, "vilm", "2.3"),
                translation.gettext(
                    "%(written)s was read as %(percent)s %%: progress is a whole number of per cent. "
                    "Enter it rounded, for example %(lower)s or %(upper)s."
                )
                % {"written": "12,5", "percent": "12,5", "lower": 12, "upper": 13},
            )
        ]


# Per cent ------------------------------------------------------------------------------------


def decimal(text: str) -> str:
    """A decimal number as the active language writes it: 12.5 in English, 12,5 in Russian and Kazakh."""
    return text if translation.get_language() == "en" else text.replace(".", ",")


def fill_progress(book, values: list) -> dict[int, object]:
    sheet = book.worksheets[0]
    numbers = {}
    for offset, value in enumerate(values):
        number = 2 + offset
        sheet.cell(number, COLUMN["status"]).value = "In progress"
        cell = sheet.cell(number, COLUMN["progress"])
        if isinstance(value, tuple):  # (value, number format)
            cell.value, cell.number_format = value
        else:
            cell.value = value
        numbers[number] = value
    return numbers


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_progress_is_read_as_people_type_it_in_every_language(client, aigerim, language):
    kz = ReportingUnit.objects.get(code="KZ")
    book = download(client, language=language)
    accepted = [40, "40", "40 %", "40%", "40\u00a0%", 0.4, (0.4, "0%"), (40, "0"), "0", 100, "100 %"]
    refused = ["12,5", 12.5, "150", -5, 0.125, "сорок"]
    numbers = fill_progress(book, accepted + refused)
    with translation.override(language):
        parsed = reporting_workbook.parse_workbook(saved(book), kz)
        errors = {error["row"]: error["message"] for error in parsed.errors}
        by_row = {row["row"]: row for row in parsed.rows}
        read = {number: by_row[number]["progress"] for number in numbers if number not in errors}
        assert list(read.values()) == [40, 40, 40, 40, 40, 40, 40, 40, 0, 100, 100]
        # A spreadsheet's fraction is read as per cent, and the preview says so.
        fraction = [number for number, value in numbers.items() if value == 0.4][0]
        assert by_row[fraction]["notes"] == [
            translation.gettext("%(written)s was read as %(percent)s %%.")
            % {"written": decimal("0.4"), "percent": "40"}
        ]
        messages = [errors[number] for number in sorted(errors)]
        expected = []
        for value in refused:
            try:
                read_percent(value)
            except Exception as error:  # noqa: BLE001 - the message itself is what is compared
                expected.append(" ".join(error.messages))
        assert messages == expected
        fraction_message = translation.gettext(
            "%(written)s was read as %(percent)s %%: progress is a whole number of per cent. "
            "Enter it rounded, for example %(lower)s or %(upper)s."
        )
        assert messages[0] == fraction_message % {
            "written": "12,5",
            "percent": decimal("12.5"),
            "lower": 12,
            "upper": 13,
        }
        assert messages[1] == fraction_message % {
            "written": decimal("12.5"),
            "percent": decimal("12.5"),
            "lower": 12,
            "upper": 13,
        }
        assert messages[4] == fraction_message % {
            "written": decimal("0.125"),
            "percent": decimal("12.5"),
            "lower": 12,
            "upper": 13,
        }


@pytest.mark.parametrize(
    ("typed", "stored"), [("40", 40), ("40 %", 40), ("40%", 40), (" 7 ", 7), ("100", 100), ("", None)]
)
def test_the_web_form_reads_progress_by_the_same_rule(client, aigerim, typed, stored):
    from actions.forms import UpdateForm

    form = UpdateForm(
        data={
            "status": "in-progress",
            "progress": typed,
            "refers_to": "2026-11-30",
            "narrative_language": "en",
            "based_on_version": "0",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["progress"] == stored


@pytest.mark.parametrize("typed", ["12,5", "150", "0.4", "abc", "-1"])
def test_the_web_form_refuses_what_the_workbook_refuses_with_what_was_read(client, aigerim, typed):
    from actions.forms import UpdateForm

    form = UpdateForm(
        data={
            "status": "in-progress",
            "progress": typed,
            "refers_to": "2026-11-30",
            "narrative_language": "en",
            "based_on_version": "0",
        }
    )
    assert not form.is_valid()
    message = form.errors["progress"][0]
    assert message.startswith(f"{typed} was read as") or message.startswith(f"“{typed}” is not a number")


def test_a_date_the_web_form_refuses_is_refused_in_the_workbook_too(client, aigerim):
    import datetime

    kz = ReportingUnit.objects.get(code="KZ")
    book = download(client)
    sheet = book.worksheets[0]
    sheet.cell(2, COLUMN["status"]).value = "Completed"
    sheet.cell(2, COLUMN["refers_to"]).value = datetime.date(9999, 12, 31)
    parsed = reporting_workbook.parse_workbook(saved(book), kz)
    assert [(error["row"], error["message"]) for error in parsed.errors] == [(2, "The date is more than a year ahead.")]


# The translation workbook ----------------------------------------------------------------------


def translation_register(book) -> list[str]:
    register = book["tracker-translations"]
    return [register.cell(row, 10).value for row in range(1, register.max_row + 1)]


def export_texts(client, language="kk"):
    response = client.get(f"/en/texts/{language}.xlsx")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def import_texts(client, book):
    data = SimpleUploadedFile("texts.xlsx", saved(book), content_type=reporting_workbook.CONTENT_TYPE)
    return client.post("/en/texts/", {"workbook": data})


TEXT_COLUMN = 7


@pytest.fixture
def corrected(client, people):
    """A Kazakh workbook with two corrections: an agency's name and a Vilm action."""
    client.force_login(people["sara"])
    book = export_texts(client)
    sheet = book.worksheets[0]
    identifiers = translation_register(book)
    agency = Agency.objects.get(key="acbk")
    action = Item.objects.get(instrument__slug="vilm", key="2.3")
    for identifier, value in (
        (f"agency:{agency.pk}:name", "Қазақстан биоәртүрлілігін сақтау қауымдастығы (ACBK)"),
        (f"item:{action.pk}:text", "Түзетілген аударма"),
    ):
        sheet.cell(identifiers.index(identifier) + 2, TEXT_COLUMN).value = value
    return book


def kazakh_texts():
    return (
        Agency.objects.get(key="acbk").name_kk,
        Item.objects.get(instrument__slug="vilm", key="2.3").text_kk,
    )


TEXT_EDITS = {
    "sort by code, descending": lambda sheet: sort(sheet, 2, reverse=True, columns=range(1, 9)),
    "sort by the text": lambda sheet: sort(sheet, TEXT_COLUMN, columns=range(1, 9)),
    "sort by the original": lambda sheet: sort(sheet, 5, reverse=True, columns=range(1, 9)),
    "sort by part": lambda sheet: sort(sheet, 1, reverse=True, columns=range(1, 9)),
    "filter: hide rows": hide_rows,
    "delete rows": lambda sheet: sheet.delete_rows(2, 30),
}


@pytest.mark.parametrize("edit", TEXT_EDITS.values(), ids=TEXT_EDITS.keys())
def test_a_sorted_or_filtered_translation_workbook_changes_exactly_the_corrected_texts(client, corrected, edit):
    others_before = {agency.pk: agency.name_kk for agency in Agency.objects.exclude(key="acbk")}
    edit(corrected.worksheets[0])
    response = import_texts(client, resaved(corrected))
    assert response.status_code == 302, response.context["errors"][:3]
    assert kazakh_texts() == ("Қазақстан биоәртүрлілігін сақтау қауымдастығы (ACBK)", "Түзетілген аударма")
    assert {agency.pk: agency.name_kk for agency in Agency.objects.exclude(key="acbk")} == others_before


@pytest.mark.parametrize(
    "columns", [range(7, 8), range(1, 7)], ids=["the text column only", "everything but the text column"]
)
def test_a_translation_sort_of_some_columns_is_refused_and_changes_nothing(client, corrected, columns):
    before = kazakh_texts()
    agencies_before = {agency.pk: agency.name_kk for agency in Agency.objects.all()}
    # The agency rows, as the translators sorted them: rows of one part only.
    sheet = corrected.worksheets[0]
    agency_rows = [number for number in range(2, sheet.max_row + 1) if sheet.cell(number, 1).value == "Agencies"]
    block = [[sheet.cell(number, column).value for column in columns] for number in agency_rows]
    position = 1 if len(columns) > 1 else 0  # the code, or the text
    block.sort(key=lambda row: str(row[position] or ""), reverse=True)
    for number, values in zip(agency_rows, block, strict=True):
        for column, value in zip(columns, values, strict=True):
            sheet.cell(number, column).value = value
    response = import_texts(client, resaved(corrected))
    assert response.status_code == 400
    messages = [error["message"] for error in response.context["errors"]]
    assert any("Part of the row has been moved" in message for message in messages), messages[:3]
    assert kazakh_texts() == before
    assert {agency.pk: agency.name_kk for agency in Agency.objects.all()} == agencies_before


def test_the_translation_workbook_says_what_agency_and_unit_names_are(client, people):
    client.force_login(people["sara"])
    for language, expected in (("en", "name as in the reference data"), ("kk", "unofficial translation")):
        book = export_texts(client, language)
        sheet = book.worksheets[0]
        kinds = {
            sheet.cell(number, 8).value
            for number in range(2, sheet.max_row + 1)
            if sheet.cell(number, 1).value == "Agencies"
        }
        assert "not translated yet" not in kinds
        assert expected in kinds
    book = export_texts(client, "ru")
    sheet = book.worksheets[0]
    units = {
        sheet.cell(number, 2).value: sheet.cell(number, 8).value
        for number in range(2, sheet.max_row + 1)
        if sheet.cell(number, 1).value == "Reporting units"
    }
    assert units["KZ"] == "name as in the reference data"  # fixtures/reporting_units.yaml names it in ru
    assert len(units) == 16


def test_a_translation_workbook_typed_and_sorted_in_a_real_libreoffice_changes_the_typed_text(client, people, tmp_path):
    client.force_login(people["sara"])
    book = export_texts(client)
    password = book["tracker-translations"]["B5"].value[:12]
    agency = Agency.objects.get(key="acbk")
    row = translation_register(book).index(f"agency:{agency.pk}:name") + 2
    last = book.worksheets[0].max_row
    others_before = {other.pk: other.name_kk for other in Agency.objects.exclude(pk=agency.pk)}
    source, target, edits = tmp_path / "in.xlsx", tmp_path / "out.xlsx", tmp_path / "edits.json"
    book.save(source)
    edits.write_text(
        json.dumps(
            [
                {"type": [f"G{row}", "Қазақстан биоәртүрлілігін сақтау қауымдастығы (ACBK)"]},
                {"sort": [f"A2:H{last}", 1, False]},
            ]
        ),
        encoding="utf-8",
    )
    edit_in_libreoffice(source, target, password, edits)
    data = SimpleUploadedFile("texts.xlsx", target.read_bytes(), content_type=reporting_workbook.CONTENT_TYPE)
    response = client.post("/en/texts/", {"workbook": data})
    assert response.status_code == 302, response.context["errors"][:3]
    agency.refresh_from_db()
    assert agency.name_kk == "Қазақстан биоәртүрлілігін сақтау қауымдастығы (ACBK)"
    assert {other.pk: other.name_kk for other in Agency.objects.exclude(pk=agency.pk)} == others_before
