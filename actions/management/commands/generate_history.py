import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions.synthetic import SyntheticError, generate_history


class Command(BaseCommand):
    help = (
        "Generate synthetic reporting history (accepted status updates, a few pending or returned) for every "
        "trackable activity and reporting unit, to measure the site and its reports at a chosen volume. "
        "Authors are accounts synthetic-<unit code> and synthetic-secretariat, which cannot sign in; the updates "
        "are marked as demonstration data. No workflow steps are written for them (they would triple the rows "
        "and no report reads them), so their history pages show no steps. For test and benchmark databases only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=10, help="Years of history, ending at --until (default 10).")
        parser.add_argument(
            "--until",
            type=datetime.date.fromisoformat,
            default=None,
            help="Last day of the history, YYYY-MM-DD (default today).",
        )
        parser.add_argument(
            "--per-year",
            type=int,
            default=4,
            help="Updates per activity and unit per year (default 4, quarterly).",
        )
        parser.add_argument(
            "--coverage",
            type=float,
            default=1.0,
            help="Share of activity and unit pairs that report at all, 0 to 1 (default 1).",
        )
        parser.add_argument(
            "--total",
            type=int,
            default=None,
            help="Create this many updates in all, spread over the pairs, instead of --per-year (e.g. 1000000).",
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed gives the same history (default 1).")
        parser.add_argument(
            "--narrative-chars", type=int, default=400, help="Average length of a narrative (default 400)."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Updates per INSERT batch (default 5000).")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Generate even though DEBUG is off. Synthetic updates would mix with the real reports.",
        )

    def handle(self, *args, allow_production, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off, so this looks like a production site, where synthetic updates would mix with the "
                "real reports. Nothing was generated. Use --allow-production to generate them anyway."
            )
        try:
            report = generate_history(
                years=options["years"],
                until=options["until"],
                per_year=options["per_year"],
                coverage=options["coverage"],
                total=options["total"],
                seed=options["seed"],
                narrative_chars=options["narrative_chars"],
                batch_size=options["batch_size"],
            )
        except SyntheticError as error:
            raise CommandError(f"Nothing was generated: {error}") from error
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"Created {report.updates:,} synthetic updates on {report.pairs:,} activity/unit pairs, "
                f"{report.start} to {report.until}, in {report.seconds:.1f} s."
            )
