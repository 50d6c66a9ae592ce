"""Every write to the reporting data goes through these functions.

Each checks permission itself, so that a view, an import or a command cannot skip the rules, and
each state change runs in one transaction, locks the item's progress row in that unit, and writes a
workflow step (UpdateEvent) and the notifications of the people it concerns (actions.notifications,
whose e-mails the task worker sends once the transaction is committed).
"""

import datetime
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions import notifications
from actions.evidence import check_evidence_file
from actions.models import Evidence, Item, Progress, ReportingUnit, StatusUpdate, UpdateComment, UpdateEvent
from actions.notifications import comment_added
from actions.permissions import allowed
from actions.uploads import attach, check_file_count, delete_evidence, delete_unreferenced

logger = logging.getLogger(__name__)


def _log_step(update: StatusUpdate, action: str, user) -> None:
    """One log line per workflow step, written only once the step is committed."""
    fields = {"step": str(action), "update": update.pk, "item": update.item_id, "unit": update.unit_id, "user": user.pk}
    transaction.on_commit(lambda: logger.info("update %s", fields["step"], extra=fields))


class StaleUpdate(Exception):
    """Someone else reported on the same item and unit since the author started."""

    def __init__(self, progress: Progress):
        super().__init__(_("Someone else has reported on this activity for this unit in the meantime."))
        self.progress = progress
        self.latest = progress.latest


class WorkflowError(Exception):
    """The update is no longer in a state that allows this step (e.g. already reviewed)."""


@dataclass
class UpdateContent:
    status: str
    refers_to: datetime.date
    progress: int | None = None
    narrative: str = ""
    narrative_language: str = "en"


def progress_of(item: Item, unit: ReportingUnit) -> Progress | None:
    return Progress.objects.select_related("latest", "current").filter(item=item, unit=unit).first()


def current_version(item: Item, unit: ReportingUnit) -> int:
    progress = Progress.objects.filter(item=item, unit=unit).only("version").first()
    return progress.version if progress else 0


def _locked_progress(item_id: int, unit_id: int) -> Progress:
    """The progress row, created if need be and locked until the transaction ends."""
    try:
        with transaction.atomic():
            Progress.objects.get_or_create(item_id=item_id, unit_id=unit_id)
    except IntegrityError:
        pass  # Created at the same moment by another request: it exists now.
    # Lock only the progress row: PostgreSQL cannot lock the nullable side of the join to `latest`.
    return (
        Progress.objects.select_for_update(of=("self",))
        .select_related("latest__author")
        .get(item_id=item_id, unit_id=unit_id)
    )


def check_can_report(user, item: Item, unit: ReportingUnit) -> None:
    if not allowed(user, "actions.report_for_unit", unit):
        raise PermissionDenied(_("You do not report for %(unit)s.") % {"unit": unit})
    if item.kind not in Item.TRACKABLE_KINDS:
        raise ValidationError(_("Progress is reported on numbered activities and their sub-items only."))
    if not item.applies_to.filter(pk=unit.pk).exists():
        raise ValidationError(
            _("%(unit)s is not among the reporting units of %(code)s.") % {"unit": unit, "code": item.code}
        )


def _add_evidence(update: StatusUpdate, files: Iterable, links: Iterable[str]) -> None:
    for uploaded in files:
        content_type = check_evidence_file(uploaded)
        Evidence.objects.create(
            update=update,
            file=uploaded,
            file_name=uploaded.name[:200],
            content_type=content_type,
            size=uploaded.size,
        )
    for url in links:
        Evidence.objects.create(update=update, url=url)


