"""The offline Excel round trip: a workbook a focal point fills in without a connection, then uploads.

`build_workbook` writes one row per activity of a reporting unit, with its current status and empty
columns to fill in. `parse_workbook` reads a filled copy back, checks every filled row and finds
conflicts with what happened on the site since the download; nothing is saved until
`apply_rows` runs, which saves every row or none, and only once per preview.

A row is known by what it shows: its instrument, its code and its text. The hidden sheet keeps a
signed register of the rows as written (actions.spreadsheets explains why), so a sorted, filtered,
moved or re-saved sheet is read right, and a row whose cells were torn apart is refused, naming the
row, the code it shows and the activity its text belongs to. The cells of a row are checked by the
same rules as the web form (actions.forms).
"""

import datetime
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from actions import services
from actions.forms import UpdateForm, clean_link, read_percent
from actions.models import Item, Progress, ReportingUnit, Status, StatusUpdate, WorkbookConfirmation
from actions.spreadsheets import (
    CONTENT_TYPE,
    Meta,
    WorkbookRejected,
    digest,
    headers_match,
    not_a_workbook,
    not_from_tracker,
    open_upload,
    protect,
    protection_password,
    shown,
    text_cell,
)

__all__ = ["CONTENT_TYPE", "WorkbookRejected", "build_workbook", "parse_workbook", "apply_rows"]

logger = logging.getLogger(__name__)

# Raised when the layout changes, so that an older workbook is refused rather than misread.
FORMAT_VERSION = "2"
# The sheet with the machinery; never translated, since the upload looks it up by name.
META_SHEET = "tracker"
META_FIELDS = ["unit", "language", "downloaded_at", "format", "sheet"]
# Far more rows than any unit has activities: a sheet with more is not ours.
MAX_ROWS = 5000
TEXT_EXCERPT = 300


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy translation
    width: int
    editable: bool = False


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
    # Empty: the narrative is in the language of the workbook.
    Column("narrative_language", gettext_lazy("Language of the narrative"), 16, editable=True),
)
INDEX = {column.key: position for position, column in enumerate(COLUMNS)}
INPUT_KEYS = tuple(column.key for column in COLUMNS if column.editable)


@dataclass(frozen=True)
class RegisterEntry:
    """One row as the tracker wrote it: what it shows, and which activity at which version it is."""

    instrument: str
    code: str
    text_digest: str
    slug: str
    key: str
    version: str
    fingerprint: str

    @property
    def identity(self) -> tuple[str, str]:
        return _identity(self.instrument, self.code)


def _identity(instrument, code) -> tuple[str, str]:
    return shown(instrument).casefold(), shown(code).casefold()


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E2EA")
INPUT_FILL = PatternFill("solid", fgColor="FFF8E1")
WRAP = Alignment(wrap_text=True, vertical="top")


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

    for position, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=position)
        text_cell(cell, str(column.label))
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        sheet.column_dimensions[get_column_letter(position)].width = column.width

    register = []
    for row_number, item in enumerate(items, start=2):
        item_progress = progress.get(item.pk)
        values = {
            "instrument": item.instrument.short_title,
            "code": item.code or item.key,
            "text": item.text or "",
            "priority": str(item.get_priority_display()) if item.priority else "",
            "deadline": _deadline(item),
            "current": _current_status(item_progress),
        }
        for position, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row_number, column=position)
            cell.alignment = WRAP
            if column.key in values:
                text_cell(cell, values[column.key])
            if column.editable:
                cell.protection = Protection(locked=False)
                cell.fill = INPUT_FILL
        sheet.cell(row=row_number, column=INDEX["refers_to"] + 1).number_format = "yyyy-mm-dd"
        register.append(
            RegisterEntry(
                instrument=values["instrument"],
                code=values["code"],
                # As written to the cell: text_cell may have dropped characters a workbook cannot hold.
                text_digest=digest(sheet.cell(row=row_number, column=INDEX["text"] + 1).value),
                slug=item.instrument.slug,
                key=item.key,
                version=str(item_progress.version if item_progress else 0),
                fingerprint=fingerprint(item),
            )
        )

    meta = workbook.create_sheet(META_SHEET)
    workbook_signature = Meta.write(
        meta,
        {
            "unit": unit.code,
            "language": language,
            "downloaded_at": downloaded_at,
            "format": FORMAT_VERSION,
            "sheet": sheet.title,
        },
        [tuple(vars(entry).values()) for entry in register],
    )
    # The drop-down of statuses reads its choices from here: an inline list is limited to 255
    # characters and cannot hold a label with a comma.
    for row, label in enumerate(status_labels(), start=1):
        text_cell(meta.cell(row=row, column=4), label)
    for row, (_code, name) in enumerate(settings.LANGUAGES, start=1):
        text_cell(meta.cell(row=row, column=5), name)

    last_row = max(len(items) + 1, 2)
    _add_validations(sheet, last_row)
    protect(
        workbook,
        sheet,
        visible_columns=len(COLUMNS),
        last_row=last_row,
        password=protection_password(workbook_signature),
    )
    workbook.properties.creator = str(_("CAMI commitment tracker"))
    workbook.properties.title = f"{unit.code} {downloaded_at}"
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


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
    # Not "whole": a spreadsheet stores "40 %" as 0.4, which the upload reads as 40 %.
    progress = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=str(_("Progress (%)")),
        error=str(_("Enter a whole number from 0 to 100.")),
    )
    progress.add(column_range("progress"))
    languages = DataValidation(
        type="list",
        formula1=f"{META_SHEET}!$E$1:$E${len(settings.LANGUAGES)}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=str(_("Language of the narrative")),
        error=str(_("Choose a language from the list.")),
    )
    languages.add(column_range("narrative_language"))
    sheet.add_data_validation(statuses)
    sheet.add_data_validation(progress)
    sheet.add_data_validation(languages)


