"""What has been done: status updates per item and reporting unit, their review, and evidence.

The history is append-only. An update may be edited only while it is a draft; once submitted it
stays as it is, and a correction or a revision after a return is a new update. `Progress` keeps,
per item and unit, the latest update and the latest accepted one, and a version number that
changes with every new update, so that an edit begun on an older state is caught.
Writes go through actions.services.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from actions.models.instruments import Item, ReportingUnit
from actions.storage import NamedStorage


class Status(models.TextChoices):
    NOT_STARTED = "not-started", pgettext_lazy("status", "Not started")
    PLANNED = "planned", pgettext_lazy("status", "Planned")
    IN_PROGRESS = "in-progress", pgettext_lazy("status", "In progress")
    COMPLETED = "completed", pgettext_lazy("status", "Completed")
    ONGOING = "ongoing", pgettext_lazy("status", "Ongoing/continuous")
    DELAYED = "delayed", pgettext_lazy("status", "Delayed")
    NOT_APPLICABLE = "not-applicable", pgettext_lazy("status", "Not applicable")


# The symbol beside each status wherever it is shown (pages, reports, charts, workbooks), so that a
# status reads without its colour: in grey print, and for readers who do not tell the colours apart.
STATUS_SYMBOLS = {
    Status.NOT_STARTED: "○",
    Status.PLANNED: "◔",
    Status.IN_PROGRESS: "◑",
    Status.COMPLETED: "●",
    Status.ONGOING: "↻",
    Status.DELAYED: "!",
    Status.NOT_APPLICABLE: "–",
}

# Statuses after which a deadline no longer matters.
SETTLED_STATUSES = (Status.COMPLETED, Status.ONGOING, Status.NOT_APPLICABLE)
# Statuses that count as "progress" in the figures.
PROGRESS_STATUSES = (Status.IN_PROGRESS, Status.COMPLETED, Status.ONGOING)


class StatusUpdateQuerySet(models.QuerySet):
    def for_user(self, user):
        """The updates `user` may see; mirrors the `actions.view_update` rule (actions/rules.py)."""
        from actions.permissions import visible_updates

        return visible_updates(self, user)

    def accepted(self):
        return self.filter(state=StatusUpdate.State.ACCEPTED)

    def pending(self):
        return self.filter(state=StatusUpdate.State.SUBMITTED)

    def not_draft(self):
        return self.exclude(state=StatusUpdate.State.DRAFT)


class StatusUpdate(models.Model):
    """A report on one item in one reporting unit: its status, a narrative, evidence."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("update state", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("update state", "Pending review")
        ACCEPTED = "accepted", pgettext_lazy("update state", "Accepted")
        RETURNED = "returned", pgettext_lazy("update state", "Returned")

    class Source(models.TextChoices):
        WEB = "web", _("web form")
        WORKBOOK = "workbook", _("Excel workbook")
        DEMO = "demo", _("demonstration data")

    item = models.ForeignKey(Item, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="updates")
    unit = models.ForeignKey(
        ReportingUnit, verbose_name=_("reporting unit"), on_delete=models.PROTECT, related_name="updates"
    )
    status = models.CharField(pgettext_lazy("field", "status"), max_length=20, choices=Status.choices)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    narrative = models.TextField(_("narrative"), blank=True)
    narrative_language = models.CharField(
        _("language of the narrative"), max_length=5, choices=settings.LANGUAGES, default="en"
    )
    refers_to = models.DateField(_("the work refers to"), help_text=_("The date the reported work refers to."))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    source = models.CharField(_("entered through"), max_length=20, choices=Source.choices, default=Source.WEB)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="status_updates"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_updates",
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    # The returned update this one revises.
    revision_of = models.ForeignKey(
        "self", verbose_name=_("revises"), null=True, blank=True, on_delete=models.PROTECT, related_name="revisions"
    )
    # The version of the item's progress in this unit that the author saw when starting.
    based_on_version = models.PositiveIntegerField(default=0)

    objects = StatusUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The state of an item in a unit at a date: its newest accepted update then (reports.snapshot).
            models.Index(fields=["item", "unit", "state", "submitted_at", "id"], name="update_pair_state_submitted"),
            models.Index(fields=["state", "submitted_at"]),
            # The latest accepted updates of the region and of one unit (reports.dashboard).
            models.Index(fields=["state", "reviewed_at", "id"], name="update_state_reviewed"),
            models.Index(fields=["unit", "state", "reviewed_at", "id"], name="update_unit_state_reviewed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="progress_at_most_100"),
        ]
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")

    def __str__(self) -> str:
        return f"{self.item.code} {self.unit.code} {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("actions:update", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT


class UpdateEvent(models.Model):
    """One step of an update's workflow: who did what, when, and what they said."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned")

    update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self) -> str:
        return f"{self.update_id} {self.action}"


EVIDENCE_STORAGE = NamedStorage("evidence")


def evidence_storage():
    return EVIDENCE_STORAGE


def evidence_path(evidence: "Evidence", filename: str) -> str:
    # A random name: the stored file's name says nothing and cannot be guessed.
    return f"{evidence.update.unit.code.lower()}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class Evidence(models.Model):
    """A file or a link supporting an update. Files are served only through a permission check."""

    update = models.ForeignKey(StatusUpdate, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), storage=evidence_storage, upload_to=evidence_path, blank=True, max_length=200)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    url = models.URLField(_("link"), max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(file="") | ~Q(url=""), name="evidence_is_a_file_or_a_link"),
        ]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.file_name or self.url

    def get_absolute_url(self) -> str:
        return reverse("actions:evidence", args=[self.pk]) if self.file else self.url


class Progress(models.Model):
    """The state of one item in one reporting unit, kept with every update."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="progress")
    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="progress")
    version = models.PositiveIntegerField(default=0)
    latest = models.ForeignKey(StatusUpdate, null=True, on_delete=models.SET_NULL, related_name="+")
    current = models.ForeignKey(StatusUpdate, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "unit"], name="progress_once_per_item_and_unit")]
        verbose_name = _("progress")
        verbose_name_plural = _("progress")

    def __str__(self) -> str:
        return f"{self.item.key} {self.unit.code} v{self.version}"


class WorkbookConfirmation(models.Model):
    """A workbook preview that has been confirmed: each preview saves its rows once.

    The preview's random id is unique here and is written in the same transaction as the rows, so a
    second confirmation of the same preview, even at the same moment, fails on this row and saves
    nothing (PostgreSQL makes it wait for the first and then refuses it; SQLite serialises writers)."""

    preview = models.UUIDField(unique=True)
    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("confirmed workbook")
        verbose_name_plural = _("confirmed workbooks")

    def __str__(self) -> str:
        return f"{self.unit.code} {self.preview}"
