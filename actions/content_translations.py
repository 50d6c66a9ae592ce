"""The texts of the instruments, agencies and reporting units, one language at a time.

Every translatable text is a `Text`: a field of one record (an item's text, an instrument's
preamble, an agency's name...). The translation workbook (actions.translation_workbook) lists them
for one language, and `write_fixtures` keeps the unofficial translations in
fixtures/translations/<language>/, beside the instruments' own files, so that corrections made in
the tracker can be reviewed and kept with the instruments. Format: docs/translations.md.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from actions.loading import INSTRUMENT_ORDER, INSTRUMENT_TEXT_FIELDS, read_yaml
from actions.models import Agency, Footnote, Instrument, Item, ReportingUnit, ResponsibleParty, TranslationKind

LANGUAGES = tuple(settings.MODELTRANSLATION_LANGUAGES)
# The languages' names in the reader's language (the catalogues hold them).
LANGUAGE_NAMES = {
    "en": _("English"),
    "ru": _("Russian"),
    "mn": _("Mongolian"),
    "kk": _("Kazakh"),
}
LANGUAGE_NAMES_EN = {"en": "English", "ru": "Russian", "mn": "Mongolian", "kk": "Kazakh"}


# The kind of an agency's or unit's name that the reference files give as it is.
REFERENCE = "reference"


@cache
def reference_names() -> dict[tuple[str, str, str], str]:
    """(part, key, language) -> name, of the agency and unit names the reference files give."""
    given = _texts_in_instrument_files(Path(settings.BASE_DIR) / "fixtures")
    return {key: value for key, value in given.items() if key[0] in ("agencies", "units")}


class Qualifier:
    """The qualifier of a responsible party ("in cooperation with") as one text to translate: the
    instruments' files write it in English, and the same phrase qualifies several parties, which
    all take the same translation."""

    # Text.max_length reads the column through the record's model.
    _meta = ResponsibleParty._meta
    original_language = "en"

    def __init__(self, english: str, parties: list):
        self.english = english
        self.parties = parties
        self.pk = hashlib.sha256(english.encode()).hexdigest()[:16]

    def __getattr__(self, name):
        if name.startswith("note_"):
            return getattr(self.parties[0], name)
        raise AttributeError(name)

    def __setattr__(self, name, value):
        if name.startswith("note_"):
            for party in self.parties:
                setattr(party, name, value)
                party.translation_kinds = {**party.translation_kinds, name[5:]: self.translation_kind(name[5:])}
        else:
            super().__setattr__(name, value)

    def translation_kind(self, language: str) -> str:
        if language == "en":
            return TranslationKind.ORIGINAL
        return TranslationKind.UNOFFICIAL if getattr(self, f"note_{language}") else ""

    def save(self):
        for party in self.parties:
            party.save()


def qualifiers() -> list[Qualifier]:
    """The distinct qualifiers of responsible parties, in alphabetical order of their English."""
    by_phrase: dict[str, list] = {}
    for party in ResponsibleParty.objects.exclude(note_en="").order_by("pk"):
        by_phrase.setdefault(party.note_en, []).append(party)
    return [
        Qualifier(phrase, parties) for phrase, parties in sorted(by_phrase.items(), key=lambda pair: pair[0].lower())
    ]


@dataclass
class Text:
    """One field of one record, in every language."""

    record: object
    field: str
    # Where it belongs: an instrument's slug, or "agencies" / "units".
    part: str
    # The record's key within its part: "2.3.1", "2.3.1 #2" (a footnote), "preamble", "acbk", "KZ".
    key: str
    label: object

    @property
    def identifier(self) -> str:
        return f"{type(self.record).__name__.lower()}:{self.record.pk}:{self.field}"

    def value(self, language: str) -> str:
        return getattr(self.record, f"{self.field}_{language}") or ""

    @property
    def original_language(self) -> str:
        return getattr(self.record, "original_language", "")

    def kind(self, language: str) -> str:
        """original, official or unofficial; REFERENCE for a name as the reference files give it; ""
        where the text is missing."""
        if not self.value(language):
            return ""
        if hasattr(self.record, "translation_kind"):
            return self.record.translation_kind(language) or TranslationKind.UNOFFICIAL
        # Agencies and units record no kinds: a name is either the one the reference files
        # (fixtures/agencies.yaml, reporting_units.yaml...) give, or a translation made since.
        if reference_names().get((self.part, self.key, language)) == self.value(language).strip():
            return REFERENCE
        return TranslationKind.UNOFFICIAL

    def may_change(self, language: str) -> bool:
        """Originals and official translations are kept as adopted; only the others may change."""
        return self.kind(language) not in (TranslationKind.ORIGINAL, TranslationKind.OFFICIAL)

    @property
    def max_length(self) -> int | None:
        return type(self.record)._meta.get_field(f"{self.field}_en").max_length

    def set(self, language: str, value: str) -> None:
        setattr(self.record, f"{self.field}_{language}", value)
        if hasattr(self.record, "translation_kinds") and self.kind(language) != TranslationKind.OFFICIAL:
            self.record.translation_kinds = {**self.record.translation_kinds, language: TranslationKind.UNOFFICIAL}


def texts() -> list[Text]:
    """Every translatable text, in the order of the instruments, then agencies and units."""
    result = []
    instruments = list(Instrument.objects.order_by("position"))
    for instrument in instruments:
        for field in INSTRUMENT_TEXT_FIELDS:
            if any(getattr(instrument, f"{field}_{language}") for language in LANGUAGES):
                label = Instrument._meta.get_field(field).verbose_name
                result.append(Text(instrument, field, instrument.slug, field, label))
        footnotes: dict[int, list[Footnote]] = {}
        for footnote in Footnote.objects.filter(item__instrument=instrument).order_by("mark"):
            footnotes.setdefault(footnote.item_id, []).append(footnote)
        for item in Item.objects.filter(instrument=instrument).order_by("sort_key", "depth", "pk"):
            item.instrument = instrument
            result.append(Text(item, "text", instrument.slug, item.key, item.get_kind_display()))
            for footnote in footnotes.get(item.pk, []):
                footnote.item = item
                result.append(Text(footnote, "text", instrument.slug, f"{item.key} #{footnote.mark}", _("footnote")))
    for agency in Agency.objects.order_by("key"):
        result.append(Text(agency, "name", "agencies", agency.key, _("agency")))
    for unit in ReportingUnit.objects.order_by("position", "code"):
        result.append(Text(unit, "name", "units", unit.code, _("reporting unit")))
    for qualifier in qualifiers():
        result.append(Text(qualifier, "note", "qualifiers", qualifier.english, _("qualifier of a responsible party")))
    return result


def coverage() -> list[dict]:
    """Per language: how many texts exist, and how many are originals, translations or missing."""
    all_texts = texts()
    rows = []
    for language in LANGUAGES:
        kinds = [text.kind(language) if text.value(language) else "missing" for text in all_texts]
        rows.append(
            {
                "language": language,
                "total": len(all_texts),
                "original": kinds.count(TranslationKind.ORIGINAL),
                "official": kinds.count(TranslationKind.OFFICIAL),
                "missing": kinds.count("missing"),
                "translated": len(kinds) - kinds.count("missing") - kinds.count(TranslationKind.ORIGINAL),
            }
        )
    return rows


@transaction.atomic
def save_changes(changes: list[tuple[Text, str]], language: str) -> int:
    """Write new texts in `language`, all or none; each record's history keeps the old text."""
    records = {}
    for text, value in changes:
        text.set(language, value)
        records[text.identifier.rsplit(":", 1)[0]] = text.record
    for record in records.values():
        record.save()
    return len(changes)


