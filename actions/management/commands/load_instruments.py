from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions.loading import FixtureError, load_instruments


class Command(BaseCommand):
    help = "Load the CAMI Programme of Work, the Vilm Declaration and the Ulaanbaatar Action Plan from fixtures/."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=settings.BASE_DIR / "fixtures")

    def handle(self, *args, directory: Path, **options):
        try:
            report = load_instruments(directory)
        except FixtureError as error:
            raise CommandError(f"Nothing was loaded: {error}") from error
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Loaded {report.instruments} instruments, {report.items} items, {report.agencies} agencies, "
                f"{report.units} reporting units, {report.references} cross-references."
            )
        for key in report.missing_from_files:
            self.stderr.write(f"In the database but no longer in the files (kept): {key}")
