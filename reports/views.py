from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV

from actions.permissions import allowed
from reports import services
from reports.formats import SafeXLSX
from reports.forms import MeetingReportForm
from reports.models import MeetingReport
from reports.resources import ItemResource


def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/open_data.html")


def activities_json(request: HttpRequest) -> JsonResponse:
    dataset = ItemResource().export()
    return JsonResponse(dataset.dict, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 1})


def activities_csv(request: HttpRequest) -> HttpResponse:
    dataset = ItemResource(join_lists=True).export()
    response = HttpResponse(CSV().export_data(dataset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="activities.csv"'
    return response


def activities_xlsx(request: HttpRequest) -> HttpResponse:
    dataset = ItemResource(join_lists=True).export()
    dataset.title = "activities"
    response = HttpResponse(SafeXLSX().export_data(dataset), content_type=SafeXLSX.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="activities.xlsx"'
    return response


@login_required
def meeting_reports(request: HttpRequest) -> HttpResponse:
    """The archive of meeting reports the person may read, and the form to ask for a new one."""
    may_generate = allowed(request.user, "reports.generate")
    form = None
    if may_generate:
        form = MeetingReportForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            report = services.report_request(
                user=request.user,
                meeting=data["meeting"],
                instruments=list(data["instruments"]),
                unit=data["scope"],
                language=data["language"],
                format=data["format"],
            )
            messages.success(request, _("The report is being generated; this page shows when it is ready."))
            return redirect(report)
    elif request.method == "POST":
        raise PermissionDenied
    archive = (
        MeetingReport.objects.for_user(request.user)
        .select_related("meeting", "unit", "requested_by")
        .prefetch_related("instruments")
    )
    page = Paginator(archive, 25).get_page(request.GET.get("page"))
    return render(request, "reports/meeting_reports.html", {"form": form, "page": page})


def _readable_report(request: HttpRequest, pk: int) -> MeetingReport:
    report = get_object_or_404(MeetingReport.objects.select_related("meeting", "unit", "requested_by"), pk=pk)
    if not allowed(request.user, "reports.view_report", report):
        raise Http404
    return report


@login_required
def meeting_report(request: HttpRequest, pk: int) -> HttpResponse:
    """One report: its parameters, its progress while it is generated, then its file."""
    report = _readable_report(request, pk)
    return render(request, "reports/meeting_report.html", {"report": report})


@login_required
def meeting_report_file(request: HttpRequest, pk: int) -> FileResponse:
    report = _readable_report(request, pk)
    if report.state != MeetingReport.State.READY:
        raise Http404
    return FileResponse(
        report.file.open("rb"), as_attachment=True, filename=report.file_name, content_type=report.content_type
    )
