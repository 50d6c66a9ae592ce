"""What a meeting report says: the state of the instruments as at a meeting's cut-off date.

Only accepted updates count, and only those accepted before the end of the cut-off day: an update
submitted or accepted later is not part of the report, so generating it again gives the same
content. Per item and reporting unit, the state at the cut-off is the accepted update with the
latest submission (as the reporting workflow does for the current state), and an activity with
lettered sub-items takes its state from them as everywhere else (actions.states.roll_up).

The snapshot holds plain data, read in the report's language; the PDF and the workbook are both
drawn from it.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone, translation

from actions.models import DuePrecision, Instrument, Item, Meeting, Priority, ReportingUnit, Status, StatusUpdate
from actions.models.progress import PROGRESS_STATUSES
from actions.states import NO_REPORT, STATUS_ORDER, Cell, roll_up, status_label, sub_items_of

__all__ = ["NO_REPORT", "PROGRESS_STATUSES", "STATUS_ORDER", "Cell", "status_label", "take"]


def cutoff_end(day: datetime.date) -> datetime.datetime:
    """The first moment after the cut-off day, in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


@dataclass
class Row:
    """An item of an instrument, in the order of its hierarchy.

    `cells` maps each unit in the report that the item applies to onto its state; headings
    (objectives, issues, sections) have no cells.
    """

    item: Item
    trackable: bool
    cells: dict[int, Cell] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return self.item.depth


@dataclass
class Figure:
    """Status counts of one group (an objective, a unit): how many items in each status."""

    label: str
    counts: Counter
    # The heading the figure counts under (an objective, an issue), if it is one.
    item: Item | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def with_progress(self) -> int:
        return sum(self.counts[status] for status in PROGRESS_STATUSES)


@dataclass
class Share:
    """How many of `total` items have progress."""

    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return 100 * self.count / self.total if self.total else None


@dataclass
class Gap:
    """An item that some units have not moved on: overdue, or high priority without progress."""

    item: Item
    pairs: list[tuple[ReportingUnit, Cell]]


@dataclass
class Change:
    """An item whose state in a unit differs between the previous meeting's cut-off and this one."""

    item: Item
    unit: ReportingUnit
    before: Cell
    after: Cell


@dataclass
class InstrumentPart:
    instrument: Instrument
    units: list[ReportingUnit]
    rows: list[Row]
    by_objective: list[Figure]
    by_unit: list[Figure]
    high_priority: Share
    has_priorities: bool
    narratives: list[StatusUpdate]
    overdue: list[Gap]
    high_without_progress: list[Gap]
    changes: list[Change]
    # Second-level headings (issues, landscapes, sections), where the instrument has them.
    by_issue: list[Figure] = field(default_factory=list)
    due_soon: list[Gap] = field(default_factory=list)

    @property
    def activity_rows(self) -> list[Row]:
        return [row for row in self.rows if row.trackable]

    @property
    def numbered_count(self) -> int:
        return sum(1 for row in self.rows if row.item.kind in Item.NUMBERED_KINDS)

    # The figures below count numbered activities once in each unit they apply to, an activity with
    # lettered sub-items in the state they give it (actions.states).
    @property
    def pair_count(self) -> int:
        return sum(figure.total for figure in self.by_unit)

    @property
    def reported_count(self) -> int:
        return self.pair_count - sum(figure.counts[NO_REPORT] for figure in self.by_unit)

    @property
    def progress_count(self) -> int:
        return sum(figure.with_progress for figure in self.by_unit)

    @property
    def completed_count(self) -> int:
        return sum(figure.counts[Status.COMPLETED] for figure in self.by_unit)

    @property
    def overdue_count(self) -> int:
        return sum(len(gap.pairs) for gap in self.overdue)


@dataclass
class UnitAnnex:
    """One unit's state on every item of every instrument in the report."""

    unit: ReportingUnit
    parts: list[tuple[Instrument, list[tuple[Item, Cell]]]]


@dataclass
class Snapshot:
    meeting: Meeting
    previous_meeting: Meeting | None
    language: str
    unit: ReportingUnit | None
    units: list[ReportingUnit]
    parts: list[InstrumentPart]
    annexes: list[UnitAnnex]
    totals: Counter

    @property
    def cutoff(self) -> datetime.date:
        return self.meeting.cutoff

    @property
    def activity_codes(self) -> list[str]:
        return [row.item.code for part in self.parts for row in part.activity_rows if row.item.code]


