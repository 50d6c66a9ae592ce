"""Reminders e-mailed to national focal points (manage.py send_reminders, run from cron).

A focal point is reminded of what was returned to them, what is overdue, what falls due soon in
their units, and of the cut-off date of the next meeting. Every reason sent is recorded in
Reminder, so that it is never sent again; a changed deadline, a new return or a new cut-off date is
a new reason. An e-mail lists only the new reasons, and a person with none gets no e-mail.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation

from actions.attention import Attention, Reason, needing_attention
from actions.models import EmailFrequency, Item, Meeting, Profile, Reminder, Role

SUBJECT_TEMPLATE = "actions/email/reminder_subject.txt"
BODY_TEMPLATE = "actions/email/reminder.txt"

# The reasons of "My reporting" that are worth an e-mail; "no update yet" is not.
REMINDER_REASONS = {
    Reason.RETURNED: Reminder.Reason.RETURNED,
    Reason.OVERDUE: Reminder.Reason.OVERDUE,
    Reason.DUE_SOON: Reminder.Reason.DUE_SOON,
}


@dataclass
class Note:
    """One thing to remind a person of: an item of a unit for one reason, or a meeting's cut-off."""

    reason: str
    subject: str
    attention: Attention | None = None
    meeting: Meeting | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.reason, self.subject)


@dataclass
class Outcome:
    sent: list[mail.EmailMessage] = field(default_factory=list)
    failed: list[tuple[Profile, Exception]] = field(default_factory=list)


class NotSent(Exception):
    pass


def next_meeting(today: datetime.date) -> Meeting | None:
    return Meeting.objects.filter(cutoff__gte=today).order_by("cutoff", "pk").first()


def focal_points():
    """Profiles of the active focal points who have an e-mail address and want e-mails.

    "No e-mail" on My profile stops reminders too; a daily digest changes nothing for them, since a
    reminder is itself at most one e-mail a day, sent only when there is something new."""
    return (
        Profile.objects.filter(role=Role.FOCAL_POINT, user__is_active=True)
        .exclude(user__email="")
        .exclude(email_frequency=EmailFrequency.NONE)
        .select_related("user")
        .prefetch_related("units")
        .order_by("user__username")
    )


def item_subject(item: Item, unit) -> str:
    # The due date is part of it, so that a deadline moved by the Secretariat is reminded of again.
    return f"item:{item.pk}:unit:{unit.code}:due:{item.due.isoformat()}"


def notes_for(units, *, today: datetime.date, due_soon_days: int, meeting: Meeting | None) -> list[Note]:
    """Everything the focal point of `units` should hear about today, sent before or not."""
    notes = []
    found = needing_attention(units, today=today, due_soon_days=due_soon_days, reasons=tuple(REMINDER_REASONS))
    for entry in found:
        for reason in entry.reasons:
            if reason == Reason.RETURNED:
                subject = f"update:{entry.latest.pk}"
            else:
                subject = item_subject(entry.item, entry.unit)
            notes.append(Note(REMINDER_REASONS[reason], subject, attention=entry))
    if meeting is not None:
        subject = f"meeting:{meeting.pk}:cutoff:{meeting.cutoff.isoformat()}"
        notes.append(Note(Reminder.Reason.CUTOFF, subject, meeting=meeting))
    return notes


def new_notes(user, notes: list[Note]) -> list[Note]:
    sent = set(Reminder.objects.filter(user=user).values_list("reason", "subject"))
    return [note for note in notes if note.key not in sent]


def site_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def due_text(item: Item) -> str:
    """The deadline as precise as the instrument gives it, as the item pages show it."""
    return render_to_string("actions/due.html", {"item": item}).strip()


def item_line(note: Note) -> dict:
    """What the e-mail says of an item, read in the active language."""
    item, unit = note.attention.item, note.attention.unit
    line = {
        "item": item.citation,
        "unit": unit.name,
        "text": item.text,
        "due": due_text(item) if item.due else "",
        "url": site_url("actions:item", item.instrument.slug, item.slug),
        "comment": "",
    }
    if note.reason == Reminder.Reason.RETURNED:
        line["comment"] = note.attention.latest.review_comment
    return line


def compose(profile: Profile, notes: list[Note], *, due_soon_days: int, connection=None) -> mail.EmailMessage:
    """The e-mail of `notes`, in the person's language."""
    user = profile.user
    with translation.override(profile.language):
        by_reason = {reason: [] for reason in Reminder.Reason.values}
        meeting = None
        for note in notes:
            if note.meeting is not None:
                meeting = {
                    "name": note.meeting.name,
                    "symbol": note.meeting.symbol,
                    "cutoff": formats.date_format(note.meeting.cutoff),
                }
            else:
                by_reason[note.reason].append(item_line(note))
        context = {
            "name": user.get_full_name() or user.username,
            "returned": by_reason[Reminder.Reason.RETURNED],
            "overdue": by_reason[Reminder.Reason.OVERDUE],
            "due_soon": by_reason[Reminder.Reason.DUE_SOON],
            "days": due_soon_days,
            "meeting": meeting,
            "my_reporting_url": site_url("actions:my_reporting"),
        }
        subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
        body = render_to_string(BODY_TEMPLATE, context)
    return mail.EmailMessage(
        subject,
        body,
        to=[user.email],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_reminders(*, today: datetime.date, due_soon_days: int, dry_run: bool = False) -> Outcome:
    """E-mail each focal point what is new for them and record it.

    Side effects (unless `dry_run`): one e-mail per person with something new, and a Reminder row
    per reason in it. A person's reasons are recorded in the transaction that sends their e-mail,
    so that an e-mail that could not be sent is tried again on the next run. With `dry_run` the
    e-mails are composed and returned, and nothing is sent or recorded.
    """
    outcome = Outcome()
    meeting = next_meeting(today)
    connection = mail.get_connection()
    for profile in focal_points():
        units = list(profile.units.all())
        if not units:
            continue  # Reports on nothing, so has no cut-off to meet either.
        notes = new_notes(profile.user, notes_for(units, today=today, due_soon_days=due_soon_days, meeting=meeting))
        if not notes:
            continue
        message = compose(profile, notes, due_soon_days=due_soon_days, connection=connection)
        if dry_run:
            outcome.sent.append(message)
            continue
        try:
            with transaction.atomic():
                Reminder.objects.bulk_create(
                    [Reminder(user=profile.user, reason=note.reason, subject=note.subject) for note in notes]
                )
                if not message.send():
                    raise NotSent("the e-mail backend accepted no message")
        except Exception as error:
            # An SMTP or database error for one person stops no one else; theirs stays unrecorded.
            outcome.failed.append((profile, error))
        else:
            outcome.sent.append(message)
    return outcome
