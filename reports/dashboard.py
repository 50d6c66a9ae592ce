"""What a dashboard shows: the state of the instruments now, for the region or one reporting unit.

The state of an item in a unit is its accepted update in force (`Progress.current`); pending and
draft updates are not figures. A dashboard reads one row per item and unit, never the history, so
its cost does not grow with the years of updates behind it; only "latest accepted updates" and
"changes since the last meeting" touch the history, through indexes (see docs/benchmarks.md).

The figures are computed as in the meeting reports (reports.snapshot.summarise), with today in
place of a cut-off date; an activity with lettered sub-items takes its state from them
(actions.states.roll_up).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.models import (
    PRIORITY_RANK,
    Instrument,
    Item,
    Meeting,
    Profile,
    Progress,
    ReportingUnit,
    Role,
    Status,
    StatusUpdate,
)
from actions.states import roll_up, sub_items_of
from reports.charts import share_bar, status_bars
from reports.snapshot import (
    NO_REPORT,
    STATUS_ORDER,
    Cell,
    Change,
    Figure,
    Gap,
    InstrumentPart,
    Share,
    instrument_unit_ids,
    load_items,
    own_items,
    rows_of,
    states_at,
    summarise,
    units_of_instruments,
)

LATEST_UPDATES = 10


@dataclass
class Comparison:
    """One group's share of activities with progress in the unit and in the region."""

    label: str
    item: Item | None
    unit: Share
    region: Share


@dataclass
class StatusLine:
    """A row of the status table: a unit's (or the region's) counts, and the filters of its list.

    Without `scope`, the figures link nowhere: the person may not read the rows behind them.
    """

    label: str
    counts: Counter
    scope: dict | None
    unit: ReportingUnit | None = None

    @property
    def linked(self) -> bool:
        return self.scope is not None

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(status, self.counts[status]) for status in STATUS_ORDER]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ObjectiveLine:
    """A row of the table of objectives and issues, with the region's share for a unit dashboard."""

    part: InstrumentPart
    figure: Figure
    issue: bool
    region: Share | None = None


@dataclass
class UnitChanges:
    """What changed in one unit since the last meeting: activities and sub-items changed, of which
    the numbered activities reported for the first time and newly completed."""

    unit: ReportingUnit
    changed: int = 0
    activities: int = 0
    first_reported: int = 0
    completed: int = 0


@dataclass
class Dashboard:
    instruments: list[Instrument]
    # The instrument chosen, or None for all of them together.
    instrument: Instrument | None
    # The unit of a unit dashboard, or None for the region.
    unit: ReportingUnit | None
    units: list[ReportingUnit]
    today: datetime.date
    due_soon_until: datetime.date
    parts: list[InstrumentPart]
    totals: Counter
    # A unit dashboard only: the regional figures to compare with.
    region_totals: Counter | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    # The last meeting before today, and what changed since its cut-off.
    previous_meeting: Meeting | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def changes_by_unit(self) -> list["UnitChanges"]:
        """The changes since the last meeting counted per unit, for the region's dashboard."""
        by_unit = {each.pk: UnitChanges(unit=each) for each in self.units}
        for change in self.changes:
            counted = by_unit[change.unit.pk]
            counted.changed += 1
            if change.item.kind not in Item.NUMBERED_KINDS:
                continue
            counted.activities += 1
            if change.before.status == NO_REPORT:
                counted.first_reported += 1
            if change.after.status == Status.COMPLETED and change.before.status != Status.COMPLETED:
                counted.completed += 1
        return [counted for counted in by_unit.values() if counted.changed]

    @property
    def pair_count(self) -> int:
        return sum(self.totals.values())

    @property
    def with_progress(self) -> Share:
        return _share(self.totals, self.pair_count)

    @property
    def reported_count(self) -> int:
        return self.pair_count - self.totals[NO_REPORT]

    @property
    def overdue(self) -> list[Gap]:
        return _by_priority(gap for part in self.parts for gap in part.overdue)

    @property
    def due_soon(self) -> list[Gap]:
        return _by_priority(gap for part in self.parts for gap in part.due_soon)

    @property
    def overdue_count(self) -> int:
        return sum(len(gap.pairs) for gap in self.overdue)

    @property
    def due_soon_count(self) -> int:
        return sum(len(gap.pairs) for gap in self.due_soon)

    def counts_by_unit(self) -> list[tuple[ReportingUnit, Counter]]:
        """Each unit's status counts over all the instruments shown."""
        by_unit: dict[int, Counter] = {each.pk: Counter() for each in self.units}
        for part in self.parts:
            for each, figure in zip(part.units, part.by_unit, strict=True):
                by_unit[each.pk].update(figure.counts)
        return [(each, by_unit[each.pk]) for each in self.units]

    def objective_lines(self) -> list[list[ObjectiveLine]]:
        """Per part, its objectives and issues in the instrument's order."""
        regional = {comparison.item.pk: comparison.region for comparison in self.comparisons}
        lines = []
        for part in self.parts:
            figures = [(figure, False) for figure in part.by_objective] + [(figure, True) for figure in part.by_issue]
            figures.sort(key=lambda pair: (pair[0].item.sort_key, pair[0].item.depth))
            lines.append(
                [
                    ObjectiveLine(part=part, figure=figure, issue=issue, region=regional.get(figure.item.pk))
                    for figure, issue in figures
                ]
            )
        return lines

    @property
    def region_share(self) -> Share | None:
        if self.region_totals is None:
            return None
        return _share(self.region_totals, sum(self.region_totals.values()))


