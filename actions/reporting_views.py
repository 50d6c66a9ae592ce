"""A focal point's reporting: their list of activities to report, an update written, revised, submitted
or deleted, its page and its evidence."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actions import discussion, services
from actions.attention import Reason, needing_attention
from actions.evidence_views import FormEvidence
from actions.forms import (
    CommentForm,
    QuickForms,
    QuickUpdateForm,
    ReviewForm,
    UpdateForm,
)
from actions.models import (
    Evidence,
    Item,
    ReportingUnit,
    StatusUpdate,
)
from actions.permissions import allowed, writable_units
from actions.uploads import ids

logger = logging.getLogger(__name__)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _visible_update(request: HttpRequest, pk: int) -> StatusUpdate:
    """The update if the user may see it; otherwise 404, which says nothing of its existence."""
    update = get_object_or_404(
        StatusUpdate.objects.select_related("item__instrument", "unit", "author", "reviewed_by", "revision_of"), pk=pk
    )
    if not allowed(request.user, "actions.view_update", update):
        raise Http404
    return update


@login_required
def my_reporting(request: HttpRequest) -> HttpResponse:
    units = list(writable_units(request.user))
    if not units:
        return render(request, "actions/my_reporting.html", {"units": [], "reasons": Reason.LABELS})
    chosen_unit = request.GET.get("unit", "")
    chosen_reason = request.GET.get("reason", "")
    shown_units = [unit for unit in units if unit.code == chosen_unit] or units
    reasons = (chosen_reason,) if chosen_reason in Reason.ORDER else Reason.ORDER
    entries = needing_attention(
        shown_units, today=timezone.localdate(), due_soon_days=settings.DUE_SOON_DAYS, reasons=reasons
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    quick_forms = QuickForms()
    for entry in page:
        entry.form_html = quick_forms.html(
            item_id=entry.item.pk,
            unit_id=entry.unit.pk,
            version=entry.version,
            initial=UpdateForm.initial_status(entry.current),
        )
    # Returned updates come first, in a box of their own, whatever the filters and the page.
    if Reason.RETURNED in reasons:
        returned = [entry for entry in entries if Reason.RETURNED in entry.reasons]
    else:
        returned = needing_attention(
            shown_units, today=timezone.localdate(), due_soon_days=settings.DUE_SOON_DAYS, reasons=(Reason.RETURNED,)
        )
    own_updates = (
        StatusUpdate.objects.filter(unit__in=units)
        .filter(Q(state=StatusUpdate.State.DRAFT) | Q(state=StatusUpdate.State.SUBMITTED))
        .select_related("item__instrument", "unit", "author")
        .order_by("-created_at")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "units": units,
        "page": page,
        "count": len(entries),
        "chosen_unit": chosen_unit,
        "chosen_reason": chosen_reason,
        "reasons": Reason.LABELS,
        "returned": returned,
        "drafts": [update for update in own_updates if update.state == StatusUpdate.State.DRAFT],
        "pending": [update for update in own_updates if update.state == StatusUpdate.State.SUBMITTED],
        "query": query.urlencode(),
    }
    return render(request, "actions/my_reporting.html", context)


def _report_target(request: HttpRequest, unit: str, instrument: str, slug: str) -> tuple[Item, ReportingUnit]:
    unit = get_object_or_404(ReportingUnit, code=unit)
    item = get_object_or_404(Item.objects.select_related("instrument"), instrument__slug=instrument, slug=slug)
    if not allowed(request.user, "actions.report_for_unit", unit):
        raise PermissionDenied
    if item.kind not in Item.TRACKABLE_KINDS or not item.applies_to.filter(pk=unit.pk).exists():
        raise Http404
    return item, unit


def _save_new_update(request, form, *, item, unit, evidence: FormEvidence, revision_of=None) -> HttpResponse | None:
    """Create the update the form describes; on a stale submission keep it as a draft and say why."""
    submit = request.POST.get("action") == "submit"
    arguments = {
        "author": request.user,
        "item": item,
        "unit": unit,
        "content": form.content(),
        "based_on_version": form.cleaned_data["based_on_version"],
        "files": form.cleaned_data.get("files", []),
        "links": form.cleaned_data.get("links", []),
        "revision_of": revision_of,
        "keep_evidence": evidence.keep,
        "pending": evidence.pending,
    }
    try:
        update = services.update_create(submit=submit, **arguments)
    except services.StaleUpdate:
        update = services.update_create(submit=False, **arguments)
        messages.warning(
            request,
            _(
                "Someone else reported on this activity for %(unit)s while you were writing. "
                "Your update is kept as a draft: read the newer update, then submit yours."
            )
            % {"unit": unit},
        )
        return redirect(update)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    if submit:
        messages.success(request, _("Your update was submitted for review."))
    else:
        messages.success(request, _("Your draft was saved."))
    return redirect(_safe_next(request, update.get_absolute_url()))


@login_required
def update_new(request: HttpRequest, unit: str, instrument: str, slug: str) -> HttpResponse:
    item, unit = _report_target(request, unit, instrument, slug)
    form_class = QuickUpdateForm if request.POST.get("quick") else UpdateForm
    evidence = FormEvidence(request)
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, existing_files=evidence.file_count)
        if form.is_valid():
            response = _save_new_update(request, form, item=item, unit=unit, evidence=evidence)
            if response is not None:
                return response
        evidence.keep_failed(form)
    else:
        # The form starts where the item stands: the status and progress of the update in force.
        in_force = services.progress_of(item, unit)
        form = UpdateForm(
            initial={
                "based_on_version": services.current_version(item, unit),
                **UpdateForm.initial_status(in_force.current if in_force else None),
            }
        )
    return render(
        request,
        "actions/update_form.html",
        {"form": form, "item": item, "unit": unit, "progress": services.progress_of(item, unit), **evidence.context()},
    )


@login_required
def update_revise(request: HttpRequest, pk: int) -> HttpResponse:
    returned = _visible_update(request, pk)
    if not allowed(request.user, "actions.revise_update", returned):
        raise PermissionDenied
    item, unit = returned.item, returned.unit
    # The returned update's files and links are listed on the form, each kept unless unticked.
    evidence = FormEvidence(request, revision_of=returned)
    if request.method == "POST":
        form = UpdateForm(request.POST, request.FILES, existing_files=evidence.file_count)
        if form.is_valid():
            response = _save_new_update(request, form, item=item, unit=unit, evidence=evidence, revision_of=returned)
            if response is not None:
                return response
        evidence.keep_failed(form)
    else:
        initial = UpdateForm.initial_from(returned)
        initial["based_on_version"] = services.current_version(item, unit)
        form = UpdateForm(initial=initial)
    return render(
        request,
        "actions/update_form.html",
        {
            "form": form,
            "item": item,
            "unit": unit,
            "revision_of": returned,
            "progress": services.progress_of(item, unit),
            **evidence.context(),
        },
    )


@login_required
def update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return update_page(request, _visible_update(request, pk))


def update_page(request: HttpRequest, update: StatusUpdate, *, comment_form=None, status: int = 200) -> HttpResponse:
    """The page of an update the user may see, with its discussion (actions.review_views.comment_add
    shows it again with the comment form's errors)."""
    evidence = list(update.evidence.all())
    can_comment = allowed(request.user, "actions.add_comment", update)
    context = {
        "update": update,
        "item": update.item,
        "evidence": evidence,
        "changes": discussion.revision_changes(update, evidence),
        "discussion": discussion.thread(update) if allowed(request.user, "actions.view_comments", update) else [],
        "can_comment": can_comment,
        "comment_form": (comment_form or CommentForm()) if can_comment else None,
        "events": update.events.select_related("user"),
        "revisions": StatusUpdate.objects.for_user(request.user).filter(revision_of=update).select_related("author"),
        "can_edit": allowed(request.user, "actions.edit_update", update),
        "can_revise": allowed(request.user, "actions.revise_update", update),
        "can_review": allowed(request.user, "actions.review_update", update),
        "review_form": ReviewForm(),
    }
    if context["can_edit"]:
        progress = services.progress_of(update.item, update.unit)
        if progress is not None and progress.version != update.based_on_version:
            context["newer"] = progress
    return render(request, "actions/update_detail.html", context, status=status)


@login_required
def update_edit(request: HttpRequest, pk: int) -> HttpResponse:
    update = _visible_update(request, pk)
    if not allowed(request.user, "actions.edit_update", update):
        raise PermissionDenied
    attached = list(update.evidence.all())
    if request.method == "POST":
        removed = set(ids(request.POST.getlist("remove_evidence")))
        kept_files = sum(1 for evidence in attached if evidence.file and evidence.pk not in removed)
        evidence = FormEvidence(request, attached_files=kept_files)
        form = UpdateForm(request.POST, request.FILES, existing_files=evidence.file_count)
        if form.is_valid():
            services.update_edit_draft(
                update=update,
                user=request.user,
                content=form.content(),
                files=form.cleaned_data["files"],
                links=form.cleaned_data["links"],
                remove_evidence=removed,
                pending=evidence.pending,
            )
            messages.success(request, _("Your draft was saved."))
            return redirect(update)
        evidence.keep_failed(form)
    else:
        evidence = FormEvidence(request)
        form = UpdateForm(initial={**UpdateForm.initial_from(update), "based_on_version": update.based_on_version})
    return render(
        request,
        "actions/update_form.html",
        {
            "form": form,
            "item": update.item,
            "unit": update.unit,
            "draft": update,
            "attached": attached,
            **evidence.context(),
        },
    )


@login_required
@require_POST
def update_submit(request: HttpRequest, pk: int) -> HttpResponse:
    update = _visible_update(request, pk)
    seen = request.POST.get("seen_version", "")
    try:
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        seen_version = int(seen) if seen.isascii() and seen.isdecimal() else None
        services.update_submit(update=update, user=request.user, seen_version=seen_version)
    except services.StaleUpdate:
        messages.error(request, _("Someone else reported on this activity for this unit in the meantime."))
        return redirect(update)
    messages.success(request, _("Your update was submitted for review."))
    return redirect(update)


@login_required
@require_POST
def update_delete(request: HttpRequest, pk: int) -> HttpResponse:
    update = _visible_update(request, pk)
    services.update_delete_draft(update=update, user=request.user)
    messages.success(request, _("The draft was deleted."))
    return redirect("actions:my_reporting")


@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(Evidence.objects.select_related("update"), pk=pk)
    if not evidence.file or not allowed(request.user, "actions.view_update", evidence.update):
        raise Http404
    try:
        stored = evidence.file.open("rb")
    except FileNotFoundError:
        # A row whose file is gone (a draft's file removed after a backup was taken): not a server error.
        logger.warning("Evidence %s has no file %s", evidence.pk, evidence.file.name)
        raise Http404 from None
    # Always a download, never shown inline: a file can't run in the site's pages.
    return FileResponse(stored, as_attachment=True, filename=evidence.file_name, content_type=evidence.content_type)