# Fixtures -----------------------------------------------------------------------------------------


def _texts_in_instrument_files(directory: Path) -> dict[tuple[str, str, str], str]:
    """(part, key, language) -> text, of every text the instruments' own files give."""
    given = {}

    def add(part, key, values):
        for language, value in (values or {}).items():
            if (value or "").strip():
                given[(part, key, language)] = value.strip()

    def walk(slug, rows, parent_key=None):
        for row in rows or []:
            code = str(row.get("code") or "").strip()
            key = code or (f"{parent_key}/{row['slug']}" if parent_key else row["slug"])
            add(slug, key, row.get("text"))
            for footnote in row.get("footnotes") or []:
                add(slug, f"{key} #{footnote['mark']}", footnote.get("text"))
            walk(slug, row.get("children"), key)

    for slug in INSTRUMENT_ORDER:
        meta = read_yaml(directory / slug / "instrument.yaml")
        for field in INSTRUMENT_TEXT_FIELDS:
            add(slug, field, meta.get(field))
        for path in sorted((directory / slug).glob("items*.yaml")):
            walk(slug, read_yaml(path))
    for path in [directory / "agencies.yaml", *sorted(directory.glob("*/agencies*.yaml"))]:
        for row in read_yaml(path) or []:
            add("agencies", row["key"], row.get("name"))
    for row in read_yaml(directory / "reporting_units.yaml"):
        add("units", row["code"], row.get("name"))
    return given


