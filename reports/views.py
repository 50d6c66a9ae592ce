import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from actions import data_version
from actions.models import Instrument, ReportingUnit
from actions.permissions import allowed
from reports import dashboard, datapackage, services
from reports.dashboard import StatusLine, charts_for
from reports.excel_exports import progress_workbook
from reports.filters import ProgressFilter, progress_rows
from reports.formats import SafeCSV, SafeXLSX
from reports.forms import MeetingReportForm
from reports.heatmap import heat_map
from reports.models import MeetingReport
from reports.permissions import dashboard_units
from reports.resources import ItemResource
from reports.snapshot import STATUS_ORDER

logger = logging.getLogger(__name__)


def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/open_data.html")


def activities_json(request: HttpRequest) -> JsonResponse:
    dataset = ItemResource().export()
    return JsonResponse(dataset.dict, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 1})


def _activities_csv(filename: str, byte_order_mark: str = "") -> HttpResponse:
    dataset = ItemResource(join_lists=True).export()
    content = byte_order_mark + SafeCSV().export_data(dataset)
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def activities_csv(request: HttpRequest) -> HttpResponse:
    """UTF-8 without a byte-order mark: for programs (csv modules, pandas, R, frictionless)."""
    return _activities_csv("activities.csv")


def activities_excel_csv(request: HttpRequest) -> HttpResponse:
    """The same CSV with a byte-order mark, by which Excel and LibreOffice recognise UTF-8."""
    return _activities_csv("activities-excel.csv", byte_order_mark="\ufeff")


def activities_datapackage(request: HttpRequest) -> JsonResponse:
    """The Frictionless Data Package: the files and the Table Schema of their columns."""
    return JsonResponse(datapackage.descriptor(), json_dumps_params={"ensure_ascii": False, "indent": 1})


