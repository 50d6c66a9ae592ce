"""Lettered sub-items roll up into their activity (actions.states), and the Kazakhstan demo data
reads the same on the dashboard, on My reporting and in the COP15 report."""

import datetime
import io
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from actions import search
from actions.models import Instrument, Item, Meeting, ReportingUnit, Status
from actions.states import NO_REPORT, Cell, combine
from reports import dashboard
from reports.documents import render_pdf
from reports.snapshot import take

D1, D2, D3 = datetime.date(2025, 3, 31), datetime.date(2025, 6, 30), datetime.date(2025, 9, 30)


def cell(status, progress=None, on=D1):
    return Cell(status=status, progress=progress, refers_to=on, update_id=1)


NONE = Cell()
NOT_STARTED, PLANNED, IN_PROGRESS = Status.NOT_STARTED, Status.PLANNED, Status.IN_PROGRESS
COMPLETED, ONGOING, DELAYED, NOT_APPLICABLE = Status.COMPLETED, Status.ONGOING, Status.DELAYED, Status.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("sub_items", "status", "progress", "reported"),
    [
        # All completed: completed, 100 %.
        ([cell(COMPLETED), cell(COMPLETED)], COMPLETED, 100, (2, 2)),
        # Settled, one ongoing: ongoing; the percentage counts the completed one as 100.
        ([cell(COMPLETED), cell(ONGOING, 50)], ONGOING, 75, (2, 2)),
        # One in progress of four, the others not reported: in progress, 40 / 4 = 10 %.
        ([cell(IN_PROGRESS, 40), NONE, NONE, NONE], IN_PROGRESS, 10, (1, 4)),
        # A completed one among unreported: in progress (not all are done), 100 / 3 rounds to 33.
        ([cell(COMPLETED), NONE, NONE], IN_PROGRESS, 33, (1, 3)),
        # Half up: (25 + 0) / 2 = 12.5 is 13.
        ([cell(IN_PROGRESS, 25), cell(PLANNED)], IN_PROGRESS, 13, (2, 2)),
        # Not applicable is set aside: the rest completed is completed.
        ([cell(COMPLETED), cell(NOT_APPLICABLE)], COMPLETED, 100, (2, 2)),
        ([cell(NOT_APPLICABLE), cell(NOT_APPLICABLE)], NOT_APPLICABLE, None, (2, 2)),
        # Without progress, the most advanced of delayed, planned, not started.
        ([cell(PLANNED), cell(DELAYED), NONE], DELAYED, None, (2, 3)),
        ([cell(PLANNED), cell(NOT_STARTED)], PLANNED, None, (2, 2)),
        ([cell(NOT_STARTED), NONE], NOT_STARTED, None, (1, 2)),
        # Only a not-applicable sub-item reported, the other open: not started.
        ([cell(NOT_APPLICABLE), NONE], NOT_STARTED, None, (1, 2)),
    ],
)
def test_the_rule(sub_items, status, progress, reported):
    rolled = combine(NONE, sub_items)
    assert (rolled.status, rolled.progress, rolled.from_sub_items) == (status, progress, reported)
    assert rolled.derived and rolled.update_id is None


def test_the_newest_sub_item_date_is_the_activitys():
    rolled = combine(NONE, [cell(IN_PROGRESS, on=D1), cell(PLANNED, on=D3)])
    assert rolled.refers_to == D3


def test_an_update_of_the_activitys_own_at_least_as_recent_wins():
    own = cell(COMPLETED, on=D2)
    assert combine(own, [cell(IN_PROGRESS, on=D1)]) is own
    assert combine(own, [cell(IN_PROGRESS, on=D2)]) is own
    newer = combine(own, [cell(IN_PROGRESS, on=D3)])
    assert (newer.status, newer.derived, newer.refers_to) == (IN_PROGRESS, True, D3)


