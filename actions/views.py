from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from actions.filters import ItemFilter
from actions.models import CrossReference, Instrument, Item, ResponsibleParty

ITEMS_PER_PAGE = 50


def home(request: HttpRequest) -> HttpResponse:
    instruments = Instrument.objects.annotate(
        numbered_count=Count("items", filter=Q(items__kind__in=Item.NUMBERED_KINDS)),
        subitem_count=Count("items", filter=Q(items__kind=Item.Kind.SUBITEM)),
    )
    return render(request, "actions/home.html", {"instruments": instruments})


def instrument_detail(request: HttpRequest, slug: str) -> HttpResponse:
    instrument = get_object_or_404(Instrument, slug=slug)
    items = list(instrument.items.order_by("sort_key", "depth"))
    children: dict[int | None, list[Item]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    for item in items:
        item.child_items = children.get(item.pk, [])
    return render(
        request,
        "actions/instrument_detail.html",
        {"instrument": instrument, "roots": children.get(None, []), "item_count": len(items)},
    )


def item_list(request: HttpRequest) -> HttpResponse:
    queryset = Item.objects.select_related("instrument").prefetch_related(
        Prefetch("responsible_parties", queryset=ResponsibleParty.objects.select_related("agency")),
        "applies_to",
    )
    item_filter = ItemFilter(request.GET, queryset=queryset, request=request)
    page = Paginator(item_filter.qs, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "actions/item_list.html",
        {"filter": item_filter, "page": page, "query": query.urlencode()},
    )


def item_detail(request: HttpRequest, instrument: str, slug: str) -> HttpResponse:
    # An instrument is at most five levels deep (objective, issue, activity, sub-heading, sub-item):
    # the whole chain of parents comes in the same query.
    item = get_object_or_404(
        Item.objects.select_related("instrument", "parent__parent__parent__parent"),
        instrument__slug=instrument,
        slug=slug,
    )
    references = CrossReference.objects.select_related("target__instrument")
    context = {
        "item": item,
        "instrument": item.instrument,
        "ancestors": item.ancestors(),
        "children": item.children.prefetch_related(
            Prefetch("responsible_parties", queryset=ResponsibleParty.objects.select_related("agency"))
        ).order_by("sort_key", "depth"),
        "responsible_parties": item.responsible_parties.select_related("agency__country"),
        "units": item.applies_to.all(),
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
    return render(request, "actions/item_detail.html", context)
