"""The Secretariat's review (the queue and the decision on one update) and the discussion of an update."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from actions import services
from actions.forms import BulkReviewForm, CommentForm, ReviewForm, ReviewQueueFilter
from actions.models import Progress, StatusUpdate
from actions.permissions import allowed
from actions.reporting_views import _safe_next, _visible_update, update_page

# Updates shown on one page of the review queue.
QUEUE_PAGE_SIZE = 30
# What a row shows of the update in force: its status.
IN_FORCE_FIELDS = ("current__id", "current__status", "current__progress")


def _previous_accepted(updates: list[StatusUpdate]) -> None:
    """Set `previous` on each update: the accepted update in force for its item and unit, read in
    one query for the whole page."""
    pairs = {(update.item_id, update.unit_id) for update in updates}
    if not pairs:
        return
    condition = Q()
    for item_id, unit_id in pairs:
        condition |= Q(item_id=item_id, unit_id=unit_id)
    # Only what the row shows of the update in force (actions.templatetags.review_tags).
    rows = Progress.objects.filter(condition).select_related("current").only("item_id", "unit_id", *IN_FORCE_FIELDS)
    current = {(row.item_id, row.unit_id): row.current for row in rows}
    for update in updates:
        update.previous = current.get((update.item_id, update.unit_id))


def _review_selected(request: HttpRequest, form: BulkReviewForm, matching) -> HttpResponse | None:
    """Record the form's decision; a response when done, None when the page should show an error."""
    data = form.cleaned_data
    if data["scope"] == BulkReviewForm.ALL:
        updates = list(matching.order_by("submitted_at", "pk"))
        if data["matching"] is None or len(updates) != data["matching"]:
            form.add_error(
                None,
                ngettext(
                    "%(count)s update now matches the filters, not the number shown: read the queue again.",
                    "%(count)s updates now match the filters, not the number shown: read the queue again.",
                    len(updates),
                )
                % {"count": len(updates)},
            )
            return None
    else:
        updates = list(data["updates"])
    accept = data["decision"] == ReviewForm.ACCEPT
    try:
        count = services.updates_review(updates=updates, user=request.user, accept=accept, comment=data["comment"])
    except (services.WorkflowError, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return None
    if accept:
        message = ngettext("%(count)s update accepted.", "%(count)s updates accepted.", count)
    else:
        message = ngettext("%(count)s update returned.", "%(count)s updates returned.", count)
    messages.success(request, message % {"count": count})
    return redirect(request.get_full_path())


@login_required
@permission_required("actions.review", raise_exception=True)
def review_queue(request: HttpRequest) -> HttpResponse:
    """The updates waiting for review, 30 a page, filtered by instrument and unit; a decision on the
    ones ticked or on all that match. On an error the ticks, the decision and the comment stay."""
    filters = ReviewQueueFilter(request.GET)
    matching = filters.filter(StatusUpdate.objects.pending())
    if request.method == "POST":
        form = BulkReviewForm(request.POST)
        if form.is_valid():
            response = _review_selected(request, form, matching)
            if response is not None:
                return response
        ticked = set(request.POST.getlist("updates"))
    else:
        form = BulkReviewForm()
        ticked = set()
    pending = (
        # A revision is only said to be one (revision_of_id): the update it revises is not read.
        matching.select_related("item__instrument", "unit", "author")
        .prefetch_related("evidence")
        .order_by("submitted_at", "pk")
    )
    page = Paginator(pending, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    updates = list(page)
    _previous_accepted(updates)
    for update in updates:
        update.ticked = str(update.pk) in ticked
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "actions/review_queue.html",
        {
            "filters": filters,
            "form": form,
            "page": page,
            "pending": updates,
            "count": page.paginator.count,
            "query": query.urlencode(),
        },
    )


@login_required
@require_POST
def update_review(request: HttpRequest, pk: int) -> HttpResponse:
    update = _visible_update(request, pk)
    if not allowed(request.user, "actions.review"):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(update)
    accept = form.cleaned_data["decision"] == ReviewForm.ACCEPT
    try:
        if accept:
            services.update_accept(update=update, user=request.user, comment=form.cleaned_data["comment"])
        else:
            services.update_return(update=update, user=request.user, comment=form.cleaned_data["comment"])
    except services.WorkflowError as error:
        messages.error(request, str(error))
        return redirect(update)
    messages.success(request, _("The update was accepted.") if accept else _("The update was returned."))
    return redirect(_safe_next(request, update.get_absolute_url()))


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment in the discussion of an update, from its unit's focal points or the Secretariat."""
    update = _visible_update(request, pk)
    if not allowed(request.user, "actions.add_comment", update):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                update=update,
                author=request.user,
                text=form.cleaned_data["text"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, _("Your comment was added to the discussion."))
            return redirect(update.get_absolute_url() + "#discussion")
    return update_page(request, update, comment_form=form, status=200)
