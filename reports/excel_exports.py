"""A meeting report as an Excel workbook: the content of the PDF, as tables to sort and filter.

Drawn from the same snapshot as the PDF (reports/snapshot.py), in the report's language. Six
sheets: a summary with the figures, the status matrix, the narratives of the reporting period, the
overdue and high priority activities without progress, the changes since the previous meeting, and
every unit's state on every activity (the annexes of the PDF).

Every text is written as a string cell, so that a narrative starting with "=" never becomes a
formula; dates are date cells and figures numbers. The file's dates (its properties and the
timestamps inside the zip) are the cut-off date, so the same snapshot always gives the same bytes.
"""

import datetime
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO

from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from actions.spreadsheets import text_cell as _text
from reports.snapshot import STATUS_ORDER, Snapshot, status_label

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0%"
WHOLE_NUMBER_FORMAT = "0"

TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)

# Named styles: a cell takes one in a single step, where setting its alignment, font and number
# format one by one costs a look-up each, which adds up over tens of thousands of cells.
TEXT = "Report text"
WRAPPED = "Report wrapped text"
DATE = "Report date"
NUMBER = "Report number"
PERCENT = "Report percent"
HEADER = "Report header"


def _add_styles(workbook: Workbook) -> None:
    top = Alignment(vertical="top")
    wrap = Alignment(wrap_text=True, vertical="top")
    for style in (
        NamedStyle(TEXT, alignment=top),
        NamedStyle(WRAPPED, alignment=wrap),
        NamedStyle(DATE, alignment=top, number_format=DATE_FORMAT),
        NamedStyle(NUMBER, alignment=top, number_format=WHOLE_NUMBER_FORMAT),
        NamedStyle(PERCENT, alignment=top, number_format=PERCENT_FORMAT),
        NamedStyle(HEADER, font=BOLD, fill=PatternFill("solid", fgColor="D9E2EA"), alignment=wrap),
    ):
        workbook.add_named_style(style)


@dataclass(frozen=True)
class Column:
    label: str
    width: float
    style: str = TEXT


@dataclass(frozen=True)
class StatusLook:
    symbol: str
    fill: PatternFill | None
    font: Font | None


def _put(cell, value, column: Column) -> None:
    if value is None or value == "":
        return
    cell.style = column.style  # first: it replaces the whole style, quote prefix included
    if isinstance(value, str):
        _text(cell, value)
    else:
        cell.value = value


def _header(sheet, columns: Sequence[Column], row: int = 1) -> None:
    for position, column in enumerate(columns, start=1):
        cell = sheet.cell(row=row, column=position)
        cell.style = HEADER
        _text(cell, column.label)
        dimension = sheet.column_dimensions[get_column_letter(position)]
        # The summary stacks several tables in the same columns: the widest need wins.
        dimension.width = max(dimension.width or 0, column.width)


def _rows(sheet, columns: Sequence[Column], rows: Iterable[Sequence], first_row: int) -> int:
    """Write `rows` from `first_row` on; the number of the last row written (or the one before)."""
    number = first_row - 1
    for number, values in enumerate(rows, start=first_row):
        for position, (value, column) in enumerate(zip(values, columns, strict=True), start=1):
            _put(sheet.cell(row=number, column=position), value, column)
    return number


def _activity_columns(text_width: int) -> list[Column]:
    """The columns that name an activity, first in every table."""
    return [
        Column(_("Instrument"), 18, style=WRAPPED),
        Column(_("Code"), 11),
        Column(_("Activity"), text_width, style=WRAPPED),
    ]


def _table_sheet(workbook: Workbook, title: str, columns: Sequence[Column], rows: Iterable[Sequence], freeze="A2"):
    """A sheet holding one table, its header row frozen and filtered."""
    sheet = workbook.create_sheet(_sheet_title(title))
    _header(sheet, columns)
    last_row = _rows(sheet, columns, rows, first_row=2)
    _finish_table(sheet, columns, last_row, freeze)
    return sheet


def _finish_table(sheet, columns: Sequence[Column], last_row: int, freeze: str = "A2") -> None:
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last_row, 1)}"


def _sheet_title(title: str) -> str:
    # Excel refuses []:*?/\ in a sheet name and more than 31 characters.
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "-"


