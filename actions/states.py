"""The state of an item in a reporting unit, and how lettered sub-items roll up into their activity.

Every page, report and export that shows a state reads it through `roll_up`, so the same question
gets the same answer everywhere (docs/dashboards.md, "Sub-items roll up into their activity").

A state is a `Cell`: the status, percentage and date of the update in force, or "no report". Much
of the work is reported on the lettered sub-items of an activity (CAMI 2.2.1 (b), (d)). An activity
with sub-items in a unit takes its state from them, unless an update of its own refers to work at
least as recent as theirs:

- the sub-items marked not applicable are set aside; if that leaves none, the activity is not
  applicable;
- all the others completed, ongoing or not applicable: ongoing if any is ongoing, else completed;
- otherwise, any of them in progress, completed or ongoing: in progress;
- otherwise the most advanced of delayed, planned and not started, in that order;
- the percentage is the average over the sub-items not set aside, a completed one counting 100
  and one without a percentage 0, rounded to a whole number; none when no sub-item gave a
  percentage or was completed;
- the date is the newest of the sub-items' dates.

A derived state says so (`from_sub_items`: how many of the sub-items have a state, of how many),
and every place that shows one marks it.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import translation

from actions.models import Item, Status
from actions.models.progress import PROGRESS_STATUSES, SETTLED_STATUSES

# The status key of an item a unit has not reported on.
NO_REPORT = "none"
# The order of statuses in figures and legends, "no report" last.
STATUS_ORDER = (*Status.values, NO_REPORT)


def status_label(status: str) -> str:
    if status == NO_REPORT:
        return str(translation.pgettext("status", "No report"))
    return str(Status(status).label)


@dataclass(frozen=True)
class Cell:
    """One item in one unit: the update in force, if any, or the state its sub-items give it."""

    status: str = NO_REPORT
    progress: int | None = None
    refers_to: datetime.date | None = None
    update_id: int | None = None
    # For a state that comes from the activity's sub-items: (sub-items with a state, sub-items).
    from_sub_items: tuple[int, int] | None = None

    @property
    def reported(self) -> bool:
        return self.status != NO_REPORT

    @property
    def has_progress(self) -> bool:
        return self.status in PROGRESS_STATUSES

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED_STATUSES

    @property
    def derived(self) -> bool:
        return self.from_sub_items is not None

    @property
    def label(self) -> str:
        return status_label(self.status)

    @property
    def derived_note(self) -> str:
        """What a derived state says of itself, in the active language ("" for an update's own)."""
        if self.from_sub_items is None:
            return ""
        reported, total = self.from_sub_items
        return translation.ngettext(
            "from its sub-items: %(reported)s of %(total)s reported",
            "from its sub-items: %(reported)s of %(total)s reported",
            total,
        ) % {"reported": reported, "total": total}


def combine(own: Cell, sub_items: list[Cell]) -> Cell:
    """The state of an activity in a unit from its own (`own`) and its sub-items' there: the rule."""
    reported = [cell for cell in sub_items if cell.reported]
    if not reported:
        return own
    newest = max(cell.refers_to or datetime.date.min for cell in reported)
    if own.reported and (own.refers_to or datetime.date.min) >= newest:
        return own
    counted = [cell for cell in sub_items if cell.status != Status.NOT_APPLICABLE]
    statuses = {cell.status for cell in counted}
    if not counted:
        status = Status.NOT_APPLICABLE
    elif all(cell.is_settled for cell in counted):
        status = Status.ONGOING if Status.ONGOING in statuses else Status.COMPLETED
    elif any(cell.has_progress for cell in counted):
        status = Status.IN_PROGRESS
    else:
        status = next(
            (each for each in (Status.DELAYED, Status.PLANNED) if each in statuses),
            Status.NOT_STARTED,
        )
    progress = None
    if any(cell.status == Status.COMPLETED or cell.progress is not None for cell in counted):
        values = [100 if cell.status == Status.COMPLETED else (cell.progress or 0) for cell in counted]
        # Half up, as people round: 12.5 is 13 (Python's round would give 12).
        progress = int(sum(values) / len(values) + 0.5)
    return Cell(
        status=str(status),
        progress=progress,
        refers_to=None if newest == datetime.date.min else newest,
        from_sub_items=(len(reported), len(sub_items)),
    )


@dataclass
class SubItems:
    """Which lettered sub-items each activity has, and in which units each applies."""

    # activity id -> the ids of the units the activity applies to.
    activity_units: dict[int, frozenset[int]]
    # activity id -> [(sub-item id, the ids of the units it applies to)], in the instrument's order.
    sub_items: dict[int, list[tuple[int, frozenset[int]]]]
    # sub-item id -> its activity's id.
    parents: dict[int, int] = field(init=False)

    def __post_init__(self):
        self.parents = {pk: activity for activity, pairs in self.sub_items.items() for pk, _units in pairs}

    def of(self, activity_id: int, unit_id: int) -> list[int]:
        """The ids of the activity's sub-items that apply in the unit."""
        return [pk for pk, units in self.sub_items.get(activity_id, ()) if unit_id in units]


def sub_items_of(items: list[Item]) -> SubItems:
    """The tree of `items` (each with `unit_ids`, as reports.snapshot.load_items gives them, and with
    every heading between a sub-item and its activity among them)."""
    by_pk = {item.pk: item for item in items}
    activity_units, sub_items = {}, defaultdict(list)
    for item in items:
        if item.kind != Item.Kind.SUBITEM:
            continue
        activity = _activity_above(item, by_pk)
        if activity is None:
            continue
        activity_units[activity.pk] = frozenset(activity.unit_ids)
        sub_items[activity.pk].append((item.pk, frozenset(item.unit_ids)))
    return SubItems(activity_units=activity_units, sub_items=dict(sub_items))


def load_sub_items(instrument_ids=None) -> SubItems:
    """The tree of sub-items from the database, for pages that do not load whole instruments: two
    small queries whatever the history (a sub-item hangs from its activity, or from a sub-heading
    of it, as the instruments are loaded)."""
    sub_items = Item.objects.filter(kind=Item.Kind.SUBITEM)
    if instrument_ids is not None:
        sub_items = sub_items.filter(instrument_id__in=instrument_ids)
    parents = {}
    for pk, parent_id, parent_kind, grandparent_id in sub_items.order_by("sort_key", "depth", "pk").values_list(
        "pk", "parent_id", "parent__kind", "parent__parent_id"
    ):
        activity = parent_id if parent_kind in Item.NUMBERED_KINDS else grandparent_id
        if activity is not None:
            parents[pk] = activity
    unit_ids = defaultdict(set)
    links = Item.applies_to.through.objects.filter(item_id__in=[*parents, *set(parents.values())])
    for item_id, unit_id in links.values_list("item_id", "reportingunit_id"):
        unit_ids[item_id].add(unit_id)
    tree = defaultdict(list)
    for pk, activity in parents.items():
        tree[activity].append((pk, frozenset(unit_ids[pk])))
    return SubItems(activity_units={activity: frozenset(unit_ids[activity]) for activity in tree}, sub_items=dict(tree))


def _activity_above(item: Item, by_pk: dict[int, Item]) -> Item | None:
    """The nearest numbered activity above a sub-item (across a sub-heading such as "Fences")."""
    parent = by_pk.get(item.parent_id)
    while parent is not None and parent.kind not in Item.NUMBERED_KINDS:
        parent = by_pk.get(parent.parent_id)
    return parent


def roll_up(cells: dict[tuple[int, int], Cell], tree: SubItems) -> dict[tuple[int, int], Cell]:
    """`cells` (per (item id, unit id); a missing pair is "no report") with each activity's state
    replaced by the one `combine` gives it from its sub-items, where they have any state."""
    pairs = {
        (tree.parents[item_id], unit_id)
        for (item_id, unit_id), cell in cells.items()
        if cell.reported and item_id in tree.parents
    }
    if not pairs:
        return cells
    result = dict(cells)
    for activity_id, unit_id in pairs:
        if unit_id not in tree.activity_units[activity_id]:
            continue
        own = cells.get((activity_id, unit_id), Cell())
        sub_cells = [cells.get((pk, unit_id), Cell()) for pk in tree.of(activity_id, unit_id)]
        result[(activity_id, unit_id)] = combine(own, sub_cells)
    return result