def _share(counts: Counter, total: int) -> Share:
    return Share(count=sum(counts[status] for status in ("in-progress", "completed", "ongoing")), total=total)


def _figure_share(figure: Figure | None) -> Share:
    return Share(0, 0) if figure is None else Share(figure.with_progress, figure.total)


def _by_priority(gaps) -> list[Gap]:
    """High priority first, then the earliest deadline, then the instruments' order."""
    return sorted(
        gaps,
        key=lambda gap: (
            PRIORITY_RANK.get(gap.item.priority, len(PRIORITY_RANK)),
            gap.item.due or datetime.date.max,
            gap.item.instrument.position,
            gap.item.sort_key,
        ),
    )


def current_states(items: list[Item], units: list[ReportingUnit]) -> dict[tuple[int, int], Cell]:
    """Per (item id, unit id), the accepted update in force now."""
    if not items or not units:
        return {}
    rows = Progress.objects.filter(
        item__instrument_id__in={item.instrument_id for item in items},
        unit__in=units,
        current__isnull=False,
    ).values_list("item_id", "unit_id", "current__status", "current__progress", "current__refers_to", "current_id")
    return {
        (item_id, unit_id): Cell(status=status, progress=progress, refers_to=refers_to, update_id=pk)
        for item_id, unit_id, status, progress, refers_to, pk in rows
    }


def latest_accepted(units: list[ReportingUnit], item_ids: list[int] | None, limit: int = LATEST_UPDATES):
    """The newest accepted updates of `units`, on the items of `item_ids` or (None) on any.

    Read backwards along the index on (state, reviewed_at): the items are compared
    as `item_id + 0`, an expression no index answers, so that no database is tempted to read every
    update of those items first and sort them (SQLite would, at a million updates).
    """
    updates = StatusUpdate.objects.accepted().filter(unit__in=units)
    if item_ids is not None:
        updates = updates.alias(item_number=F("item_id") + 0).filter(item_number__in=item_ids)
    return list(updates.select_related("item__instrument", "unit").order_by("-reviewed_at", "-pk")[:limit])


def latest_accepted_in(
    instruments: list[Instrument], instrument: Instrument | None, unit: ReportingUnit | None
) -> list[StatusUpdate]:
    """The newest accepted updates a dashboard lists: in the unit, or in the units of the instruments
    shown; with one instrument chosen, on its items only."""
    chosen = [instrument] if instrument is not None else instruments
    units = [unit] if unit is not None else units_of_instruments(chosen)
    item_ids = list(Item.objects.filter(instrument=instrument).values_list("pk", flat=True)) if instrument else None
    return latest_accepted(units, item_ids)


