"""Read a corrected translation workbook back: every changed text, or none when a row is wrong."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions import content_translations, translation_workbook


class Command(BaseCommand):
    help = "Import a workbook made by export_translations; --fixtures also rewrites fixtures/translations/."

    def add_arguments(self, parser):
        parser.add_argument("workbook", type=Path)
        parser.add_argument(
            "--fixtures", action="store_true", help="then write the language's fixtures/translations/ files"
        )

    def handle(self, *args, workbook, fixtures, **options):
        try:
            parsed = translation_workbook.parse_workbook(workbook.read_bytes())
        except OSError as error:
            raise CommandError(str(error)) from None
        except translation_workbook.WorkbookRejected as rejected:
            raise CommandError(rejected.message) from None
        if parsed.errors:
            for error in parsed.errors:
                column = f", {error['column']}" if error["column"] else ""
                self.stderr.write(f"Row {error['row']}{column}: {error['message']}")
            raise CommandError(f"{len(parsed.errors)} row(s) to correct; nothing was saved.")
        count = content_translations.save_changes(parsed.changes, parsed.language)
        self.stdout.write(f"{count} text(s) in {parsed.language} changed.")
        if fixtures:
            directory = Path(settings.BASE_DIR) / "fixtures"
            for path in content_translations.write_fixtures(directory, parsed.language):
                self.stdout.write(f"Wrote {path.relative_to(settings.BASE_DIR)}")
