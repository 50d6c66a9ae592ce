"""The Excel version of a meeting report, read back cell by cell."""

import datetime
import sys
from io import BytesIO

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from actions import services
from actions.models import Instrument, Item, Meeting, ReportingUnit, Status, StatusUpdate
from actions.tests.reporting import report
from reports import snapshot as snapshots
from reports.excel_exports import render_xlsx

pytestmark = pytest.mark.django_db

CUTOFF = datetime.date(2026, 9, 30)
PREVIOUS_CUTOFF = datetime.date(2026, 3, 31)
FORMULA = '=HYPERLINK("http://x")'
SHEETS_EN = ["Summary", "Status matrix", "Narratives", "Overdue and high priority", "Changes", "Annex"]
MATRIX_HEADER_EN = ["Instrument", "Code", "Activity", "Priority", "Due"]


def moment(day: datetime.date, hour=12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def accepted(people, code, unit, *, submitted, reviewed, **fields):
    """An update accepted by the Secretariat, dated as if it had been submitted and reviewed then."""
    update = report(people["aigerim"] if unit == "KZ" else people["bat"], code, unit, **fields)
    services.update_accept(update=update, user=people["sara"])
    StatusUpdate.objects.filter(pk=update.pk).update(submitted_at=moment(submitted), reviewed_at=moment(reviewed))
    return update


def meeting(name, cutoff, period_start) -> Meeting:
    return Meeting.objects.create(
        name=name,
        body="cop",
        place="Samarkand",
        starts_on=cutoff + datetime.timedelta(days=30),
        ends_on=cutoff + datetime.timedelta(days=35),
        symbol=f"UNEP/CMS/{name}",
        period_start=period_start,
        period_end=cutoff,
        cutoff=cutoff,
    )


@pytest.fixture
def reported(people):
    """Kazakhstan and Mongolia report before, between and after two meetings' cut-offs."""
    meeting("COP14", PREVIOUS_CUTOFF, datetime.date(2023, 1, 1))
    this = meeting("COP15", CUTOFF, datetime.date(2026, 4, 1))
    day = datetime.date
    # Unchanged since the previous cut-off.
    accepted(
        people,
        "1.1.3",
        "KZ",
        status=Status.IN_PROGRESS,
        progress=40,
        submitted=day(2026, 1, 20),
        reviewed=day(2026, 1, 25),
    )
    # Moved on between the two cut-offs.
    accepted(
        people,
        "1.1.2",
        "KZ",
        status=Status.IN_PROGRESS,
        progress=40,
        submitted=day(2026, 1, 20),
        reviewed=day(2026, 1, 25),
    )
    accepted(people, "1.1.2", "KZ", status=Status.COMPLETED, submitted=day(2026, 4, 20), reviewed=day(2026, 4, 22))
    # New in this period, with a narrative that looks like a formula.
    accepted(
        people,
        "1.1.1",
        "KZ",
        status=Status.COMPLETED,
        narrative=FORMULA,
        submitted=day(2026, 6, 10),
        reviewed=day(2026, 6, 15),
    )
    # Accepted the day after the cut-off: in no sheet.
    accepted(
        people,
        "1.1.1",
        "MN",
        status=Status.DELAYED,
        narrative="Late news from Mongolia",
        submitted=day(2026, 9, 29),
        reviewed=day(2026, 10, 1),
    )
    return this


def take(the_meeting, language="en", unit=None):
    return snapshots.take(the_meeting, list(Instrument.objects.all()), unit, language)


def open_book(data: bytes):
    return load_workbook(BytesIO(data))


def values(sheet, row: int) -> list:
    return [cell.value for cell in sheet[row]]


def matrix_row(sheet, instrument: str, code: str) -> dict:
    header = values(sheet, 1)
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] == instrument and row[1] == code:
            return dict(zip(header, row, strict=True))
    raise AssertionError(f"{instrument} {code} is not in the matrix")


def status_text(value: str) -> str:
    """The cell's text without the status symbol, when the charts give the statuses one."""
    try:
        from reports.charts import STATUS_STYLE
    except ImportError:
        return value
    symbol, _, rest = value.partition(" ")
    return rest if symbol in {style.symbol for style in STATUS_STYLE.values()} else value


def pow_title() -> str:
    return Instrument.objects.get(slug="cami-pow").short_title


def test_sheets_and_headers_in_english(reported):
    book = open_book(render_xlsx(take(reported)))

    assert book.sheetnames == SHEETS_EN
    assert values(book["Status matrix"], 1)[:5] == MATRIX_HEADER_EN
    assert values(book["Narratives"], 1) == [
        "Instrument", "Code", "Activity", "Reporting unit", "Status", "Progress (%)", "The work refers to",
        "Submitted", "Language of the narrative", "Narrative",
    ]  # fmt: skip
    assert values(book["Overdue and high priority"], 1) == [
        "Instrument", "Code", "Activity", "Due", "Priority", "Reporting unit", "Status", "Reason",
    ]  # fmt: skip
    assert values(book["Changes"], 1) == ["Instrument", "Code", "Activity", "Reporting unit", "Before", "Now"]
    assert values(book["Annex"], 1) == [
        "Reporting unit", "Instrument", "Code", "Activity", "Status", "Progress (%)", "The work refers to",
    ]  # fmt: skip


