"""The list behind every dashboard figure: activities x reporting units with their state now.

One row per item and unit it applies to, with the accepted update in force (or "no report"), an
activity with lettered sub-items taking its state from them (actions.states.roll_up), so that a
figure and the rows behind it agree. The filters travel in the URL, so a dashboard figure links to
its rows and a filtered view can be shared or exported.

The database filters what does not depend on a state; status and deadline, which do, are filtered
on the rows' rolled-up states. The rows are at most the items times the units, whatever the
history.
"""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from actions.filters import HEADING_KINDS, HeadingFilter, Level, level_filter
from actions.models import Agency, DuePrecision, Instrument, Item, Priority, Progress, ResponsibleParty, Status
from actions.states import NO_REPORT, Cell, load_sub_items, roll_up


def progress_rows(units):
    """Every trackable item once per unit of `units` it applies to, with its current state."""
    current = Progress.objects.filter(item=OuterRef("pk"), unit=OuterRef("unit_pk"))
    return (
        Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to__in=units)
        .annotate(
            unit_pk=F("applies_to"),
            unit_position=F("applies_to__position"),
            current_status=Coalesce(Subquery(current.values("current__status")[:1]), Value(NO_REPORT)),
            current_progress=Subquery(current.values("current__progress")[:1]),
            current_refers_to=Subquery(current.values("current__refers_to")[:1]),
            accepted_at=Subquery(current.values("current__reviewed_at")[:1]),
        )
        .select_related("instrument")
    )


def with_states(rows: list[Item], unit_ids: list[int]) -> list[Item]:
    """`rows` (from progress_rows) each with `cell`: its state, rolled up from its sub-items."""
    cells = {
        (row.pk, row.unit_pk): Cell(
            status=row.current_status,
            progress=row.current_progress,
            refers_to=row.current_refers_to,
        )
        for row in rows
        if row.current_status != NO_REPORT
    }
    tree = load_sub_items()
    # An activity's sub-items may not be among the rows (the list shows activities by default):
    # the states of the rows' activities' sub-items, in one query whatever the rows (the 0, no
    # item's id, keeps the query when there is none, so that a page costs the same queries always).
    sub_item_ids = [pk for row in rows for pk, _units in tree.sub_items.get(row.pk, ())]
    for item_id, unit_id, status, progress, refers_to in Progress.objects.filter(
        item_id__in=[*set(sub_item_ids), 0], unit_id__in=unit_ids, current__isnull=False
    ).values_list("item_id", "unit_id", "current__status", "current__progress", "current__refers_to"):
        cells[(item_id, unit_id)] = Cell(status=status, progress=progress, refers_to=refers_to)
    cells = roll_up(cells, tree)
    for row in rows:
        row.cell = cells.get((row.pk, row.unit_pk), Cell())
        if row.cell.derived:
            row.accepted_at = None  # no one update is in force: the sub-items' are
    return rows


class Deadline:
    OVERDUE = "overdue"
    DUE_SOON = "due-soon"
    WITHIN_YEAR = "within-year"
    NONE = "none"

    CHOICES = (
        (OVERDUE, _("Overdue")),
        (DUE_SOON, _("Due soon")),
        (WITHIN_YEAR, _("Due within a year")),
        (NONE, _("No deadline")),
    )


