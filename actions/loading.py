"""Load the instruments from the YAML files in fixtures/ (format: docs/fixture-format.md).

Loading is idempotent: items are matched by instrument and key, so running it again updates the
texts and never duplicates. Nothing is deleted: an item that disappeared from the files is
reported, because progress may have been reported on it.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from actions.models import (
    Agency,
    CrossReference,
    DuePrecision,
    Footnote,
    Instrument,
    Item,
    Priority,
    ReportingUnit,
    ResponsibleParty,
    TranslationKind,
)
from actions.timeline import Due, parse_timeline

INSTRUMENT_ORDER = ("cami-pow", "vilm", "ulaanbaatar")
INSTRUMENT_TEXT_FIELDS = (
    "title",
    "short_title",
    "short_name",
    "adopted_at",
    "description",
    "preamble",
    "vision",
    "goal",
)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
SECRETARIAT_UNIT = "CMS"
SECRETARIAT_AGENCY = "cms"


class FixtureError(Exception):
    pass


@dataclass
class LoadReport:
    instruments: int = 0
    items: int = 0
    agencies: int = 0
    units: int = 0
    references: int = 0
    missing_from_files: list[str] = field(default_factory=list)


def read_yaml(path: Path):
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def translated(values: dict | None, field_name: str) -> dict:
    """{"mn": "...", "en": "..."} -> {"text_mn": "...", "text_en": "...", ...} with every language."""
    values = values or {}
    unknown = set(values) - set(LANGUAGES)
    if unknown:
        raise FixtureError(f"{field_name}: unknown language(s) {sorted(unknown)}")
    return {f"{field_name}_{language}": (values.get(language) or "").strip() for language in LANGUAGES}


def translation_kinds(values: dict | None, original: str) -> dict:
    kinds = {}
    for language, text in (values or {}).items():
        if text:
            kinds[language] = TranslationKind.ORIGINAL if language == original else TranslationKind.UNOFFICIAL
    return kinds


def load_units(path: Path, translations: "Translations | None" = None) -> dict[str, ReportingUnit]:
    translations = translations or Translations()
    units = {}
    for position, row in enumerate(read_yaml(path)):
        names = translations.merged(translations.units, row["code"], row["name"], path.name)
        unit, _ = ReportingUnit.objects.update_or_create(
            code=row["code"],
            defaults={"kind": row["kind"], "position": position, **translated(names, "name")},
        )
        units[unit.code] = unit
    return units


def read_agency_rows(paths: Iterable[Path]) -> dict[str, tuple[dict, Path]]:
    rows: dict[str, tuple[dict, Path]] = {}
    for path in paths:
        for row in read_yaml(path) or []:
            key = row["key"]
            if key in rows and rows[key][0] != row:
                raise FixtureError(f"agency {key!r} is defined differently in {rows[key][1]} and {path}")
            rows[key] = (row, path)
    return rows


@dataclass
class Translations:
    """Unofficial translations kept beside the originals: translations/<language>/<part>.yaml.

    Each entry is taken out when a text uses it, so that what is left at the end names a key
    that no longer exists.
    """

    agencies: dict[str, dict[str, str]] = field(default_factory=dict)
    units: dict[str, dict[str, str]] = field(default_factory=dict)
    # instrument slug -> field name, item key or (item key, mark) -> {language: text}
    fields: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    items: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    footnotes: dict[str, dict[tuple[str, str], dict[str, str]]] = field(default_factory=dict)
    # The qualifiers of responsible parties ("in cooperation with"), by their English wording: one
    # phrase qualifies several parties, so an entry is kept until the end and only counted as used.
    qualifiers: dict[str, dict[str, str]] = field(default_factory=dict)
    used_qualifiers: set[str] = field(default_factory=set)

    def add(self, table: dict, key, language: str, text, where: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise FixtureError(f"{where}: {key!r} has no text")
        table.setdefault(key, {})[language] = text.strip()

    def merged(self, table: dict, key, values: dict | None, where: str, original: str = "") -> dict:
        """`values` ({language: text} from the instrument's files) with the translations of `key`.

        A translation here replaces the same language's text in the instrument's files (they keep the
        translations made when the instruments were transcribed); it never replaces the original.
        """
        values = dict(values or {})
        for language, text in table.pop(key, {}).items():
            if language == original:
                raise FixtureError(f"{where}: translations/{language}/ cannot replace the original text")
            values[language] = text
        return values

    def qualifier(self, english: str) -> dict[str, str]:
        """{language: text} of the qualifier written `english` in the instruments' files."""
        if not english:
            return {}
        self.used_qualifiers.add(english)
        return {**self.qualifiers.get(english, {}), "en": english}

    def leftovers(self) -> list[str]:
        left = [f"agency {key}" for key in self.agencies] + [f"unit {key}" for key in self.units]
        left += [f"qualifier {key!r}" for key in self.qualifiers if key not in self.used_qualifiers]
        for kind, tables in (("field", self.fields), ("item", self.items), ("footnote", self.footnotes)):
            left += [f"{slug} {kind} {key}" for slug, table in tables.items() for key in table]
        return left


def read_translations(folder: Path) -> Translations:
    translations = Translations()
    for path in sorted(folder.glob("*/*.yaml")):
        where = f"translations/{path.parent.name}/{path.name}"
        content = read_yaml(path) or {}
        language = content.get("language")
        if language != path.parent.name or language not in LANGUAGES:
            raise FixtureError(f"{where}: language {language!r} does not match its folder")
        for key, text in (content.get("agencies") or {}).items():
            translations.add(translations.agencies, str(key), language, text, where)
        for key, text in (content.get("units") or {}).items():
            translations.add(translations.units, str(key), language, text, where)
        for key, text in (content.get("qualifiers") or {}).items():
            if language == "en":
                raise FixtureError(f"{where}: qualifiers are written in English in the instruments' files")
            translations.add(translations.qualifiers, str(key), language, text, where)
        slug = content.get("instrument")
        if slug is None:
            continue
        if slug not in INSTRUMENT_ORDER:
            raise FixtureError(f"{where}: unknown instrument {slug!r}")
        for name, text in (content.get("fields") or {}).items():
            if name not in INSTRUMENT_TEXT_FIELDS:
                raise FixtureError(f"{where}: unknown field {name!r}")
            translations.add(translations.fields.setdefault(slug, {}), name, language, text, where)
        for key, text in (content.get("items") or {}).items():
            translations.add(translations.items.setdefault(slug, {}), str(key), language, text, where)
        for key, marks in (content.get("footnotes") or {}).items():
            for mark, text in (marks or {}).items():
                table = translations.footnotes.setdefault(slug, {})
                translations.add(table, (str(key), str(mark)), language, text, where)
    return translations


def load_agencies(
    paths: Iterable[Path], units: dict[str, ReportingUnit], translations: Translations | None = None
) -> dict[str, Agency]:
    translations = translations or Translations()
    agencies = {}
    valid_kinds = set(Agency.Kind.values)
    for key, (row, path) in read_agency_rows(paths).items():
        if row["kind"] not in valid_kinds:
            raise FixtureError(f"{path}: agency {key!r} has unknown kind {row['kind']!r}")
        country = row.get("country")
        if country and country not in units:
            raise FixtureError(f"{path}: agency {key!r} has unknown country {country!r}")
        agency, _ = Agency.objects.update_or_create(
            key=key,
            defaults={
                "kind": row["kind"],
                "acronym": row.get("acronym") or "",
                "country": units.get(country) if country else None,
                **translated(translations.merged(translations.agencies, key, row["name"], str(path)), "name"),
            },
        )
        agencies[key] = agency
    return agencies


@dataclass
class PendingReference:
    source: Item
    target_code: str
    kind: str
    instrument: str


class InstrumentLoader:
    def __init__(self, folder: Path, position: int, units, agencies, report: LoadReport, translations: Translations):
        self.folder = folder
        self.translations = translations
        self.position = position
        self.units = units
        self.agencies = agencies
        self.report = report
        self.references: list[PendingReference] = []
        self.seen_keys: set[str] = set()

    def load(self) -> Instrument:
        meta = read_yaml(self.folder / "instrument.yaml")
        original = meta["original_language"]
        fields = self.translations.fields.get(meta["slug"], {})
        texts = {
            name: self.translations.merged(
                fields, name, meta.get(name), f"{self.folder.name}/instrument.yaml", original
            )
            for name in INSTRUMENT_TEXT_FIELDS
        }
        defaults = {
            "position": self.position,
            "adopted_on": meta["adopted_on"],
            "period_start": meta["period_start"],
            "period_end": meta.get("period_end"),
            "translation_kinds": translation_kinds(meta["title"], original),
        }
        for name, values in texts.items():
            defaults.update(translated(values, name))
        self.instrument, _ = Instrument.objects.update_or_create(slug=meta["slug"], defaults=defaults)
        self.original = original
        self.default_units = self.unit_list(meta["applies_to"], "instrument.yaml")
        self.instrument.applies_to.set(self.default_units)
        self.report.instruments += 1

        for path in sorted(self.folder.glob("items*.yaml")):
            for row in read_yaml(path) or []:
                self.load_item(row, parent=None, inherited=Inherited(units=self.default_units), path=path)

        stale = Item.objects.filter(instrument=self.instrument).exclude(key__in=self.seen_keys)
        self.report.missing_from_files += [
            f"{self.instrument.slug}:{key}" for key in stale.values_list("key", flat=True)
        ]
        return self.instrument

    def unit_list(self, codes, where) -> list[ReportingUnit]:
        unknown = [code for code in codes if code not in self.units]
        if unknown:
            raise FixtureError(f"{self.folder.name}/{where}: unknown reporting unit(s) {unknown}")
        return [self.units[code] for code in codes]

    def load_item(self, row: dict, parent: Item | None, inherited: "Inherited", path: Path) -> Item:
        where = f"{self.folder.name}/{path.name} {row.get('code') or row.get('slug')}"
        kind = row["kind"]
        if kind not in Item.Kind.values:
            raise FixtureError(f"{where}: unknown kind {kind!r}")
        code = str(row.get("code") or "").strip()
        if code:
            key = code
        elif row.get("slug"):
            key = f"{parent.key}/{row['slug']}" if parent else row["slug"]
        else:
            raise FixtureError(f"{where}: an item needs a code or a slug")
        if key in self.seen_keys:
            raise FixtureError(f"{where}: key {key!r} appears twice")
        self.seen_keys.add(key)

        item_translations = self.translations.items.get(self.instrument.slug, {})
        texts = self.translations.merged(item_translations, key, row["text"], where, self.original)
        own_responsible = "responsible_raw" in row
        responsible_raw = row.get("responsible_raw", inherited.responsible_raw) or ""
        responsible = row.get("responsible", inherited.responsible) if own_responsible else inherited.responsible
        priority = row.get("priority", inherited.priority) or ""
        priority_raw = row.get("priority_raw", inherited.priority_raw) or ""
        if priority and priority not in Priority.values:
            raise FixtureError(f"{where}: unknown priority {priority!r}")
        timeline_raw = (row.get("timeline_raw") or "").strip()
        if "due" in row:
            due = explicit_due(row["due"], row.get("due_precision"), where)
        else:
            due = parse_timeline(timeline_raw, default_year=self.instrument.period_start)
        units = self.unit_list(row["applies_to"], where) if "applies_to" in row else inherited.units
        # Regional work: where the CMS Secretariat is responsible, it reports too.
        if any(party["agency"] == SECRETARIAT_AGENCY for party in responsible or []):
            if SECRETARIAT_UNIT in self.units and self.units[SECRETARIAT_UNIT] not in units:
                units = [*units, self.units[SECRETARIAT_UNIT]]

        item, _ = Item.objects.update_or_create(
            instrument=self.instrument,
            key=key,
            defaults={
                "parent": parent,
                "kind": kind,
                "code": code,
                "slug": Item.slug_for(key),
                "responsible_raw": responsible_raw.strip(),
                "priority": priority,
                "priority_raw": priority_raw.strip(),
                "timeline_raw": timeline_raw,
                "due": due.date,
                "due_precision": due.precision,
                "translation_kinds": translation_kinds(texts, self.original),
                **translated(texts, "text"),
            },
        )
        item.place_in_tree()
        item.save(update_fields=["path", "depth", "sort_key"])
        item.applies_to.set(units)
        self.set_responsible(item, responsible or [], where)
        self.set_footnotes(item, row.get("footnotes") or [])
        for reference in row.get("refs") or []:
            self.references.append(
                PendingReference(
                    source=item,
                    target_code=str(reference["to"]),
                    kind=reference.get("kind", CrossReference.Kind.SEE),
                    instrument=reference.get("instrument", self.instrument.slug),
                )
            )
        self.report.items += 1

        children_inherit = Inherited(
            units=units,
            responsible_raw=responsible_raw,
            responsible=responsible,
            priority=priority,
            priority_raw=priority_raw,
        )
        children = [self.load_item(child, item, children_inherit, path) for child in row.get("children") or []]
        if not code:
            # An uncoded heading sorts just before its first coded descendant.
            first = next((child for child in children if child.sort_key), None)
            item.sort_key = first.sort_key if first else (parent.sort_key if parent else "")
            item.save(update_fields=["sort_key"])
        return item

    def set_responsible(self, item: Item, parties: list[dict], where: str) -> None:
        item.responsible_parties.all().delete()
        for position, party in enumerate(parties):
            agency = self.agencies.get(party["agency"])
            if agency is None:
                raise FixtureError(f"{where}: unknown agency {party['agency']!r}")
            notes = self.translations.qualifier((party.get("note") or "").strip())
            ResponsibleParty.objects.create(
                item=item,
                agency=agency,
                to_be_confirmed=bool(party.get("tbc")),
                position=position,
                translation_kinds=translation_kinds(notes, "en"),
                **translated(notes, "note"),
            )

    def set_footnotes(self, item: Item, footnotes: list[dict]) -> None:
        item.footnotes.all().delete()
        translations = self.translations.footnotes.get(self.instrument.slug, {})
        for footnote in footnotes:
            mark = str(footnote["mark"])
            where = f"{self.instrument.slug} {item.key} {mark}"
            texts = self.translations.merged(translations, (item.key, mark), footnote["text"], where, self.original)
            Footnote.objects.create(
                item=item,
                mark=mark,
                translation_kinds=translation_kinds(texts, self.original),
                **translated(texts, "text"),
            )


@dataclass
class Inherited:
    """What an item takes from its parent when the source prints nothing of its own."""

    units: list
    responsible_raw: str = ""
    responsible: list | None = None
    priority: str = ""
    priority_raw: str = ""


def explicit_due(value, precision, where) -> Due:
    """A due date given in the fixture itself, for a timeline the parser cannot read."""
    if value == "ongoing":
        return Due(None, DuePrecision.ONGOING)
    if value in (None, ""):
        return Due(None, DuePrecision.NONE)
    if precision not in DuePrecision.values:
        raise FixtureError(f"{where}: due needs a due_precision")
    return Due(datetime.date.fromisoformat(str(value)), precision)


def resolve_references(pending: list[PendingReference]) -> int:
    count = 0
    for reference in pending:
        try:
            target = Item.objects.get(instrument__slug=reference.instrument, key=reference.target_code)
        except Item.DoesNotExist:
            raise FixtureError(
                f"{reference.source.instrument.slug} {reference.source.key}: reference to unknown item "
                f"{reference.instrument}:{reference.target_code}"
            ) from None
        CrossReference.objects.get_or_create(source=reference.source, target=target, kind=reference.kind)
        count += 1
    return count


def load_links(path: Path) -> int:
    """Groups of items across instruments that cover the same commitment, linked both ways."""
    count = 0
    for group in read_yaml(path) or []:
        items = []
        for member in group["items"]:
            slug, key = member.split(":", 1)
            try:
                items.append(Item.objects.get(instrument__slug=slug, key=key))
            except Item.DoesNotExist:
                raise FixtureError(f"{path.name}: unknown item {member!r}") from None
        for source in items:
            for target in items:
                if source.instrument_id != target.instrument_id:
                    CrossReference.objects.get_or_create(
                        source=source, target=target, kind=CrossReference.Kind.SAME_COMMITMENT
                    )
                    count += 1
    return count


@transaction.atomic
def load_instruments(directory: Path) -> LoadReport:
    """Load every instrument in `directory`; all or nothing."""
    report = LoadReport()
    translations = read_translations(directory / "translations")
    units = load_units(directory / "reporting_units.yaml", translations)
    report.units = len(units)
    agency_files = [directory / "agencies.yaml", *sorted(directory.glob("*/agencies*.yaml"))]
    agencies = load_agencies(agency_files, units, translations)
    report.agencies = len(agencies)
    pending: list[PendingReference] = []
    for position, slug in enumerate(INSTRUMENT_ORDER):
        folder = directory / slug
        if not (folder / "instrument.yaml").exists():
            raise FixtureError(f"{folder} has no instrument.yaml")
        loader = InstrumentLoader(folder, position, units, agencies, report, translations)
        loader.load()
        pending += loader.references
    if left := translations.leftovers():
        raise FixtureError(f"translations of texts that do not exist: {', '.join(left[:20])}")
    report.references = resolve_references(pending)
    if (directory / "links.yaml").exists():
        report.references += load_links(directory / "links.yaml")
    return report
