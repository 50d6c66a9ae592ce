"""What the tracker's two round-trip workbooks share: the reporting workbook of a unit
(actions.reporting_workbook) and the translation workbook of a language (actions.translation_workbook).

Both are filled in by people in Excel or LibreOffice and come back as untrusted files. This module
holds the rules they share:

- Cells: every text from the database is written as a string cell, so that a text starting with "="
  never becomes a formula; characters a workbook cannot hold are dropped.
- Opening: the file is checked for size and unpacked size before openpyxl reads it; cells are never
  evaluated.
- Identity: each row is known by what the person sees in it (its visible cells), never by cells kept
  apart from it. A spreadsheet sorts, filters, moves and deletes rows by their visible cells; a hidden
  column outside the selection of a sort stays where it was and would give the row another identity.
  So the workbook carries, on its hidden sheet, a signed register of the rows as they were written:
  what each row shows (its visible identity and a digest of its text) and what it stands for (the
  record, its version). On upload a row is looked up in the register by its visible cells; a row whose
  cells no longer agree with any entry is refused, with the row and what it shows.
- Protection: the sheets are locked with a password derived from the workbook's signature, so that
  unprotecting is a deliberate step. None of the checks relies on protection, on the hidden sheet
  staying hidden or on the structure lock: LibreOffice keeps sheet protection and data validation on a
  re-save but drops the structure lock and turns a very hidden sheet into a hidden one.
"""

import hashlib
import logging
import unicodedata
import warnings
import zipfile
from io import BytesIO

from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Texts starting with these may be read as a formula by a spreadsheet once the cell is edited.
FORMULA_PREFIXES = ("=", "+", "-", "@")
# A cell holds at most 32,767 characters.
MAX_CELL_TEXT = 32767
# A real workbook of a few hundred rows unpacks to well under 1 MB; more than this is a zip bomb.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
SIGNER_SALT = "actions.workbook"


class WorkbookRejected(Exception):
    """The file as a whole cannot be used; the message says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def signature(*parts) -> str:
    return signing.Signer(salt=SIGNER_SALT).signature("|".join(str(part) for part in parts))


def signature_matches(value, *parts) -> bool:
    return isinstance(value, str) and constant_time_compare(value, signature(*parts))


def protection_password(workbook_signature: str) -> str:
    """The sheets' password: part of the workbook's signature, so nobody types it by chance."""
    return workbook_signature[:12]


def text_cell(cell, value: str) -> None:
    """Put a text in a cell so that it stays a text, whatever it starts with."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(value) > MAX_CELL_TEXT:
        value = value[: MAX_CELL_TEXT - 1] + "…"
    cell.value = value
    cell.data_type = "s"  # openpyxl types a value starting with "=" as a formula otherwise
    if value.startswith(FORMULA_PREFIXES):
        # Excel re-reads "=...", "+...", "-...", "@..." as a formula when the cell is edited; the
        # quote prefix keeps it a text then too.
        cell.quotePrefix = True


