import django_filters
from django.db.models import Case, F, IntegerField, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from actions.forms import BoundedModelChoiceField
from actions.models import Agency, Instrument, Item, Priority, ReportingUnit

HEADING_KINDS = (Item.Kind.OBJECTIVE, Item.Kind.ISSUE, Item.Kind.SECTION, Item.Kind.SOLUTION, Item.Kind.SUBHEADING)


class Level:
    """Which trackable items a list shows: one choice, not several."""

    ACTIVITIES = "activities"
    SUB_ITEMS = "sub-items"
    BOTH = "both"

    CHOICES = (
        (ACTIVITIES, _("Numbered activities")),
        (SUB_ITEMS, _("Lettered sub-items")),
        (BOTH, _("Activities and sub-items")),
    )

    @classmethod
    def apply(cls, queryset, level: str):
        if level == cls.ACTIVITIES:
            return queryset.numbered()
        if level == cls.SUB_ITEMS:
            return queryset.filter(kind=Item.Kind.SUBITEM)
        return queryset.filter(kind__in=Item.TRACKABLE_KINDS)

    @classmethod
    def from_kinds(cls, kinds: list[str]) -> str:
        """The level an address of the former multiple choice (?kind=subitem&kind=activity) meant."""
        if Item.Kind.SUBITEM not in kinds:
            return cls.ACTIVITIES
        return cls.SUB_ITEMS if set(kinds) == {Item.Kind.SUBITEM} else cls.BOTH


def level_filter(empty_label=None):
    """The choice of level; the filter set's `qs` applies it, knowing the default."""
    return django_filters.ChoiceFilter(
        label=_("Level"),
        choices=Level.CHOICES,
        method=lambda queryset, name, value: queryset,
        empty_label=empty_label,
    )


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
    level = level_filter(empty_label=_("Activities, and sub-items in a search"))
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

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        self.user = getattr(request, "user", None)

    def search(self, queryset, name, value):
        from actions.search import matching_item_ids

        value = value.strip()
        if not value:
            return queryset
        # Exact code matches first, then codes that start with it (2.2.1, then 2.2.1 (a)...).
        rank = Case(
            When(code__iexact=value, then=Value(0)),
            When(code__istartswith=value, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return queryset.filter(pk__in=matching_item_ids(value, self.user)).annotate(search_rank=rank)

    def filter_within(self, queryset, name, heading):
        return queryset.within(heading)

    @property
    def qs(self):
        queryset = super().qs
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        level = data.get("level")
        former_kinds = self.data.getlist("kind") if hasattr(self.data, "getlist") else []
        if not level and former_kinds:
            level = Level.from_kinds(former_kinds)
        if not level:
            # A search looks for the work wherever it is reported; a plain list shows activities.
            level = Level.BOTH if (data.get("q") or "").strip() else Level.ACTIVITIES
        queryset = Level.apply(queryset, level)
        if (data.get("q") or "").strip() and not data.get("order"):
            queryset = queryset.order_by("search_rank", "instrument__position", "sort_key", "depth")
        return queryset

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.with_priority_rank())