@transaction.atomic
def update_create(
    *,
    author,
    item: Item,
    unit: ReportingUnit,
    content: UpdateContent,
    based_on_version: int,
    submit: bool,
    files: Sequence = (),
    links: Sequence[str] = (),
    revision_of: StatusUpdate | None = None,
    source: str = StatusUpdate.Source.WEB,
    keep_evidence: Iterable[int] = (),
    pending: Iterable = (),
) -> StatusUpdate:
    """Create an update, as a draft or submitted for review.

    Side effects: a StatusUpdate with its Evidence; a "created" step, and when submitted a
    "submitted" step and the progress row's version raised and `latest` set. Raises StaleUpdate
    when submitting and another update was submitted after `based_on_version`; nothing is saved then.
    `keep_evidence` (ids of `revision_of`'s evidence) and `pending` (the author's pending uploads)
    are attached by reference, without copying a file (actions.uploads.attach).
    """
    check_can_report(author, item, unit)
    if revision_of is not None and not allowed(author, "actions.revise_update", revision_of):
        raise PermissionDenied(_("Only a returned update of your own unit can be revised."))
    # Checked before anything is written, so that a stale submission stores no evidence file.
    progress = _locked_progress(item.pk, unit.pk) if submit else None
    if progress is not None and progress.version != based_on_version:
        raise StaleUpdate(progress)
    update = StatusUpdate.objects.create(
        item=item,
        unit=unit,
        author=author,
        status=content.status,
        progress=content.progress,
        narrative=content.narrative,
        narrative_language=content.narrative_language,
        refers_to=content.refers_to,
        revision_of=revision_of,
        based_on_version=based_on_version,
        source=source,
    )
    UpdateEvent.objects.create(update=update, action=UpdateEvent.Action.CREATED, user=author)
    _log_step(update, UpdateEvent.Action.CREATED, author)
    _add_evidence(update, files, links)
    attach(update, author=author, keep=keep_evidence, revision_of=revision_of, pending=pending)
    check_file_count(update)
    if progress is not None:
        _submit(update, author, seen_version=based_on_version, progress=progress)
    return update


@transaction.atomic
def update_edit_draft(
    *,
    update: StatusUpdate,
    user,
    content: UpdateContent,
    files: Sequence = (),
    links: Sequence[str] = (),
    remove_evidence: Iterable[int] = (),
    pending: Iterable = (),
) -> StatusUpdate:
    """Change a draft. Side effects: the draft's fields; evidence added (with the user's pending
    uploads) and removed (files deleted unless another update's evidence still uses them)."""
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    if not allowed(user, "actions.edit_update", update):
        raise PermissionDenied(_("Only a draft of your own unit can be changed."))
    for field in ("status", "progress", "narrative", "narrative_language", "refers_to"):
        setattr(update, field, getattr(content, field))
    update.save(update_fields=["status", "progress", "narrative", "narrative_language", "refers_to"])
    delete_evidence(update.evidence.filter(pk__in=list(remove_evidence)))
    _add_evidence(update, files, links)
    attach(update, author=user, pending=pending)
    check_file_count(update)
    return update


@transaction.atomic
def update_delete_draft(*, update: StatusUpdate, user) -> None:
    """Delete a draft and its files. Submitted updates are never deleted."""
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    if not allowed(user, "actions.edit_update", update):
        raise PermissionDenied(_("Only a draft of your own unit can be deleted."))
    names = [evidence.file.name for evidence in update.evidence.all() if evidence.file]
    update.delete()
    # A file kept from a revised update is still that update's evidence: it stays.
    delete_unreferenced(Evidence._meta.get_field("file").storage, names)


def _submit(update: StatusUpdate, user, *, seen_version: int, progress: Progress | None = None) -> None:
    progress = progress or _locked_progress(update.item_id, update.unit_id)
    if progress.version != seen_version:
        raise StaleUpdate(progress)
    now = timezone.now()
    update.state = StatusUpdate.State.SUBMITTED
    update.submitted_at = now
    update.based_on_version = seen_version
    update.save(update_fields=["state", "submitted_at", "based_on_version"])
    progress.version += 1
    progress.latest = update
    progress.save(update_fields=["version", "latest"])
    UpdateEvent.objects.create(update=update, action=UpdateEvent.Action.SUBMITTED, user=user)
    _log_step(update, UpdateEvent.Action.SUBMITTED, user)
    notifications.update_submitted(update, by=user)


