"""manage.py generate_history: synthetic reporting history at a chosen volume."""

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from actions.models import Item, Progress, StatusUpdate
from actions.synthetic import pairs_to_report

pytestmark = pytest.mark.django_db


def small(seed=3, until="2025-12-31") -> list[str]:
    return ["--years", "2", "--per-year", "2", "--coverage", "0.1", "--seed", str(seed), "--until", until]


@pytest.fixture(autouse=True)
def _debug(settings):
    # pytest-django runs tests with DEBUG off, as a production site would.
    settings.DEBUG = True


def generate(*args) -> str:
    out = StringIO()
    call_command("generate_history", *args, stdout=out)
    return out.getvalue()


def history() -> list[tuple]:
    return list(
        StatusUpdate.objects.order_by("item__instrument__slug", "item__key", "unit__code", "submitted_at").values_list(
            "item__instrument__slug", "item__key", "unit__code", "status", "progress", "state", "submitted_at"
        )
    )


def test_creates_the_updates_of_the_pairs_covered():
    pairs = Item.applies_to.through.objects.filter(item__kind__in=Item.TRACKABLE_KINDS).count()
    covered = round(0.1 * pairs)

    output = generate(*small())

    assert StatusUpdate.objects.count() == covered * 2 * 2
    assert StatusUpdate.objects.values("item", "unit").distinct().count() == covered
    assert Progress.objects.count() == covered
    assert f"Created {covered * 4:,} synthetic updates on {covered:,} activity/unit pairs" in output
    assert len(pairs_to_report()) == pairs


def test_updates_look_like_reviewed_reports_within_the_period():
    generate(*small())

    updates = StatusUpdate.objects.all()
    first, last = datetime.date(2023, 12, 31), datetime.date(2025, 12, 31)
    assert {update.source for update in updates} == {StatusUpdate.Source.DEMO}
    assert updates.filter(state=StatusUpdate.State.ACCEPTED).count() >= 0.9 * updates.count()
    for update in updates.select_related("author", "reviewed_by", "unit"):
        assert first <= update.refers_to <= update.submitted_at.date() <= last
        assert update.created_at < update.submitted_at
        assert update.author.username == f"synthetic-{update.unit.code.lower()}"
        if update.state == StatusUpdate.State.SUBMITTED:
            assert update.reviewed_at is None
        else:
            assert update.submitted_at < update.reviewed_at <= update.submitted_at + datetime.timedelta(days=7)
            assert update.reviewed_by.username == "synthetic-secretariat"
        if update.status == "completed":
            assert update.progress == 100
        if update.status in ("not-started", "ongoing", "not-applicable"):
            assert update.progress is None
    assert not any(
        user.has_usable_password() for user in get_user_model().objects.filter(username__startswith="synthetic-")
    )
    # bulk_create may store the creation times given only while auto_now_add is switched off.
    assert StatusUpdate._meta.get_field("created_at").auto_now_add


def test_progress_points_at_the_newest_accepted_update():
    generate(*small())

    for progress in Progress.objects.all():
        updates = StatusUpdate.objects.filter(item=progress.item_id, unit=progress.unit_id).order_by("-submitted_at")
        assert progress.version == updates.count() == 4
        assert progress.latest_id == updates.first().pk
        assert progress.current_id == updates.filter(state=StatusUpdate.State.ACCEPTED).first().pk


def test_more_history_adds_to_the_progress_of_a_pair():
    generate(*small())
    generate(*small(until="2027-12-31"))

    progress = Progress.objects.first()
    updates = StatusUpdate.objects.filter(item=progress.item_id, unit=progress.unit_id).order_by("-submitted_at")
    assert progress.version == 8
    assert progress.latest_id == updates.first().pk
    assert progress.latest.submitted_at.year == 2027


def test_the_same_seed_gives_the_same_history():
    generate(*small())
    first = history()
    StatusUpdate.objects.all().delete()
    Progress.objects.all().delete()

    generate(*small())

    assert history() == first
    StatusUpdate.objects.all().delete()
    generate(*small(seed=4))
    assert history() != first


def test_a_total_is_spread_over_the_pairs():
    generate("--total", "1000", "--coverage", "0.1", "--narrative-chars", "0")

    per_pair = StatusUpdate.objects.values("item", "unit").annotate(count=Count("pk")).order_by()
    counts = [row["count"] for row in per_pair]
    assert sum(counts) == 1000
    assert max(counts) - min(counts) <= 1
    assert not StatusUpdate.objects.exclude(narrative="").exists()


def test_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--allow-production"):
        generate(*small())
    assert not StatusUpdate.objects.exists()

    generate(*small(), "--allow-production")
    assert StatusUpdate.objects.exists()


def test_refuses_a_coverage_beyond_one():
    with pytest.raises(CommandError, match="coverage"):
        generate("--coverage", "1.5")
