import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from actions.forms import BoundedModelChoiceField
from actions.models import Agency, Instrument, Item, Priority, ReportingUnit

HEADING_KINDS = (Item.Kind.OBJECTIVE, Item.Kind.ISSUE, Item.Kind.SECTION, Item.Kind.SOLUTION, Item.Kind.SUBHEADING)


class HeadingChoiceField(BoundedModelChoiceField, django_filters.fields.ModelChoiceField):
    """A heading chosen by id; an id no column could hold is an invalid choice, not an overflow."""

    def label_from_instance(self, item):
        label = item.code or item.text
        return f"{item.instrument.short_name or item.instrument.short_title} · {label} {item.text if item.code else ''}".strip()[
            :110
        ]


class HeadingFilter(django_filters.ModelChoiceFilter):
    field_class = HeadingChoiceField


class ItemOrdering(django_filters.OrderingFilter):
    """Sorts by the chosen column; items without a value go last and ties keep the instruments' order."""

    def filter(self, queryset, value):
        ordering = []
        for param in value or []:
            field = self.get_ordering_value(param)
            descending = field.startswith("-")
            expression = F(field.lstrip("-"))
            ordering.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
        return queryset.order_by(*ordering, "instrument__position", "sort_key", "depth")


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
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
    agency = django_filters.ModelChoiceFilter(
        label=_("Responsible agency"),
        queryset=lambda request: Agency.objects.alphabetical(),
        to_field_name="key",
        field_name="agencies",
        distinct=True,
    )
    agency_kind = django_filters.ChoiceFilter(
        label=_("Kind of agency"), choices=Agency.Kind.choices, field_name="agencies__kind", distinct=True
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("Reporting unit"),
        queryset=lambda request: ReportingUnit.objects.alphabetical(),
        to_field_name="code",
        field_name="applies_to",
    )
    kind = django_filters.MultipleChoiceFilter(
        label=_("Level"),
        choices=[(kind, label) for kind, label in Item.Kind.choices if kind in Item.TRACKABLE_KINDS],
        method="filter_kind",
    )
    order = ItemOrdering(
        label=_("Sort by"),
        fields=(("sort_key", "code"), ("priority_rank", "priority"), ("due", "due")),
        field_labels={
            "code": _("Code"),
            "-code": _("Code (descending)"),
            "priority": _("Priority, highest first"),
            "-priority": _("Priority, lowest first"),
            "due": _("Due date, earliest first"),
            "-due": _("Due date, latest first"),
        },
    )

    class Meta:
        model = Item
        fields = []

    def search(self, queryset, name, value):
        return queryset.search(value.strip()) if value.strip() else queryset

    def filter_within(self, queryset, name, heading):
        return queryset.within(heading)

    def filter_kind(self, queryset, name, kinds):
        return queryset.filter(kind__in=kinds)

    @property
    def qs(self):
        queryset = super().qs
        if self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("kind"):
            return queryset
        return queryset.numbered()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.with_priority_rank())
