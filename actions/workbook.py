"""The offline Excel round trip: a workbook a focal point fills in without a connection, then uploads.

`build_workbook` writes one row per activity of a reporting unit, with its current status and empty
columns to fill in. `parse_workbook` reads a filled copy back, checks every filled row and finds
conflicts with what happened on the site since the download; nothing is saved until
`apply_rows` runs, which saves every row or none.

The workbook carries hidden machinery that the upload relies on: a very hidden sheet with the unit,
the language and the download time, and hidden columns with each row's item, the version of its
progress and a fingerprint of its text and deadline. All of it is signed with the site's secret key,
so a row moved from another workbook or edited by hand is caught rather than trusted.

Untrusted input: the file is checked for size and for its unpacked size before openpyxl reads it,
cells are never evaluated (a formula in an input cell is refused), and every text from the database
is written as a string cell, so that a text starting with "=" never becomes a formula.
"""

import datetime
import hashlib
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from io import BytesIO

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from actions import services
from actions.models import Item, Progress, ReportingUnit, Status, StatusUpdate

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Raised when the hidden layout changes, so that an older workbook is refused rather than misread.
FORMAT_VERSION = "1"
# The sheet with the machinery; never translated, since the upload looks it up by name.
META_SHEET = "tracker"
SIGNER_SALT = "actions.workbook"
# A real workbook of ~300 activities unpacks to well under 1 MB; more than this is a zip bomb.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
# Far more rows than any unit has activities: a sheet with more is not ours.
MAX_ROWS = 5000
# Texts starting with these may be read as a formula by a spreadsheet once the cell is edited.
FORMULA_PREFIXES = ("=", "+", "-", "@")
TEXT_EXCERPT = 300


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy translation, or a fixed identifier for the hidden columns
    width: int
    editable: bool = False
    hidden: bool = False


COLUMNS = (
    Column("instrument", gettext_lazy("Instrument"), 22),
    Column("code", gettext_lazy("Code"), 11),
    Column("text", gettext_lazy("Activity"), 60),
    Column("priority", pgettext_lazy("field", "Priority"), 13),
    Column("deadline", gettext_lazy("Due"), 18),
    Column("current", gettext_lazy("Current status"), 26),
    Column("status", gettext_lazy("New status"), 22, editable=True),
    Column("progress", gettext_lazy("Progress (%)"), 12, editable=True),
    Column("narrative", gettext_lazy("Narrative"), 55, editable=True),
    Column("link", gettext_lazy("Link (URL)"), 32, editable=True),
    Column("refers_to", gettext_lazy("Date the work refers to"), 16, editable=True),
    # Machinery: identifiers rather than translated headers, hidden and locked.
    Column("instrument_slug", "instrument_slug", 12, hidden=True),
    Column("item_key", "item_key", 12, hidden=True),
    Column("version", "version", 8, hidden=True),
    Column("fingerprint", "fingerprint", 14, hidden=True),
    Column("signature", "signature", 30, hidden=True),
)
INDEX = {column.key: position for position, column in enumerate(COLUMNS)}
INPUT_KEYS = tuple(column.key for column in COLUMNS if column.editable)

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E2EA")
INPUT_FILL = PatternFill("solid", fgColor="FFF8E1")
WRAP = Alignment(wrap_text=True, vertical="top")