HEADERS = {
    "agencies": "Unofficial {language} names of the responsible agencies (fixtures/agencies.yaml and\n"
    "fixtures/<instrument>/agencies-*.yaml).",
    "units": "Corrected {language} names of the reporting units (fixtures/reporting_units.yaml).",
    "qualifiers": "Unofficial {language} translations of the qualifiers of responsible parties, by their English\n"
    'wording in the instruments\' files ("in cooperation with").',
    "instrument": "Unofficial {language} translation of {title}; the original is {original}\n"
    "(fixtures/{slug}/). Each text follows a comment with the text it translates.",
}


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str, indent: str) -> str:
    return f"{indent}# {' '.join(text.split())}"


def fixture_files(directory: Path, language: str) -> dict[str, str]:
    """The content of fixtures/translations/<language>/*.yaml as the database holds it now."""
    given = _texts_in_instrument_files(directory)
    chosen: dict[str, list[Text]] = {}
    for text in texts():
        value = text.value(language)
        # What the instrument's files already say stays there; a correction of it comes here.
        if not value or given.get((text.part, text.key, language)) == value:
            continue
        if text.kind(language) in (TranslationKind.ORIGINAL, TranslationKind.OFFICIAL):
            continue
        chosen.setdefault(text.part, []).append(text)
    files = {}
    for part, part_texts in chosen.items():
        if part in ("agencies", "units", "qualifiers"):
            header = HEADERS[part].format(language=LANGUAGE_NAMES_EN[language])
            lines = [f"# {line}" for line in header.split("\n")]
            lines += ["# Format and review: docs/translations.md.", f"language: {language}", f"{part}:"]
            for text in part_texts:
                lines.append(_comment(f"en: {text.value('en')}", "  "))
                lines.append(f"  {_quoted(text.key)}: {_quoted(text.value(language))}")
        else:
            instrument = part_texts[0].record if isinstance(part_texts[0].record, Instrument) else None
            instrument = instrument or Instrument.objects.get(slug=part)
            header = HEADERS["instrument"].format(
                language=LANGUAGE_NAMES_EN[language],
                title=instrument.title_en,
                original=LANGUAGE_NAMES_EN[instrument.original_language],
                slug=part,
            )
            lines = [f"# {line}" for line in header.split("\n")]
            lines += ["# Format and review: docs/translations.md.", f"language: {language}", f"instrument: {part}"]
            sections = (
                ("fields", [t for t in part_texts if isinstance(t.record, Instrument)]),
                ("items", [t for t in part_texts if isinstance(t.record, Item)]),
            )
            for name, section in sections:
                if section:
                    lines.append(f"{name}:")
                for text in section:
                    original = text.original_language
                    lines.append(_comment(f"{original}: {text.value(original)}", "  "))
                    lines.append(f"  {_quoted(text.key)}: {_quoted(text.value(language))}")
            footnotes = [t for t in part_texts if isinstance(t.record, Footnote)]
            if footnotes:
                lines.append("footnotes:")
            last_item = None
            for text in footnotes:
                if text.record.item_id != last_item:
                    lines.append(f"  {_quoted(text.record.item.key)}:")
                    last_item = text.record.item_id
                original = text.original_language
                lines.append(_comment(f"{original}: {text.value(original)}", "    "))
                lines.append(f"    {_quoted(text.record.mark)}: {_quoted(text.value(language))}")
        files[f"{part}.yaml"] = "\n".join(lines) + "\n"
    return files


def write_fixtures(directory: Path, language: str) -> list[Path]:
    """Write fixtures/translations/<language>/ from the database; returns the files written."""
    folder = directory / "translations" / language
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    files = fixture_files(directory, language)
    for stale in folder.glob("*.yaml"):
        if stale.name not in files:
            stale.unlink()
    for name, content in files.items():
        path = folder / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
