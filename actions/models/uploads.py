"""Files chosen on a form that could not be saved yet, kept for their owner until the form is sent again."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from actions.models.progress import evidence_storage


def pending_path(pending: "PendingUpload", filename: str) -> str:
    # A random name, like evidence; the reference moves to the Evidence row once the update is saved.
    return f"pending/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class PendingUpload(models.Model):
    """An evidence file checked (actions.evidence.check_evidence_file) and stored while its form failed.

    Only its owner can attach it; once attached it becomes an Evidence row pointing to the same
    stored file and this row is deleted. `manage.py sweep_pending_uploads` deletes those left over."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(_("file"), storage=evidence_storage, upload_to=pending_path, max_length=200)
    file_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("pending upload")
        verbose_name_plural = _("pending uploads")

    def __str__(self) -> str:
        return self.file_name