# Reading ----------------------------------------------------------------------------------------


def check_upload(name: str, size: int) -> None:
    """Refuse a file by its name and size, before reading it."""
    if size > settings.WORKBOOK_MAX_BYTES:
        raise WorkbookRejected(
            _("The file is too large (%(size)s). A workbook from the tracker is smaller than %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.WORKBOOK_MAX_BYTES)}
        )
    if not name.lower().endswith(".xlsx"):
        raise WorkbookRejected(not_a_workbook())


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _meta(workbook) -> Meta:
    meta = Meta.read(
        workbook, META_SHEET, META_FIELDS, entry_width=len(RegisterEntry.__dataclass_fields__), max_entries=MAX_ROWS
    )
    if meta.fields["format"] != FORMAT_VERSION:
        raise WorkbookRejected(
            _("This workbook was made by an earlier version of the tracker. Download a new workbook and fill it in.")
        )
    return meta


def _header_labels() -> list[set[str]]:
    """Per column, its header in every language (a catalogue may gain translations meanwhile)."""
    labels = [set() for _column in COLUMNS]
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for position, column in enumerate(COLUMNS):
                labels[position].add(str(column.label).strip().casefold())
    return labels


def _check_headers(sheet) -> None:
    if not headers_match(sheet, _header_labels()):
        raise WorkbookRejected(
            _(
                "The columns of this workbook have been changed, or it is not a workbook from the tracker. "
                "Download a new workbook and fill it in without adding, removing or renaming columns."
            )
        )


def _language_codes() -> dict[str, str]:
    """Every way to write a language: its code, its own name, or its name in any of the languages."""
    from actions.content_translations import LANGUAGE_NAMES

    codes = {}
    for code, own_name in settings.LANGUAGES:
        codes[code] = code
        codes[own_name.casefold()] = code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, name in LANGUAGE_NAMES.items():
                codes[str(name).strip().casefold()] = code
    return codes


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
            # Names this preview: it may be confirmed once (WorkbookConfirmation).
            "preview": str(uuid.uuid4()),
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
        self.notes: list[str] = []

    def cell(self, key: str):
        return self.cells[INDEX[key]]

    def value(self, key: str):
        return self.cell(key).value

    def error(self, key: str, message: str) -> None:
        self.errors.append({"column": str(COLUMNS[INDEX[key]].label), "message": message})

    def has_formula(self, key: str) -> bool:
        cell = self.cell(key)
        return cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.lstrip().startswith("="))


