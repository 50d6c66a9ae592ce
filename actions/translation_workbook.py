"""One language's texts in a workbook: a translator corrects them offline and imports them back.

`build_workbook(language)` lists every text of the instruments, agencies and reporting units with
its original and the text in `language`. `parse_workbook` reads a corrected copy and checks every
row the way the reporting workbook (actions.workbook) does: the file itself, a signed hidden sheet
and signed hidden columns, no formulas, and texts changed on the site since the export. Nothing is
saved unless every row is right; then `content_translations.save_changes` saves all changed rows at
once. Originals and official translations are shown but cannot be changed.
"""

import hashlib
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
from actions.content_translations import Text
from actions.models import TranslationKind
from actions.workbook import (
    CONTENT_TYPE,
    HEADER_FILL,
    HEADER_FONT,
    INPUT_FILL,
    WRAP,
    WorkbookRejected,
    _not_from_tracker,
    _open,
    _signature,
    _signature_matches,
    _text,
    protect,
)

__all__ = ["CONTENT_TYPE", "WorkbookRejected", "build_workbook", "parse_workbook"]

FORMAT_VERSION = "1"
META_SHEET = "tracker-translations"
MAX_ROWS = 5000


def _language_name(code: str) -> str:
    return str(content_translations.LANGUAGE_NAMES[code])


@dataclass(frozen=True)
class Column:
    key: str
    width: int
    hidden: bool = False


COLUMNS = (
    Column("part", 22),
    Column("key", 14),
    Column("what", 14),
    Column("original_language", 12),
    Column("original", 60),
    Column("english", 50),
    Column("translation", 60),
    Column("kind", 20),
    Column("identifier", 10, hidden=True),
    Column("signature", 10, hidden=True),
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
        "identifier",
        "signature",
    ]


KIND_LABELS = {
    TranslationKind.ORIGINAL: TranslationKind.ORIGINAL.label,
    TranslationKind.OFFICIAL: TranslationKind.OFFICIAL.label,
    TranslationKind.UNOFFICIAL: TranslationKind.UNOFFICIAL.label,
    "": gettext_lazy("not translated yet"),
}


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _part_names() -> dict[str, str]:
    from actions.models import Instrument

    names = {instrument.slug: instrument.short_title for instrument in Instrument.objects.all()}
    names.update({"agencies": _("Agencies"), "units": _("Reporting units")})
    return names


def filename(language: str) -> str:
    return f"tracker-texts-{language}-{timezone.localdate().isoformat()}.xlsx"


def build_workbook(language: str) -> bytes:
    """Every text with its `language` version, headers in the active language."""
    exported_at = timezone.now().isoformat()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", _("Texts"))[:31]
    meta = workbook.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"
    fields = {"language": language, "exported_at": exported_at, "format": FORMAT_VERSION}
    fields["signature"] = _signature(*fields.values())
    for row, (name, value) in enumerate(fields.items(), start=1):
        _text(meta.cell(row=row, column=1), name)
        _text(meta.cell(row=row, column=2), value)
    meta.protection.sheet = True

    for position, (column, header) in enumerate(zip(COLUMNS, _headers(language), strict=True), start=1):
        cell = sheet.cell(row=1, column=position)
        _text(cell, header)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, WRAP
        dimension = sheet.column_dimensions[get_column_letter(position)]
        dimension.width = column.width
        dimension.hidden = column.hidden

    parts = _part_names()
    all_texts = content_translations.texts()
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
            "identifier": text.identifier,
            "signature": _signature(text.identifier, language, digest(current)),
        }
        for position, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=row_number, column=position)
            cell.alignment = WRAP
            _text(cell, values[column.key])
        if text.may_change(language):
            cell = sheet.cell(row=row_number, column=INDEX["translation"] + 1)
            cell.protection = Protection(locked=False)
            cell.fill = INPUT_FILL

    visible = sum(1 for column in COLUMNS if not column.hidden)
    protect(workbook, sheet, visible_columns=visible, last_row=max(len(all_texts) + 1, 2))
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


def _meta(workbook) -> dict[str, str]:
    if META_SHEET not in workbook.sheetnames:
        raise WorkbookRejected(_not_from_tracker())
    values = {}
    for name, value in workbook[META_SHEET].iter_rows(min_row=1, max_row=4, max_col=2, values_only=True):
        if not isinstance(name, str) or not isinstance(value, str):
            raise WorkbookRejected(_not_from_tracker())
        values[name] = value
    names = ["language", "exported_at", "format"]
    if list(values) != [*names, "signature"] or not _signature_matches(
        values["signature"], *(values[name] for name in names)
    ):
        raise WorkbookRejected(_not_from_tracker())
    if values["format"] != FORMAT_VERSION or values["language"] not in content_translations.LANGUAGES:
        raise WorkbookRejected(_("This workbook was made by an earlier version of the tracker. Export a new one."))
    return values


def _check_headers(sheet, language: str) -> None:
    accepted = [set() for _column in COLUMNS]
    for interface_language, _name in settings.LANGUAGES:
        with translation.override(interface_language):
            for position, header in enumerate(_headers(language)):
                accepted[position].add(header.strip().casefold())
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=len(COLUMNS), values_only=True), ())
    if len(header) != len(COLUMNS) or any(
        not isinstance(value, str) or value.strip().casefold() not in names
        for value, names in zip(header, accepted, strict=True)
    ):
        raise WorkbookRejected(
            _(
                "The columns of this workbook have been changed, or it is not a workbook from the tracker. "
                "Export a new workbook and correct it without adding, removing or renaming columns."
            )
        )


def parse_workbook(data: bytes) -> ParsedTranslations:
    """The changed texts of an uploaded workbook, or the errors of its rows; saves nothing."""
    workbook = _open(data)
    meta = _meta(workbook)
    language = meta["language"]
    sheet = workbook.worksheets[0]
    _check_headers(sheet, language)
    if sheet.max_row > MAX_ROWS:
        raise WorkbookRejected(_not_from_tracker())
    by_identifier = {text.identifier: text for text in content_translations.texts()}
    column_name = _headers(language)[INDEX["translation"]]
    parsed = ParsedTranslations(language=language)
    seen = set()

    def error(row_number: int, message: str, column: str = "") -> None:
        parsed.errors.append({"row": row_number, "column": column, "message": message})

    for row_number, cells in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS)), start=2):
        identifier = cells[INDEX["identifier"]].value
        signature = cells[INDEX["signature"]].value
        cell = cells[INDEX["translation"]]
        if all(c.value in (None, "") for c in cells):
            continue
        text = by_identifier.get(identifier) if isinstance(identifier, str) else None
        if text is None or identifier in seen:
            error(row_number, _("This row does not come from the tracker, or its hidden columns have been changed."))
            continue
        seen.add(identifier)
        current = text.value(language)
        exported_unchanged = _signature_matches(signature, identifier, language, digest(current))
        if cell.data_type == "f":
            error(row_number, _("A formula cannot be imported. Write the text itself."), column_name)
            continue
        value = cell.value
        value = "" if value is None else str(value).strip()
        if value == current:
            continue
        if not exported_unchanged:
            # Either the hidden signature was edited, or someone changed the text on the site since.
            error(
                row_number,
                _(
                    "This text has been changed in the tracker since the workbook was exported, or the row's hidden "
                    "columns have been edited. Export a new one."
                ),
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
