"""Meetings and accepted updates placed before or after a cut-off, for the report tests."""

import datetime

from django.utils import timezone

from actions import services
from actions.models import Meeting, StatusUpdate, UpdateEvent
from actions.tests.reporting import report


def meeting(name="COP15", *, cutoff=datetime.date(2025, 12, 23), period_start=datetime.date(2023, 11, 15), **fields):
    defaults = {
        "body": Meeting.Body.COP,
        "place": "Campo Grande, Brazil",
        "starts_on": cutoff + datetime.timedelta(days=90),
        "ends_on": cutoff + datetime.timedelta(days=96),
        "symbol": f"UNEP/CMS/{name}/Inf.X",
        "period_start": period_start,
        "period_end": cutoff,
    }
    return Meeting.objects.create(name=name, cutoff=cutoff, **{**defaults, **fields})


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def accepted(people, code, unit_code, *, on: datetime.date, reviewer="sara", author=None, **fields):
    """An update submitted and accepted on `on` (the workflow's own steps, then dated)."""
    author = author or people["aigerim" if unit_code == "KZ" else "bat"]
    update = report(author, code, unit_code, **fields)
    services.update_accept(update=update, user=people[reviewer])
    StatusUpdate.objects.filter(pk=update.pk).update(submitted_at=at(on, 9), reviewed_at=at(on, 15))
    UpdateEvent.objects.filter(update=update).update(at=at(on, 9))
    update.refresh_from_db()
    return update
