"""The archive of meeting reports: what was asked for, by whom, when, and the file made.

A report is generated in the background (reports/tasks.py); its row shows the progress while it
runs, and afterwards keeps the file and its SHA-256 so that a copy handed out can be checked.
"""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actions.models import Instrument, Meeting, ReportingUnit
from actions.storage import NamedStorage

REPORT_STORAGE = NamedStorage("reports")


def report_storage():
    return REPORT_STORAGE


def report_path(report: "MeetingReport", filename: str) -> str:
    # A random name: reports are served only through a permission check, never by their path.
    return f"{report.requested_at:%Y}/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class MeetingReportQuerySet(models.QuerySet):
    def for_user(self, user):
        """The reports `user` may read: mirrors the `reports.view_report` rule."""
        from actions.permissions import readable_unit_ids

        readable = readable_unit_ids(user)
        if readable is None:
            return self
        return self.filter(unit_id__in=readable)


class MeetingReport(models.Model):
    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "Excel"

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being generated")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="reports")
    instruments = models.ManyToManyField(Instrument, verbose_name=_("instruments"), related_name="+")
    # Empty for a regional report: every reporting unit of the instruments.
    unit = models.ForeignKey(
        ReportingUnit,
        verbose_name=_("reporting unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meeting_reports",
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    # 0-100, and the step under way, for the page that waits for the report.
    percent = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=30, blank=True)
    file = models.FileField(_("file"), storage=report_storage, upload_to=report_path, blank=True, max_length=200)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = MeetingReportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("meeting report")
        verbose_name_plural = _("meeting reports")

    def __str__(self) -> str:
        return f"{self.meeting} · {self.scope_name} · {self.language} · {self.get_format_display()}"

    def get_absolute_url(self) -> str:
        return reverse("reports:report", args=[self.pk])

    @property
    def scope_name(self) -> str:
        return str(self.unit) if self.unit_id else str(_("whole region"))

    @property
    def is_done(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)

    @property
    def content_type(self) -> str:
        if self.format == self.Format.PDF:
            return "application/pdf"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