def _status_looks() -> dict[str, StatusLook]:
    """The colour and symbol of each status, as the charts draw them; none if they are not there."""
    try:
        from reports.charts import STATUS_STYLE
    except ImportError:
        return {}
    looks = {}
    for status in STATUS_ORDER:
        style = STATUS_STYLE.get(status)
        if style is None:
            continue
        ink = getattr(style, "ink", None)
        looks[status] = StatusLook(
            symbol=getattr(style, "symbol", ""),
            fill=PatternFill("solid", fgColor=style.colour.lstrip("#").upper()),
            font=Font(color=ink.lstrip("#").upper()) if ink else None,
        )
    return looks


def _status_text(cell) -> str:
    """A state in words: the status, any percentage and, for one derived from sub-items, where from."""
    text = cell.label if cell.progress is None else f"{cell.label} ({cell.progress} %)"
    return f"{text} ({cell.derived_note})" if cell.derived else text


def _language_name(code: str) -> str:
    names = {"en": _("English"), "ru": _("Russian"), "mn": _("Mongolian"), "kk": _("Kazakh")}
    return capfirst(names.get(code, code))


def _priority(item) -> str:
    return str(item.get_priority_display()) if item.priority else ""


def _code(item) -> str:
    return item.code or item.key


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min)


def render_xlsx(snapshot: Snapshot) -> bytes:
    """The report as the bytes of an .xlsx file, in the snapshot's language."""
    with translation.override(snapshot.language):
        workbook = Workbook()
        workbook.remove(workbook.active)
        _add_styles(workbook)
        _summary(workbook, snapshot)
        _matrix(workbook, snapshot)
        _narratives(workbook, snapshot)
        _gaps(workbook, snapshot)
        _changes(workbook, snapshot)
        _annex(workbook, snapshot)
        title = _("Progress report")
        properties = workbook.properties
        properties.creator = str(_("CAMI commitment tracker"))
        properties.title = f"{title}: {snapshot.meeting.name}"
        properties.subject = snapshot.meeting.symbol or None
        properties.language = snapshot.language
        properties.created = properties.modified = _midnight(snapshot.cutoff)
        return _save(workbook, _midnight(snapshot.cutoff), stacked=[_sheet_title(_("Summary"))])


# Summary ----------------------------------------------------------------------------------------


