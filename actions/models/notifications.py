"""Notifications of workflow steps: a person's inbox in the site, and the record of their e-mails.

Written by actions.notifications, in the transaction of the step they tell of.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from actions.models.people import EmailFrequency
from actions.models.progress import StatusUpdate


class NotificationQuerySet(models.QuerySet):
    def inbox(self, user):
        """`user`'s own notifications, about updates they may still open (a person who left a
        unit no longer reads its comments here either)."""
        visible = StatusUpdate.objects.for_user(user).values("pk")
        return self.filter(recipient=user, update__in=visible)

    def unread(self):
        return self.filter(read_at=None)


class Notification(models.Model):
    """One workflow step told to one person: shown in their inbox, and e-mailed as they chose."""

    class Kind(models.TextChoices):
        # The labels of the update's state after the step, as the site shows it (e-mail subjects).
        SUBMITTED = "submitted", pgettext_lazy("update state", "Pending review")
        ACCEPTED = "accepted", pgettext_lazy("update state", "Accepted")
        RETURNED = "returned", pgettext_lazy("update state", "Returned")
        COMMENT = "comment", _("New comment")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    update = models.ForeignKey(
        StatusUpdate, verbose_name=_("status update"), on_delete=models.CASCADE, related_name="notifications"
    )
    # Who took the step or wrote the comment.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The review comment or the comment's text, as it was when the step was taken.
    text = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # How it is e-mailed: the recipient's choice when it was made ("none" without an e-mail address).
    delivery = models.CharField(_("e-mail"), max_length=10, choices=EmailFrequency.choices)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts to e-mail"), default=0)
    # Not to be tried before then: a failed send waits before the next try, and a claimed one
    # belongs to the worker sending it until then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at=None), name="notification_unread"),
            models.Index(
                fields=["delivery", "next_attempt_at"], condition=Q(emailed_at=None), name="notification_to_email"
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.update_id}"

    @property
    def headline(self) -> str:
        """What happened, in one sentence in the active language (the inbox and the e-mails)."""
        update = self.update
        values = {
            "person": (self.actor.get_full_name() or self.actor.username) if self.actor else _("Someone"),
            "item": update.item.citation,
            "unit": update.unit.name,
        }
        if self.kind == self.Kind.SUBMITTED and update.revision_of_id:
            text = _("%(person)s submitted a revision of the update on %(item)s for %(unit)s.")
        elif self.kind == self.Kind.SUBMITTED:
            text = _("%(person)s submitted an update on %(item)s for %(unit)s.")
        elif self.kind == self.Kind.ACCEPTED:
            text = _("%(person)s accepted the update on %(item)s for %(unit)s.")
        elif self.kind == self.Kind.RETURNED:
            text = _("%(person)s returned the update on %(item)s for %(unit)s.")
        else:
            text = _("%(person)s commented on the update on %(item)s for %(unit)s.")
        return str(text) % values
