import argparse
import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from actions.reminders import send_reminders


def number_of_days(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days (0 or more)")
    return int(value)


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = (
        "E-mail each national focal point what was returned to them, what is overdue or due soon, and the next "
        "meeting's cut-off; each reminder is sent only once. Meant to run daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=number_of_days,
            default=None,
            help=f"Remind of what is due within this many days (default: DUE_SOON_DAYS, {settings.DUE_SOON_DAYS}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Print the e-mails; send and record nothing.")
        parser.add_argument(
            "--today",
            type=iso_date,
            default=None,
            help="Take this date (YYYY-MM-DD) as today, to catch up on a missed run or to test.",
        )

    def handle(self, *args, days, dry_run, today, **options):
        days = settings.DUE_SOON_DAYS if days is None else days
        today = today or timezone.localdate()
        outcome = send_reminders(today=today, due_soon_days=days, dry_run=dry_run)
        people = len({tuple(message.to) for message in outcome.sent})
        if dry_run:
            for message in outcome.sent:
                self.stdout.write(f"To: {', '.join(message.to)}\nSubject: {message.subject}\n\n{message.body}\n")
            self.stdout.write(
                f"Dry run: would send {len(outcome.sent)} e-mails to {people} people; nothing was sent or recorded."
            )
            return
        self.stdout.write(f"Sent {len(outcome.sent)} e-mails to {people} people.")
        for profile, error in outcome.failed:
            self.stderr.write(f"Not sent to {profile.user.username} <{profile.user.email}>: {error}")
        if outcome.failed:
            raise CommandError(
                f"{len(outcome.failed)} e-mails could not be sent; nothing was recorded for them, so the next run "
                "tries again."
            )
