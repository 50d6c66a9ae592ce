"""Each workflow step tells the people it concerns: in their inbox, and by e-mail as they chose.

Who hears of what:

- an update submitted: the reviewers (the Secretariat and the administrators, who review);
- an update accepted or returned: its author and the other focal points of its unit;
- a comment: the other side of the discussion. Written by the unit's side (the update's author or
  a focal point of its unit), it goes to the reviewers; written by anyone else (a reviewer), it
  goes to the unit's side.

Nobody is told of their own step, inactive accounts hear nothing, and nobody hears of an update
they may not open.

A step writes its Notification rows in its own transaction, so the inbox is exact as soon as the
step is. E-mails are never sent in the request: when the transaction commits, the task worker is
asked to send the immediate ones (actions.tasks.send_notifications); the digests go once a day
(manage.py send_digests). Each row records whether its e-mail went out (`emailed_at`) and is
claimed before it is sent, so that two workers never send the same one. A failed send (an SMTP
error) leaves the row to be tried again after a delay that doubles each time (`retry_delay`), up to
MAX_ATTEMPTS tries; the step it tells of was committed before and is never affected.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from actions.models import EmailFrequency, Notification, Role, StatusUpdate
from actions.permissions import allowed

logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "actions/email/notification_subject.txt"
BODY_TEMPLATE = "actions/email/notification.txt"

# How long a worker may take to send the e-mail of a row it claimed before another may try.
CLAIM = datetime.timedelta(minutes=10)
FIRST_RETRY = datetime.timedelta(minutes=5)
LONGEST_RETRY = datetime.timedelta(hours=6)
# With the delays above: tries over about eleven hours, then the inbox alone tells.
MAX_ATTEMPTS = 8


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the `attempts`-th failed try: 5 minutes, 10, 20, ... at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


# Who is concerned ---------------------------------------------------------------------------------


def reviewers():
    """The people who review updates (actions.permissions.is_secretariat_user)."""
    return (
        get_user_model().objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(profile__role=Role.SECRETARIAT))
    )


def unit_side(update: StatusUpdate):
    """The update's author and the focal points of its unit."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk=update.author_id) | Q(profile__role=Role.FOCAL_POINT, profile__units=update.unit_id))
    )


def delivery_of(user) -> str:
    profile = getattr(user, "profile", None)
    if not user.email:
        return EmailFrequency.NONE
    # An administrator without a profile hears at once, like everyone by default.
    return profile.email_frequency if profile is not None else EmailFrequency.IMMEDIATE


def _notify(update: StatusUpdate, *, kind: str, actor, recipients, text: str = "") -> list[Notification]:
    people = [
        person
        for person in recipients.exclude(pk=actor.pk).select_related("profile").distinct().order_by("pk")
        if allowed(person, "actions.view_update", update)
    ]
    notifications = Notification.objects.bulk_create(
        [
            Notification(
                recipient=person, kind=kind, update=update, actor=actor, text=text, delivery=delivery_of(person)
            )
            for person in people
        ]
    )
    if any(notification.delivery == EmailFrequency.IMMEDIATE for notification in notifications):
        # Robust: a queue that cannot be reached is logged and leaves the rows for manage.py
        # send_digests to send; the step has been committed and stands.
        transaction.on_commit(_queue_sending, robust=True)
    return notifications


def _queue_sending() -> None:
    from actions.tasks import send_notifications

    send_notifications.enqueue()


def update_submitted(update: StatusUpdate, *, by) -> list[Notification]:
    """Tell the reviewers that `update` was submitted by `by`. Called by actions.services."""
    return _notify(update, kind=Notification.Kind.SUBMITTED, actor=by, recipients=reviewers())


def update_reviewed(update: StatusUpdate, *, by) -> list[Notification]:
    """Tell the author and the unit's focal points that `by` accepted or returned `update`.
    Called by actions.services once the update's state is set."""
    kind = Notification.Kind.ACCEPTED if update.state == StatusUpdate.State.ACCEPTED else Notification.Kind.RETURNED
    return _notify(update, kind=kind, actor=by, recipients=unit_side(update), text=update.review_comment)


def comment_added(*, update: StatusUpdate, author, text: str = "") -> list[Notification]:
    """Tell the other side of `update`'s discussion that `author` wrote a comment.

    Call it in the transaction that saves the comment (actions.services.comment_add), after the
    comment is written: the notifications are then saved or rolled back with it, and the e-mails
    go out only once it is committed. `text` is the comment as written; it is shown in the inbox
    and the e-mails (empty: only "X commented on ..." is said). Returns the notifications made.
    """
    if unit_side(update).filter(pk=author.pk).exists():
        recipients = reviewers()
    else:
        recipients = unit_side(update)
    return _notify(update, kind=Notification.Kind.COMMENT, actor=author, recipients=recipients, text=text)


