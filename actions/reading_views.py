"""The reading pages: the home page, an instrument's tree, the activity list and an activity's page."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from actions import data_version
from actions.filters import ItemFilter
from actions.models import (
    CrossReference,
    Instrument,
    Item,
    Progress,
    ReportingUnit,
    ResponsibleParty,
    StatusUpdate,
)
from actions.permissions import allowed, readable_unit_ids, writable_unit_ids, writable_units

ITEMS_PER_PAGE = 50


@data_version.conditional_page
def home(request: HttpRequest) -> HttpResponse:
    instruments = Instrument.objects.annotate(
        numbered_count=Count("items", filter=Q(items__kind__in=Item.NUMBERED_KINDS)),
        subitem_count=Count("items", filter=Q(items__kind=Item.Kind.SUBITEM)),
    )
    return render(request, "actions/home.html", {"instruments": instruments})


@data_version.conditional_page
def instrument_detail(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = get_object_or_404(Instrument, slug=slug)

    def draw_tree() -> str:
        items = list(instrument.items.order_by("sort_key", "depth"))
        children: dict[int | None, list[Item]] = {}
        for item in items:
            children.setdefault(item.parent_id, []).append(item)
        for item in items:
            item.child_items = children.get(item.pk, [])
        return render_to_string("actions/instrument_tree.html", {"roots": children.get(None, [])}, request)

    # Every reader sees the same tree: drawn once per language and data version.
    tree = data_version.cached_part("instrument-tree", (translation.get_language(), instrument.slug), draw_tree)
    return render(request, "actions/instrument_detail.html", {"instrument": instrument, "tree": mark_safe(tree)})


@data_version.conditional_page
def item_list(request: HttpRequest) -> HttpResponse:
    queryset = Item.objects.select_related("instrument").prefetch_related(
        Prefetch("responsible_parties", queryset=ResponsibleParty.objects.select_related("agency")),
        "applies_to",
    )
    # A focal point's list starts with the items of their own units; "unit=" (any unit) shows all.
    own_units = list(writable_units(request.user)) if "unit" not in request.GET else []
    data = request.GET
    if len(own_units) == 1:
        # The unit's own choice is selected in the form, where "any" is one choice away.
        data = request.GET.copy()
        data["unit"] = own_units[0].code
    elif own_units:
        links = Item.applies_to.through.objects.filter(item_id=OuterRef("pk"), reportingunit__in=own_units)
        queryset = queryset.filter(Exists(links))
    query = request.GET.copy()
    query.pop("page", None)
    every_unit = request.GET.copy()
    every_unit.pop("page", None)
    every_unit["unit"] = ""

    def draw_body() -> str:
        item_filter = ItemFilter(data, queryset=queryset, request=request)
        page = Paginator(item_filter.qs, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "filter": item_filter,
            "page": page,
            "query": query.urlencode(),
            "own_units": own_units,
            "every_unit_query": every_unit.urlencode(),
        }
        return render_to_string("actions/item_list_body.html", context, request)

    if request.GET.get("q", "").strip():
        # A search also matches the narratives of accepted updates the reader may read.
        body = draw_body()
    else:
        # The items and their reference data only: the same for every reader with the same units.
        varies_on = (translation.get_language(), sorted(request.GET.lists()), [unit.code for unit in own_units])
        body = data_version.cached_part("item-list", varies_on, draw_body)
    return render(request, "actions/item_list.html", {"body": mark_safe(body)})


def item_detail(request: HttpRequest, instrument: str, slug: str) -> HttpResponse:
    # An instrument is at most five levels deep (objective, issue, activity, sub-heading, sub-item):
    # the whole chain of parents comes in the same query.
    item = get_object_or_404(
        Item.objects.select_related("instrument", "parent__parent__parent__parent"),
        instrument__slug=instrument,
        slug=slug,
    )
    units = list(item.applies_to.all())

    def draw_reference() -> str:
        references = CrossReference.objects.select_related("target__instrument")
        context = {
            "item": item,
            "instrument": item.instrument,
            "ancestors": item.ancestors(),
            "children": item.children.prefetch_related(
                Prefetch("responsible_parties", queryset=ResponsibleParty.objects.select_related("agency"))
            ).order_by("sort_key", "depth"),
            "responsible_parties": item.responsible_parties.select_related("agency__country"),
            "units": units,
            "footnotes": item.footnotes.all(),
            "references": references.filter(source=item).order_by(
                "kind", "target__instrument__position", "target__sort_key"
            ),
            "referenced_by": CrossReference.objects.select_related("source__instrument")
            .filter(target=item)
            .exclude(kind=CrossReference.Kind.SAME_COMMITMENT)
            .order_by("source__sort_key"),
            "displayed_language": item.displayed_language(),
            "original_language": item.original_language,
        }
        return render_to_string("actions/item_reference.html", context, request)

    # The text, the parties, the timeline and the references: the same for every reader, drawn
    # once per language and data version (the path names the page whose original it links to).
    reference = data_version.cached_part(
        "item-reference", (translation.get_language(), item.pk, request.get_full_path()), draw_reference
    )
    context = {
        "item": item,
        "instrument": item.instrument,
        "reference": mark_safe(reference),
        "unit_progress": (
            unit_progress(request.user, item, units, request.GET.get("history", ""), request.GET.get("page", ""))
            if item.kind in Item.TRACKABLE_KINDS
            else None
        ),
    }
    return render(request, "actions/item_detail.html", context)


# The updates shown per unit on an activity's page; the rest are a link away.
RECENT_UPDATES = 5


def unit_progress(user, item: Item, units: list[ReportingUnit], history: str = "", page: str = "") -> list[dict]:
    """Each reporting unit of the item with its current status and the latest updates `user` may see.

    A unit's whole history, page by page, is shown for the unit whose code `history` names. Years
    of quarterly updates add up: the page reads a few per unit, not all of them.
    """
    readable, writable = readable_unit_ids(user), writable_unit_ids(user)
    if readable is not None and not readable and not writable and not settings.PUBLIC_PROGRESS:
        return []
    visible = StatusUpdate.objects.for_user(user).filter(item=item)
    counts = dict(visible.values_list("unit_id").annotate(count=Count("pk")).order_by())
    pending = set(visible.filter(state=StatusUpdate.State.SUBMITTED).values_list("unit_id", flat=True))
    recent = (
        visible.annotate(
            recency=Window(RowNumber(), partition_by=[F("unit_id")], order_by=[F("created_at").desc(), F("pk").desc()])
        )
        .filter(recency__lte=RECENT_UPDATES)
        .select_related("author")
        .prefetch_related("evidence")
        .order_by("unit_id", "recency")
    )
    by_unit: dict[int, list[StatusUpdate]] = {}
    for update in recent:
        by_unit.setdefault(update.unit_id, []).append(update)
    progress = {row.unit_id: row for row in Progress.objects.filter(item=item).select_related("current")}
    rows = []
    for unit in units:
        may_read = readable is None or unit.pk in readable or settings.PUBLIC_PROGRESS
        if not (may_read or unit.pk in writable):
            continue
        current = progress[unit.pk].current if unit.pk in progress else None
        if current is not None and not allowed(user, "actions.view_update", current):
            current = None
        row = {
            "unit": unit,
            "current": current,
            "pending": unit.pk in pending,
            "updates": by_unit.get(unit.pk, []),
            "count": counts.get(unit.pk, 0),
            "can_report": unit.pk in writable,
            "history": None,
        }
        if history == unit.code:
            whole = (
                visible.filter(unit=unit)
                .select_related("author")
                .prefetch_related("evidence")
                .order_by("-created_at", "-pk")
            )
            row["history"] = Paginator(whole, 50).get_page(page)
            row["updates"] = list(row["history"])
        rows.append(row)
    return rows
