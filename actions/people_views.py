"""The people of the tracker: invitations sent by those who may invite, and accepted."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from actions.forms import (
    InvitationAcceptForm,
    InvitationForm,
)
from actions.models import (
    Invitation,
    Profile,
    Role,
)


def _send_invitation(request: HttpRequest, invitation: Invitation) -> str:
    with translation.override(invitation.language):
        link = request.build_absolute_uri(reverse("actions:invitation_accept", args=[invitation.token]))
        context = {"invitation": invitation, "link": link, "days": settings.INVITATION_VALID_DAYS}
        send_mail(
            render_to_string("actions/email/invitation_subject.txt", context).strip(),
            render_to_string("actions/email/invitation.txt", context),
            None,
            [invitation.email],
        )
    return link


@login_required
@permission_required("actions.invite", raise_exception=True)
def people(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                invitation = form.save(commit=False)
                invitation.invited_by = request.user
                invitation.save()
                form.save_m2m()
            link = _send_invitation(request, invitation)
            messages.success(
                request,
                _("An invitation was sent to %(email)s. The link, valid for %(days)s days: %(link)s")
                % {"email": invitation.email, "days": settings.INVITATION_VALID_DAYS, "link": link},
            )
            return redirect("actions:people")
    else:
        form = InvitationForm()
    accounts = (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile")
        .prefetch_related("profile__units")
        .order_by("username")
    )
    invitations = Invitation.objects.filter(accepted_by=None).prefetch_related("units").select_related("invited_by")
    return render(request, "actions/people.html", {"form": form, "accounts": accounts, "invitations": invitations})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None or not invitation.is_open:
        return render(request, "actions/invitation_closed.html", status=410 if invitation else 404)
    if request.method == "POST":
        form = InvitationAcceptForm(request.POST)
        if form.is_valid():
            with transaction.atomic():
                invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
                if not invitation.is_open:
                    return render(request, "actions/invitation_closed.html", status=410)
                user = form.save(commit=False)
                user.email = invitation.email
                user.first_name = invitation.name[:150]
                user.save()
                profile = Profile.objects.create(user=user, role=invitation.role, language=invitation.language)
                profile.units.set(invitation.units.all())
                invitation.accepted_by = user
                invitation.save(update_fields=["accepted_by"])
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            destination = "actions:review_queue" if invitation.role == Role.SECRETARIAT else "actions:my_reporting"
            return redirect(destination)
    else:
        form = InvitationAcceptForm(initial={"username": invitation.email.split("@")[0]})
    return render(request, "actions/invitation_accept.html", {"form": form, "invitation": invitation})