class WorkbookRejected(Exception):
    """The file as a whole cannot be used; the message says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _signer() -> signing.Signer:
    return signing.Signer(salt=SIGNER_SALT)


def _signature(*parts) -> str:
    return _signer().signature("|".join(str(part) for part in parts))


def _signature_matches(signature, *parts) -> bool:
    return isinstance(signature, str) and constant_time_compare(signature, _signature(*parts))


def fingerprint(item: Item) -> str:
    """A short digest of what the focal point read: the texts in every language and the deadline."""
    parts = [item.text_in(language) for language in settings.MODELTRANSLATION_LANGUAGES]
    parts += [item.timeline_raw, item.due.isoformat() if item.due else ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def applicable_items(unit: ReportingUnit):
    """The activities `unit` reports on, in the order of the instruments."""
    return (
        Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to=unit)
        .select_related("instrument")
        .order_by("instrument__position", "sort_key", "depth")
    )


def filename(unit: ReportingUnit, today: datetime.date) -> str:
    return f"tracker-{unit.code}-{today.isoformat()}.xlsx"


def status_labels() -> list[str]:
    """The statuses as the active language names them, in their usual order."""
    return [str(label) for label in Status.labels]


# Building ---------------------------------------------------------------------------------------


def _text(cell, value: str) -> None:
    """Put a text in a cell so that it stays a text, whatever it starts with."""
    cell.value = value
    cell.data_type = "s"  # openpyxl types a value starting with "=" as a formula otherwise
    if value.startswith(FORMULA_PREFIXES):
        # Excel re-reads "=...", "+...", "-...", "@..." as a formula when the cell is edited; the
        # quote prefix keeps it a text then too.
        cell.quotePrefix = True


def _deadline(item: Item) -> str:
    """The timeline as printed, with the date it was read as when the print does not say it."""
    if not item.due or item.due.isoformat() in item.timeline_raw:
        return item.timeline_raw
    return f"{item.timeline_raw} ({item.due.isoformat()})" if item.timeline_raw else item.due.isoformat()


def _status_text(update: StatusUpdate) -> str:
    label = str(update.get_status_display())
    return label if update.progress is None else f"{label} ({update.progress} %)"


def _current_status(progress: Progress | None) -> str:
    """The accepted status, and a note when a newer update waits for review."""
    accepted = progress.current if progress else None
    lines = [_status_text(accepted) if accepted else _("No accepted update yet")]
    latest = progress.latest if progress else None
    if latest is not None and latest.state == StatusUpdate.State.SUBMITTED:
        lines.append(_("An update is pending review: %(status)s") % {"status": _status_text(latest)})
    return "\n".join(lines)


def build_workbook(unit: ReportingUnit, *, now: datetime.datetime | None = None) -> bytes:
    """The workbook for `unit` in the active language, as the bytes of an .xlsx file."""
    now = (now or timezone.now()).astimezone(datetime.UTC)
    downloaded_at = now.isoformat()
    language = translation.get_language() or settings.LANGUAGE_CODE
    items = list(applicable_items(unit))
    progress = {row.item_id: row for row in Progress.objects.filter(unit=unit).select_related("current", "latest")}

    workbook = Workbook()
    sheet = workbook.active
    # Sheet names may not hold []:*?/\ and are at most 31 characters long.
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", str(_("Activities")))[:31]
    meta = workbook.create_sheet(META_SHEET)
    _write_meta(meta, unit=unit, language=language, downloaded_at=downloaded_at)

    for position, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position)
        _text(cell, str(column.label))
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        dimension = sheet.column_dimensions[get_column_letter(position)]
        dimension.width = column.width
        dimension.hidden = column.hidden

    for row_number, item in enumerate(items, start=2):
        item_progress = progress.get(item.pk)
        version = item_progress.version if item_progress else 0
        item_fingerprint = fingerprint(item)
        values = {
            "instrument": item.instrument.short_title,
            "code": item.code or item.key,
            "text": item.text or "",
            "priority": str(item.get_priority_display()) if item.priority else "",
            "deadline": _deadline(item),
            "current": _current_status(item_progress),
            "instrument_slug": item.instrument.slug,
            "item_key": item.key,
            "fingerprint": item_fingerprint,
            "signature": _signature(
                unit.code, downloaded_at, item.instrument.slug, item.key, version, item_fingerprint
            ),
        }
        for position, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row_number, column=position)
            cell.alignment = WRAP
            if column.key == "version":
                cell.value = version
            elif column.key in values:
                _text(cell, values[column.key])
            if column.editable:
                cell.protection = Protection(locked=False)
                cell.fill = INPUT_FILL
        sheet.cell(row=row_number, column=INDEX["progress"] + 1).number_format = "0"
        sheet.cell(row=row_number, column=INDEX["refers_to"] + 1).number_format = "yyyy-mm-dd"

    last_row = max(len(items) + 1, 2)
    _add_validations(sheet, last_row)
    protect(workbook, sheet, visible_columns=sum(1 for column in COLUMNS if not column.hidden), last_row=last_row)
    workbook.properties.creator = str(_("CAMI commitment tracker"))
    workbook.properties.title = f"{unit.code} {downloaded_at}"
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def protect(workbook, sheet, *, visible_columns: int, last_row: int) -> None:
    """Freeze the header, filter the visible columns, lock every cell not unlocked for input."""
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(visible_columns)}{last_row}"
    # Locked cells cannot be changed; filtering, resizing and typing a link stay possible. No
    # password: protection prevents accidents, the signatures catch deliberate changes.
    protection = sheet.protection
    protection.sheet = True
    protection.autoFilter = False
    protection.formatColumns = False
    protection.formatRows = False
    protection.insertHyperlinks = False
    # Nobody adds, removes, renames or unhides sheets: the upload finds its sheets by place and name.
    workbook.security = WorkbookProtection(lockStructure=True)


def _write_meta(meta, *, unit: ReportingUnit, language: str, downloaded_at: str) -> None:
    # "veryHidden": not offered by Excel's "Unhide" menu, so nobody edits it by accident.
    meta.sheet_state = "veryHidden"
    fields = {"unit": unit.code, "language": language, "downloaded_at": downloaded_at, "format": FORMAT_VERSION}
    fields["signature"] = _signature(*fields.values())
    for row, (name, value) in enumerate(fields.items(), start=1):
        _text(meta.cell(row=row, column=1), name)
        _text(meta.cell(row=row, column=2), value)
    # The drop-down of statuses reads its choices from here: an inline list is limited to 255
    # characters and cannot hold a label with a comma.
    for row, label in enumerate(status_labels(), start=1):
        _text(meta.cell(row=row, column=4), label)
    meta.protection.sheet = True


def _add_validations(sheet, last_row: int) -> None:
    def column_range(key: str) -> str:
        letter = get_column_letter(INDEX[key] + 1)
        return f"{letter}2:{letter}{last_row}"

    statuses = DataValidation(
        type="list",
        formula1=f"{META_SHEET}!$D$1:$D${len(Status.values)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=str(pgettext("field", "Status")),
        error=str(_("Choose a status from the list.")),
    )
    statuses.add(column_range("status"))
    progress = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=str(_("Progress (%)")),
        error=str(_("Enter a whole number from 0 to 100.")),
    )
    progress.add(column_range("progress"))
    sheet.add_data_validation(statuses)
    sheet.add_data_validation(progress)


# Reading ----------------------------------------------------------------------------------------


def check_upload(name: str, size: int) -> None:
    """Refuse a file by its name and size, before reading it."""
    if size > settings.WORKBOOK_MAX_BYTES:
        raise WorkbookRejected(
            _("The file is too large (%(size)s). A workbook from the tracker is smaller than %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.WORKBOOK_MAX_BYTES)}
        )
    if not name.lower().endswith(".xlsx"):
        raise WorkbookRejected(_not_a_workbook())


def _not_a_workbook() -> str:
    return _(
        "This file is not an Excel workbook (.xlsx). Upload the workbook downloaded from the tracker, "
        "saved in the Excel format."
    )


def _not_from_tracker() -> str:
    return _(
        "This workbook does not come from the tracker, or its hidden part has been changed. "
        "Download a new workbook and fill it in."
    )


def _open(data: bytes):
    """The workbook in `data`, formulas kept as written (never evaluated)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise WorkbookRejected(_not_a_workbook()) from None
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
        raise WorkbookRejected(_not_a_workbook()) from None


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _meta(workbook) -> dict[str, str]:
    if META_SHEET not in workbook.sheetnames:
        raise WorkbookRejected(_not_from_tracker())
    meta = workbook[META_SHEET]
    fields = {}
    for name, value in meta.iter_rows(min_row=1, max_row=5, max_col=2, values_only=True):
        if not isinstance(name, str) or not isinstance(value, str):
            raise WorkbookRejected(_not_from_tracker())
        fields[name] = value
    names = ["unit", "language", "downloaded_at", "format"]
    if list(fields) != [*names, "signature"] or not _signature_matches(
        fields["signature"], *(fields[name] for name in names)
    ):
        raise WorkbookRejected(_not_from_tracker())
    if fields["format"] != FORMAT_VERSION:
        raise WorkbookRejected(
            _("This workbook was made by an earlier version of the tracker. Download a new workbook and fill it in.")
        )
    return fields


