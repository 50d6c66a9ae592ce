"""Write one language's texts to an Excel workbook for a translator to correct."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils import translation

from actions import content_translations, translation_workbook


class Command(BaseCommand):
    help = "Export the texts in one language to an Excel workbook (import it back with import_translations)."

    def add_arguments(self, parser):
        parser.add_argument("language", choices=content_translations.LANGUAGES)
        parser.add_argument(
            "--output", type=Path, help="the .xlsx file to write (default: tracker-texts-<language>-<date>.xlsx)"
        )

    def handle(self, *args, language, output, **options):
        output = output or Path(translation_workbook.filename(language))
        # Headers in the language of the texts, for the translator.
        with translation.override(language):
            output.write_bytes(translation_workbook.build_workbook(language))
        self.stdout.write(f"Wrote {output}")
