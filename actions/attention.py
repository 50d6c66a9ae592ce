"""What needs an update: the reading behind "My reporting" and the reminders.

An item of a unit needs attention when its latest update was returned, when it is overdue or due
soon and not settled (completed, ongoing or not applicable), or, for a numbered activity, when the
unit has never reported on it. Items whose latest update is pending review wait for the Secretariat.
An activity with lettered sub-items takes its state from their latest updates by the rule of
actions.states: reported sub-items mean it is not "no update yet", and it is settled when they are.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from actions.models import PRIORITY_RANK, Item, Progress, ReportingUnit, StatusUpdate
from actions.states import Cell, load_sub_items, roll_up


class Reason:
    RETURNED = "returned"
    OVERDUE = "overdue"
    DUE_SOON = "due-soon"
    NONE_YET = "none-yet"

    ORDER = (RETURNED, OVERDUE, DUE_SOON, NONE_YET)
    LABELS = {
        RETURNED: _("Returned to you"),
        OVERDUE: _("Overdue"),
        DUE_SOON: _("Due soon"),
        NONE_YET: _("No update yet"),
    }


@dataclass
class Attention:
    item: Item
    unit: ReportingUnit
    progress: Progress | None
    reasons: list[str] = field(default_factory=list)
    # The state of the latest update, or for an activity the one its sub-items give it.
    state: Cell = field(default_factory=Cell)
    # For an activity with sub-items in the unit: [(sub-item, its state)], those with one.
    sub_items: list[tuple[Item, Cell]] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.progress.version if self.progress else 0

    @property
    def latest(self) -> StatusUpdate | None:
        return self.progress.latest if self.progress else None

    @property
    def current(self) -> StatusUpdate | None:
        return self.progress.current if self.progress else None

    @property
    def reason_labels(self) -> list[str]:
        return [Reason.LABELS[reason] for reason in self.reasons]

    def sort_key(self):
        return (
            PRIORITY_RANK.get(self.item.priority, len(PRIORITY_RANK)),
            min(Reason.ORDER.index(reason) for reason in self.reasons),
            self.item.instrument.position,
            self.item.sort_key,
            self.unit.position,
        )


def needing_attention(
    units, *, today: datetime.date, due_soon_days: int, reasons: tuple[str, ...] = Reason.ORDER
) -> list[Attention]:
    """The items of `units` that need an update, high priority first."""
    units_by_pk = {unit.pk: unit for unit in units}
    if not units_by_pk:
        return []
    pairs = (
        Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__in=units_by_pk)
        .annotate(unit_pk=F("applies_to"))
        .select_related("instrument")
    )
    progress = {
        (row.item_id, row.unit_id): row
        for row in Progress.objects.filter(unit__in=units_by_pk).select_related("latest", "current")
    }
    pairs = list(pairs)
    latest_cells = {
        key: Cell(status=row.latest.status, progress=row.latest.progress, refers_to=row.latest.refers_to)
        for key, row in progress.items()
        if row.latest is not None
    }
    tree = load_sub_items({item.instrument_id for item in pairs})
    states = roll_up(latest_cells, tree)
    items_by_pk = {item.pk: item for item in pairs}
    due_soon_until = today + datetime.timedelta(days=due_soon_days)
    found = []
    for item in pairs:
        row = progress.get((item.pk, item.unit_pk))
        latest = row.latest if row else None
        state = states.get((item.pk, item.unit_pk), Cell())
        entry = Attention(item=item, unit=units_by_pk[item.unit_pk], progress=row, state=state)
        entry.sub_items = [
            (items_by_pk[pk], latest_cells[(pk, item.unit_pk)])
            for pk in tree.of(item.pk, item.unit_pk)
            if (pk, item.unit_pk) in latest_cells and pk in items_by_pk
        ]
        if not state.reported:
            if item.kind in Item.NUMBERED_KINDS:
                entry.reasons.append(Reason.NONE_YET)
        elif latest is not None and latest.state == StatusUpdate.State.RETURNED:
            entry.reasons.append(Reason.RETURNED)
        if item.due and not state.is_settled:
            if item.due < today:
                entry.reasons.append(Reason.OVERDUE)
            elif item.due <= due_soon_until:
                entry.reasons.append(Reason.DUE_SOON)
        entry.reasons = [reason for reason in Reason.ORDER if reason in entry.reasons and reason in reasons]
        if entry.reasons:
            found.append(entry)
    found.sort(key=Attention.sort_key)
    return found
