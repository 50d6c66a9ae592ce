"""The discussion under an update: comments between the reporting unit and the Secretariat.

Comments are append-only: once written, a comment is neither changed nor deleted, like the
update it belongs to. Writes go through actions.services.comment_add.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from actions.models.progress import StatusUpdate


class AppendOnly(Exception):
    """A comment already written was to be changed or deleted."""


class UpdateComment(models.Model):
    """One entry of an update's discussion, in the language its author chose."""

    update = models.ForeignKey(
        StatusUpdate, verbose_name=_("status update"), on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("comment"))
    language = models.CharField(_("language of the comment"), max_length=5, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return f"{self.update_id} {self.author_id} {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("A comment is never changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("A comment is never deleted.")