class _Register:
    """The signed rows of the workbook, found by what a row shows."""

    def __init__(self, entries: list[RegisterEntry]):
        self.by_identity: dict[tuple[str, str], list[RegisterEntry]] = {}
        self.by_text: dict[str, list[RegisterEntry]] = {}
        for entry in entries:
            self.by_identity.setdefault(entry.identity, []).append(entry)
            self.by_text.setdefault(entry.text_digest, []).append(entry)

    def find(self, reader: _RowReader) -> RegisterEntry | None:
        """The entry the row's visible instrument, code and text agree on, or None with an error."""
        instrument, code, text = (reader.value(key) for key in ("instrument", "code", "text"))
        if all(_is_empty(value) for value in (instrument, code, text)):
            reader.error("code", _("This row is not an activity of the workbook: fill in only the rows of activities."))
            return None
        text_digest = digest(text)
        candidates = self.by_identity.get(_identity(instrument, code), [])
        for entry in candidates:
            if entry.text_digest == text_digest:
                return entry
        seen = {"instrument": shown(instrument)[:60], "code": shown(code)[:30]}
        owners = self.by_text.get(text_digest, [])
        if owners:
            # The text belongs to another row: the row's cells were sorted or moved apart.
            reader.error(
                "code",
                _(
                    "This row shows %(instrument)s %(code)s, but its activity text is that of %(expected)s. "
                    "Part of the row has been moved, for example by sorting only some columns. Nothing has been "
                    "saved: sort whole rows only, or download a new workbook."
                )
                % {**seen, "expected": f"{owners[0].instrument} {owners[0].code}"},
            )
        elif candidates:
            reader.error(
                "text",
                _(
                    "The activity text of %(instrument)s %(code)s has been changed in this row. The texts cannot "
                    "be changed in the workbook: download a new workbook."
                )
                % seen,
            )
        else:
            reader.error(
                "code",
                _(
                    "This row shows %(instrument)s %(code)s, which is not an activity of this workbook. The "
                    "instrument and code of a row cannot be changed: download a new workbook."
                )
                % seen,
            )
        return None


def parse_workbook(data: bytes, unit: ReportingUnit, *, today: datetime.date | None = None) -> ParsedWorkbook:
    """Read a filled workbook for `unit`; raise WorkbookRejected if the file as a whole is unusable.

    Rows whose input cells are all empty are skipped; every other row comes back with its values,
    its errors (row, column, message) and its conflicts with what happened since the download.
    """
    today = today or timezone.localdate()
    workbook = open_upload(data)
    meta = _meta(workbook)
    fields = meta.fields
    if fields["unit"] != unit.code:
        other = ReportingUnit.objects.filter(code=fields["unit"]).first()
        raise WorkbookRejected(
            _(
                "This workbook is for %(workbook_unit)s, not %(unit)s. Upload it on the page of "
                "%(workbook_unit)s, or download the workbook for %(unit)s."
            )
            % {"workbook_unit": other or fields["unit"], "unit": unit}
        )
    try:
        downloaded_at = datetime.datetime.fromisoformat(fields["downloaded_at"])
    except ValueError:
        raise WorkbookRejected(not_from_tracker()) from None
    if fields["sheet"] not in workbook.sheetnames:
        raise WorkbookRejected(
            _("The sheet “%(sheet)s” of this workbook has been renamed or removed. Download a new workbook.")
            % {"sheet": fields["sheet"]}
        )
    sheet = workbook[fields["sheet"]]
    _check_headers(sheet)
    if sheet.max_row > MAX_ROWS:
        raise WorkbookRejected(not_from_tracker())

    parsed = ParsedWorkbook(
        unit_code=unit.code,
        language=fields["language"],
        downloaded_at=downloaded_at,
        digest=hashlib.sha256(data).hexdigest(),
    )
    register = _Register([RegisterEntry(*entry) for entry in meta.register])
    items = {(item.instrument.slug, item.key): item for item in applicable_items(unit)}
    statuses = _status_codes()
    languages = _language_codes()
    seen: dict[int, int] = {}
    for number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS)), start=2):
        if all(_is_empty(cells[INDEX[key]].value) for key in INPUT_KEYS):
            continue
        reader = _RowReader(number, cells)
        row = _read_row(reader, register, items, statuses, languages, today)
        if row["item_id"] is not None:
            if row["item_id"] in seen:
                reader.error(
                    "code",
                    _("Activity %(code)s is already filled in row %(row)s.")
                    % {"code": row["code"], "row": seen[row["item_id"]]},
                )
            seen.setdefault(row["item_id"], number)
        row["errors"] = reader.errors
        row["notes"] = reader.notes
        parsed.rows.append(row)
    _find_conflicts(parsed.rows, unit, downloaded_at, {item.pk: item for item in items.values()})
    return parsed