def test_sheets_and_headers_in_russian(reported):
    book = open_book(render_xlsx(take(reported, "ru")))

    with translation.override("ru"):
        titles = [gettext(title) for title in SHEETS_EN]
    assert book.sheetnames == [title[:31] for title in titles]
    matrix = book.worksheets[1]
    assert values(matrix, 1)[:5] == ["Документ", "Код", "Мероприятие", "Приоритет", "Срок"]
    assert values(book.worksheets[2], 1)[-1] == "Пояснение"
    changes = book.worksheets[4]
    assert values(changes, 1)[3] == "Отчитывающаяся сторона"
    units = [row[3] for row in changes.iter_rows(min_row=2, values_only=True)]
    assert "Казахстан" in units
    with translation.override("ru"):
        assert book.properties.creator == gettext("CAMI commitment tracker")


@pytest.mark.parametrize("language", ["mn", "kk"])
def test_opens_in_mongolian_and_kazakh(reported, language):
    book = open_book(render_xlsx(take(reported, language)))

    assert len(book.sheetnames) == 6
    assert all(len(title) <= 31 for title in book.sheetnames)


def test_matrix_shows_the_state_at_the_cutoff(reported):
    book = open_book(render_xlsx(take(reported)))
    matrix = book["Status matrix"]

    first = matrix_row(matrix, pow_title(), "1.1.1")
    assert status_text(first["KZ"]) == "Completed"
    # Accepted after the cut-off: Mongolia had not reported then.
    assert status_text(first["MN"]) == "No report"
    assert first["Priority"] == "High"
    assert status_text(matrix_row(matrix, pow_title(), "1.1.3")["KZ"]) == "In progress (40 %)"
    assert status_text(matrix_row(matrix, pow_title(), "1.1.2")["KZ"]) == "Completed"
    # The Programme of Work does not apply to Germany; 2.1.1 (b) applies to Kazakhstan and China only.
    assert first["DE"] is None
    junggar = matrix_row(matrix, pow_title(), "2.1.1 (b)")
    assert junggar["MN"] is None
    assert status_text(junggar["KZ"]) == "No report"


def test_update_accepted_after_the_cutoff_is_in_no_sheet(reported):
    book = open_book(render_xlsx(take(reported)))

    texts = [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert "Late news from Mongolia" not in texts
    # Only the summary's column headers name the status; no table row holds it.
    rows = [cell.value for sheet in book.worksheets[1:] for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not any(isinstance(text, str) and "Delayed" in text for text in rows)


def test_every_trackable_item_is_in_the_matrix(reported):
    taken = take(reported)
    book = open_book(render_xlsx(taken))

    codes = {row[1] for row in book["Status matrix"].iter_rows(min_row=2, values_only=True)}
    trackable = Item.objects.filter(kind__in=Item.TRACKABLE_KINDS).exclude(code="")
    assert set(trackable.values_list("code", flat=True)) <= codes
    assert set(taken.activity_codes) <= codes
    assert book["Status matrix"].max_row == 1 + sum(len(part.activity_rows) for part in taken.parts)


def test_matrix_for_one_unit_has_its_column_only(reported):
    book = open_book(render_xlsx(take(reported, unit=ReportingUnit.objects.get(code="KZ"))))

    matrix = book["Status matrix"]
    assert values(matrix, 1) == [*MATRIX_HEADER_EN, "KZ"]
    assert all(row[5] for row in matrix.iter_rows(min_row=2, values_only=True))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=3, max_row=14, values_only=True)}
    assert summary["Scope"] == "Kazakhstan"


def test_status_cells_take_the_colour_of_the_status(reported):
    charts = pytest.importorskip("reports.charts")
    book = open_book(render_xlsx(take(reported)))

    header = values(book["Status matrix"], 1)
    for row in book["Status matrix"].iter_rows(min_row=2):
        if row[1].value == "1.1.1" and row[0].value == pow_title():
            cell = row[header.index("KZ")]
            break
    style = charts.STATUS_STYLE[Status.COMPLETED]
    assert cell.value == f"{style.symbol} Completed"
    assert cell.fill.fgColor.rgb[-6:] == style.colour.lstrip("#").upper()


def test_status_cells_without_the_charts_are_plain(reported, monkeypatch):
    monkeypatch.setitem(sys.modules, "reports.charts", None)  # importing it raises ImportError
    book = open_book(render_xlsx(take(reported)))

    first = next(row for row in book["Status matrix"].iter_rows(min_row=2) if row[1].value == "1.1.1")
    kz = first[values(book["Status matrix"], 1).index("KZ")]
    assert kz.value == "Completed"
    assert kz.fill.fill_type is None