def _summary(workbook: Workbook, snapshot: Snapshot) -> None:
    # Translators: the name of a sheet in Excel, at most 31 characters.
    sheet = workbook.create_sheet(_sheet_title(_("Summary")))
    meeting = snapshot.meeting
    _text(sheet.cell(row=1, column=1), _("Progress report"))
    sheet.cell(row=1, column=1).font = TITLE_FONT
    previous = snapshot.previous_meeting
    facts = [
        (capfirst(_("meeting")), meeting.name),
        (capfirst(_("document symbol")), meeting.symbol),
        (capfirst(_("place")), meeting.place),
        *(
            [(_("Unofficial translation of the meeting's name and place; the original"), original)]
            if (original := meeting.original_wording(snapshot.language))
            else []
        ),
        (capfirst(_("first day")), meeting.starts_on),
        (capfirst(_("last day")), meeting.ends_on),
        (capfirst(_("cut-off date")), meeting.cutoff),
        (capfirst(_("reporting period from")), meeting.period_start),
        (capfirst(_("reporting period to")), meeting.period_end),
        (_("Scope"), snapshot.unit.name if snapshot.unit else _("The whole region")),
        (_("Language"), _language_name(snapshot.language)),
        (_("Previous meeting"), previous.name if previous else _("none recorded")),
    ]
    text_column = Column("", 30)
    date_column = Column("", 30, style=DATE)
    row = 3
    for label, value in facts:
        _text(sheet.cell(row=row, column=1), label)
        sheet.cell(row=row, column=1).font = BOLD
        if isinstance(value, datetime.date):
            _put(sheet.cell(row=row, column=2), value, date_column)
        else:
            _put(sheet.cell(row=row, column=2), value, text_column)
        row += 1
    if previous:
        # Which state the Changes sheet compares with.
        _put(sheet.cell(row=row - 1, column=3), previous.cutoff, date_column)
    _text(
        sheet.cell(row=row, column=1),
        _("Only updates accepted by the CMS Secretariat on or before the cut-off date are counted."),
    )

    row += 2
    figures = [
        Column(_("Instrument"), 30, style=WRAPPED),
        Column(_("Activities"), 13, style=NUMBER),
        Column(_("Reporting units"), 13, style=NUMBER),
        Column(_("Expected reports"), 13, style=NUMBER),
        Column(_("Reported"), 13, style=NUMBER),
        Column(_("With progress"), 13, style=NUMBER),
        Column(pgettext("status", "Completed"), 13, style=NUMBER),
        Column(_("Overdue"), 13, style=NUMBER),
        Column(_("High priority activities"), 13, style=NUMBER),
        Column(_("High priority activities with progress"), 13, style=NUMBER),
        Column(_("Share of high priority activities with progress"), 13, style=PERCENT),
    ]
    _header(sheet, figures, row)
    lines = []
    for part in snapshot.parts:
        high = part.high_priority
        has_high = part.has_priorities and high.total
        lines.append(
            (
                part.instrument.short_title,
                part.numbered_count,
                len(part.units),
                part.pair_count,
                part.reported_count,
                part.progress_count,
                part.completed_count,
                part.overdue_count,
                high.total if has_high else None,
                high.count if has_high else None,
                high.percent / 100 if has_high else None,
            )
        )
    row = _rows(sheet, figures, lines, row + 1) + 1
    _text(
        sheet.cell(row=row, column=1),
        _(
            "Every figure counts numbered activities (recommendations, actions) once in each reporting unit they "
            "apply to; an activity with lettered sub-items counts in the state its sub-items give it. "
            '"Reported" means the unit had an accepted update by the cut-off date.'
        ),
    )

    statuses = [Column(status_label(status), 13, style=NUMBER) for status in STATUS_ORDER]
    total = Column(_("Total"), 13, style=NUMBER)

    def counts(counter) -> list[int]:
        return [counter[status] for status in STATUS_ORDER] + [sum(counter[status] for status in STATUS_ORDER)]

    row += 2
    _text(sheet.cell(row=row, column=1), _("Status by objective"))
    sheet.cell(row=row, column=1).font = BOLD
    by_objective = [
        Column(_("Instrument"), 30, style=WRAPPED),
        Column(_("Objective, issue or section"), 40, style=WRAPPED),
    ]
    by_objective += [*statuses, total]
    _header(sheet, by_objective, row + 1)
    lines = [
        (part.instrument.short_title, figure.label, *counts(figure.counts))
        for part in snapshot.parts
        for figure in part.by_objective
    ]
    row = _rows(sheet, by_objective, lines, row + 2)

    row += 2
    _text(sheet.cell(row=row, column=1), _("Status by reporting unit"))
    sheet.cell(row=row, column=1).font = BOLD
    by_unit = [Column(_("Instrument"), 30, style=WRAPPED), Column(_("Reporting unit"), 40, style=WRAPPED)]
    by_unit += [*statuses, total]
    _header(sheet, by_unit, row + 1)
    lines = [
        (part.instrument.short_title, figure.label, *counts(figure.counts))
        for part in snapshot.parts
        for figure in part.by_unit
    ]
    lines.append((_("Total"), "", *counts(snapshot.totals)))
    row = _rows(sheet, by_unit, lines, row + 2)
    for position in range(1, len(by_unit) + 1):
        sheet.cell(row=row, column=position).font = BOLD


# Matrix -----------------------------------------------------------------------------------------


def _matrix(workbook: Workbook, snapshot: Snapshot) -> None:
    columns = [
        *_activity_columns(60),
        Column(pgettext("field", "Priority"), 13),
        Column(_("Due"), 12, style=DATE),
    ]
    fixed = len(columns)
    unit_column = Column("", 18, style=WRAPPED)
    columns += [Column(unit.code, 18, style=WRAPPED) for unit in snapshot.units]
    # Translators: the name of a sheet in Excel, at most 31 characters.
    sheet = workbook.create_sheet(_sheet_title(_("Status matrix")))
    _header(sheet, columns)
    looks = _status_looks()
    unit_positions = {unit.pk: position for position, unit in enumerate(snapshot.units, start=fixed + 1)}
    number = 1
    for part in snapshot.parts:
        for row in part.activity_rows:
            number += 1
            item = row.item
            values = (part.instrument.short_title, _code(item), item.text or "", _priority(item), item.due)
            for position, (value, column) in enumerate(zip(values, columns, strict=False), start=1):
                _put(sheet.cell(row=number, column=position), value, column)
            for unit_pk, state in row.cells.items():
                look = looks.get(state.status)
                text = _status_text(state)
                cell = sheet.cell(row=number, column=unit_positions[unit_pk])
                # The symbol tells the statuses apart where the colour does not (grey print).
                _put(cell, f"{look.symbol} {text}" if look and look.symbol else text, unit_column)
                if look and look.fill:
                    cell.fill = look.fill
                if look and look.font:
                    cell.font = look.font
    # The code stays in view while scrolling across the units.
    _finish_table(sheet, columns, number, freeze="C2")


