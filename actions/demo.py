"""Demonstration data: one account per role, Kazakhstan's updates from a news item, and meetings.

For a local demonstration only: every account's password is "demo", and it is printed and
documented (docs/demo-data.md). The files are fixtures/demo/people.yaml, updates.yaml and
meetings.yaml. Loading is idempotent: accounts are found by username, updates by item, unit and
narrative, meetings by name, so running it again creates nothing.
"""

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

# The services check the rules registered there; a command loads no URLconf that would import it.
from actions import data_version
from actions.models import (
    Item,
    Meeting,
    Profile,
    ReportingUnit,
    Role,
    Status,
    StatusUpdate,
    TranslationKind,
    UpdateEvent,
)
from actions.services import UpdateContent, current_version, update_accept, update_create

DEMO_DIRECTORY = settings.BASE_DIR / "fixtures" / "demo"
DEMO_PASSWORD = "demo"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The states a demonstration update is left in: reviewed and accepted, or waiting for review.
STATES = (StatusUpdate.State.ACCEPTED, StatusUpdate.State.SUBMITTED)


class DemoError(Exception):
    pass


@dataclass
class DemoAccount:
    username: str
    role: str
    units: list[str]
    language: str
    created: bool


@dataclass
class DemoReport:
    accounts: list[DemoAccount] = field(default_factory=list)
    updates_created: dict[str, int] = field(default_factory=dict)
    updates_present: int = 0
    meetings_created: int = 0
    meetings_present: int = 0

    @property
    def accounts_created(self) -> int:
        return sum(account.created for account in self.accounts)


def read_yaml(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or []


def load_people(rows: list[dict], report: DemoReport) -> None:
    units = {unit.code: unit for unit in ReportingUnit.objects.all()}
    for row in rows:
        username = row["username"]
        if row["role"] not in Role.values:
            raise DemoError(f"people.yaml: {username} has unknown role {row['role']!r}")
        if row["language"] not in LANGUAGES:
            raise DemoError(f"people.yaml: {username} has unknown language {row['language']!r}")
        unknown = [code for code in row.get("units") or [] if code not in units]
        if unknown:
            raise DemoError(f"people.yaml: {username} has unknown reporting unit(s) {unknown}")
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "email": row.get("email") or "",
                "first_name": row.get("first_name") or "",
                "last_name": row.get("last_name") or "",
            },
        )
        if created:
            # Only a new account gets the password: one changed since is left as it is.
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        profile, _ = Profile.objects.update_or_create(
            user=user, defaults={"role": row["role"], "language": row["language"]}
        )
        profile.units.set([units[code] for code in row.get("units") or []])
        report.accounts.append(
            DemoAccount(
                username=username,
                role=row["role"],
                units=list(row.get("units") or []),
                language=row["language"],
                created=created,
            )
        )


def demo_item(row: dict, where: str) -> Item:
    try:
        return Item.objects.get(instrument__slug=row["instrument"], key=str(row["item"]))
    except Item.DoesNotExist:
        raise DemoError(f"{where}: no item {row['instrument']}:{row['item']}; load the instruments first") from None


def load_updates(rows: list[dict], report: DemoReport) -> None:
    User = get_user_model()
    demo_usernames = {account.username for account in report.accounts}
    for number, row in enumerate(rows, start=1):
        where = f"updates.yaml, update {number}"
        item = demo_item(row, where)
        unit = ReportingUnit.objects.filter(code=row["unit"]).first()
        if unit is None:
            raise DemoError(f"{where}: unknown reporting unit {row['unit']!r}")
        if not item.applies_to.filter(pk=unit.pk).exists():
            raise DemoError(f"{where}: {row['instrument']}:{item.key} does not apply to {unit.code}")
        if row["status"] not in Status.values:
            raise DemoError(f"{where}: unknown status {row['status']!r}")
        if row["state"] not in STATES:
            raise DemoError(f"{where}: state must be one of {list(STATES)}, not {row['state']!r}")
        for role in ("author", "reviewer"):
            if row[role] not in demo_usernames:
                raise DemoError(f"{where}: the {role} {row[role]!r} is not in people.yaml")
        narrative = row["narrative"].strip()
        if StatusUpdate.objects.filter(item=item, unit=unit, narrative=narrative).exists():
            report.updates_present += 1
            continue
        # Fresh from the database: the permission checks cache a user's units on the object.
        author = User.objects.get(username=row["author"])
        content = UpdateContent(
            status=row["status"],
            refers_to=to_date(row["refers_to"], where),
            progress=row.get("progress"),
            narrative=narrative,
            narrative_language="en",
        )
        try:
            update = update_create(
                author=author,
                item=item,
                unit=unit,
                content=content,
                based_on_version=current_version(item, unit),
                submit=True,
                source=StatusUpdate.Source.DEMO,
            )
            if row["state"] == StatusUpdate.State.ACCEPTED:
                update_accept(update=update, user=User.objects.get(username=row["reviewer"]))
        except (PermissionDenied, ValidationError) as error:
            raise DemoError(f"{where}: {error}") from error
        if row.get("reported_on"):
            record_on(update, to_date(row["reported_on"], where), accepted=row["state"] == StatusUpdate.State.ACCEPTED)
        report.updates_created[row["state"]] = report.updates_created.get(row["state"], 0) + 1