def test_no_sub_item_reported_keeps_the_activitys_own_state():
    own = cell(PLANNED)
    assert combine(own, [NONE, NONE]) is own
    assert combine(NONE, [NONE]) == NONE


def test_the_derived_state_says_where_it_comes_from():
    rolled = combine(NONE, [cell(IN_PROGRESS), NONE, NONE, NONE])
    with translation.override("en"):
        assert rolled.derived_note == "from its sub-items: 1 of 4 reported"
    with translation.override("ru"):
        assert rolled.derived_note == "по подпунктам: сведения по 1 из 4"
    assert combine(NONE, [cell(IN_PROGRESS)]).status != NO_REPORT


# The demonstration data: Kazakhstan reported (accepted) on Vilm 2.3 and on CAMI 2.3.7, 2.3.15 and
# the sub-items 1.3.3 (c), 2.2.1 (b), 2.2.1 (d), all "in progress", in April 2024.


@pytest.fixture
def demo(db):
    call_command("load_demo", "--allow-production", stdout=StringIO())
    return ReportingUnit.objects.get(code="KZ")


def test_the_kazakhstan_dashboard_counts_the_work_on_sub_items(demo, client, django_user_model):
    board = dashboard.build(list(Instrument.objects.all()), None, demo, today=datetime.date(2026, 12, 3))
    # 102 CAMI activities and 13 Vilm actions apply to Kazakhstan; five have a state: CAMI 1.3.3
    # and 2.2.1 from their sub-items, 2.3.7 and 2.3.15, and Vilm 2.3.
    assert (board.pair_count, board.reported_count, board.with_progress.count) == (115, 5, 5)
    assert board.totals == {NO_REPORT: 110, Status.IN_PROGRESS: 5}
    cami, vilm = board.parts
    assert (cami.numbered_count, cami.reported_count, cami.progress_count) == (102, 4, 4)
    # High priority: 1.3.3 and 2.2.1, both through their sub-items.
    assert (cami.high_priority.count, cami.high_priority.total) == (2, 35)
    objectives = {figure.label.split(" ", 1)[0]: figure.counts for figure in cami.by_objective}
    assert objectives["1"] == {NO_REPORT: 49, Status.IN_PROGRESS: 1}
    assert objectives["2"] == {NO_REPORT: 19, Status.IN_PROGRESS: 3}
    issues = {figure.item.code: figure.counts[Status.IN_PROGRESS] for figure in cami.by_issue}
    assert (issues["1.3"], issues["2.2"], issues["2.3"]) == (1, 1, 2)
    assert (vilm.reported_count, vilm.progress_count, vilm.overdue_count) == (1, 1, 5)
    row = next(row for row in cami.rows if row.item.code == "2.2.1")
    assert row.cells[demo.pk].from_sub_items == (2, 11) and row.cells[demo.pk].status == Status.IN_PROGRESS

    client.force_login(django_user_model.objects.get(username="ministry-kz"))
    page = client.get("/en/dashboards/KZ/").content.decode()
    assert "from its sub-items: 2 of 11 reported" in page  # the heat map's cell for 2.2.1
    assert 'class="s-in-progress derived"' in page


def test_my_reporting_no_longer_asks_for_an_activity_whose_sub_items_are_reported(demo, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="focal-kz"))
    response = client.get(reverse("actions:my_reporting"), {"reason": "none-yet"})
    asked = {(entry.item.instrument.slug, entry.item.code) for entry in response.context["page"].paginator.object_list}
    assert ("cami-pow", "2.2.1") not in asked and ("cami-pow", "1.3.3") not in asked
    assert ("cami-pow", "2.3.7") not in asked and ("cami-pow", "1.1.1") in asked
    # 102 CAMI activities and 13 Vilm actions, less the five with a state.
    assert response.context["count"] == 110
    # An activity still asked for shows what its sub-items say: 1.3.4 has none reported yet.
    entries = {
        (entry.item.instrument.slug, entry.item.code): entry for entry in response.context["page"].paginator.object_list
    }
    assert entries[("cami-pow", "1.3.4")].sub_items == []


