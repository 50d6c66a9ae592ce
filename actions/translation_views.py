"""The texts in every language: how complete each language is, and its workbook out and back in.

For the Secretariat: a translator corrects one language in Excel; the upload saves every changed
text or, when any row is wrong, none. Building and reading the workbook: actions.translation_workbook.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from actions import content_translations, spreadsheets, translation_workbook
from actions.permissions import allowed
from actions.reporting_workbook_views import UploadForm


class TranslationUploadForm(UploadForm):
    """The reporting workbook's upload form (same checks of name and size), with its own label."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workbook"].label = gettext_lazy("Corrected workbook (.xlsx)")


def _check_permission(request: HttpRequest) -> None:
    if not allowed(request.user, "actions.manage_translations"):
        raise PermissionDenied


def _page(request, form, *, errors=(), status=200) -> HttpResponse:
    context = {"coverage": content_translations.coverage(), "form": form, "errors": errors}
    return render(request, "actions/translations.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def translations(request: HttpRequest) -> HttpResponse:
    _check_permission(request)
    if request.method != "POST":
        return _page(request, TranslationUploadForm())
    form = TranslationUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        parsed = translation_workbook.parse_workbook(form.cleaned_data["workbook"].read())
    except spreadsheets.WorkbookRejected as rejected:
        form.add_error("workbook", rejected.message)
        return _page(request, form, status=400)
    if parsed.errors:
        return _page(request, form, errors=parsed.errors, status=400)
    count = content_translations.save_changes(parsed.changes, parsed.language)
    language = content_translations.LANGUAGE_NAMES[parsed.language]
    if count:
        messages.success(
            request,
            ngettext("%(count)d text changed (%(language)s).", "%(count)d texts changed (%(language)s).", count)
            % {"count": count, "language": language},
        )
    else:
        messages.info(request, _("The workbook holds no change: nothing was saved."))
    return redirect("actions:translations")


@login_required
@require_GET
@never_cache
def translations_download(request: HttpRequest, language: str) -> HttpResponse:
    _check_permission(request)
    if language not in content_translations.LANGUAGES:
        raise Http404
    content = translation_workbook.build_workbook(language)
    response = HttpResponse(content, content_type=spreadsheets.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{translation_workbook.filename(language)}"'
    return response
