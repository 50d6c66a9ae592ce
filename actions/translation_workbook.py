"""One language's texts in a workbook: a translator corrects them offline and imports them back.

`build_workbook(language)` lists every text of the instruments, agencies and reporting units with
its original and the text in `language`. `parse_workbook` reads a corrected copy and checks every
row the way the reporting workbook (actions.reporting_workbook) does: the file itself, a signed
hidden sheet with a register of the rows, rows known by what they show (part, code, what, and the
original text), no formulas, and texts changed on the site since the export. Nothing is saved unless
every row is right; then `content_translations.save_changes` saves all changed rows at once.
Originals and official translations are shown but cannot be changed.
"""

import re
from dataclasses import dataclass, field
from io import BytesIO

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Protection
from openpyxl.utils import get_column_letter

from actions import content_translations
from actions.content_translations import REFERENCE, Text
from actions.models import TranslationKind
from actions.reporting_workbook import HEADER_FILL, HEADER_FONT, INPUT_FILL, WRAP
from actions.spreadsheets import (
    CONTENT_TYPE,
    Meta,
    WorkbookRejected,
    digest,
    headers_match,
    not_from_tracker,
    open_upload,
    protect,
    protection_password,
    shown,
    text_cell,
)

__all__ = ["CONTENT_TYPE", "WorkbookRejected", "build_workbook", "parse_workbook"]

FORMAT_VERSION = "2"
META_SHEET = "tracker-translations"
META_FIELDS = ["language", "exported_at", "format", "sheet"]
MAX_ROWS = 5000


def _language_name(code: str) -> str:
    return str(content_translations.LANGUAGE_NAMES[code])


@dataclass(frozen=True)
class Column:
    key: str
    width: int


COLUMNS = (
    Column("part", 22),
    Column("key", 14),
    Column("what", 14),
    Column("original_language", 12),
    Column("original", 60),
    Column("english", 50),
    Column("translation", 60),
    Column("kind", 20),
)
INDEX = {column.key: position for position, column in enumerate(COLUMNS)}


def _headers(language: str) -> list[str]:
    return [
        _("Part"),
        _("Code"),
        _("What"),
        _("Original language"),
        _("Original text"),
        _("English text"),
        _("Text (%(language)s)") % {"language": _language_name(language)},
        _("This text is"),
    ]


KIND_LABELS = {
    TranslationKind.ORIGINAL: TranslationKind.ORIGINAL.label,
    TranslationKind.OFFICIAL: TranslationKind.OFFICIAL.label,
    TranslationKind.UNOFFICIAL: TranslationKind.UNOFFICIAL.label,
    REFERENCE: gettext_lazy("name as in the reference data"),
    "": gettext_lazy("not translated yet"),
}


@dataclass(frozen=True)
class RegisterEntry:
    """One row as exported: what it shows (part, code, what, original), the text and its record."""

    part: str
    key: str
    what: str
    original_digest: str
    identifier: str
    current_digest: str

    @property
    def identity(self) -> tuple[str, str, str]:
        return _identity(self.part, self.key, self.what)


def _identity(part, key, what) -> tuple[str, str, str]:
    return shown(part).casefold(), shown(key).casefold(), shown(what).casefold()


def _part_names() -> dict[str, str]:
    from actions.models import Instrument

    names = {instrument.slug: instrument.short_title for instrument in Instrument.objects.all()}
    names.update({"agencies": _("Agencies"), "units": _("Reporting units"), "qualifiers": _("Qualifiers")})
    return names


def filename(language: str) -> str:
    return f"tracker-texts-{language}-{timezone.localdate().isoformat()}.xlsx"


def build_workbook(language: str) -> bytes:
    """Every text with its `language` version, headers in the active language."""
    exported_at = timezone.now().isoformat()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", _("Texts"))[:31]

    for position, (column, header) in enumerate(zip(COLUMNS, _headers(language), strict=True), start=1):
        cell = sheet.cell(row=1, column=position)
        text_cell(cell, header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        sheet.column_dimensions[get_column_letter(position)].width = column.width

    parts = _part_names()
    all_texts = content_translations.texts()
    register = []
    for row_number, text in enumerate(all_texts, start=2):
        current = text.value(language)
        original = text.original_language
        values = {
            "part": parts.get(text.part, text.part),
            "key": text.key,
            "what": str(text.label),
            "original_language": _language_name(original) if original else "",
            "original": text.value(original) if original else "",
            "english": text.value("en") if original != "en" and language != "en" else "",
            "translation": current,
            "kind": str(KIND_LABELS.get(text.kind(language), "")),
        }
        for position, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row_number, column=position)
            cell.alignment = WRAP
            text_cell(cell, values[column.key])
        if text.may_change(language):
            cell = sheet.cell(row=row_number, column=INDEX["translation"] + 1)
            cell.protection = Protection(locked=False)
            cell.fill = INPUT_FILL
        register.append(
            RegisterEntry(
                part=values["part"],
                key=values["key"],
                what=values["what"],
                original_digest=digest(sheet.cell(row=row_number, column=INDEX["original"] + 1).value),
                identifier=text.identifier,
                current_digest=digest(current),
            )
        )

    meta = workbook.create_sheet(META_SHEET)
    workbook_signature = Meta.write(
        meta,
        {"language": language, "exported_at": exported_at, "format": FORMAT_VERSION, "sheet": sheet.title},
        [tuple(vars(entry).values()) for entry in register],
    )
    protect(
        workbook,
        sheet,
        visible_columns=len(COLUMNS),
        last_row=max(len(all_texts) + 1, 2),
        password=protection_password(workbook_signature),
    )
    workbook.properties.creator = str(_("CAMI commitment tracker"))
    workbook.properties.title = f"{language} {exported_at}"
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


