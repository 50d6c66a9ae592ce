"""Where a person arrives after signing in: the page of their job."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from actions.permissions import allowed, writable_units


@login_required
@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    """Reviewers go to the review queue, focal points to My reporting, everyone else to the
    dashboards, which lead a ministry viewer to their unit's. Sign-in goes here unless a `next`
    address asked for another page (LOGIN_REDIRECT_URL)."""
    if allowed(request.user, "actions.review"):
        return redirect("actions:review_queue")
    if writable_units(request.user).exists():
        return redirect("actions:my_reporting")
    return redirect("reports:dashboards")