def _read_row(
    reader: _RowReader, register: _Register, items: dict, statuses: dict, languages: dict, today: datetime.date
) -> dict:
    row = {
        "row": reader.number,
        "item_id": None,
        "instrument": shown(reader.value("instrument"))[:60],
        "key": "",
        "code": shown(reader.value("code"))[:30],
        "text": "",
        "version": 0,
        "current_version": 0,
        "current_status": "",
        "current_progress": None,
        "status": "",
        "progress": None,
        "narrative": "",
        "narrative_language": "",
        "link": "",
        "refers_to": today.isoformat(),
        "conflicts": [],
    }
    entry = register.find(reader)
    if entry is not None:
        row.update(
            instrument=entry.instrument,
            key=entry.key,
            code=entry.code,
            version=int(entry.version),
            fingerprint=entry.fingerprint,
        )
        item = items.get((entry.slug, entry.key))
        if item is None:
            reader.error(
                "code",
                _("Activity %(code)s is no longer among the activities of this reporting unit.") % {"code": entry.code},
            )
        else:
            row.update(item_id=item.pk, text=(item.text or "")[:TEXT_EXCERPT])

    formulas = [key for key in INPUT_KEYS if reader.has_formula(key)]
    for key in formulas:
        reader.error(key, _("Formulas are not accepted: type the value itself."))

    status = reader.value("status")
    if "status" not in formulas:
        if _is_empty(status):
            reader.error("status", _("Choose a new status: the other cells of this row are filled in."))
        elif shown(status).casefold() in statuses:
            row["status"] = statuses[shown(status).casefold()]
        else:
            reader.error(
                "status", _("“%(value)s” is not a status. Choose one from the list.") % {"value": shown(status)[:60]}
            )
    if "progress" not in formulas:
        cell = reader.cell("progress")
        try:
            reading = read_percent(cell.value, percent_format="%" in (cell.number_format or ""))
        except ValidationError as error:
            reader.error("progress", " ".join(error.messages))
        else:
            row["progress"] = reading.value
            if reading.note:
                reader.notes.append(reading.note)
    if "narrative" not in formulas and not _is_empty(reader.value("narrative")):
        try:
            # The web form's rules for a narrative (no NUL characters, which PostgreSQL refuses).
            row["narrative"] = UpdateForm.base_fields["narrative"].clean(str(reader.value("narrative")))
        except ValidationError as error:
            reader.error("narrative", " ".join(error.messages))
    language = reader.value("narrative_language")
    if "narrative_language" not in formulas and not _is_empty(language):
        if shown(language).casefold() in languages:
            row["narrative_language"] = languages[shown(language).casefold()]
        else:
            reader.error(
                "narrative_language",
                _("“%(value)s” is not a language of the tracker. Choose one from the list.")
                % {"value": shown(language)[:60]},
            )
    if "link" not in formulas and not _is_empty(reader.value("link")):
        try:
            row["link"] = clean_link(str(reader.value("link")))
        except ValidationError as error:
            reader.error("link", " ".join(error.messages))
    if "refers_to" not in formulas and not _is_empty(reader.value("refers_to")):
        refers_to = _date(reader.value("refers_to"))
        if refers_to is None:
            reader.error("refers_to", _("Enter a date, for example 2026-03-31."))
        else:
            try:
                # The web form's own rules for this date.
                UpdateForm.base_fields["refers_to"].run_validators(refers_to)
            except ValidationError as error:
                reader.error("refers_to", " ".join(error.messages))
            else:
                row["refers_to"] = refers_to.isoformat()
    return row


def _date(value) -> datetime.date | None:
    """A real spreadsheet date, or a text written YYYY-MM-DD; anything else is not a date."""
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


class AlreadyConfirmed(Exception):
    """The preview has been confirmed already (another tab, a double click, a repeated request)."""


def apply_rows(stored: dict, *, user, unit: ReportingUnit, submit: bool, language: str) -> int:
    """Create an update per stored row, all in one transaction: every row is saved, or none.

    A row flagged as a conflict is based on the version the user saw in the preview (they
    acknowledged the newer update); any other on the version in the workbook. If anything moved
    since the preview, services raise StaleUpdate and the whole transaction is rolled back.
    Raises StaleUpdate, PermissionDenied or ValidationError; the caller tells the user to upload again.
    Raises AlreadyConfirmed, saving nothing, when this preview has been confirmed before.
    """
    rows = stored["rows"]
    items = Item.objects.in_bulk([row["item_id"] for row in rows])
    with transaction.atomic():
        try:
            # First, so that a second confirmation waits here for the first and then stops.
            with transaction.atomic():
                WorkbookConfirmation.objects.create(
                    preview=stored["preview"], unit=unit, confirmed_by=user, rows=len(rows)
                )
        except IntegrityError:
            raise AlreadyConfirmed from None
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
                    # As the row says, else the language the workbook was filled in.
                    narrative_language=row.get("narrative_language") or stored["language"] or language,
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
                "notes": row.get("notes", []),
                "current_status_label": _label(Status, row["current_status"]),
                "refers_to": datetime.date.fromisoformat(row["refers_to"]),
                "conflicts": conflicts,
            }
        )
    return shown