@dataclass
class ParsedTranslations:
    language: str
    changes: list[tuple[Text, str]] = field(default_factory=list)
    # {"row": 12, "column": "Text in Kazakh", "message": "..."}
    errors: list[dict] = field(default_factory=list)


def _meta(workbook) -> Meta:
    meta = Meta.read(
        workbook, META_SHEET, META_FIELDS, entry_width=len(RegisterEntry.__dataclass_fields__), max_entries=MAX_ROWS
    )
    if meta.fields["format"] != FORMAT_VERSION or meta.fields["language"] not in content_translations.LANGUAGES:
        raise WorkbookRejected(_("This workbook was made by an earlier version of the tracker. Export a new one."))
    return meta


def _check_headers(sheet, language: str) -> None:
    accepted = [set() for _column in COLUMNS]
    for interface_language, _name in settings.LANGUAGES:
        with translation.override(interface_language):
            for position, header in enumerate(_headers(language)):
                accepted[position].add(header.strip().casefold())
    if not headers_match(sheet, accepted):
        raise WorkbookRejected(
            _(
                "The columns of this workbook have been changed, or it is not a workbook from the tracker. "
                "Export a new workbook and correct it without adding, removing or renaming columns."
            )
        )


def parse_workbook(data: bytes) -> ParsedTranslations:
    """The changed texts of an uploaded workbook, or the errors of its rows; saves nothing."""
    workbook = open_upload(data)
    meta = _meta(workbook)
    language = meta.fields["language"]
    if meta.fields["sheet"] not in workbook.sheetnames:
        raise WorkbookRejected(
            _("The sheet “%(sheet)s” of this workbook has been renamed or removed. Export a new workbook.")
            % {"sheet": meta.fields["sheet"]}
        )
    sheet = workbook[meta.fields["sheet"]]
    _check_headers(sheet, language)
    if sheet.max_row > MAX_ROWS:
        raise WorkbookRejected(not_from_tracker())
    entries = [RegisterEntry(*entry) for entry in meta.register]
    by_identity = {entry.identity: entry for entry in entries}
    by_original = {}
    for entry in entries:
        by_original.setdefault(entry.original_digest, []).append(entry)
    by_identifier = {text.identifier: text for text in content_translations.texts()}
    # Per part, the exported text of each row: a text found in another row of the same part was
    # probably moved there by a sort of some columns only.
    exported = {}
    for entry in entries:
        text = by_identifier.get(entry.identifier)
        if text is not None and text.value(language) and digest(text.value(language)) == entry.current_digest:
            exported.setdefault((entry.part, shown(text.value(language))), entry)
    column_name = _headers(language)[INDEX["translation"]]
    parsed = ParsedTranslations(language=language)
    seen = {}

    def error(row_number: int, message: str, column: str = "") -> None:
        parsed.errors.append({"row": row_number, "column": column, "message": message})

    for row_number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS)), start=2):
        if all(shown(c.value) == "" for c in cells):
            continue
        value_of = {column.key: cells[position].value for position, column in enumerate(COLUMNS)}
        seen_as = {"part": shown(value_of["part"])[:60], "code": shown(value_of["key"])[:40]}
        entry = by_identity.get(_identity(value_of["part"], value_of["key"], value_of["what"]))
        if entry is not None and entry.original_digest != digest(value_of["original"]):
            owners = by_original.get(digest(value_of["original"]), [])
            error(
                row_number,
                _(
                    "This row shows %(part)s %(code)s, but its original text is that of %(expected)s. Part of the "
                    "row has been moved, for example by sorting only some columns. Nothing has been saved: sort "
                    "whole rows only, or export a new workbook."
                )
                % {**seen_as, "expected": f"{owners[0].part} {owners[0].key}" if owners else "?"},
            )
            continue
        text = by_identifier.get(entry.identifier) if entry is not None else None
        if text is None:
            error(
                row_number,
                _(
                    "This row shows %(part)s %(code)s, which is not a text of this workbook. The part, code and "
                    "kind of a row cannot be changed: export a new workbook."
                )
                % seen_as,
            )
            continue
        if entry.identifier in seen:
            error(
                row_number,
                _("%(part)s %(code)s is already in row %(row)s.") % {**seen_as, "row": seen[entry.identifier]},
            )
            continue
        seen[entry.identifier] = row_number
        cell = cells[INDEX["translation"]]
        if cell.data_type == "f":
            error(row_number, _("A formula cannot be imported. Write the text itself."), column_name)
            continue
        current = text.value(language)
        value = shown(cell.value)
        if value == shown(current):
            continue
        if digest(current) != entry.current_digest:
            error(
                row_number,
                _("This text has been changed in the tracker since the workbook was exported. Export a new one."),
                column_name,
            )
            continue
        owner = exported.get((entry.part, value))
        if owner is not None and owner is not entry:
            error(
                row_number,
                _(
                    "This row shows %(part)s %(code)s, but its text is that of %(expected)s. Part of the row has "
                    "been moved, for example by sorting only some columns. Nothing has been saved: sort whole "
                    "rows only, or export a new workbook."
                )
                % {**seen_as, "expected": f"{owner.part} {owner.key}"},
                column_name,
            )
            continue
        if not text.may_change(language):
            error(
                row_number,
                _("This is the %(kind)s and cannot be changed here.") % {"kind": KIND_LABELS[text.kind(language)]},
                column_name,
            )
            continue
        if not value:
            error(row_number, _("The text is empty. A text cannot be removed here; correct it instead."), column_name)
            continue
        if text.max_length and len(value) > text.max_length:
            error(
                row_number,
                _("The text has %(length)d characters; this field holds at most %(limit)d.")
                % {"length": len(value), "limit": text.max_length},
                column_name,
            )
            continue
        parsed.changes.append((text, value))
    return parsed