# Narratives -------------------------------------------------------------------------------------


def _narratives(workbook: Workbook, snapshot: Snapshot) -> None:
    columns = [
        *_activity_columns(45),
        Column(_("Reporting unit"), 20, style=WRAPPED),
        Column(pgettext("field", "Status"), 20, style=WRAPPED),
        Column(_("Progress (%)"), 11, style=NUMBER),
        Column(_("The work refers to"), 13, style=DATE),
        Column(_("Submitted"), 13, style=DATE),
        Column(_("Language of the narrative"), 14),
        Column(_("Narrative"), 80, style=WRAPPED),
    ]

    def lines():
        for part in snapshot.parts:
            # The narratives' items are loaded without their text; the rows have it.
            items = {row.item.pk: row.item for row in part.rows}
            for update in part.narratives:
                item = items.get(update.item_id, update.item)
                submitted = timezone.localtime(update.submitted_at).date() if update.submitted_at else None
                yield (
                    part.instrument.short_title,
                    _code(item),
                    item.text or "",
                    update.unit.name,
                    status_label(update.status),
                    update.progress,
                    update.refers_to,
                    submitted,
                    _language_name(update.narrative_language),
                    update.narrative,
                )

    # Translators: the name of a sheet in Excel, at most 31 characters.
    _table_sheet(workbook, _("Narratives"), columns, lines())


# Overdue and high priority without progress -----------------------------------------------------


def _gaps(workbook: Workbook, snapshot: Snapshot) -> None:
    columns = [
        *_activity_columns(50),
        Column(_("Due"), 12, style=DATE),
        Column(pgettext("field", "Priority"), 13),
        Column(_("Reporting unit"), 20, style=WRAPPED),
        Column(pgettext("field", "Status"), 22, style=WRAPPED),
        Column(capfirst(_("reason")), 30, style=WRAPPED),
    ]
    overdue, idle = _("Overdue"), _("High priority without progress")
    unit_order = {unit.pk: position for position, unit in enumerate(snapshot.units)}

    def lines():
        for part in snapshot.parts:
            item_order = {row.item.pk: position for position, row in enumerate(part.rows)}
            # One line per activity and unit, with every reason it is listed for.
            found: dict[tuple[int, int], list] = {}
            for reason, gaps in ((overdue, part.overdue), (idle, part.high_without_progress)):
                for gap in gaps:
                    for unit, state in gap.pairs:
                        entry = found.setdefault((gap.item.pk, unit.pk), [gap.item, unit, state, []])
                        entry[3].append(reason)
            for key in sorted(found, key=lambda pair: (item_order[pair[0]], unit_order[pair[1]])):
                item, unit, state, reasons = found[key]
                yield (
                    part.instrument.short_title,
                    _code(item),
                    item.text or "",
                    item.due,
                    _priority(item),
                    unit.name,
                    _status_text(state),
                    "; ".join(reasons),
                )

    # Translators: the name of a sheet in Excel, at most 31 characters.
    _table_sheet(workbook, _("Overdue and high priority"), columns, lines())


# Changes ----------------------------------------------------------------------------------------


def _changes(workbook: Workbook, snapshot: Snapshot) -> None:
    columns = [
        *_activity_columns(50),
        Column(_("Reporting unit"), 20, style=WRAPPED),
        Column(_("Before"), 24, style=WRAPPED),
        Column(_("Now"), 24, style=WRAPPED),
    ]
    lines = (
        (
            part.instrument.short_title,
            _code(change.item),
            change.item.text or "",
            change.unit.name,
            _status_text(change.before),
            _status_text(change.after),
        )
        for part in snapshot.parts
        for change in part.changes
    )
    # Translators: the name of a sheet in Excel, at most 31 characters.
    _table_sheet(workbook, _("Changes"), columns, lines)


# Annex ------------------------------------------------------------------------------------------


def _annex(workbook: Workbook, snapshot: Snapshot) -> None:
    columns = [
        Column(_("Reporting unit"), 20, style=WRAPPED),
        *_activity_columns(60),
        Column(pgettext("field", "Status"), 20, style=WRAPPED),
        Column(_("Progress (%)"), 11, style=NUMBER),
        Column(_("The work refers to"), 13, style=DATE),
    ]
    lines = (
        (
            annex.unit.name,
            instrument.short_title,
            _code(item),
            item.text or "",
            _state_label(state),
            state.progress,
            state.refers_to,
        )
        for annex in snapshot.annexes
        for instrument, items in annex.parts
        for item, state in items
    )
    # Translators: the name of a sheet in Excel, at most 31 characters.
    _table_sheet(workbook, _("Annex"), columns, lines)


