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


def load_units(path: Path) -> dict[str, ReportingUnit]:
    units = {}
    for position, row in enumerate(read_yaml(path)):
        unit, _ = ReportingUnit.objects.update_or_create(
            code=row["code"],
            defaults={"kind": row["kind"], "position": position, **translated(row["name"], "name")},
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


def load_agencies(paths: Iterable[Path], units: dict[str, ReportingUnit]) -> dict[str, Agency]:
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
                **translated(row["name"], "name"),
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
    def __init__(self, folder: Path, position: int, units, agencies, report: LoadReport):
        self.folder = folder
        self.position = position
        self.units = units
        self.agencies = agencies
        self.report = report
        self.references: list[PendingReference] = []
        self.seen_keys: set[str] = set()

    def load(self) -> Instrument:
        meta = read_yaml(self.folder / "instrument.yaml")
        original = meta["original_language"]
        texts = {
            name: meta.get(name)
            for name in ("title", "short_title", "adopted_at", "description", "preamble", "vision", "goal")
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
                "translation_kinds": translation_kinds(row["text"], self.original),
                **translated(row["text"], "text"),
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
            ResponsibleParty.objects.create(
                item=item,
                agency=agency,
                to_be_confirmed=bool(party.get("tbc")),
                note=party.get("note") or "",
                position=position,
            )

    def set_footnotes(self, item: Item, footnotes: list[dict]) -> None:
        item.footnotes.all().delete()
        for footnote in footnotes:
            Footnote.objects.create(
                item=item,
                mark=str(footnote["mark"]),
                translation_kinds=translation_kinds(footnote["text"], self.original),
                **translated(footnote["text"], "text"),
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
    units = load_units(directory / "reporting_units.yaml")
    report.units = len(units)
    agency_files = [directory / "agencies.yaml", *sorted(directory.glob("*/agencies*.yaml"))]
    agencies = load_agencies(agency_files, units)
    report.agencies = len(agencies)
    pending: list[PendingReference] = []
    for position, slug in enumerate(INSTRUMENT_ORDER):
        folder = directory / slug
        if not (folder / "instrument.yaml").exists():
            raise FixtureError(f"{folder} has no instrument.yaml")
        loader = InstrumentLoader(folder, position, units, agencies, report)
        loader.load()
        pending += loader.references
    report.references = resolve_references(pending)
    if (directory / "links.yaml").exists():
        report.references += load_links(directory / "links.yaml")
    return report
