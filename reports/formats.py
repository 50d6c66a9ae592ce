from io import BytesIO

from import_export.formats.base_formats import XLSX
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


class SafeXLSX(XLSX):
    """XLSX in which every text cell stays text.

    openpyxl reads a string that starts with "=" as a formula; a text from a narrative or an
    instrument must never run as one when the workbook is opened. The text is written unchanged,
    with the cell typed as a string.
    """

    def export_data(self, dataset, **kwargs):
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=(dataset.title or "data")[:31])
        sheet.freeze_panes = "A2"
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
                cells.append(cell)
            sheet.append(cells)
        stream = BytesIO()
        workbook.save(stream)
        return stream.getvalue()
