"""Delete pending uploads (files kept while a form failed) older than a day, and their files."""

import datetime

from django.core.management.base import BaseCommand

from actions.uploads import sweep


class Command(BaseCommand):
    help = "Delete pending evidence uploads older than a day (--hours) and their files; meant for cron."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=24, help="Age from which a pending upload is deleted.")

    def handle(self, *args, hours: int, **options):
        count = sweep(older_than=datetime.timedelta(hours=hours))
        if options["verbosity"]:
            self.stdout.write(f"{count} pending uploads deleted.")