def shown(value) -> str:
    """A cell's value as the person reads it, for comparing with what the tracker wrote.

    Spreadsheets may change line ends and Unicode composition on a re-save, and a code such as "2.1"
    may come back as a number once someone retypes it."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def digest(value) -> str:
    return hashlib.sha256(shown(value).encode()).hexdigest()[:16]


def not_a_workbook() -> str:
    return _(
        "This file is not an Excel workbook (.xlsx). Upload the workbook downloaded from the tracker, "
        "saved in the Excel format."
    )


def not_from_tracker() -> str:
    return _(
        "This workbook does not come from the tracker, or its hidden part has been changed. "
        "Download a new workbook and fill it in."
    )


def open_upload(data: bytes):
    """The workbook in `data`, formulas kept as written (never evaluated)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise WorkbookRejected(not_a_workbook()) from None
    # zipfile stops unpacking a member at its declared size, so the declared sizes bound the work.
    if len(members) > MAX_ZIP_MEMBERS or sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise WorkbookRejected(
            _("This file cannot be read: once unpacked it would be far larger than any workbook from the tracker.")
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel extensions it drops (data validation lists, etc.).
            warnings.simplefilter("ignore")
            return load_workbook(BytesIO(data), data_only=False, keep_links=False, keep_vba=False)
    except Exception:
        # openpyxl raises many kinds of errors on a damaged or foreign file (KeyError for a missing
        # part, InvalidFileException, ValueError, TypeError, XML parse errors...); for the user they
        # all mean the same: this file cannot be read as a workbook.
        logger.info("Unreadable workbook upload", exc_info=True)
        raise WorkbookRejected(not_a_workbook()) from None


def protect(workbook, sheet, *, visible_columns: int, last_row: int, password: str) -> None:
    """Freeze the header, filter the visible columns, lock every cell not unlocked for input."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(visible_columns)}{last_row}"
    # Locked cells cannot be changed; filtering, resizing and typing a link stay possible.
    protection = sheet.protection
    protection.sheet = True
    protection.password = password
    protection.autoFilter = False
    protection.formatColumns = False
    protection.formatRows = False
    protection.insertHyperlinks = False
    # Excel keeps sheets from being added, renamed or unhidden; LibreOffice drops this on a re-save,
    # which is why the upload finds its sheets by name and trusts only signatures.
    workbook.security = WorkbookProtection(lockStructure=True)
    workbook.security.workbookPassword = password


def headers_match(sheet, accepted: list[set[str]]) -> bool:
    """Whether the first row holds one of the `accepted` headers (casefolded) in each column, and no more:
    a workbook whose columns were added, removed, moved or renamed would be misread."""
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=len(accepted), values_only=True), ())
    return len(header) == len(accepted) and all(
        isinstance(value, str) and value.strip().casefold() in names
        for value, names in zip(header, accepted, strict=True)
    )


class Meta:
    """The hidden sheet: signed header fields (column A/B) and the signed register of rows.

    `fields` are written in rows 1..n of columns A and B, the last one a signature over the others.
    The register starts in column `REGISTER_COLUMN`, one entry a row: the entry's values, then a
    signature over the header signature and the values, so an entry cannot be moved to another
    workbook and a changed entry is caught."""

    REGISTER_COLUMN = 6

    def __init__(self, sheet, fields: dict[str, str], register: list[tuple[str, ...]]):
        self.sheet = sheet
        self.fields = fields
        self.register = register

    @classmethod
    def write(cls, sheet, fields: dict[str, str], register: list[tuple[str, ...]]) -> str:
        """Write `fields` and `register` to `sheet`; return the workbook's signature."""
        sheet.sheet_state = "veryHidden"  # not offered by Excel's "Unhide" menu
        fields = {**fields, "signature": signature(*fields.values())}
        for row, (name, value) in enumerate(fields.items(), start=1):
            text_cell(sheet.cell(row=row, column=1), name)
            text_cell(sheet.cell(row=row, column=2), value)
        for row, entry in enumerate(register, start=1):
            for offset, value in enumerate((*entry, signature(fields["signature"], *entry))):
                text_cell(sheet.cell(row=row, column=cls.REGISTER_COLUMN + offset), value)
        sheet.protection.sheet = True
        sheet.protection.password = protection_password(fields["signature"])
        return fields["signature"]

    @classmethod
    def read(cls, workbook, name: str, field_names: list[str], entry_width: int, max_entries: int) -> "Meta":
        """The signed hidden sheet `name` of `workbook`; WorkbookRejected if it is missing or changed."""
        if name not in workbook.sheetnames:
            raise WorkbookRejected(not_from_tracker())
        sheet = workbook[name]
        fields = {}
        rows = sheet.iter_rows(min_row=1, max_row=len(field_names) + 1, max_col=2, values_only=True)
        for key, value in rows:
            if not isinstance(key, str) or not isinstance(value, str):
                raise WorkbookRejected(not_from_tracker())
            fields[key] = value
        if list(fields) != [*field_names, "signature"] or not signature_matches(
            fields["signature"], *(fields[key] for key in field_names)
        ):
            raise WorkbookRejected(not_from_tracker())
        register = []
        first, last = cls.REGISTER_COLUMN, cls.REGISTER_COLUMN + entry_width
        for values in sheet.iter_rows(
            min_row=1, max_row=max_entries + 1, min_col=first, max_col=last, values_only=True
        ):
            if all(value is None for value in values):
                break
            entry = tuple("" if value is None else str(value) for value in values[:-1])
            if len(register) >= max_entries or not signature_matches(values[-1], fields["signature"], *entry):
                raise WorkbookRejected(not_from_tracker())
            register.append(entry)
        return cls(sheet, fields, register)