def focal_points_of(unit: ReportingUnit) -> list[Profile]:
    return list(
        Profile.objects.filter(role=Role.FOCAL_POINT, units=unit, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def build(
    instruments: list[Instrument],
    instrument: Instrument | None,
    unit: ReportingUnit | None,
    *,
    today: datetime.date | None = None,
    due_soon_days: int = 90,
) -> Dashboard:
    """The dashboard of `instrument` (or all `instruments`) for `unit` (or, with None, the region)."""
    today = today or timezone.localdate()
    due_soon_until = today + datetime.timedelta(days=due_soon_days)
    chosen = [instrument] if instrument is not None else sorted(instruments, key=lambda each: each.position)
    region_units = units_of_instruments(chosen)
    items = load_items(chosen)
    by_pk = {item.pk: item for item in items}
    applies = {
        each.pk: instrument_unit_ids(each, [item for item in items if item.instrument_id == each.pk]) for each in chosen
    }
    # The region's states are read once: a unit dashboard compares itself with them.
    tree = sub_items_of(items)
    now = roll_up(current_states(items, region_units), tree)

    def parts_for(units: list[ReportingUnit], shown_items: list[Item], before=None) -> list[InstrumentPart]:
        unit_by_pk = {each.pk: each for each in units}
        parts = []
        for each in chosen:
            own = [item for item in shown_items if item.instrument_id == each.pk]
            part_unit_ids = applies[each.pk] & set(unit_by_pk)
            if not own or not part_unit_ids:
                continue
            rows = rows_of(own, part_unit_ids, now)
            part_units = [each_unit for pk, each_unit in unit_by_pk.items() if pk in part_unit_ids]
            parts.append(summarise(each, part_units, rows, by_pk, before or {}, unit_by_pk, today, due_soon_until))
        return parts

    def totals_of(parts: list[InstrumentPart]) -> Counter:
        totals = Counter()
        for part in parts:
            for figure in part.by_unit:
                totals.update(figure.counts)
        return totals

    previous = Meeting.objects.filter(cutoff__lt=today).order_by("-cutoff", "-pk").first()
    if unit is None:
        before = roll_up(states_at(previous.cutoff, items, region_units), tree) if previous else {}
        parts = parts_for(region_units, items, before)
        return Dashboard(
            instruments=instruments,
            instrument=instrument,
            unit=None,
            units=region_units,
            today=today,
            due_soon_until=due_soon_until,
            parts=parts,
            totals=totals_of(parts),
            previous_meeting=previous,
            changes=[change for part in parts for change in part.changes] if previous else [],
        )

    unit_items = own_items(items, unit.pk)
    before = roll_up(states_at(previous.cutoff, unit_items, [unit]), tree) if previous else {}
    parts = parts_for([unit], unit_items, before)
    region_parts = parts_for(region_units, items)
    comparisons = []
    for part in parts:
        region_part = next(each for each in region_parts if each.instrument.pk == part.instrument.pk)
        region_figures = {figure.item.pk: figure for figure in region_part.by_objective + region_part.by_issue}
        for figure in part.by_objective + part.by_issue:
            comparisons.append(
                Comparison(
                    label=figure.label,
                    item=figure.item,
                    unit=_figure_share(figure),
                    region=_figure_share(region_figures.get(figure.item.pk)),
                )
            )
    comparisons.sort(key=lambda comparison: (comparison.item.instrument.position, comparison.item.sort_key))
    return Dashboard(
        instruments=instruments,
        instrument=instrument,
        unit=unit,
        units=[unit],
        today=today,
        due_soon_until=due_soon_until,
        parts=parts,
        totals=totals_of(parts),
        region_totals=totals_of(region_parts),
        comparisons=comparisons,
        previous_meeting=previous,
        changes=[change for part in parts for change in part.changes] if previous else [],
    )


# Charts are drawn as wide as a 320 px phone leaves them, so that none is scaled down below its
# 12 px text; their labels stand above the bars and wrap.
WEB_CHART_WIDTH = 288


def charts_for(board: Dashboard) -> dict:
    """The dashboard's SVG charts (reports.charts, as in the PDF reports), in the active language."""
    place = board.unit.name if board.unit else _("The whole region")
    charts = {
        "share": share_bar(
            board.with_progress.count,
            board.with_progress.total,
            title=_("Activities with progress"),
            label=f"{_('Activities with progress')}: {place}",
            width=WEB_CHART_WIDTH,
            chart_id="chart-share",
        ),
    }
    high = Share(
        sum(part.high_priority.count for part in board.parts), sum(part.high_priority.total for part in board.parts)
    )
    if high.total:
        charts["high"] = share_bar(
            high.count,
            high.total,
            title=_("High priority activities with progress"),
            label=f"{_('High priority activities with progress')}: {place}",
            width=WEB_CHART_WIDTH,
            chart_id="chart-high",
        )
    if board.unit is None:
        rows = [(each.name, counts) for each, counts in board.counts_by_unit()]
    else:
        rows = [(board.unit.name, board.totals), (_("The whole region"), board.region_totals)]
    charts["status"] = status_bars(
        rows,
        title=_("Status of activities by reporting unit"),
        width=WEB_CHART_WIDTH,
        labels_above=True,
        chart_id="chart-status",
    )
    charts["objectives"] = [
        status_bars(
            [(figure.label, figure.counts) for figure in part.by_objective],
            title=_("Status by objective: %(instrument)s") % {"instrument": part.instrument.short_title},
            width=WEB_CHART_WIDTH,
            labels_above=True,
            chart_id=f"chart-objectives-{part.instrument.slug}",
        )
        for part in board.parts
    ]
    return charts
