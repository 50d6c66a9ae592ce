"""manage.py load_demo: the demonstration accounts and Kazakhstan's updates from the news item."""

from io import StringIO

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from actions.demo import DEMO_DIRECTORY
from actions.models import Item, Profile, Progress, Role, Status, StatusUpdate, UpdateEvent

pytestmark = pytest.mark.django_db

SOURCE_NOTE = "Source: news item 'Kazakhstan's next steps in implementing its obligations under the Bonn Convention'."
UPDATES = yaml.safe_load((DEMO_DIRECTORY / "updates.yaml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _debug(settings):
    # pytest-django runs tests with DEBUG off, as a production site would.
    settings.DEBUG = True


def load(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def item_of(row) -> Item:
    return Item.objects.get(instrument__slug=row["instrument"], key=str(row["item"]))


def update_of(row) -> StatusUpdate:
    return StatusUpdate.objects.get(item=item_of(row), unit__code=row["unit"], narrative=row["narrative"].strip())


def counts() -> dict:
    return {
        "users": get_user_model().objects.count(),
        "profiles": Profile.objects.count(),
        "profile units": Profile.units.through.objects.count(),
        "updates": StatusUpdate.objects.count(),
        "steps": UpdateEvent.objects.count(),
        "progress": Progress.objects.count(),
    }


def test_one_account_per_role():
    output = load()
    expected = {
        "secretariat": (Role.SECRETARIAT, set(), "en"),
        "focal-kz": (Role.FOCAL_POINT, {"KZ"}, "kk"),
        "focal-mn": (Role.FOCAL_POINT, {"MN"}, "mn"),
        "ministry-kz": (Role.MINISTRY_VIEWER, {"KZ"}, "ru"),
    }
    for username, (role, units, language) in expected.items():
        user = get_user_model().objects.get(username=username)
        assert user.check_password("demo")
        assert user.is_active and not user.is_staff and not user.is_superuser
        assert user.profile.role == role
        assert set(user.profile.units.values_list("code", flat=True)) == units
        assert user.profile.language == language
        assert f"{username}" in output
    assert "password: demo" in output and "local demonstration only" in output
    assert "Demo accounts: 4 created, 0 already there." in output


def test_the_accounts_can_do_what_their_role_allows():
    load()
    users = {user.username: user for user in get_user_model().objects.filter(profile__isnull=False)}
    update = update_of(next(row for row in UPDATES if row["state"] == StatusUpdate.State.SUBMITTED))
    assert users["secretariat"].has_perm("actions.review_update", update)
    assert users["focal-kz"].has_perm("actions.report_for_unit", update.unit)
    assert not users["focal-mn"].has_perm("actions.report_for_unit", update.unit)
    assert users["ministry-kz"].has_perm("actions.view_update", update)
    assert not users["ministry-kz"].has_perm("actions.report_for_unit", update.unit)


def test_kazakhstan_updates_exactly_on_the_listed_items():
    output = load()
    demo = StatusUpdate.objects.filter(source=StatusUpdate.Source.DEMO)
    assert demo.count() == len(UPDATES)
    assert {(update.item.instrument.slug, update.item.key) for update in demo} == {
        (row["instrument"], str(row["item"])) for row in UPDATES
    }
    assert set(demo.values_list("unit__code", flat=True)) == {"KZ"}
    accepted = sum(row["state"] == "accepted" for row in UPDATES)
    assert f"{len(UPDATES)} created ({accepted} accepted, {len(UPDATES) - accepted} pending review)" in output


def test_states_history_and_progress():
    load()
    for row in UPDATES:
        update = update_of(row)
        assert update.state == row["state"]
        assert update.status == row["status"]
        assert update.refers_to == row["refers_to"]
        assert update.author.username == row["author"]
        assert update.narrative_language == "en"
        steps = list(update.events.values_list("action", "user__username"))
        if row["state"] == StatusUpdate.State.ACCEPTED:
            assert update.reviewed_by.username == row["reviewer"]
            assert steps == [("created", "focal-kz"), ("submitted", "focal-kz"), ("accepted", "secretariat")]
        else:
            assert update.reviewed_by is None
            assert steps == [("created", "focal-kz"), ("submitted", "focal-kz")]

    for item in {item_of(row) for row in UPDATES}:
        rows = [row for row in UPDATES if item_of(row) == item]
        progress = Progress.objects.get(item=item, unit__code="KZ")
        assert progress.version == len(rows)
        assert progress.latest == update_of(rows[-1])
        accepted = [row for row in rows if row["state"] == StatusUpdate.State.ACCEPTED]
        assert accepted, f"{item.key} has no accepted update: nothing would show as its current state"
        assert progress.current == update_of(accepted[-1])


def test_one_update_waits_for_review():
    load()
    [pending] = StatusUpdate.objects.pending().filter(source=StatusUpdate.Source.DEMO)
    assert pending.item.key == "2.3" and pending.item.instrument.slug == "vilm"


def test_running_twice_changes_nothing():
    load()
    before = counts()
    output = load()
    assert counts() == before
    assert "Demo accounts: 0 created, 4 already there." in output
    assert f"Demo updates: 0 created (0 accepted, 0 pending review), {len(UPDATES)} already there." in output


def test_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    before = counts()
    with pytest.raises(CommandError, match="--allow-production"):
        load()
    assert counts() == before
    assert not get_user_model().objects.filter(username="focal-kz").exists()

    load("--allow-production")
    assert get_user_model().objects.filter(username="focal-kz").exists()


def test_every_listed_item_applies_to_its_unit():
    for row in UPDATES:
        item = item_of(row)
        assert row["unit"] == "KZ"
        assert item.kind in Item.TRACKABLE_KINDS, item.key
        assert item.applies_to.filter(code="KZ").exists(), f"{row['instrument']}:{item.key}"


def test_the_updates_say_where_they_come_from():
    for row in UPDATES:
        narrative = row["narrative"].strip()
        assert narrative.endswith(SOURCE_NOTE), row["item"]
        assert row["status"] in Status.values
        assert "progress" not in row  # the news item gives no figure


def test_a_changed_password_is_kept():
    load()
    user = get_user_model().objects.get(username="focal-kz")
    user.set_password("something-else-entirely")
    user.save()
    load()
    user.refresh_from_db()
    assert user.check_password("something-else-entirely")


def test_real_cop_meetings_with_cutoffs_between_the_updates():
    from actions.models import Meeting

    load()
    load()
    meetings = list(Meeting.objects.values_list("name", "place", "starts_on", "ends_on", "cutoff"))
    assert [(name[-7:], place) for name, place, *_dates in meetings] == [
        ("(COP11)", "Quito, Ecuador"),
        ("(COP12)", "Manila, Philippines"),
        ("(COP13)", "Gandhinagar, India"),
        ("(COP14)", "Samarkand, Uzbekistan"),
        ("(COP15)", "Campo Grande, Brazil"),
    ]
    assert [(str(starts), str(ends)) for _name, _place, starts, ends, _cutoff in meetings][-1] == (
        "2026-03-23",
        "2026-03-29",
    )
    # Their names and places in the other languages are the demonstration's unofficial translations.
    cop15_meeting = Meeting.objects.get(name_en__endswith="(COP15)")
    assert cop15_meeting.translation_kinds == {
        "en": "original",
        "ru": "unofficial",
        "mn": "unofficial",
        "kk": "unofficial",
    }
    with translation.override("kk"):
        assert (cop15_meeting.name, cop15_meeting.place) == (
            "CMS Тараптар конференциясының он бесінші отырысы (COP15)",
            "Кампу-Гранди, Бразилия",
        )
    assert (
        cop15_meeting.original_wording("ru")
        == "Fifteenth Meeting of the Conference of the Parties to CMS (COP15), Campo Grande, Brazil"
    )
    assert cop15_meeting.original_wording("en") == ""
    cop14, cop15 = (cutoff for *_rest, cutoff in meetings[-2:])
    accepted = StatusUpdate.objects.filter(state=StatusUpdate.State.ACCEPTED)
    # The 2021 assessment was accepted before COP14's cut-off; the 2023 updates between the two.
    assert accepted.filter(reviewed_at__date__lte=cop14).count() == 1
    assert accepted.filter(reviewed_at__date__gt=cop14, reviewed_at__date__lte=cop15).count() == 5
    for update in accepted:
        steps = dict(update.events.values_list("action", "at"))
        assert steps["submitted"] == update.submitted_at and steps["accepted"] == update.reviewed_at
