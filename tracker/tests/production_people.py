"""Run by the production tests: the people of a load test, signed in.

    python tracker/tests/production_people.py WRITERS READERS PASSWORD   (with DATABASE_URL set)


Prints JSON: for each person the username, the session key of a signed-in session (so that the
timed part of a test is spent on reporting and reading, not on password hashing) and, for focal
points, the activities they report on as [unit, instrument, item slug].
"""

import json
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from actions.models import Item, Profile, ReportingUnit, Role  # noqa: E402

writers, readers, password = (int(value) if value.isdigit() else value for value in sys.argv[-3:])
User = get_user_model()
template = User(username="template")
template.set_password(password)

units = list(ReportingUnit.objects.exclude(kind=ReportingUnit.Kind.SECRETARIAT).order_by("code"))
activities = {
    unit.code: [
        [unit.code, item.instrument.slug, item.slug]
        for item in Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to=unit).select_related("instrument")
    ]
    for unit in units
}
units = [unit for unit in units if activities[unit.code]]


def signed_in(username: str, role: str, unit: ReportingUnit | None) -> dict:
    user = User.objects.create(username=username, email=f"{username}@example.org", password=template.password)
    profile = Profile.objects.create(user=user, role=role, language="en")
    if unit is not None:
        profile.units.set([unit])
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {"username": username, "session": session.session_key}


people = {"writers": [], "readers": []}
for number in range(writers):
    unit = units[number % len(units)]
    person = signed_in(f"focal{number:02}", Role.FOCAL_POINT, unit)
    person["activities"] = activities[unit.code]
    people["writers"].append(person)
for number in range(readers):
    # Half read for a country's ministry, half at the Secretariat.
    unit = units[number % len(units)]
    if number % 2:
        person = signed_in(f"reader{number:02}", Role.MINISTRY_VIEWER, unit)
        person["unit"] = unit.code
    else:
        person = signed_in(f"reader{number:02}", Role.SECRETARIAT, None)
        person["unit"] = unit.code
    people["readers"].append(person)
print(json.dumps(people))