def _header_labels() -> list[set[str]]:
    """Per column, its header in every language (a catalogue may gain translations meanwhile)."""
    labels = [set() for _column in COLUMNS]
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for position, column in enumerate(COLUMNS):
                labels[position].add(str(column.label).strip().casefold())
    return labels


def _check_headers(sheet) -> None:
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=len(COLUMNS), values_only=True), ())
    expected = _header_labels()
    if len(header) != len(COLUMNS) or any(
        not isinstance(value, str) or value.strip().casefold() not in accepted
        for value, accepted in zip(header, expected, strict=True)
    ):
        raise WorkbookRejected(
            _(
                "The columns of this workbook have been changed, or it is not a workbook from the tracker. "
                "Download a new workbook and fill it in without adding, removing or renaming columns."
            )
        )


def _status_codes() -> dict[str, str]:
    """Every way to write a status: its code, or its label in any of the languages."""
    codes = {value.casefold(): value for value in Status.values}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in Status.choices:
                codes[str(label).strip().casefold()] = value
    return codes


@dataclass
class ParsedWorkbook:
    unit_code: str
    language: str
    downloaded_at: datetime.datetime
    digest: str
    rows: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        return [{"row": row["row"], **error} for row in self.rows for error in row["errors"]]

    @property
    def conflicts(self) -> list[dict]:
        return [row for row in self.rows if row["conflicts"]]

    @property
    def can_confirm(self) -> bool:
        return bool(self.rows) and not self.errors

    def stored(self) -> dict:
        """What the session keeps between the preview and the confirmation (JSON only)."""
        return {
            "digest": self.digest,
            "language": self.language,
            "downloaded_at": self.downloaded_at.isoformat(),
            "rows": self.rows,
            # The versions the user saw in the preview: a conflict acknowledged is based on these.
            "versions": {str(row["item_id"]): row["current_version"] for row in self.rows},
        }