# Sending ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: list[mail.EmailMessage] = field(default_factory=list)
    failed: list[tuple[object, Exception]] = field(default_factory=list)
    # The earliest moment a failed e-mail may be tried again.
    retry_at: datetime.datetime | None = None


class NotSent(Exception):
    pass


def _ready(now: datetime.datetime) -> Q:
    return (
        Q(emailed_at=None, attempts__lt=MAX_ATTEMPTS, created_at__lte=now)
        & (Q(next_attempt_at=None) | Q(next_attempt_at__lte=now))
        & Q(recipient__is_active=True)
        & ~Q(recipient__email="")
    )


def _claim(pk: int, now: datetime.datetime) -> bool:
    # One conditional UPDATE: of two workers reaching the same row, exactly one gets 1 back.
    return bool(
        Notification.objects.filter(_ready(now), pk=pk).update(next_attempt_at=now + CLAIM, attempts=F("attempts") + 1)
    )


def site_url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def compose(recipient, notifications: list[Notification], *, digest: bool, connection=None) -> mail.EmailMessage:
    """One e-mail telling `recipient` of `notifications`, in the language of their profile."""
    profile = getattr(recipient, "profile", None)
    with translation.override(profile.language if profile is not None else settings.LANGUAGE_CODE):
        lines = [
            {
                "headline": notification.headline,
                "item": notification.update.item.text,
                # Every line of a comment indented under its notification.
                "text": "\n    ".join(notification.text.splitlines()),
                "url": site_url("actions:update", notification.update_id),
            }
            for notification in notifications
        ]
        first = notifications[0]
        context = {
            "name": recipient.get_full_name() or recipient.username,
            "digest": digest,
            "count": len(notifications),
            "kind": first.get_kind_display(),
            "item": first.update.item.citation,
            "unit": first.update.unit.name,
            "lines": lines,
            "inbox_url": site_url("actions:inbox"),
            "profile_url": site_url("actions:profile"),
        }
        subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
        body = render_to_string(BODY_TEMPLATE, context)
    return mail.EmailMessage(
        subject, body, to=[recipient.email], connection=connection, headers={"Auto-Submitted": "auto-generated"}
    )


def _send(delivery: str, *, now: datetime.datetime) -> Outcome:
    """E-mail every person their rows of `delivery` that are ready, one e-mail per person."""
    outcome = Outcome()
    by_recipient: dict[int, list[int]] = {}
    ready = Notification.objects.filter(_ready(now), delivery=delivery).order_by("recipient_id", "created_at", "pk")
    for recipient_id, pk in ready.values_list("recipient_id", "pk"):
        by_recipient.setdefault(recipient_id, []).append(pk)
    connection = mail.get_connection()
    for pks in by_recipient.values():
        claimed = [pk for pk in pks if _claim(pk, now)]
        if not claimed:
            continue  # Another worker is sending them.
        rows = list(
            Notification.objects.filter(pk__in=claimed)
            .select_related("recipient__profile", "actor", "update__item__instrument", "update__unit")
            .order_by("created_at", "pk")
        )
        recipient = rows[0].recipient
        try:
            message = compose(recipient, rows, digest=delivery == EmailFrequency.DIGEST, connection=connection)
            if not message.send():
                raise NotSent("the e-mail backend accepted no message")
        except Exception as error:
            # An SMTP error for one person stops no one else, and theirs is tried again later.
            attempts = max(row.attempts for row in rows)
            retry_at = now + retry_delay(attempts)
            Notification.objects.filter(pk__in=claimed).update(next_attempt_at=retry_at, last_error=str(error)[:500])
            outcome.failed.append((recipient, error))
            if attempts < MAX_ATTEMPTS:
                outcome.retry_at = min(filter(None, [outcome.retry_at, retry_at]))
                logger.warning("Notification e-mail to user %s failed (try %s): %s", recipient.pk, attempts, error)
            else:
                logger.error("Notification e-mail to user %s failed %s times; giving up", recipient.pk, attempts)
        else:
            Notification.objects.filter(pk__in=claimed).update(
                emailed_at=timezone.now(), next_attempt_at=None, last_error=""
            )
            outcome.sent.append(message)
    return outcome


def send_immediate(*, now: datetime.datetime | None = None) -> Outcome:
    """E-mail the notifications of those who chose to hear at once (the task worker runs this)."""
    return _send(EmailFrequency.IMMEDIATE, now=now or timezone.now())


def send_digests(*, now: datetime.datetime | None = None) -> Outcome:
    """E-mail each person who chose a digest everything not yet e-mailed to them, in one e-mail
    (manage.py send_digests, daily from cron: a day's notifications)."""
    return _send(EmailFrequency.DIGEST, now=now or timezone.now())
