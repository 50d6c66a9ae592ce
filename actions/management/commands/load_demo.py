from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actions.demo import DEMO_PASSWORD, DemoError, load_demo
from actions.models import ReportingUnit, Role, StatusUpdate


class Command(BaseCommand):
    help = (
        f"Load demonstration accounts, one per role (password {DEMO_PASSWORD!r}), and Kazakhstan's demonstration "
        "updates from fixtures/demo/. For a local demonstration only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Load even though DEBUG is off. The demo accounts' password is public: never on a public site.",
        )

    def handle(self, *args, allow_production, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                f"DEBUG is off, so this looks like a production site, and the demo accounts' password "
                f"({DEMO_PASSWORD!r}) is public. Nothing was loaded. Use --allow-production to load them anyway."
            )
        try:
            report = load_demo()
        except DemoError as error:
            raise CommandError(f"Nothing was loaded: {error}") from error

        accepted = report.updates_created.get(StatusUpdate.State.ACCEPTED, 0)
        pending = report.updates_created.get(StatusUpdate.State.SUBMITTED, 0)
        self.stdout.write(
            f"Demo accounts: {report.accounts_created} created, {len(report.accounts) - report.accounts_created} "
            f"already there. Demo updates: {accepted + pending} created ({accepted} accepted, {pending} pending "
            f"review), {report.updates_present} already there. Demo meetings: {report.meetings_created} created, "
            f"{report.meetings_present} already there."
        )
        units = {unit.code: unit.name_en for unit in ReportingUnit.objects.all()}
        self.stdout.write(
            "\nThese accounts are for a local demonstration only: their password is public. "
            "Never load them on a site others can reach."
        )
        for account in report.accounts:
            role = Role(account.role).label
            where = ", ".join(units[code] for code in account.units)
            described = f"{role} ({where})" if where else str(role)
            self.stdout.write(
                f"  {account.username:<12} password: {DEMO_PASSWORD}   {described}, e-mails in {account.language}"
            )