class _RowReader:
    """Checks one filled row; collects its errors instead of stopping at the first."""

    def __init__(self, number: int, cells):
        self.number = number
        self.cells = cells
        self.errors: list[dict] = []

    def value(self, key: str):
        return self.cells[INDEX[key]].value

    def error(self, key: str, message: str) -> None:
        self.errors.append({"column": str(COLUMNS[INDEX[key]].label), "message": message})

    def has_formula(self, key: str) -> bool:
        cell = self.cells[INDEX[key]]
        return cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.lstrip().startswith("="))


def parse_workbook(data: bytes, unit: ReportingUnit, *, today: datetime.date | None = None) -> ParsedWorkbook:
    """Read a filled workbook for `unit`; raise WorkbookRejected if the file as a whole is unusable.

    Rows whose input cells are all empty are skipped; every other row comes back with its values,
    its errors (row, column, message) and its conflicts with what happened since the download.
    """
    today = today or timezone.localdate()
    workbook = _open(data)
    meta = _meta(workbook)
    if meta["unit"] != unit.code:
        other = ReportingUnit.objects.filter(code=meta["unit"]).first()
        raise WorkbookRejected(
            _(
                "This workbook is for %(workbook_unit)s, not %(unit)s. Upload it on the page of "
                "%(workbook_unit)s, or download the workbook for %(unit)s."
            )
            % {"workbook_unit": other or meta["unit"], "unit": unit}
        )
    try:
        downloaded_at = datetime.datetime.fromisoformat(meta["downloaded_at"])
    except ValueError:
        raise WorkbookRejected(_not_from_tracker()) from None
    sheets = [sheet for sheet in workbook.worksheets if sheet.title != META_SHEET]
    if not sheets:
        raise WorkbookRejected(_not_from_tracker())
    sheet = sheets[0]
    _check_headers(sheet)
    if sheet.max_row > MAX_ROWS:
        raise WorkbookRejected(_not_from_tracker())

    parsed = ParsedWorkbook(
        unit_code=unit.code,
        language=meta["language"],
        downloaded_at=downloaded_at,
        digest=hashlib.sha256(data).hexdigest(),
    )
    items = {(item.instrument.slug, item.key): item for item in applicable_items(unit)}
    statuses = _status_codes()
    seen: dict[int, int] = {}
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS)), start=2):
        if all(_is_empty(cells[INDEX[key]].value) for key in INPUT_KEYS):
            continue
        reader = _RowReader(number, cells)
        row = _read_row(reader, meta, items, statuses, today)
        if row["item_id"] is not None:
            if row["item_id"] in seen:
                reader.error(
                    "code",
                    _("Activity %(code)s is already filled in row %(row)s.")
                    % {"code": row["code"], "row": seen[row["item_id"]]},
                )
            seen.setdefault(row["item_id"], number)
        row["errors"] = reader.errors
        parsed.rows.append(row)
    _find_conflicts(parsed.rows, unit, downloaded_at, {item.pk: item for item in items.values()})
    return parsed