@transaction.atomic
def update_submit(*, update: StatusUpdate, user, seen_version: int | None = None) -> StatusUpdate:
    """Submit a draft for review.

    Side effects: state "submitted", a "submitted" step, the progress version raised. `seen_version`
    is the version the author has seen (by default the one the draft was started on); if another
    update came in since, StaleUpdate is raised and nothing changes.
    """
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    if not allowed(user, "actions.edit_update", update):
        raise PermissionDenied(_("Only a draft of your own unit can be submitted."))
    _submit(update, user, seen_version=update.based_on_version if seen_version is None else seen_version)
    return update


def _review(update: StatusUpdate, user, *, accept: bool, comment: str) -> StatusUpdate:
    update = StatusUpdate.objects.select_for_update().get(pk=update.pk)
    if not allowed(user, "actions.review"):
        raise PermissionDenied(_("Only the Secretariat reviews updates."))
    if update.state != StatusUpdate.State.SUBMITTED:
        raise WorkflowError(
            _("This update is no longer pending review: it is %(state)s.") % {"state": update.get_state_display()}
        )
    update.state = StatusUpdate.State.ACCEPTED if accept else StatusUpdate.State.RETURNED
    update.reviewed_at = timezone.now()
    update.reviewed_by = user
    update.review_comment = comment
    update.save(update_fields=["state", "reviewed_at", "reviewed_by", "review_comment"])
    if accept:
        progress = _locked_progress(update.item_id, update.unit_id)
        # Accepting an older update after a newer one does not make it the current state.
        if progress.current_id is None or progress.current.submitted_at <= update.submitted_at:
            progress.current = update
            progress.save(update_fields=["current"])
    action = UpdateEvent.Action.ACCEPTED if accept else UpdateEvent.Action.RETURNED
    UpdateEvent.objects.create(update=update, action=action, user=user, comment=comment)
    _log_step(update, action, user)
    notifications.update_reviewed(update, by=user)
    return update


@transaction.atomic
def update_accept(*, update: StatusUpdate, user, comment: str = "") -> StatusUpdate:
    """Accept a submitted update. Side effects: state "accepted", reviewer and time, an "accepted"
    step, and the progress row's `current` set to it unless a newer accepted update exists."""
    return _review(update, user, accept=True, comment=comment)


@transaction.atomic
def update_return(*, update: StatusUpdate, user, comment: str) -> StatusUpdate:
    """Return a submitted update to its unit with a comment saying what to change.

    Side effects: state "returned", reviewer, time and comment, a "returned" step. The focal point
    answers with a revision, a new update (`revision_of`)."""
    if not comment.strip():
        raise ValidationError(_("Say what should be changed when returning an update."))
    return _review(update, user, accept=False, comment=comment)


@transaction.atomic
def updates_review(*, updates: Iterable[StatusUpdate], user, accept: bool, comment: str = "") -> int:
    """Accept or return several updates at once: all of them or, on any error, none."""
    count = 0
    for update in updates:
        if accept:
            update_accept(update=update, user=user, comment=comment)
        else:
            update_return(update=update, user=user, comment=comment)
        count += 1
    return count


@transaction.atomic
def comment_add(*, update: StatusUpdate, author, text: str, language: str) -> UpdateComment:
    """Add a comment to an update's discussion. Comments are never changed or deleted.

    Side effects: an UpdateComment; the other side is notified (actions.notifications.comment_added)."""
    if not allowed(author, "actions.add_comment", update):
        raise PermissionDenied(_("Only the Secretariat and the focal points of the unit write in this discussion."))
    if not text.strip():
        raise ValidationError(_("Write something before sending."))
    comment = UpdateComment.objects.create(update=update, author=author, text=text.strip(), language=language)
    # In the same transaction: the notifications are saved, or rolled back, with the comment.
    comment_added(update=update, author=author, text=comment.text)
    return comment
