"""The list behind every dashboard figure: activities x reporting units with their state now.

One row per item and unit it applies to, with the accepted update in force (or "no report"). The
filters travel in the URL, so a dashboard figure links to its rows and a filtered view can be
shared or exported.
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

from actions.filters import HEADING_KINDS, HeadingFilter
from actions.models import Agency, DuePrecision, Instrument, Item, Priority, Progress, ResponsibleParty, Status
from actions.models.progress import SETTLED_STATUSES
from reports.snapshot import NO_REPORT


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
    status = django_filters.MultipleChoiceFilter(
        label=pgettext_lazy("field", "Status"),
        choices=[*Status.choices, (NO_REPORT, pgettext_lazy("status", "No report"))],
        field_name="current_status",
    )
    unit = django_filters.MultipleChoiceFilter(label=_("Reporting unit"), method="filter_unit")
    agency_kind = django_filters.ChoiceFilter(
        label=_("Kind of agency"), choices=Agency.Kind.choices, method="filter_agency_kind"
    )
    deadline = django_filters.ChoiceFilter(label=_("Deadline"), choices=Deadline.CHOICES, method="filter_deadline")
    kind = django_filters.MultipleChoiceFilter(
        label=_("Level"),
        choices=[(kind, label) for kind, label in Item.Kind.choices if kind in Item.TRACKABLE_KINDS],
        method="filter_kind",
    )

    class Meta:
        model = Item
        fields = []

    def __init__(self, data=None, *args, units=(), today: datetime.date | None = None, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.units = list(units)
        self.today = today or timezone.localdate()
        self.filters["unit"].extra["choices"] = [(unit.code, unit.name) for unit in self.units]
        # Small screens and long lists: the multiple choices as checkboxes, not a tall select box.
        for name in ("priority", "status", "unit", "kind"):
            self.filters[name].extra["widget"] = forms.CheckboxSelectMultiple

    def filter_within(self, queryset, name, heading):
        return queryset.within(heading)

    def filter_unit(self, queryset, name, codes):
        return queryset.filter(unit_pk__in=[unit.pk for unit in self.units if unit.code in codes])

    def filter_agency_kind(self, queryset, name, kind):
        return queryset.filter(Exists(ResponsibleParty.objects.filter(item=OuterRef("pk"), agency__kind=kind)))

    def filter_kind(self, queryset, name, kinds):
        return queryset.filter(kind__in=kinds)

    def filter_deadline(self, queryset, name, window):
        if window == Deadline.NONE:
            return queryset.filter(Q(due__isnull=True) | Q(due_precision=DuePrecision.ONGOING))
        open_ = queryset.filter(due__isnull=False).exclude(due_precision=DuePrecision.ONGOING)
        open_ = open_.exclude(current_status__in=SETTLED_STATUSES)
        if window == Deadline.OVERDUE:
            return open_.filter(due__lt=self.today)
        days = settings.DUE_SOON_DAYS if window == Deadline.DUE_SOON else 365
        return open_.filter(due__gte=self.today, due__lte=self.today + datetime.timedelta(days=days))

    @property
    def qs(self):
        queryset = super().qs
        if self.is_bound and not self.form.is_valid():
            # The form says what is wrong; a list ignoring the bad filter would look like an answer.
            return queryset.none()
        data = self.form.cleaned_data if self.is_bound else {}
        if not data.get("kind") and not data.get("deadline"):
            # Figures count numbered activities; the lists of deadlines count sub-items too.
            queryset = queryset.numbered()
        return queryset.order_by("instrument__position", "sort_key", "depth", "unit_position", "unit_pk")