def test_a_narrative_that_looks_like_a_formula_stays_text(reported):
    book = open_book(render_xlsx(take(reported)))
    narratives = book["Narratives"]

    cells = [row[9] for row in narratives.iter_rows(min_row=2) if row[1].value == "1.1.1"]
    assert [cell.value for cell in cells] == [FORMULA]
    assert cells[0].data_type == "s"
    assert cells[0].quotePrefix
    row = [cell.value for cell in narratives[cells[0].row]]
    assert row[:2] == [pow_title(), "1.1.1"]
    assert row[3:9] == [
        "Kazakhstan",
        "Completed",
        None,
        datetime.datetime(2026, 6, 30),
        datetime.datetime(2026, 6, 10),
        "English",
    ]


def test_tables_are_frozen_filtered_and_typed(reported):
    book = open_book(render_xlsx(take(reported)))

    for sheet in book.worksheets[1:]:
        assert sheet.freeze_panes in ("A2", "C2"), sheet.title
        assert sheet.auto_filter.ref.startswith("A1:"), sheet.title
        assert all(cell.font.b for cell in sheet[1]), sheet.title
    summary = book["Summary"]
    facts = {row[0].value: row[1] for row in summary.iter_rows(min_row=3, max_row=14)}
    assert facts["Cut-off date"].value == datetime.datetime(2026, 9, 30)
    assert facts["Cut-off date"].is_date
    assert facts["Reporting period from"].value == datetime.datetime(2026, 4, 1)
    assert facts["Scope"].value == "The whole region"
    assert facts["Previous meeting"].value == "COP14"
    due = [row[3] for row in book["Overdue and high priority"].iter_rows(min_row=2) if row[3].value is not None]
    assert due and all(cell.is_date for cell in due)


def test_summary_figures_are_numbers(reported):
    taken = take(reported)
    book = open_book(render_xlsx(taken))
    summary = book["Summary"]

    part = next(part for part in taken.parts if part.instrument.slug == "cami-pow")
    # The first table naming the instrument is the one of figures.
    figures = next(row for row in summary.iter_rows(values_only=True) if row[0] == pow_title())
    assert list(figures[:8]) == [
        pow_title(), part.numbered_count, len(part.units), part.pair_count, part.reported_count,
        part.progress_count, part.completed_count, part.overdue_count,
    ]  # fmt: skip
    assert part.reported_count == 3
    assert figures[8:11] == (
        part.high_priority.total,
        part.high_priority.count,
        pytest.approx(part.high_priority.percent / 100),
    )
    share = next(row[10] for row in summary.iter_rows() if row[0].value == pow_title())
    assert share.number_format == "0%"
    status_header = next(row for row in summary.iter_rows(values_only=True) if row[1] == "Reporting unit")
    assert list(status_header[2:]) == [snapshots.status_label(status) for status in snapshots.STATUS_ORDER] + ["Total"]


def test_changes_since_the_previous_meeting(reported):
    book = open_book(render_xlsx(take(reported)))

    changes = {(row[1], row[3]): row[4:] for row in book["Changes"].iter_rows(min_row=2, values_only=True)}
    assert changes[("1.1.2", "Kazakhstan")] == ("In progress (40 %)", "Completed")
    assert changes[("1.1.1", "Kazakhstan")] == ("No report", "Completed")
    assert ("1.1.3", "Kazakhstan") not in changes
    assert ("1.1.1", "Mongolia") not in changes


def test_annex_has_a_line_per_unit_and_activity(reported):
    taken = take(reported)
    book = open_book(render_xlsx(taken))

    annex = list(book["Annex"].iter_rows(min_row=2, values_only=True))
    assert len(annex) == sum(len(lines) for unit in taken.annexes for _, lines in unit.parts)
    line = next(row for row in annex if row[0] == "Kazakhstan" and row[2] == "1.1.3")
    assert line[4:] == ("In progress", 40, datetime.datetime(2026, 6, 30))


def test_same_snapshot_same_bytes(reported):
    taken = take(reported)
    first, second = render_xlsx(taken), render_xlsx(taken)

    assert first == second
    properties = open_book(first).properties
    assert properties.created == properties.modified == datetime.datetime(2026, 9, 30)
    assert properties.creator == "CAMI commitment tracker"


def test_headers_in_report_language_whatever_the_active_one(reported):
    with translation.override("ru"):
        book = open_book(render_xlsx(take(reported, "en")))

    assert book.sheetnames == SHEETS_EN
    assert values(book["Narratives"], 1)[4] == pgettext("field", "Status") == "Status"


def test_every_sheet_is_set_up_to_print(reported):
    book = open_book(render_xlsx(take(reported)))
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert str(setup.paperSize) == sheet.PAPERSIZE_A4, sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), sheet.title
        assert sheet.oddFooter.right.text == "&P / &N", sheet.title
    sheets = {sheet.title: sheet for sheet in book.worksheets}
    # The matrix has a column per unit: it prints across, its header row on every page.
    assert sheets["Status matrix"].page_setup.orientation == "landscape"
    assert sheets["Status matrix"].print_title_rows == "$1:$1"
    # The summary stacks several tables: no one header row to repeat.
    assert sheets["Summary"].print_title_rows is None