def activities_xlsx(request: HttpRequest) -> HttpResponse:
    dataset = ItemResource(join_lists=True, dates=True).export()
    dataset.title = "activities"
    response = HttpResponse(SafeXLSX().export_data(dataset), content_type=SafeXLSX.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="activities.xlsx"'
    return response


@login_required
def meeting_reports(request: HttpRequest) -> HttpResponse:
    """The archive of meeting reports the person may read, and the form to ask for a new one."""
    services.fail_interrupted()
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
            # No message: the report's page says its state itself, and a message saying "being
            # generated" would sit above "ready" once the worker is quick.
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
    services.fail_interrupted()
    report = _readable_report(request, pk)
    return render(request, "reports/meeting_report.html", {"report": report})


@login_required
def meeting_report_file(request: HttpRequest, pk: int) -> FileResponse:
    report = _readable_report(request, pk)
    if report.state != MeetingReport.State.READY:
        raise Http404
    try:
        stored = report.file.open("rb")
    except FileNotFoundError:
        logger.warning("Meeting report %s has no file %s", report.pk, report.file.name)
        raise Http404 from None
    return FileResponse(stored, as_attachment=True, filename=report.file_name, content_type=report.content_type)


# Dashboards -----------------------------------------------------------------------------------


def _instruments():
    return list(Instrument.objects.prefetch_related("applies_to").order_by("position"))


def _chosen_instrument(request: HttpRequest, instruments: list[Instrument]) -> Instrument | None:
    slug = request.GET.get("instrument")
    if not slug:
        return None
    for instrument in instruments:
        if instrument.slug == slug:
            return instrument
    raise Http404


def dashboard_home(request: HttpRequest) -> HttpResponse:
    """The regional dashboard for those who may read it; otherwise the dashboard of one's unit."""
    if allowed(request.user, "reports.view_regional_dashboard"):
        return redirect("reports:dashboard_region")
    units = dashboard_units(request.user)
    if not request.user.is_authenticated and not units:
        return redirect_to_login(request.get_full_path())
    if len(units) == 1:
        return redirect("reports:dashboard_unit", code=units[0].code)
    if not units:
        raise PermissionDenied
    return render(request, "reports/dashboard_choice.html", {"units": units})


def _dashboard_page(request: HttpRequest, unit: ReportingUnit | None) -> HttpResponse:
    instruments = _instruments()
    instrument = _chosen_instrument(request, instruments)
    if unit is not None:
        # Only the instruments that ask something of the unit.
        instruments = [
            each for each in instruments if unit in each.applies_to.all() or each.items.filter(applies_to=unit).exists()
        ]
        if instrument is not None and instrument not in instruments:
            raise Http404
    may_see_region = allowed(request.user, "reports.view_regional_dashboard")
    today = timezone.localdate()

    def draw_sections() -> str:
        board = dashboard.build(instruments, instrument, unit, today=today, due_soon_days=settings.DUE_SOON_DAYS)
        return render_to_string("reports/dashboard_body.html", _dashboard_sections(board, may_see_region), request)

    # The same for every reader with the same right to the region's figures (which the unit's table
    # links to); the reader's own links (their units, the updates they may open) are drawn below.
    sections = data_version.cached_part(
        "dashboard",
        (
            translation.get_language(),
            unit.code if unit else None,
            instrument.slug if instrument else None,
            [each.slug for each in instruments],
            today.isoformat(),
            settings.DUE_SOON_DAYS,
            may_see_region,
        ),
        draw_sections,
    )
    latest = dashboard.latest_accepted_in(instruments, instrument, unit)
    return render(
        request,
        "reports/dashboard.html",
        {
            "board_sections": mark_safe(sections),
            "shown_unit": unit,
            "instrument": instrument,
            "instruments": instruments,
            "today": today,
            "latest": latest,
            "units": dashboard_units(request.user),
            "may_see_region": may_see_region,
            "shows_people": unit is not None and allowed(request.user, "actions.read_unit", unit),
            "focal_points": dashboard.focal_points_of(unit) if unit is not None else [],
            "readable_updates": {
                update.pk for update in latest if allowed(request.user, "actions.view_update", update)
            },
        },
    )


def _dashboard_sections(board: dashboard.Dashboard, may_see_region: bool) -> dict:
    """What the figures, changes, status, objectives, heat map and deadlines are drawn from."""
    unit, instrument = board.unit, board.instrument
    region_scope = {"instrument": instrument.slug} if instrument is not None else {}
    scope = {**region_scope, "unit": unit.code} if unit is not None else region_scope
    if unit is None:
        status_lines = [
            StatusLine(each.name, counts, {**region_scope, "unit": each.code}, unit=each)
            for each, counts in board.counts_by_unit()
        ]
        status_lines.append(StatusLine(_("The whole region"), board.totals, region_scope))
    else:
        status_lines = [
            StatusLine(unit.name, board.totals, scope),
            StatusLine(_("The whole region"), board.region_totals, region_scope if may_see_region else None),
        ]
    charts = charts_for(board)
    unit_links = None if unit is not None else (lambda each: reverse("reports:dashboard_unit", args=[each.code]))
    shows_heat_maps = unit is not None or instrument is not None or len(board.parts) == 1
    return {
        "board": board,
        "scope": scope,
        "statuses": STATUS_ORDER,
        "status_lines": status_lines,
        "charts": charts,
        "objective_sections": [
            (part, chart, lines)
            for part, chart, lines in zip(board.parts, charts["objectives"], board.objective_lines(), strict=True)
        ],
        "heat_maps": [
            heat_map(
                part,
                caption=_("Status of each activity in %(instrument)s") % {"instrument": part.instrument.short_title},
                unit_link=unit_links,
            )
            for part in board.parts
            if shows_heat_maps
        ],
        # The region's tables of every instrument would be most of the page: one at a time.
        "heat_map_choices": [] if shows_heat_maps else board.parts,
        "matrix_open": instrument is not None,
    }


@data_version.conditional_page
def dashboard_region(request: HttpRequest) -> HttpResponse:
    if not allowed(request.user, "reports.view_regional_dashboard"):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    return _dashboard_page(request, None)


@data_version.conditional_page
def dashboard_unit(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_object_or_404(ReportingUnit, code=code)
    if not allowed(request.user, "reports.view_unit_dashboard", unit):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    return _dashboard_page(request, unit)


def _progress_filter(request: HttpRequest) -> ProgressFilter:
    units = dashboard_units(request.user)
    if not units:
        if not request.user.is_authenticated:
            raise NotSignedIn
        raise PermissionDenied
    return ProgressFilter(request.GET, queryset=progress_rows(units), units=units)


class NotSignedIn(Exception):
    pass


@data_version.conditional_page
def progress_list(request: HttpRequest) -> HttpResponse:
    """Activities x reporting units with their state now, filtered as the URL says."""
    try:
        progress_filter = _progress_filter(request)
    except NotSignedIn:
        return redirect_to_login(request.get_full_path())
    query = request.GET.copy()
    query.pop("page", None)

    def draw_body() -> str:
        units = {unit.pk: unit for unit in progress_filter.units}
        page = Paginator(progress_filter.rows(), 50).get_page(request.GET.get("page"))
        for row in page:
            row.unit = units[row.unit_pk]
        context = {"filter": progress_filter, "page": page, "query": query.urlencode()}
        return render_to_string("reports/progress_list_body.html", context, request)

    body = data_version.cached_part("progress-list", _progress_varies_on(request, progress_filter), draw_body)
    return render(request, "reports/progress_list.html", {"body": mark_safe(body)})


def _progress_varies_on(request: HttpRequest, progress_filter: ProgressFilter) -> tuple:
    """What makes the progress list and its workbook differ between two requests: they show accepted
    states of the units the reader may read, and nothing of the reader's own."""
    return (
        translation.get_language(),
        sorted(request.GET.lists()),
        [unit.code for unit in progress_filter.units],
        progress_filter.today.isoformat(),
    )


def progress_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered list as an Excel workbook, every row (not one page), in the page's language."""
    try:
        progress_filter = _progress_filter(request)
    except NotSignedIn:
        return redirect_to_login(request.get_full_path())
    if not progress_filter.is_valid():
        return redirect(f"{reverse('reports:progress')}?{request.GET.urlencode()}")

    def write_workbook() -> bytes:
        units = {unit.pk: unit for unit in progress_filter.units}
        return progress_workbook(progress_filter.rows(), units, today=progress_filter.today)

    content = data_version.cached_part("progress-xlsx", _progress_varies_on(request, progress_filter), write_workbook)
    response = HttpResponse(content, content_type=SafeXLSX.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="progress-{progress_filter.today.isoformat()}.xlsx"'
    return response