def test_the_cop15_report_of_kazakhstan_says_what_each_figure_counts(demo):
    meeting = Meeting.objects.get(name__contains="(COP15)")
    snapshot = take(meeting, list(Instrument.objects.all()), demo, "en")
    cami, vilm = snapshot.parts
    assert (cami.reported_count, cami.pair_count, cami.progress_count) == (4, 102, 4)
    assert (cami.high_priority.count, cami.high_priority.total) == (2, 35)
    assert (vilm.reported_count, vilm.pair_count, vilm.overdue_count) == (1, 13, 5)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(snapshot))).pages)
    text = re.sub(r"\s+", " ", text)
    compact = re.sub(r"\s+", "", text)  # a table cell may break "sub-items" at its hyphen
    # The summary's rows: activities, units, reported / expected, with progress, completed,
    # overdue, high priority with progress / high priority.
    assert "CAMI Programme of Work 102 1 4 / 102 4 0 0 2 / 35" in text
    assert "Vilm Declaration of Intent 13 1 1 / 13 1 0 5 –" in text
    assert "an activity with lettered sub-items counts in the state its sub-items give it" in text
    assert "A status marked * comes from the activity's lettered sub-items." in text
    # A text cut to fit says so, and where the whole of it is.
    assert "fromitssub-items:2of11reported" in compact
    assert "A text that ends in “…” is shortened to fit the page" in text
    # The annex gives 2.2.1 the state of its sub-items, and says so.
    assert "fromitssub-items:2of11reported" in compact


def test_the_search_finds_the_fence_sub_items_in_every_language(db, client):
    fences = {"2.2.1 (a)", "2.2.1 (b)", "2.2.1 (c)", "2.2.1 (d)"}
    for language in ("en", "ru", "mn", "kk"):
        for query in ("қоршау", "забор", "fence", "хашаа"):
            response = client.get(f"/{language}/activities/", {"q": query})
            codes = {item.code for item in response.context["page"].paginator.object_list}
            assert fences <= codes, (language, query)
            assert "1.3.4 (a)" in codes  # "Fences": the CAMI sub-item on border fences of issue 1.3
    listed = [item.code for item in client.get("/en/activities/", {"q": "2.2.1"}).context["page"].object_list]
    assert listed[0] == "2.2.1"  # the exact code first, then its sub-items
    assert listed[1:12] == [f"2.2.1 ({letter})" for letter in "abcdefghijk"]


def test_a_search_term_finds_its_other_words_at_the_start_of_a_word():
    found_by = search.matcher("mining")
    assert found_by.search("Mining licences") and found_by.search("уул уурхайн салбар")
    assert found_by.search("горнодобывающей промышленности") and found_by.search("тау-кен өндірісі")
    # "mining" is no part of "determining", nor "mine" of "examine".
    assert not found_by.search("determining whether khulan will cross") and not found_by.search("examine")
    # What is typed is found at the start of a word form, in any case and alphabet.
    assert search.matcher("қоршау").search("бар ҚОРШАУЛАРДЫҢ әсерін")
    assert search.matcher("2.2.1").search("2.2.1 (b)") and not search.matcher("2.1").search("12.1")


def test_a_focal_points_list_starts_with_their_unit(db, client, people):
    client.force_login(people["aigerim"])  # Kazakhstan
    page = client.get("/en/activities/")
    units = [set(item.applies_to.values_list("code", flat=True)) for item in page.context["page"].paginator.object_list]
    assert all("KZ" in codes for codes in units)
    assert "Show the items of every reporting unit" in page.content.decode()
    every = client.get("/en/activities/", {"unit": ""})
    assert every.context["page"].paginator.count == Item.objects.numbered().count()
    assert every.context["page"].paginator.count > page.context["page"].paginator.count