def _read_row(reader: _RowReader, meta: dict, items: dict, statuses: dict, today: datetime.date) -> dict:
    row = {
        "row": reader.number,
        "item_id": None,
        "instrument": "",
        "key": "",
        "code": str(reader.value("code") or "")[:30],
        "text": "",
        "version": 0,
        "current_version": 0,
        "current_status": "",
        "current_progress": None,
        "status": "",
        "progress": None,
        "narrative": "",
        "link": "",
        "refers_to": today.isoformat(),
        "conflicts": [],
    }
    item = _read_reference(reader, meta, items, row)
    if item is not None:
        row.update(item_id=item.pk, code=item.code or item.key, text=(item.text or "")[:TEXT_EXCERPT])

    formulas = [key for key in INPUT_KEYS if reader.has_formula(key)]
    for key in formulas:
        reader.error(key, _("Formulas are not accepted: type the value itself."))

    status = reader.value("status")
    if "status" not in formulas:
        if _is_empty(status):
            reader.error("status", _("Choose a new status: the other cells of this row are filled in."))
        elif str(status).strip().casefold() in statuses:
            row["status"] = statuses[str(status).strip().casefold()]
        else:
            reader.error(
                "status", _("“%(value)s” is not a status. Choose one from the list.") % {"value": str(status)[:60]}
            )
    if "progress" not in formulas:
        progress = reader.value("progress")
        if isinstance(progress, int | float) and "%" in reader.cells[INDEX["progress"]].number_format:
            # Typed as "40 %" in Excel: stored as 0.4 with a percent format.
            progress = round(progress * 100, 6)
        progress = _whole_number(progress)
        if progress is False:
            reader.error("progress", _("Progress must be a whole number from 0 to 100."))
        else:
            row["progress"] = progress
    if "narrative" not in formulas and not _is_empty(reader.value("narrative")):
        row["narrative"] = str(reader.value("narrative")).strip()
    if "link" not in formulas and not _is_empty(reader.value("link")):
        link = str(reader.value("link")).strip()
        try:
            # As long as the evidence link it becomes (Evidence.url).
            URLValidator(schemes=["http", "https"])(link)
            if len(link) > 500:
                raise ValidationError("too long")
            row["link"] = link
        except ValidationError:
            reader.error("link", _("Enter a full web address starting with http:// or https://."))
    if "refers_to" not in formulas and not _is_empty(reader.value("refers_to")):
        refers_to = _date(reader.value("refers_to"))
        if refers_to is None:
            reader.error("refers_to", _("Enter a date, for example 2026-03-31."))
        else:
            row["refers_to"] = refers_to.isoformat()
    return row


def _read_reference(reader: _RowReader, meta: dict, items: dict, row: dict) -> Item | None:
    """The activity the row's hidden cells name, if they are intact and it still applies."""
    slug, key, version, print_, signature = (
        reader.value(name) for name in ("instrument_slug", "item_key", "version", "fingerprint", "signature")
    )
    if all(_is_empty(value) for value in (slug, key, signature)):
        reader.error("code", _("This row is not an activity of the workbook: fill in only the rows of activities."))
        return None
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    if (
        not all(isinstance(value, str) for value in (slug, key, print_))
        or not isinstance(version, int)
        or isinstance(version, bool)
        or not _signature_matches(signature, meta["unit"], meta["downloaded_at"], slug, key, version, print_)
    ):
        reader.error("code", _("The hidden reference of this row has been changed. Download a new workbook."))
        return None
    row.update(instrument=slug, key=key, version=version, fingerprint=print_, code=str(reader.value("code") or key))
    item = items.get((slug, key))
    if item is None:
        reader.error(
            "code",
            _("Activity %(code)s is no longer among the activities of this reporting unit.") % {"code": row["code"]},
        )
    return item


def _whole_number(value) -> int | None | bool:
    """The progress as an int, None when empty, False when it is not a whole number from 0 to 100."""
    if _is_empty(value):
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        if not re.fullmatch(r"\d{1,3}", text):
            return False
        value = int(text)
    if not isinstance(value, int) or not 0 <= value <= 100:
        return False
    return value


