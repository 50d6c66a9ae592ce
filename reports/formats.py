import datetime
from io import BytesIO

from import_export.formats.base_formats import CSV, XLSX
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from actions.spreadsheets import FORMULA_PREFIXES

# What a spreadsheet opening a CSV file takes as the start of a formula (OWASP's list).
CSV_FORMULA_PREFIXES = (*FORMULA_PREFIXES, "\t", "\r")


class SafeCSV(CSV):
    """CSV in which no text can run as a formula when the file is opened in a spreadsheet.

    A text starting with =, +, -, @, a tab or a carriage return gets an apostrophe in front, which
    spreadsheets show as "this is text" (the JSON download keeps every text exactly).
    """

    def export_data(self, dataset, **kwargs):
        safe = dataset.__class__(headers=dataset.headers, title=dataset.title)
        for row in dataset:
            safe.append(
                [
                    "'" + value if isinstance(value, str) and value.startswith(CSV_FORMULA_PREFIXES) else value
                    for value in row
                ]
            )
        return super().export_data(safe, **kwargs)


def _is_date(value) -> bool:
    """A calendar date, not a date and time."""
    return isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)


class SafeXLSX(XLSX):
    """XLSX in which every text cell stays text.

    openpyxl reads a string that starts with "=" as a formula; a text from a narrative or an
    instrument must never run as one when the workbook is opened. The text is written unchanged,
    with the cell typed as a string, and marked with Excel's quote prefix when it looks like a
    formula, so that it stays a text when the cell is edited. A date is a date cell shown as
    yyyy-mm-dd, in a column wide enough for it (a narrow one shows ##########); None is an empty
    cell.
    """

    DATE_FORMAT = "yyyy-mm-dd"

    def export_data(self, dataset, **kwargs):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=(dataset.title or "data")[:31])
        sheet.freeze_panes = "A2"
        # A write-only sheet takes its column widths before its first row.
        for number in range(1, dataset.width + 1):
            if any(_is_date(value) for value in dataset.get_col(number - 1)):
                sheet.column_dimensions[get_column_letter(number)].width = 12
        bold = Font(bold=True)
        header = []
        for name in dataset.headers:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in dataset:
            cells = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                    if value.startswith(FORMULA_PREFIXES):
                        cell.quotePrefix = True
                elif _is_date(value):
                    cell.number_format = self.DATE_FORMAT
                cells.append(cell)
            sheet.append(cells)
        stream = BytesIO()
        workbook.save(stream)
        return stream.getvalue()
