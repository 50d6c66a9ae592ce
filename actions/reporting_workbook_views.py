"""The offline Excel round trip: download a workbook, upload it filled, check the preview, confirm.

The views stay thin; building, reading and applying the workbook is in actions.reporting_workbook.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from actions import reporting_workbook as workbook
from actions import services
from actions.models import ReportingUnit
from actions.permissions import allowed


class UploadForm(forms.Form):
    workbook = forms.FileField(
        label=gettext_lazy("Filled workbook (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": f".xlsx,{workbook.CONTENT_TYPE}"}),
    )

    def clean_workbook(self):
        uploaded = self.cleaned_data["workbook"]
        try:
            workbook.check_upload(uploaded.name, uploaded.size)
        except workbook.WorkbookRejected as rejected:
            raise forms.ValidationError(rejected.message) from None
        return uploaded


class ConfirmForm(forms.Form):
    MODES = (
        ("submit", gettext_lazy("Submit for review")),
        ("draft", gettext_lazy("Save as drafts")),
    )
    digest = forms.CharField(widget=forms.HiddenInput)
    mode = forms.ChoiceField(
        label=gettext_lazy("What to do with these rows"), choices=MODES, initial="submit", widget=forms.RadioSelect
    )
    acknowledge = forms.BooleanField(
        label=gettext_lazy("I have read the newer updates and still want to send my rows"), required=False
    )


def _session_key(unit: ReportingUnit) -> str:
    return f"workbook:{unit.code}"


def _confirmed_key(unit: ReportingUnit) -> str:
    # The digest of the preview last confirmed, so that a repeated confirmation is told so.
    return f"workbook-confirmed:{unit.code}"


def already_confirmed_message() -> str:
    return _(
        "This workbook preview has been confirmed already; its rows were saved then, and nothing more was saved now."
    )


def _unit(request: HttpRequest, code: str) -> ReportingUnit:
    unit = get_object_or_404(ReportingUnit, code=code)
    # The rules themselves rather than user.has_perm, which says yes to a superuser for any unit while
    # the services refuse them anything but the Secretariat's units: the confirmation would fail.
    if not allowed(request.user, "actions.report_for_unit", unit):
        raise PermissionDenied
    return unit


def _upload_page(request: HttpRequest, unit: ReportingUnit, form: UploadForm) -> HttpResponse:
    return render(request, "actions/workbook_upload.html", {"unit": unit, "form": form})


def _preview_page(request: HttpRequest, unit: ReportingUnit, stored: dict, *, rows, errors, error: str = ""):
    conflicts = any(row["conflicts"] for row in rows)
    context = {
        "unit": unit,
        "rows": workbook.display_rows(rows),
        "errors": errors,
        "conflicts": conflicts,
        "downloaded_at": datetime.datetime.fromisoformat(stored["downloaded_at"]),
        "workbook_language": stored["language"],
        "can_confirm": bool(rows) and not errors,
        "form": ConfirmForm(initial={"digest": stored["digest"], "mode": "submit"}),
        "error": error,
    }
    return render(request, "actions/workbook_preview.html", context)


@login_required
@require_GET
@never_cache
def workbook_download(request: HttpRequest, unit: str) -> HttpResponse:
    unit = _unit(request, unit)
    content = workbook.build_workbook(unit)
    response = HttpResponse(content, content_type=workbook.CONTENT_TYPE)
    name = workbook.filename(unit, timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def workbook_upload(request: HttpRequest, unit: str) -> HttpResponse:
    unit = _unit(request, unit)
    if request.method != "POST":
        return _upload_page(request, unit, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, unit, form)
    # A new upload replaces whatever an earlier preview kept.
    request.session.pop(_session_key(unit), None)
    try:
        parsed = workbook.parse_workbook(form.cleaned_data["workbook"].read(), unit)
    except workbook.WorkbookRejected as rejected:
        form.add_error("workbook", rejected.message)
        return _upload_page(request, unit, form)
    stored = parsed.stored()
    if parsed.can_confirm:
        request.session[_session_key(unit)] = stored
    return _preview_page(request, unit, stored, rows=parsed.rows, errors=parsed.errors)


@login_required
@require_POST
def workbook_confirm(request: HttpRequest, unit: str) -> HttpResponse:
    unit = _unit(request, unit)
    stored = request.session.get(_session_key(unit))
    form = ConfirmForm(request.POST)
    if stored is None and form.is_valid() and form.cleaned_data["digest"] == request.session.get(_confirmed_key(unit)):
        # A second confirmation that arrives after the first has finished (a double click).
        messages.warning(request, already_confirmed_message())
        return redirect("actions:my_reporting")
    if stored is None or not form.is_valid() or form.cleaned_data["digest"] != stored["digest"]:
        # No preview in this session, or the page confirmed is not the last preview (another tab).
        messages.error(request, _("There is nothing to confirm any more. Upload the workbook again."))
        return redirect("actions:workbook_upload", unit.code)
    if any(row["conflicts"] for row in stored["rows"]) and not form.cleaned_data["acknowledge"]:
        return _preview_page(
            request,
            unit,
            stored,
            rows=stored["rows"],
            errors=[],
            error=_(
                "Some activities were updated after you downloaded the workbook. Read the newer updates and "
                "tick the box to confirm that you still want to send your rows."
            ),
        )
    submit = form.cleaned_data["mode"] == "submit"
    try:
        count = workbook.apply_rows(
            stored, user=request.user, unit=unit, submit=submit, language=translation.get_language()
        )
    except workbook.AlreadyConfirmed:
        request.session.pop(_session_key(unit), None)
        messages.warning(request, already_confirmed_message())
        return redirect("actions:my_reporting")
    except (services.StaleUpdate, PermissionDenied, ValidationError) as failure:
        # apply_rows rolled everything back; the preview no longer matches the site.
        request.session.pop(_session_key(unit), None)
        reason = " ".join(failure.messages) if isinstance(failure, ValidationError) else str(failure)
        messages.error(
            request,
            _("Nothing was saved: %(reason)s Upload the workbook again to see the current state.") % {"reason": reason},
        )
        return redirect("actions:workbook_upload", unit.code)
    request.session.pop(_session_key(unit), None)
    request.session[_confirmed_key(unit)] = stored["digest"]
    messages.success(request, workbook.applied_message(count, submit=submit))
    return redirect("actions:my_reporting")
