"""Each person's own pages: the inbox of their notifications, and My profile (how they are told).

Everyone signed in has both; each shows and changes only the person's own notifications and
profile, whatever the address asks for.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from actions.forms import PlainLabels
from actions.models import Notification, Profile

NOTIFICATIONS_PER_PAGE = 50


def _own(request: HttpRequest):
    return Notification.objects.inbox(request.user)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first; unread ones marked."""
    notifications = _own(request).select_related("actor", "update__item__instrument", "update__unit")
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "actions/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its update. Another person's is "not found"."""
    notification = get_object_or_404(_own(request), pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=timezone.now())
    return redirect("actions:update", notification.update_id)


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    count = _own(request).unread().update(read_at=timezone.now())
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("actions:inbox")


class ProfileForm(PlainLabels, forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["email_frequency", "language"]
        widgets = {"email_frequency": forms.RadioSelect}


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """My profile: how the person is told of the steps that concern them, and in which language."""
    own = Profile.objects.filter(user=request.user).prefetch_related("units").first()
    form = None
    if own is not None:
        form = ProfileForm(request.POST if request.method == "POST" else None, instance=own)
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, _("Your profile was saved."))
            return redirect("actions:profile")
    return render(request, "actions/profile.html", {"profile": own, "form": form})