class ProgressFilter(django_filters.FilterSet):
    instrument = django_filters.ModelChoiceFilter(
        label=_("Instrument"), queryset=Instrument.objects.all(), to_field_name="slug"
    )
    within = HeadingFilter(
        label=_("Objective, issue or section"),
        queryset=Item.objects.filter(kind__in=HEADING_KINDS)
        .exclude(kind=Item.Kind.SUBHEADING)
        .select_related("instrument"),
        method="filter_within",
    )
    priority = django_filters.MultipleChoiceFilter(label=pgettext_lazy("field", "Priority"), choices=Priority.choices)
    # Status and deadline depend on the rolled-up states: `rows` applies them.
    status = django_filters.MultipleChoiceFilter(
        label=pgettext_lazy("field", "Status"),
        choices=[*Status.choices, (NO_REPORT, pgettext_lazy("status", "No report"))],
        method="filter_on_states",
    )
    unit = django_filters.MultipleChoiceFilter(label=_("Reporting unit"), method="filter_unit")
    agency_kind = django_filters.ChoiceFilter(
        label=_("Kind of agency"), choices=Agency.Kind.choices, method="filter_agency_kind"
    )
    deadline = django_filters.ChoiceFilter(label=_("Deadline"), choices=Deadline.CHOICES, method="filter_deadline")
    level = level_filter()

    class Meta:
        model = Item
        fields = []

    def __init__(self, data=None, *args, units=(), today: datetime.date | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.units = list(units)
        self.today = today or timezone.localdate()
        self.filters["unit"].extra["choices"] = [(unit.code, unit.name) for unit in self.units]
        # Small screens and long lists: the multiple choices as checkboxes, not a tall select box.
        for name in ("priority", "status", "unit"):
            self.filters[name].extra["widget"] = forms.CheckboxSelectMultiple

    def filter_within(self, queryset, name, heading):
        return queryset.within(heading)

    def filter_unit(self, queryset, name, codes):
        return queryset.filter(unit_pk__in=[unit.pk for unit in self.units if unit.code in codes])

    def filter_agency_kind(self, queryset, name, kind):
        return queryset.filter(Exists(ResponsibleParty.objects.filter(item=OuterRef("pk"), agency__kind=kind)))

    def filter_on_states(self, queryset, name, value):
        return queryset  # applied in `rows`

    def filter_deadline(self, queryset, name, window):
        if window == Deadline.NONE:
            return queryset.filter(Q(due__isnull=True) | Q(due_precision=DuePrecision.ONGOING))
        open_ = queryset.filter(due__isnull=False).exclude(due_precision=DuePrecision.ONGOING)
        if window == Deadline.OVERDUE:
            return open_.filter(due__lt=self.today)
        days = settings.DUE_SOON_DAYS if window == Deadline.DUE_SOON else 365
        return open_.filter(due__gte=self.today, due__lte=self.today + datetime.timedelta(days=days))

    @property
    def qs(self):
        """The rows the database can choose: every filter but the states'."""
        queryset = super().qs
        if self.is_bound and not self.form.is_valid():
            # The form says what is wrong; a list ignoring the bad filter would look like an answer.
            return queryset.none()
        data = self.form.cleaned_data if self.is_bound else {}
        # As the figures count by default: activities, their sub-items rolled up into them.
        queryset = Level.apply(queryset, data.get("level") or Level.ACTIVITIES)
        return queryset.order_by("instrument__position", "sort_key", "depth", "unit_position", "unit_pk")

    def rows(self):
        """The rows of the list, each with its rolled-up state (`cell`), filtered on it.

        Without a filter on states, the database counts and pages the rows and only the rows read
        get their states (RowsWithStates). With one, the rows that could match are narrowed in the
        database (their own status matches, or they are activities with sub-items, whose state may
        come from them) and then filtered on their rolled-up states.
        """
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        statuses = set(data.get("status") or ())
        open_only = data.get("deadline") in (Deadline.OVERDUE, Deadline.DUE_SOON, Deadline.WITHIN_YEAR)
        unit_ids = [unit.pk for unit in self.units]
        if not statuses and not open_only:
            return RowsWithStates(self.qs, unit_ids)
        queryset = self.qs
        activities_with_sub_items = Item.objects.filter(kind__in=Item.NUMBERED_KINDS, children__isnull=False)
        if statuses:
            queryset = queryset.filter(
                Q(current_status__in=statuses) | Q(pk__in=activities_with_sub_items.values("pk"))
            )
        rows = with_states(list(queryset), unit_ids)
        if statuses:
            rows = [row for row in rows if row.cell.status in statuses]
        if open_only:
            rows = [row for row in rows if not row.cell.is_settled]
        return rows


class RowsWithStates:
    """The rows of a queryset as a sequence that the paginator counts and slices in the database,
    each slice read with its rolled-up states."""

    def __init__(self, queryset, unit_ids: list[int]):
        self.queryset = queryset
        self.unit_ids = unit_ids

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return with_states(list(self.queryset[index]), self.unit_ids)
        return with_states([self.queryset[index]], self.unit_ids)[0]

    def __iter__(self):
        return iter(with_states(list(self.queryset), self.unit_ids))