def load_items(instruments: list[Instrument]) -> list[Item]:
    """The instruments' items in their order, each with `unit_ids`: the ids of the units it applies to.

    The ids come from the link table in one query: a prefetch would build a unit object (with its
    names in four languages) for each of thousands of links.
    """
    by_pk = {instrument.pk: instrument for instrument in instruments}
    items = sorted(
        Item.objects.filter(instrument__in=instruments),
        key=lambda item: (by_pk[item.instrument_id].position, item.sort_key, item.depth),
    )
    unit_ids = defaultdict(list)
    links = Item.applies_to.through.objects.filter(item__instrument__in=instruments).order_by("reportingunit__position")
    for item_id, unit_id in links.values_list("item_id", "reportingunit_id"):
        unit_ids[item_id].append(unit_id)
    for item in items:
        # The instruments are at hand: joining them in would build one per item.
        item.instrument = by_pk[item.instrument_id]
        item.unit_ids = unit_ids[item.pk]
    return items


def units_of_instruments(instruments: list[Instrument]) -> list[ReportingUnit]:
    """The units the instruments, or any of their items, apply to (CAMI assigns some activities to
    the CMS Secretariat, which the programme as a whole does not name), in alphabetical order."""
    named = ReportingUnit.objects.filter(Q(instruments__in=instruments) | Q(items__instrument__in=instruments))
    return list(ReportingUnit.objects.filter(pk__in=named.values("pk")).alphabetical())


def instrument_unit_ids(instrument: Instrument, items: list[Item]) -> set[int]:
    """The ids of the units the instrument or any of `items` (its own, from load_items) apply to."""
    ids = {reporting_unit.pk for reporting_unit in instrument.applies_to.all()}
    ids.update(unit_id for item in items for unit_id in item.unit_ids)
    return ids


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The meeting with the latest cut-off before this one's, whatever its body."""
    return Meeting.objects.filter(cutoff__lt=meeting.cutoff).exclude(pk=meeting.pk).order_by("-cutoff", "-pk").first()


