import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actions import data_version, discussion, services
from actions.attention import Reason, needing_attention
from actions.evidence_views import FormEvidence
from actions.filters import ItemFilter
from actions.forms import (
    CommentForm,
    InvitationAcceptForm,
    InvitationForm,
    QuickForms,
    QuickUpdateForm,
    ReviewForm,
    UpdateForm,
)
from actions.models import (
    CrossReference,
    Evidence,
    Instrument,
    Invitation,
    Item,
    Profile,
    Progress,
    ReportingUnit,
    ResponsibleParty,
    Role,
    StatusUpdate,
)
from actions.permissions import allowed, readable_unit_ids, writable_unit_ids, writable_units
from actions.uploads import ids

ITEMS_PER_PAGE = 50

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    instruments = Instrument.objects.annotate(
        numbered_count=Count("items", filter=Q(items__kind__in=Item.NUMBERED_KINDS)),
        subitem_count=Count("items", filter=Q(items__kind=Item.Kind.SUBITEM)),
    )
    return render(request, "actions/home.html", {"instruments": instruments})


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
    references = CrossReference.objects.select_related("target__instrument")
    units = list(item.applies_to.all())
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


# Reporting progress --------------------------------------------------------------------------


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


# People --------------------------------------------------------------------------------------


def _send_invitation(request: HttpRequest, invitation: Invitation) -> str:
    with translation.override(invitation.language):
        link = request.build_absolute_uri(reverse("actions:invitation_accept", args=[invitation.token]))
        context = {"invitation": invitation, "link": link, "days": settings.INVITATION_VALID_DAYS}
        send_mail(
            render_to_string("actions/email/invitation_subject.txt", context).strip(),
            render_to_string("actions/email/invitation.txt", context),
            None,
            [invitation.email],
        )
    return link


@login_required
@permission_required("actions.invite", raise_exception=True)
def people(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                invitation = form.save(commit=False)
                invitation.invited_by = request.user
                invitation.save()
                form.save_m2m()
            link = _send_invitation(request, invitation)
            messages.success(
                request,
                _("An invitation was sent to %(email)s. The link, valid for %(days)s days: %(link)s")
                % {"email": invitation.email, "days": settings.INVITATION_VALID_DAYS, "link": link},
            )
            return redirect("actions:people")
    else:
        form = InvitationForm()
    accounts = (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile")
        .prefetch_related("profile__units")
        .order_by("username")
    )
    invitations = Invitation.objects.filter(accepted_by=None).prefetch_related("units").select_related("invited_by")
    return render(request, "actions/people.html", {"form": form, "accounts": accounts, "invitations": invitations})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None or not invitation.is_open:
        return render(request, "actions/invitation_closed.html", status=410 if invitation else 404)
    if request.method == "POST":
        form = InvitationAcceptForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
                if not invitation.is_open:
                    return render(request, "actions/invitation_closed.html", status=410)
                user = form.save(commit=False)
                user.email = invitation.email
                user.first_name = invitation.name[:150]
                user.save()
                profile = Profile.objects.create(user=user, role=invitation.role, language=invitation.language)
                profile.units.set(invitation.units.all())
                invitation.accepted_by = user
                invitation.save(update_fields=["accepted_by"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            destination = "actions:review_queue" if invitation.role == Role.SECRETARIAT else "actions:my_reporting"
            return redirect(destination)
    else:
        form = InvitationAcceptForm(initial={"username": invitation.email.split("@")[0]})
    return render(request, "actions/invitation_accept.html", {"form": form, "invitation": invitation})
