"""Named people for the tests, one per role, made the way the Secretariat makes accounts."""

from django.contrib.auth import get_user_model

from actions.models import Profile, ReportingUnit, Role

PASSWORD = "a-long-test-password"


def person(username: str, role: str | None, units: tuple[str, ...] = (), *, superuser: bool = False, language="en"):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.org",
        password=PASSWORD,
        is_superuser=superuser,
        is_staff=superuser,
    )
    if role:
        profile = Profile.objects.create(user=user, role=role, language=language)
        profile.units.set(ReportingUnit.objects.filter(code__in=units))
    return user


def cast():
    """Aigerim reports for Kazakhstan, Bat for Mongolia, Sara works at the Secretariat, Daulet reads
    for Kazakhstan's ministry, Ada administers the site, Nobody has an account and no role."""
    return {
        "aigerim": person("aigerim", Role.FOCAL_POINT, ("KZ",), language="kk"),
        "bat": person("bat", Role.FOCAL_POINT, ("MN",), language="mn"),
        "sara": person("sara", Role.SECRETARIAT),
        "daulet": person("daulet", Role.MINISTRY_VIEWER, ("KZ",), language="ru"),
        "ada": person("ada", None, superuser=True),
        "nobody": person("nobody", None),
    }
