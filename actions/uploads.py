"""Evidence that is never dropped: files kept from a revised update, and uploads kept while a form fails.

A kept or pending file is attached by reference: a new Evidence row pointing to the same stored
name, never a copy of the bytes. A stored file is deleted only once no Evidence row and no pending
upload refer to it any more (`delete_unreferenced`).
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actions.evidence import check_evidence_file
from actions.models import Evidence, PendingUpload, StatusUpdate

# Shown in the browser (by the type read at upload): images and PDFs. Never SVG or HTML.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "application/pdf"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
# The largest id a column holds (as actions.forms.MAX_ID): SQLite overflows on a larger one.
MAX_ID = 2**63 - 1


def ids(values: Iterable) -> list[int]:
    """The ids among `values` that a database column could hold; anything else is ignored."""
    found = []
    for value in values:
        text = str(value)
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if text.isascii() and text.isdecimal() and len(text) <= 19 and 0 < int(text) <= MAX_ID:
            found.append(int(text))
    return found


def is_referenced(name: str, *, except_evidence: Iterable[int] = ()) -> bool:
    return (
        Evidence.objects.filter(file=name).exclude(pk__in=list(except_evidence)).exists()
        or PendingUpload.objects.filter(file=name).exists()
    )


def delete_unreferenced(storage, names: Iterable[str]) -> None:
    """Delete these stored files once the transaction commits, each only if nothing refers to it then."""
    names = [name for name in names if name]

    def delete():
        for name in names:
            if not is_referenced(name):
                storage.delete(name)

    transaction.on_commit(delete)


def delete_evidence(evidence_rows: Iterable[Evidence]) -> None:
    """Delete Evidence rows; their files go only if no other row (another update's) still uses them."""
    rows = list(evidence_rows)
    names = [row.file.name for row in rows if row.file]
    storage = Evidence._meta.get_field("file").storage
    Evidence.objects.filter(pk__in=[row.pk for row in rows]).delete()
    delete_unreferenced(storage, names)


def keep_pending(owner, uploaded_files: Iterable, *, room: int) -> tuple[list[PendingUpload], list[str]]:
    """Store the files of a failed form as pending uploads of `owner`, at most `room` of them.

    Each is checked first (check_evidence_file); a refused one is not kept (the form says why).
    Returns the kept uploads and the names of the files not kept for lack of room."""
    kept, dropped = [], []
    for uploaded in uploaded_files:
        try:
            content_type = check_evidence_file(uploaded)
        except ValidationError:
            continue
        if len(kept) >= room:
            dropped.append(uploaded.name)
            continue
        uploaded.seek(0)
        kept.append(
            PendingUpload.objects.create(
                owner=owner, file=uploaded, file_name=uploaded.name[:200], size=uploaded.size, content_type=content_type
            )
        )
    return kept, dropped


def pending_of(owner, pending_ids: Iterable) -> list[PendingUpload]:
    """The pending uploads among `pending_ids` that belong to `owner`; others' are ignored."""
    if not getattr(owner, "is_authenticated", False):
        return []
    return list(PendingUpload.objects.filter(owner=owner, pk__in=ids(pending_ids)))


def attach(
    update: StatusUpdate, *, author, keep: Iterable[int] = (), revision_of: StatusUpdate | None = None, pending=()
) -> int:
    """Attach to `update` the chosen evidence of `revision_of` and the author's pending uploads.

    Both by reference. Pending uploads are locked and deleted in the same transaction, so a form sent
    twice attaches them once. Returns how many files were attached."""
    files = 0
    if revision_of is not None and keep:
        for old in revision_of.evidence.filter(pk__in=ids(keep)):
            Evidence.objects.create(
                update=update,
                file=old.file.name,
                file_name=old.file_name,
                content_type=old.content_type,
                size=old.size,
                url=old.url,
            )
            files += bool(old.file)
    pending_ids = ids(getattr(upload, "pk", upload) for upload in pending)
    if pending_ids:
        rows = PendingUpload.objects.select_for_update().filter(owner=author, pk__in=pending_ids).order_by("pk")
        for upload in rows:
            Evidence.objects.create(
                update=update,
                file=upload.file.name,
                file_name=upload.file_name,
                content_type=upload.content_type,
                size=upload.size,
            )
            files += 1
        PendingUpload.objects.filter(pk__in=[upload.pk for upload in rows]).delete()
    return files


def check_file_count(update: StatusUpdate) -> None:
    if update.evidence.exclude(file="").count() > settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            _("At most %(count)s files can be attached to one update.") % {"count": settings.EVIDENCE_MAX_FILES}
        )


def sweep(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Delete pending uploads older than `older_than` and their files (unless an Evidence row uses one)."""
    storage = PendingUpload._meta.get_field("file").storage
    count = 0
    old = PendingUpload.objects.filter(created_at__lt=timezone.now() - older_than)
    for upload in old.iterator():
        with transaction.atomic():
            name = upload.file.name
            if PendingUpload.objects.filter(pk=upload.pk).delete()[0]:
                count += 1
                delete_unreferenced(storage, [name])
    return count


def discard_pending(owner, pending_ids: Iterable) -> None:
    """Delete `owner`'s pending uploads among `pending_ids`, and their files."""
    rows = pending_of(owner, pending_ids)
    if rows:
        storage = PendingUpload._meta.get_field("file").storage
        names = [row.file.name for row in rows]
        PendingUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()
        delete_unreferenced(storage, names)
