"""Requesting and generating meeting reports. Writes to the archive happen only here."""

import datetime
import hashlib
import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from actions.models import Instrument, Meeting, ReportingUnit
from reports.models import MeetingReport
from reports.permissions import may_generate

logger = logging.getLogger(__name__)


@transaction.atomic
def report_request(
    *, user, meeting: Meeting, instruments: list[Instrument], unit: ReportingUnit | None, language: str, format: str
) -> MeetingReport:
    """Archive a request for a report and queue its generation.

    Side effects: a MeetingReport row in state "queued"; once the transaction commits, a task on
    the queue that generates it (reports.tasks.generate_report).
    """
    if not may_generate(user, unit):
        raise PermissionDenied(_("You may not generate this report."))
    report = MeetingReport.objects.create(
        meeting=meeting, unit=unit, language=language, format=format, requested_by=user
    )
    report.instruments.set(instruments)
    from reports.tasks import generate_report

    transaction.on_commit(lambda: generate_report.enqueue(report.pk))
    return report


def _set_progress(report: MeetingReport, percent: int, step: str) -> None:
    # A plain UPDATE, so that the waiting page sees it while the generation goes on.
    MeetingReport.objects.filter(pk=report.pk).update(percent=percent, step=step)


def file_name_of(report: MeetingReport) -> str:
    scope = report.unit.code if report.unit_id else "region"
    meeting = slugify(re.sub(r"[/.]", " ", report.meeting.symbol or report.meeting.name)) or "meeting"
    return f"{meeting}-{scope}-{report.meeting.cutoff:%Y-%m-%d}-{report.language}.{report.format}"


def render(report: MeetingReport, progress=None) -> bytes:
    """The report's file, from the snapshot of its meeting's cut-off."""
    from reports import excel_exports, snapshot
    from reports.documents import render_pdf

    progress = progress or (lambda percent, step: None)
    progress(5, "gathering")
    taken = snapshot.take(report.meeting, list(report.instruments.all()), report.unit, report.language)
    if report.format == MeetingReport.Format.PDF:
        return render_pdf(taken, progress)
    progress(40, "writing")
    return excel_exports.render_xlsx(taken)


def report_generate(*, report_id: int) -> MeetingReport:
    """Generate a queued report and store its file.

    Side effects: the row goes "running" (with progress), then "ready" with the file, its size and
    SHA-256, or "failed" with the error; a failure stores no file.
    """
    report = MeetingReport.objects.select_related("meeting", "unit").get(pk=report_id)
    if report.state != MeetingReport.State.QUEUED:
        return report
    report.state = MeetingReport.State.RUNNING
    report.started_at = timezone.now()
    report.save(update_fields=["state", "started_at"])
    try:
        content = render(report, lambda percent, step: _set_progress(report, percent, step))
    except Exception as error:
        logger.exception("Meeting report %s failed", report.pk)
        report.state = MeetingReport.State.FAILED
        report.error = f"{type(error).__name__}: {error}"
        report.finished_at = timezone.now()
        report.save(update_fields=["state", "error", "finished_at"])
        return report
    report.file_name = file_name_of(report)
    report.file.save(report.file_name, ContentFile(content), save=False)
    report.size = len(content)
    report.sha256 = hashlib.sha256(content).hexdigest()
    report.state = MeetingReport.State.READY
    report.percent = 100
    report.step = "ready"
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "file_name", "size", "sha256", "state", "percent", "step", "finished_at"])
    return report


def fail_interrupted() -> int:
    """Mark failed the reports whose generation stopped without an end (a killed worker).

    Such a report would otherwise stay "being generated" for ever; failed, it can be requested
    again. A generation takes minutes, so one running far longer than REPORT_GENERATION_TIMEOUT
    has no worker left. Returns how many were marked.
    """
    now = timezone.now()
    started_before = now - datetime.timedelta(minutes=settings.REPORT_GENERATION_TIMEOUT_MINUTES)
    interrupted = MeetingReport.objects.filter(state=MeetingReport.State.RUNNING, started_at__lt=started_before)
    count = interrupted.update(
        state=MeetingReport.State.FAILED, error="Interrupted: the generation did not finish.", finished_at=now
    )
    if count:
        logger.warning("%s meeting reports were interrupted and marked failed", count)
    return count