# Saving -----------------------------------------------------------------------------------------


class _SteadyZip(zipfile.ZipFile):
    """A zip whose members all carry the same timestamp instead of the time of writing."""

    def __init__(self, file, moment: datetime.datetime):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        # Zip timestamps start in 1980.
        self.moment = max(moment, datetime.datetime(1980, 1, 1)).timetuple()[:6]

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.moment)
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each sheet to a temporary file first: copy it in without its file time.
        with open(filename, "rb") as source, self.open(self._info(arcname or filename), "w") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)


# A4 portrait holds about this many characters of column width across; a wider sheet prints across.
PORTRAIT_WIDTH = 100


def _print_setup(sheet, *, title_rows: str | None) -> None:
    """Every sheet prints: A4, landscape when wide, all columns on the width of a page, the header
    row repeated on every page (except where tables are stacked), page numbers in the footer."""
    widths = sum(
        (sheet.column_dimensions[get_column_letter(column)].width or 8.43)
        for column in range(1, (sheet.max_column or 1) + 1)
    )
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = sheet.ORIENTATION_LANDSCAPE if widths > PORTRAIT_WIDTH else sheet.ORIENTATION_PORTRAIT
    setup.fitToWidth = 1
    setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = False
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.left.text = "&A"
    sheet.oddFooter.right.text = "&P / &N"


def _save(workbook: Workbook, moment: datetime.datetime, stacked: Sequence[str] = ()) -> bytes:
    """The workbook's bytes, each sheet set up to print; `stacked` names the sheets of several
    tables one under the other (the summary), which have no one header row to repeat."""
    for sheet in workbook.worksheets:
        _print_setup(sheet, title_rows=None if sheet.title in stacked else "1:1")
    # Not Workbook.save: it stamps the time of saving as the modification date.
    stream = BytesIO()
    ExcelWriter(workbook, _SteadyZip(stream, moment)).save()
    return stream.getvalue()


# The filtered list of a dashboard ------------------------------------------------------------------


def _state_label(cell) -> str:
    """The status's name, and for a state derived from sub-items, where it comes from."""
    return f"{cell.label} ({cell.derived_note})" if cell.derived else cell.label


def progress_workbook(rows, units: dict, *, today: datetime.date) -> bytes:
    """Activities x reporting units with their state now (reports.filters.ProgressFilter.rows), one sheet.

    Written in the active language; the rows are those of the list's filters, all of them.
    """
    workbook = Workbook()
    workbook.remove(workbook.active)
    _add_styles(workbook)
    columns = [
        *_activity_columns(60),
        Column(pgettext("field", "Priority"), 12),
        Column(_("Due"), 12, style=DATE),
        Column(_("Reporting unit"), 22, style=WRAPPED),
        Column(pgettext("field", "Status"), 20),
        Column(_("Progress (%)"), 12, style=NUMBER),
        Column(_("The work refers to"), 14, style=DATE),
        Column(_("Accepted on"), 14, style=DATE),
    ]
    looks = _status_looks()
    sheet = workbook.create_sheet(_sheet_title(_("Progress")))
    _header(sheet, columns)
    status_column = 7
    last_row = 1
    for number, row in enumerate(rows, start=2):
        accepted = timezone.localtime(row.accepted_at).date() if row.accepted_at else None
        values = (
            row.instrument.short_title,
            _code(row),
            row.text,
            _priority(row),
            row.due,
            units[row.unit_pk].name,
            _state_label(row.cell),
            row.cell.progress,
            row.cell.refers_to,
            accepted,
        )
        for position, (value, column) in enumerate(zip(values, columns, strict=True), start=1):
            _put(sheet.cell(row=number, column=position), value, column)
        look = looks.get(row.cell.status)
        if look is not None:
            cell = sheet.cell(row=number, column=status_column)
            _text(cell, f"{look.symbol} {_state_label(row.cell)}")
            cell.fill = look.fill
            if look.font is not None:
                cell.font = look.font
        last_row = number
    _finish_table(sheet, columns, last_row)
    properties = workbook.properties
    properties.creator = str(_("CAMI commitment tracker"))
    properties.title = str(_("Progress"))
    properties.language = translation.get_language()
    properties.created = properties.modified = _midnight(today)
    return _save(workbook, _midnight(today))