def record_on(update: StatusUpdate, day: datetime.date, *, accepted: bool) -> None:
    """Date a demonstration update's submission (9:00) and review (15:00) on `day`.

    Meeting reports count what was accepted by a cut-off date; without this, every demonstration
    update would date from the moment it was loaded, after every meeting.
    """
    submitted = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    reviewed = submitted + datetime.timedelta(hours=6)
    StatusUpdate.objects.filter(pk=update.pk).update(submitted_at=submitted)
    events = UpdateEvent.objects.filter(update=update)
    events.filter(action__in=[UpdateEvent.Action.CREATED, UpdateEvent.Action.SUBMITTED]).update(at=submitted)
    if accepted:
        StatusUpdate.objects.filter(pk=update.pk).update(reviewed_at=reviewed)
        events.filter(action=UpdateEvent.Action.ACCEPTED).update(at=reviewed)


MEETING_DATES = ("starts_on", "ends_on", "period_start", "period_end", "cutoff")


def load_meetings(rows: list[dict], report: DemoReport) -> None:
    for number, row in enumerate(rows, start=1):
        where = f"meetings.yaml, meeting {number}"
        if row.get("body") not in Meeting.Body.values:
            raise DemoError(f"{where}: unknown body {row.get('body')!r}")
        dates = {key: to_date(row[key], where) for key in MEETING_DATES}
        if not dates["period_start"] <= dates["period_end"] or dates["starts_on"] > dates["ends_on"]:
            raise DemoError(f"{where}: a period ends before it starts")
        translations = row.get("translations") or {}
        unknown = set(translations) - {language for language, _name in settings.LANGUAGES if language != "en"}
        if unknown:
            raise DemoError(f"{where}: translations in unknown language(s) {sorted(unknown)}")
        meeting, created = Meeting.objects.get_or_create(
            name_en=row["name"],
            defaults={"body": row["body"], "place_en": row.get("place", ""), "symbol": row.get("symbol", ""), **dates},
        )
        # The translations are the demonstration's own, unofficial; loading again refreshes them.
        kinds = {"en": TranslationKind.ORIGINAL}
        for language, texts in translations.items():
            setattr(meeting, f"name_{language}", texts.get("name", ""))
            setattr(meeting, f"place_{language}", texts.get("place", ""))
            if texts.get("name") or texts.get("place"):
                kinds[language] = TranslationKind.UNOFFICIAL
        meeting.translation_kinds = kinds
        meeting.save()
        if created:
            report.meetings_created += 1
        else:
            report.meetings_present += 1


def to_date(value, where: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise DemoError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


@transaction.atomic
def load_demo(directory: Path = DEMO_DIRECTORY) -> DemoReport:
    """Create the demonstration accounts and updates that are not there yet; all or nothing."""
    if not Item.objects.exists():
        raise DemoError("there are no instruments: run manage.py load_instruments first")
    report = DemoReport()
    load_people(read_yaml(directory / "people.yaml"), report)
    load_updates(read_yaml(directory / "updates.yaml"), report)
    load_meetings(read_yaml(directory / "meetings.yaml"), report)
    # The updates' dates were set in bulk, past the signals: the cached page parts must know.
    data_version.changed()
    return report
