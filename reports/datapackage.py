"""The Frictionless Data Package of the open data: /open-data/datapackage.json.

It lists the three files (CSV, workbook, JSON) as resources of one package and gives each a
Table Schema: the type of every column, what an empty cell means, how a list is written, the
primary key. docs/open-data.md says what the keys mean; this says the same to programs and
validators. The texts are in English, like the keys: the file does not depend on the language.

Table Schema v1 (https://specs.frictionlessdata.io/), which every Frictionless tool reads: the
lists of the CSV and the workbook are `string` fields described as joined with "; ", not the v2
`list` type.

`parent` is not declared as a foreign key: an item's parent is the row with the same instrument
and the key in `parent`, a composite reference whose `parent` is empty at the top, and validators
(frictionless among them) report such a half-empty composite as a broken reference. The tests
check the reference instead.
"""

from django.conf import settings

from actions.models import DuePrecision, Instrument, Item, Priority
from reports.resources import ItemResource

LIST_SEPARATOR = "; "
FORMULA_NOTE = (
    "A text that starts with =, +, -, @, a tab or a carriage return has an apostrophe in front, so "
    "that no spreadsheet runs it as a formula; the JSON has every text exactly."
)
FORMATS = {
    "csv": {"path": "activities.csv", "mediatype": "text/csv", "encoding": "utf-8"},
    "xlsx": {
        "path": "activities.xlsx",
        "mediatype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    },
    "json": {"path": "activities.json", "mediatype": "application/json", "encoding": "utf-8"},
}


def _joined(what: str, arrays: bool) -> str:
    if arrays:
        return f"{what}: a list, empty when there are none."
    return f'{what}, joined with "{LIST_SEPARATOR}" (a semicolon and a space); empty when there are none.'


def fields(format: str) -> list[dict]:
    """The Table Schema fields of one format, in the order of the file's columns."""
    arrays = format == "json"
    instruments = list(Instrument.objects.order_by("position"))
    languages = [code for code, _name in settings.LANGUAGES]
    language_names = {"en": "English", "ru": "Russian", "mn": "Mongolian", "kk": "Kazakh"}
    text_note = f" {FORMULA_NOTE}" if format == "csv" else ""
    list_type = {"type": "array"} if arrays else {"type": "string"}
    described = {
        "instrument": {
            "type": "string",
            "description": "The instrument: "
            + ", ".join(f"{each.slug} ({each.title_en})" for each in instruments)
            + ".",
            "constraints": {"required": True, "enum": [each.slug for each in instruments]},
        },
        "code": {
            "type": "string",
            "description": "The number as printed, without a trailing dot: 2.3.12, 9.2, 1.3.1 (d). A text, "
            "never a number or a date. Empty for sub-headings and sections, which have none.",
        },
        "key": {
            "type": "string",
            "description": "Unique within the instrument (instrument and key are the primary key): the code, "
            "or for an uncoded heading its parent's key and a name (2.2.1/fences, policy). A text.",
            "constraints": {"required": True},
        },
        "kind": {
            "type": "string",
            "description": "objective, issue (an issue or landscape of the Programme of Work), section "
            "(Ulaanbaatar), subheading, solution (Vilm), activity (Programme of Work), recommendation "
            "(Ulaanbaatar), action (Vilm) or subitem (a lettered sub-item).",
            "constraints": {"required": True, "enum": list(Item.Kind.values)},
        },
        "parent": {
            "type": "string",
            "description": "The key of the item it belongs to, in the same instrument: the row with this "
            "instrument and this key. Empty at the top. A text.",
        },
        **{
            f"text_{language}": {
                "type": "string",
                "description": f"The text in {language_names.get(language, language)}; empty where there is "
                "none yet. Unless original_language is "
                f"{language}, an unofficial translation.{text_note}",
            }
            for language in languages
        },
        "original_language": {
            "type": "string",
            "description": "The language of the original text (en for the Programme of Work, mn for Vilm and "
            "Ulaanbaatar); the texts in the other languages are unofficial translations.",
            "constraints": {"enum": languages},
        },
        "responsible_raw": {
            "type": "string",
            "description": "The Responsible cell as printed; for a sub-item or an action without its own, its "
            f"parent's.{text_note}",
        },
        "responsible": {
            **list_type,
            "description": _joined("The responsible agencies, by English name", arrays),
        },
        "priority": {
            "type": "string",
            "description": "high, high-medium, medium, medium-low, low, conditional or none; empty where the "
            "instrument sets none.",
            "constraints": {"enum": list(Priority.values)},
        },
        "priority_raw": {"type": "string", "description": f"The Priority cell as printed.{text_note}"},
        "timeline_raw": {"type": "string", "description": f"The timeline cell as printed (Vilm).{text_note}"},
        "due": {
            "type": "date",
            "format": "default",
            "description": "The last day of the period the timeline names (July 2013 is 2013-07-31); empty when "
            "it names none. "
            + {
                "csv": "Written YYYY-MM-DD.",
                "json": "A text YYYY-MM-DD, or an empty text.",
                "xlsx": "A date cell.",
            }[format],
        },
        "due_precision": {
            "type": "string",
            "description": "How precise due is: year, season, month, ongoing or none.",
            "constraints": {"required": True, "enum": list(DuePrecision.values)},
        },
        "applies_to": {
            **list_type,
            "description": _joined(
                "The reporting units it applies to: ISO 3166-1 alpha-2 codes (KZ, MN, ...), CMS for the CMS "
                "Secretariat",
                arrays,
            ),
            **({} if arrays else {"constraints": {"pattern": "[A-Z]+(; [A-Z]+)*"}}),
        },
    }
    columns = ItemResource().get_export_headers()
    assert list(described) == columns, "datapackage.py describes other columns than ItemResource exports"
    return [{"name": name, **described[name]} for name in columns]


def schema(format: str) -> dict:
    return {
        "fields": fields(format),
        "missingValues": [""],
        "primaryKey": ["instrument", "key"],
    }


TITLES = {"csv": "CSV, UTF-8", "xlsx": "Excel workbook", "json": "JSON"}
DESCRIPTIONS = {
    "csv": "CSV, UTF-8 without a byte-order mark, one header row, comma-separated. " + FORMULA_NOTE + " For "
    "spreadsheets: activities-excel.csv is the same file with a byte-order mark, activities.xlsx the workbook.",
    "xlsx": "One sheet, one header row; every text cell is a text, never a formula; due is a date cell.",
    "json": "A list of objects, one per item, with the keys of the CSV columns; responsible and applies_to are lists.",
}


def descriptor() -> dict:
    """The datapackage.json, with paths relative to it (the files are beside it)."""
    instruments = list(Instrument.objects.order_by("position"))
    return {
        "profile": "tabular-data-package",
        "name": "cms-central-asia-commitments",
        "title": "CMS Central Asia commitments: " + ", ".join(each.short_title_en for each in instruments),
        "description": "Every objective, issue, section, sub-heading, solution, activity, recommendation, action "
        "and lettered sub-item of the instruments, one record each, in instrument and natural code order, with "
        "its texts in English, Russian, Mongolian and Kazakh (the original verbatim, the others unofficial "
        "translations), responsible parties, priority, timeline and the reporting units it applies to. The "
        "keys are stable.",
        "sources": [
            {"title": f"{each.title_en}, {each.adopted_at_en}, {each.adopted_on.isoformat()}"} for each in instruments
        ],
        "resources": [
            {
                "name": "activities" if format == "csv" else f"activities-{format}",
                "title": f"Activities ({TITLES[format]})",
                "description": DESCRIPTIONS[format],
                "profile": "tabular-data-resource",
                "format": format,
                **FORMATS[format],
                "schema": schema(format),
            }
            for format in ("csv", "xlsx", "json")
        ],
    }
