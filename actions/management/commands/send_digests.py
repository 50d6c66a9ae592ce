from django.core.management.base import BaseCommand, CommandError

from actions import notifications


class Command(BaseCommand):
    help = (
        "E-mail each person who chose a daily digest, in one e-mail, their notifications not yet e-mailed; "
        "then try again the immediate e-mails the task worker could not send. Meant to run daily from cron."
    )

    def handle(self, *args, **options):
        digests = notifications.send_digests()
        # The task worker retries failed immediate e-mails itself; this catches what it left (a
        # queue that could not be reached, or TASKS_IMMEDIATE, whose backend cannot wait to retry).
        immediate = notifications.send_immediate()
        self.stdout.write(f"Sent {len(digests.sent)} digests and {len(immediate.sent)} other e-mails.")
        failed = digests.failed + immediate.failed
        for user, error in failed:
            self.stderr.write(f"Not sent to {user.username} <{user.email}>: {error}")
        if failed:
            raise CommandError(
                f"{len(failed)} e-mails could not be sent; their notifications are kept unsent and tried again later."
            )
