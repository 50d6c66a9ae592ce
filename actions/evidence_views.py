"""Evidence on the update forms (kept from a revised update, kept while a form fails) and its inline preview."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from actions.models import Evidence, StatusUpdate
from actions.permissions import allowed
from actions.uploads import INLINE_TYPES, discard_pending, ids, keep_pending, pending_of

logger = logging.getLogger(__name__)

# The inline preview runs nothing and loads nothing, even if a browser were to read it as a page.
INLINE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Chromium shows a PDF with a viewer of its own, which it refuses to start in a sandboxed document
# ("This page has been blocked") and which a `default-src 'none'` page cannot lay out. A PDF is
# served only when its content was read as PDF at upload, never sniffed (nosniff), so it cannot be
# taken for a page; the viewer runs a PDF's scripts, if any, in its own process, away from the
# tracker's pages and cookies. The policy only keeps other sites from framing it.
PDF_HEADERS = {**INLINE_HEADERS, "Content-Security-Policy": "frame-ancestors 'self'"}


class FormEvidence:
    """The evidence a form carries besides its new files: the revised update's files and links the
    author keeps (ticked `keep_evidence`), and the author's pending uploads (`pending`) from an
    earlier attempt that failed, less those ticked `remove_pending` (deleted at once)."""

    def __init__(self, request: HttpRequest, *, revision_of: StatusUpdate | None = None, attached_files: int = 0):
        self.request = request
        self.old = list(revision_of.evidence.all()) if revision_of is not None else []
        self.attached_files = attached_files
        if request.method == "POST":
            chosen = set(ids(request.POST.getlist("keep_evidence")))
            removed = ids(request.POST.getlist("remove_pending"))
            discard_pending(request.user, removed)
            self.pending = [
                upload
                for upload in pending_of(request.user, request.POST.getlist("pending"))
                if upload.pk not in removed
            ]
        else:
            chosen = {evidence.pk for evidence in self.old}
            self.pending = []
        self.keep = [evidence.pk for evidence in self.old if evidence.pk in chosen]

    @property
    def file_count(self) -> int:
        """Files already counted against EVIDENCE_MAX_FILES: kept, pending and already attached."""
        kept = sum(1 for evidence in self.old if evidence.file and evidence.pk in self.keep)
        return kept + len(self.pending) + self.attached_files

    def keep_failed(self, form) -> None:
        """The form failed: keep its acceptable new files as pending uploads, to attach next time."""
        room = max(settings.EVIDENCE_MAX_FILES - self.file_count, 0)
        kept, dropped = keep_pending(self.request.user, self.request.FILES.getlist("files"), room=room)
        self.pending.extend(kept)
        if dropped:
            form.add_error(
                "files" if "files" in form.fields else None,
                _("Not kept, as there are already %(count)s files: %(names)s.")
                % {"count": settings.EVIDENCE_MAX_FILES, "names": ", ".join(dropped)},
            )

    def context(self) -> dict:
        return {
            "kept_evidence": [(evidence, evidence.pk in self.keep) for evidence in self.old],
            "pending_uploads": self.pending,
        }


@login_required
def evidence_inline(request: HttpRequest, pk: int) -> FileResponse:
    """An image or PDF shown in the browser, after the same check as the download; other types are
    downloads here too. The type is the one read from the content at upload, never the name."""
    evidence = get_object_or_404(Evidence.objects.select_related("update"), pk=pk)
    if not evidence.file or not allowed(request.user, "actions.view_update", evidence.update):
        raise Http404
    try:
        stored = evidence.file.open("rb")
    except FileNotFoundError:
        logger.warning("Evidence %s has no file %s", evidence.pk, evidence.file.name)
        raise Http404 from None
    inline = evidence.content_type in INLINE_TYPES
    response = FileResponse(
        stored, as_attachment=not inline, filename=evidence.file_name, content_type=evidence.content_type
    )
    # Set here, so that django-csp leaves this policy as it is instead of the pages' one.
    headers = PDF_HEADERS if evidence.content_type == "application/pdf" else INLINE_HEADERS
    for header, value in headers.items():
        response[header] = value
    return response