def _date(value) -> datetime.date | None:
    """A real Excel date, or a text written YYYY-MM-DD; anything else is not a date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _author_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _find_conflicts(rows: list[dict], unit: ReportingUnit, downloaded_at: datetime.datetime, items: dict) -> None:
    """Mark the rows whose activity moved on since the download: a newer update, or a changed text or
    deadline. A constant number of queries, whatever the number of rows."""
    ids = [row["item_id"] for row in rows if row["item_id"] is not None]
    if not ids:
        return
    progress = {
        entry.item_id: entry
        for entry in Progress.objects.filter(unit=unit, item_id__in=ids).select_related("latest__author", "current")
    }
    changed = [
        row["item_id"]
        for row in rows
        if row["item_id"] is not None and fingerprint(items[row["item_id"]]) != row["fingerprint"]
    ]
    # Who changed the reference data and when: the latest historical record after the download.
    changes = {}
    if changed:
        records = (
            Item.history.filter(id__in=changed, history_date__gt=downloaded_at)
            .select_related("history_user")
            .order_by("history_date")
        )
        changes = {record.id: record for record in records}
    for row in rows:
        if row["item_id"] is None:
            continue
        entry = progress.get(row["item_id"])
        row["current_version"] = entry.version if entry else 0
        if entry and entry.current_id:
            row["current_status"] = entry.current.status
            row["current_progress"] = entry.current.progress
        if row["current_version"] != row["version"]:
            latest = entry.latest if entry else None
            row["conflicts"].append(
                {
                    "kind": "update",
                    "author": _author_name(latest.author) if latest else "",
                    "status": latest.status if latest else "",
                    "progress": latest.progress if latest else None,
                    "state": latest.state if latest else "",
                    "submitted_at": latest.submitted_at.isoformat() if latest and latest.submitted_at else "",
                    "narrative": (latest.narrative[:TEXT_EXCERPT] if latest else ""),
                }
            )
        if row["item_id"] in changed:
            record = changes.get(row["item_id"])
            row["conflicts"].append(
                {
                    "kind": "reference",
                    "changed_at": record.history_date.isoformat() if record else "",
                    "changed_by": _author_name(record.history_user) if record and record.history_user else "",
                }
            )


# Applying ---------------------------------------------------------------------------------------


def apply_rows(stored: dict, *, user, unit: ReportingUnit, submit: bool, language: str) -> int:
    """Create an update per stored row, all in one transaction: every row is saved, or none.

    A row flagged as a conflict is based on the version the user saw in the preview (they
    acknowledged the newer update); any other on the version in the workbook. If anything moved
    since the preview, services raise StaleUpdate and the whole transaction is rolled back.
    Raises StaleUpdate, PermissionDenied or ValidationError; the caller tells the user to upload again.
    """
    rows = stored["rows"]
    items = Item.objects.in_bulk([row["item_id"] for row in rows])
    with transaction.atomic():
        for row in rows:
            item = items.get(row["item_id"])
            if item is None:
                raise ValidationError(_("An activity of the workbook no longer exists."))
            based_on = stored["versions"][str(item.pk)] if row["conflicts"] else row["version"]
            services.update_create(
                author=user,
                item=item,
                unit=unit,
                content=services.UpdateContent(
                    status=row["status"],
                    refers_to=datetime.date.fromisoformat(row["refers_to"]),
                    progress=row["progress"],
                    narrative=row["narrative"],
                    narrative_language=language,
                ),
                based_on_version=based_on,
                submit=submit,
                links=[row["link"]] if row["link"] else [],
                source=StatusUpdate.Source.WORKBOOK,
            )
    return len(rows)


def applied_message(count: int, *, submit: bool) -> str:
    if submit:
        return ngettext(
            "%(count)d update from the workbook was submitted for review.",
            "%(count)d updates from the workbook were submitted for review.",
            count,
        ) % {"count": count}
    return ngettext(
        "%(count)d update from the workbook was saved as a draft.",
        "%(count)d updates from the workbook were saved as drafts.",
        count,
    ) % {"count": count}


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else ""


def _moment(value: str) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def display_rows(rows: list[dict]) -> list[dict]:
    """The stored rows with labels in the active language and real dates, for the preview page."""
    shown = []
    for row in rows:
        conflicts = []
        for conflict in row["conflicts"]:
            conflict = dict(conflict)
            if conflict["kind"] == "update":
                conflict.update(
                    status_label=_label(Status, conflict["status"]),
                    state_label=_label(StatusUpdate.State, conflict["state"]),
                    submitted_at=_moment(conflict["submitted_at"]),
                )
            else:
                conflict["changed_at"] = _moment(conflict["changed_at"])
            conflicts.append(conflict)
        shown.append(
            {
                **row,
                "status_label": _label(Status, row["status"]),
                "current_status_label": _label(Status, row["current_status"]),
                "refers_to": datetime.date.fromisoformat(row["refers_to"]),
                "conflicts": conflicts,
            }
        )
    return shown
