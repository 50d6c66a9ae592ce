"""Who reports, who reviews and who reads; invitations; meetings and the reminders sent before them."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actions.models.instruments import ReportingUnit, TranslatedContent


class Role(models.TextChoices):
    FOCAL_POINT = "focal-point", _("national focal point")
    SECRETARIAT = "secretariat", _("CMS Secretariat")
    MINISTRY_VIEWER = "ministry-viewer", _("ministry viewer")


def default_language() -> str:
    return settings.LANGUAGE_CODE


class EmailFrequency(models.TextChoices):
    """How a person wants to hear of the workflow steps that concern them (actions.notifications)."""

    IMMEDIATE = "immediate", _("an e-mail for each step, at once")
    DIGEST = "digest", _("one e-mail a day, a digest")
    NONE = "none", _("no e-mail, only the inbox")


class Profile(models.Model):
    """A person's role in the tracker and the reporting units it covers.

    Administrators are Django superusers; they may do what the Secretariat does, and more in the admin.
    The Secretariat covers every unit; focal points and ministry viewers only the units listed here.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    units = models.ManyToManyField(ReportingUnit, verbose_name=_("reporting units"), related_name="people", blank=True)
    language = models.CharField(
        _("language for e-mails"), max_length=5, choices=settings.LANGUAGES, default=default_language
    )
    # "none" also stops the reminders of manage.py send_reminders.
    email_frequency = models.CharField(
        _("e-mails about updates"), max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.IMMEDIATE
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class Invitation(models.Model):
    """An invitation the Secretariat sends; the link in it lets the person choose a password."""

    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    units = models.ManyToManyField(ReportingUnit, verbose_name=_("reporting units"), blank=True)
    language = models.CharField(
        _("language for e-mails"), max_length=5, choices=settings.LANGUAGES, default=default_language
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=invitation_expiry)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email

    @property
    def is_open(self) -> bool:
        return self.accepted_by_id is None and self.expires_at > timezone.now()


class Meeting(TranslatedContent):
    """A CMS meeting for which progress is reported, as at its cut-off date.

    Its name and place have a column per language (actions.translation); `translation_kinds` says
    which is the name the meeting gave itself and which are unofficial translations, so that a cover
    in another language can say so.
    """

    class Body(models.TextChoices):
        COP = "cop", _("Conference of the Parties")
        SCIENTIFIC_COUNCIL = "scientific-council", _("Scientific Council")
        STANDING_COMMITTEE = "standing-committee", _("Standing Committee")
        CAMI = "cami", _("CAMI meeting")
        OTHER = "other", _("other meeting")

    name = models.CharField(_("name"), max_length=200)
    body = models.CharField(_("body"), max_length=30, choices=Body.choices)
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    symbol = models.CharField(_("document symbol"), max_length=100, blank=True)
    period_start = models.DateField(_("reporting period from"))
    period_end = models.DateField(_("reporting period to"))
    cutoff = models.DateField(_("cut-off date"))

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return self.name

    def original_wording(self, language: str) -> str:
        """The meeting's own name and place when `language` shows them in an unofficial translation,
        so that a cover or a workbook can say so; otherwise ""."""
        if self.translation_kind(language) != "unofficial":
            return ""
        return ", ".join(text for text in (self.name_en, self.place_en) if text)


class Reminder(models.Model):
    """One reason a person was reminded of, so that the same reminder is never sent twice."""

    class Reason(models.TextChoices):
        DUE_SOON = "due-soon", _("due soon")
        OVERDUE = "overdue", _("overdue")
        RETURNED = "returned", _("returned")
        CUTOFF = "cutoff", _("meeting cut-off")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    # What the reminder was about, e.g. "cami-pow:2.2.1/KZ:2026-12-31" or "update:42" or "meeting:3".
    subject = models.CharField(max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "reason", "subject"], name="reminder_sent_once"),
        ]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")

    def __str__(self) -> str:
        return f"{self.user} {self.reason} {self.subject}"