def states_at(day: datetime.date, items: list[Item], units: list[ReportingUnit]) -> dict[tuple[int, int], Cell]:
    """Per (item id, unit id), the accepted update in force at the end of `day`.

    One look-up per item and unit it applies to, each the newest accepted submission through the
    index on (item, unit, state, submitted_at): years of history cost no more than a few updates.
    """
    if not items or not units:
        return {}
    in_force = (
        StatusUpdate.objects.filter(
            item_id=OuterRef("item_id"),
            unit_id=OuterRef("reportingunit_id"),
            state=StatusUpdate.State.ACCEPTED,
            reviewed_at__lt=cutoff_end(day),
        )
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    pairs = Item.applies_to.through.objects.filter(
        item_id__in=[item.pk for item in items], reportingunit_id__in=[unit.pk for unit in units]
    )
    accepted = StatusUpdate.objects.filter(pk__in=pairs.annotate(update=Subquery(in_force)).values("update"))
    return {
        (item_id, unit_id): Cell(status=status, progress=progress, refers_to=refers_to, update_id=pk)
        for item_id, unit_id, status, progress, refers_to, pk in accepted.values_list(
            "item_id", "unit_id", "status", "progress", "refers_to", "pk"
        )
    }


def period_narratives(meeting: Meeting, instruments: list[Instrument], units: list[ReportingUnit]):
    """Accepted updates of the reporting period with a narrative: submitted within the period, or
    about work within it, and accepted by the cut-off."""
    in_period = Q(submitted_at__date__range=(meeting.period_start, meeting.period_end)) | Q(
        refers_to__range=(meeting.period_start, meeting.period_end)
    )
    return list(
        StatusUpdate.objects.filter(
            in_period,
            state=StatusUpdate.State.ACCEPTED,
            reviewed_at__lt=cutoff_end(meeting.cutoff),
            item__instrument__in=instruments,
            unit__in=units,
        )
        .exclude(narrative="")
        .select_related("item", "unit")
        .order_by("item__sort_key", "unit__position", "submitted_at", "pk")
    )


def rows_of(items: list[Item], unit_ids: set[int], states: dict[tuple[int, int], Cell]) -> list[Row]:
    """The items as rows; a trackable one has a cell (its state, or "no report") in each unit of
    `unit_ids` it applies to."""
    rows = []
    for item in items:
        trackable = item.kind in Item.TRACKABLE_KINDS
        cells = {}
        if trackable:
            cells = {pk: states.get((item.pk, pk), Cell()) for pk in item.unit_ids if pk in unit_ids}
        rows.append(Row(item=item, trackable=trackable, cells=cells))
    return rows


def _top_level(item: Item, by_pk: dict[int, Item]) -> Item:
    while item.parent_id is not None:
        item = by_pk[item.parent_id]
    return item


def take(meeting: Meeting, instruments: list[Instrument], unit: ReportingUnit | None, language: str) -> Snapshot:
    """The snapshot of `instruments` as at `meeting`'s cut-off, for one unit or (None) the region."""
    with translation.override(language):
        return _take(meeting, instruments, unit, language)


def _take(meeting, instruments, unit, language) -> Snapshot:
    instruments = sorted(instruments, key=lambda instrument: instrument.position)
    if unit is not None:
        report_units = [unit]
    else:
        report_units = units_of_instruments(instruments)
    unit_by_pk = {reporting_unit.pk: reporting_unit for reporting_unit in report_units}
    items = load_items(instruments)
    if unit is not None:
        # One unit's report leaves out the activities that are not its own, keeping their headings.
        items = own_items(items, unit.pk)
    previous = previous_meeting(meeting)
    tree = sub_items_of(items)
    now = roll_up(states_at(meeting.cutoff, items, report_units), tree)
    before = roll_up(states_at(previous.cutoff, items, report_units), tree) if previous else {}
    narratives = period_narratives(meeting, instruments, report_units)

    by_pk = {item.pk: item for item in items}
    parts = []
    totals = Counter()
    for instrument in instruments:
        instrument_items = [item for item in items if item.instrument_id == instrument.pk]
        if unit is not None and not instrument_items:
            continue  # The instrument asks nothing of this unit.
        part_unit_ids = instrument_unit_ids(instrument, instrument_items) & set(unit_by_pk)
        part_units = [reporting_unit for pk, reporting_unit in unit_by_pk.items() if pk in part_unit_ids]
        rows = rows_of(instrument_items, part_unit_ids, now)
        part = summarise(instrument, part_units, rows, by_pk, before, unit_by_pk, meeting.cutoff)
        part.narratives = [update for update in narratives if update.item.instrument_id == instrument.pk]
        for figure in part.by_unit:
            totals.update(figure.counts)
        parts.append(part)

    annexes = []
    for reporting_unit in report_units:
        unit_parts = []
        for part in parts:
            lines = [(row.item, row.cells[reporting_unit.pk]) for row in part.rows if reporting_unit.pk in row.cells]
            if lines:
                unit_parts.append((part.instrument, lines))
        annexes.append(UnitAnnex(unit=reporting_unit, parts=unit_parts))

    return Snapshot(
        meeting=meeting,
        previous_meeting=previous,
        language=language,
        unit=unit,
        units=report_units,
        parts=parts,
        annexes=annexes,
        totals=totals,
    )


def own_items(items: list[Item], unit_pk: int) -> list[Item]:
    """The unit's trackable items and the headings above them."""
    kept_paths = {item.path for item in items if item.kind in Item.TRACKABLE_KINDS and unit_pk in item.unit_ids}
    # A path is its ancestors' keys and its own, each followed by "/": its prefixes are its headings.
    heading_paths = set()
    for path in kept_paths:
        parts = path.split("/")[:-1]
        heading_paths.update("".join(f"{part}/" for part in parts[:depth]) for depth in range(1, len(parts)))
    return [
        item
        for item in items
        if item.path in kept_paths or (item.kind not in Item.TRACKABLE_KINDS and item.path in heading_paths)
    ]


def _is_overdue(item: Item, cell: Cell, day: datetime.date) -> bool:
    """Past its due date at the cut-off and not settled (completed, ongoing, not applicable)."""
    return (
        item.due is not None and item.due < day and item.due_precision != DuePrecision.ONGOING and not cell.is_settled
    )


def _is_due_soon(item: Item, cell: Cell, day: datetime.date, until: datetime.date) -> bool:
    return (
        item.due is not None
        and day <= item.due <= until
        and item.due_precision != DuePrecision.ONGOING
        and not cell.is_settled
    )


def _objective_label(item: Item) -> str:
    text = item.text.split("\n", 1)[0]
    return f"{item.code} {text}".strip() if item.code else text


def _issue(item: Item, by_pk: dict[int, Item]) -> Item | None:
    """The second-level heading above the item (issue 1.3, a section), if there is one."""
    chain = [item]
    while chain[-1].parent_id is not None:
        chain.append(by_pk[chain[-1].parent_id])
    if len(chain) >= 3 and chain[-2].kind not in Item.TRACKABLE_KINDS:
        return chain[-2]
    return None


def summarise(instrument, units, rows, by_pk, before, unit_by_pk, day, due_soon_until=None) -> InstrumentPart:
    """The figures and lists of one instrument from its rows' cells as at `day`.

    `before` holds the cells to compare with (an earlier cut-off); with `due_soon_until`, the items
    due between `day` and that date and not settled are listed too.
    """
    objective_counts: dict[int, Counter] = defaultdict(Counter)
    issue_counts: dict[int, Counter] = defaultdict(Counter)
    unit_counts: dict[int, Counter] = {reporting_unit.pk: Counter() for reporting_unit in units}
    high = Share(0, 0)
    overdue, high_gaps, changes, due_soon = [], [], [], []
    for row in rows:
        item = row.item
        if not row.trackable:
            continue
        numbered = item.kind in Item.NUMBERED_KINDS
        issue = _issue(item, by_pk) if numbered else None
        late, idle, soon = [], [], []
        for unit_pk, cell in row.cells.items():
            reporting_unit = unit_by_pk[unit_pk]
            previous = before.get((item.pk, unit_pk), Cell())
            # A change is an update's: a state derived from sub-items changes with theirs, listed.
            if not (previous.derived or cell.derived) and (
                previous.status != cell.status or previous.progress != cell.progress
            ):
                changes.append(Change(item=item, unit=reporting_unit, before=previous, after=cell))
            if not numbered:
                # Every figure and list of gaps counts activities; their sub-items roll up into them.
                continue
            objective_counts[_top_level(item, by_pk).pk][cell.status] += 1
            unit_counts[unit_pk][cell.status] += 1
            if issue is not None:
                issue_counts[issue.pk][cell.status] += 1
            if item.priority == Priority.HIGH:
                high.total += 1
                high.count += cell.has_progress
                if not cell.has_progress:
                    idle.append((reporting_unit, cell))
            if _is_overdue(item, cell, day):
                late.append((reporting_unit, cell))
            elif due_soon_until is not None and _is_due_soon(item, cell, day, due_soon_until):
                soon.append((reporting_unit, cell))
        if late:
            overdue.append(Gap(item=item, pairs=late))
        if idle:
            high_gaps.append(Gap(item=item, pairs=idle))
        if soon:
            due_soon.append(Gap(item=item, pairs=soon))
    objectives = [row.item for row in rows if row.item.parent_id is None]
    issues = [row.item for row in rows if row.item.pk in issue_counts]
    return InstrumentPart(
        instrument=instrument,
        units=units,
        rows=rows,
        by_objective=[
            Figure(label=_objective_label(objective), counts=objective_counts[objective.pk], item=objective)
            for objective in objectives
            if objective_counts[objective.pk]
        ],
        by_unit=[Figure(label=reporting_unit.name, counts=unit_counts[reporting_unit.pk]) for reporting_unit in units],
        high_priority=high,
        has_priorities=any(row.item.priority == Priority.HIGH and row.item.kind in Item.NUMBERED_KINDS for row in rows),
        narratives=[],
        overdue=overdue,
        high_without_progress=high_gaps,
        changes=changes,
        by_issue=[Figure(label=_objective_label(issue), counts=issue_counts[issue.pk], item=issue) for issue in issues],
        due_soon=due_soon,
    )
