"""Dashboards and the list behind their figures: what they count, who sees them, what they export."""

import datetime
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from actions import services
from actions.models import DuePrecision, Instrument, Item, Priority, ReportingUnit, Status
from actions.synthetic import generate_history
from actions.tests.reporting import report
from reports import dashboard
from reports.snapshot import NO_REPORT, units_of_instruments
from reports.tests.meetings import accepted, meeting

ROLES = ("anonymous", "aigerim", "bat", "daulet", "sara", "ada", "nobody")
TODAY = datetime.date(2026, 11, 21)


def _instruments():
    return list(Instrument.objects.prefetch_related("applies_to").order_by("position"))


def _get(client, person, url):
    if person is not None:
        client.force_login(person)
    return client.get(url)


def _rows_listed(client, url) -> int:
    """The number of rows the list says it found, from its own page."""
    page = client.get(url).content.decode()
    found = re.search(r'<p class="count" role="status">\s*(\d+) rows? found', page)
    assert found, page[:2000]
    return int(found.group(1))


@pytest.fixture
def history(people):
    """Kazakhstan completed 1.1.1 and works on 1.1.2; Mongolia works on 1.1.1; one Kazakh update
    on 2.2.1 is still pending review, and Mongolia's on 1.3.4 is a draft."""
    made = {
        "kz_done": accepted(people, "1.1.1", "KZ", on=datetime.date(2024, 3, 1), status=Status.COMPLETED),
        "kz_going": accepted(people, "1.1.2", "KZ", on=datetime.date(2026, 2, 1), progress=40),
        "mn_going": accepted(people, "1.1.1", "MN", on=datetime.date(2026, 3, 1)),
    }
    made["kz_pending"] = report(people["aigerim"], "2.2.1", "KZ", status=Status.COMPLETED)
    made["mn_draft"] = report(people["bat"], "1.3.4", "MN", submit=False, status=Status.COMPLETED)
    return made


# What the dashboards count -------------------------------------------------------------------------


def test_the_regional_figures_count_accepted_updates_only(history, client, people):
    response = _get(client, people["sara"], reverse("reports:dashboard_region") + "?instrument=cami-pow")
    board = response.context["board"]
    cami = Item.objects.filter(instrument__slug="cami-pow", kind__in=Item.NUMBERED_KINDS)
    pairs = sum(activity.applies_to.count() for activity in cami)
    assert board.pair_count == pairs
    assert board.reported_count == 3  # the pending and the draft update are not figures
    assert board.totals[Status.COMPLETED] == 1
    assert board.totals[Status.IN_PROGRESS] == 2
    assert board.with_progress.count == 3
    assert board.totals[NO_REPORT] == pairs - 3
    kazakhstan = dict((unit.code, counts) for unit, counts in board.counts_by_unit())["KZ"]
    assert kazakhstan[Status.COMPLETED] == 1 and kazakhstan[Status.IN_PROGRESS] == 1


def test_every_key_figure_links_to_as_many_rows(history, client, people):
    client.force_login(people["sara"])
    page = client.get(reverse("reports:dashboard_region") + "?instrument=cami-pow").content.decode()
    figures = re.findall(r'<li><a href="([^"]+)"><span class="figure">(\d+)</span>', page)
    assert len(figures) == 6
    for url, figure in figures:
        assert _rows_listed(client, url.replace("&amp;", "&")) == int(figure), url


def test_the_figures_by_unit_and_objective_link_to_their_rows(history, client, people):
    client.force_login(people["sara"])
    page = client.get(reverse("reports:dashboard_region") + "?instrument=cami-pow").content.decode()
    by_unit = re.search(r'href="([^"]*unit=KZ[^"]*status=completed[^"]*)">1</a>', page)
    assert by_unit, "Kazakhstan's one completed activity links to its row"
    objective = Item.objects.get(instrument__slug="cami-pow", code="1")
    url = reverse("reports:progress") + f"?instrument=cami-pow&within={objective.pk}&status=in-progress"
    assert _rows_listed(client, url) == 2
    assert f"within={objective.pk}&amp;status=in-progress" in page


def test_the_heat_map_shows_each_state_by_symbol_and_name(history, client, people):
    client.force_login(people["sara"])
    page = client.get(reverse("reports:dashboard_region") + "?instrument=cami-pow").content.decode()
    row = re.search(r'<tr class="depth-\d"><th scope="row"><a href="[^"]+">1\.1\.1</a>.*?</tr>', page, re.S).group(0)
    cells = re.findall(r'<td class="([^"]+)"', row)
    units = units_of_instruments(list(Instrument.objects.filter(slug="cami-pow")))
    states = dict(zip([unit.code for unit in units], cells, strict=True))
    assert states["KZ"] == "s-completed" and states["MN"] == "s-in-progress" and states["AF"] == "s-none"
    assert '<span aria-hidden="true">●</span><span class="visually-hidden">Completed</span>' in row
    assert "s-completed" not in re.search(r"<th scope=\"row\"><a [^>]+>2\.2\.1</a>.*?</tr>", page, re.S).group(0)


def test_overdue_and_due_soon_put_high_priority_first(people):
    vilm = list(Item.objects.filter(instrument__slug="vilm", due__isnull=False).order_by("due", "sort_key"))
    first, later = vilm[0], next(each for each in vilm if each.due > vilm[0].due)
    Item.objects.filter(pk=later.pk).update(priority=Priority.HIGH)
    Item.objects.filter(pk=first.pk).update(priority=Priority.LOW)
    board = dashboard.build(_instruments(), None, None, today=later.due + datetime.timedelta(days=1))
    assert [gap.item.pk for gap in board.overdue][:2] == [later.pk, first.pk]
    # Before its deadline, the same activity is due soon, not overdue.
    board = dashboard.build(_instruments(), None, None, today=later.due - datetime.timedelta(days=30))
    assert later.pk in {gap.item.pk for gap in board.due_soon}
    assert later.pk not in {gap.item.pk for gap in board.overdue}
    board = dashboard.build(_instruments(), None, None, today=later.due - datetime.timedelta(days=120))
    assert later.pk not in {gap.item.pk for gap in board.due_soon}


def test_a_settled_activity_is_neither_overdue_nor_due_soon(people):
    action = (
        Item.objects.filter(instrument__slug="vilm", due__isnull=False)
        .exclude(due_precision=DuePrecision.ONGOING)
        .filter(applies_to__code="KZ")
        .filter(applies_to__code="MN")
        .first()
    )
    settled, still_open = ReportingUnit.objects.get(code="KZ"), ReportingUnit.objects.get(code="MN")
    accepted(people, action.code, "KZ", instrument="vilm", on=datetime.date(2024, 1, 1), status=Status.COMPLETED)
    board = dashboard.build(_instruments(), None, None, today=action.due + datetime.timedelta(days=1))
    overdue_units = {unit.code for gap in board.overdue if gap.item.pk == action.pk for unit, _cell in gap.pairs}
    assert settled.code not in overdue_units and still_open.code in overdue_units
    board = dashboard.build(_instruments(), None, None, today=action.due - datetime.timedelta(days=10))
    due_units = {unit.code for gap in board.due_soon if gap.item.pk == action.pk for unit, _cell in gap.pairs}
    assert settled.code not in due_units and still_open.code in due_units


def test_the_latest_accepted_updates_come_newest_first(history, client, people):
    client.force_login(people["sara"])
    latest = client.get(reverse("reports:dashboard_region")).context["latest"]
    assert [update.pk for update in latest] == [
        history["mn_going"].pk,
        history["kz_going"].pk,
        history["kz_done"].pk,
    ]
    assert client.get(reverse("reports:dashboard_region") + "?instrument=vilm").context["latest"] == []


def test_a_unit_dashboard_compares_with_the_region_and_the_last_meeting(history, client, people):
    meeting("COP14", cutoff=datetime.date(2025, 6, 30))
    client.force_login(people["daulet"])
    response = client.get(reverse("reports:dashboard_unit", args=["KZ"]) + "?instrument=cami-pow")
    board = response.context["board"]
    assert board.unit.code == "KZ" and [unit.code for unit in board.units] == ["KZ"]
    assert board.totals[Status.COMPLETED] == 1 and board.totals[Status.IN_PROGRESS] == 1
    assert board.region_totals[Status.IN_PROGRESS] == 2
    objective = next(comparison for comparison in board.comparisons if comparison.item.code == "1")
    assert (objective.unit.count, objective.region.count) == (2, 3)
    # Only the update accepted after COP14's cut-off changed since.
    assert board.previous_meeting.name == "COP14"
    assert [(change.item.code, change.before.status, change.after.status) for change in board.changes] == [
        ("1.1.2", NO_REPORT, Status.IN_PROGRESS)
    ]
    page = response.content.decode()
    assert "aigerim@example.org" in page  # the focal point, for those who read the unit


def test_the_regional_dashboard_counts_the_changes_since_the_last_meeting_by_unit(history, client, people):
    meeting("COP14", cutoff=datetime.date(2025, 6, 30))
    # Mongolia's 1.1.1 moves on from in progress to completed after the cut-off too.
    accepted(people, "1.1.1", "MN", on=datetime.date(2026, 4, 1), status=Status.COMPLETED)
    client.force_login(people["sara"])
    response = client.get(reverse("reports:dashboard_region") + "?instrument=cami-pow")
    board = response.context["board"]
    assert board.previous_meeting.name == "COP14"
    counted = {each.unit.code: (each.changed, each.first_reported, each.completed) for each in board.changes_by_unit}
    # Kazakhstan: 1.1.2 reported for the first time (its 1.1.1 was completed before the cut-off);
    # Mongolia: 1.1.1 reported for the first time and completed.
    assert counted == {"KZ": (1, 1, 0), "MN": (1, 1, 1)}
    # Each unit's count is the length of the list its own dashboard shows, which it links to.
    unit_board = client.get(reverse("reports:dashboard_unit", args=["MN"]) + "?instrument=cami-pow").context["board"]
    assert [(change.item.code, change.after.status) for change in unit_board.changes] == [("1.1.1", Status.COMPLETED)]
    page = response.content.decode()
    link = reverse("reports:dashboard_unit", args=["MN"]) + "?instrument=cami-pow#changes"
    assert f'<a href="{link}">1</a>' in page
    assert list(_sections(page))[:3] == ["figures", "changes", "status"]
    with translation.override("kk"):
        kk_page = client.get(reverse("reports:dashboard_region")).content.decode()
    assert "Алғаш рет есеп берілген іс-шаралар" in kk_page


def test_the_regional_dashboard_says_when_no_meeting_was_held(history, client, people):
    page = _get(client, people["sara"], reverse("reports:dashboard_region")).content.decode()
    assert '<section id="changes"' in page and "No meeting has been held yet." in page


def test_a_unit_dashboard_shows_only_the_instruments_of_the_unit(people, client):
    client.force_login(people["aigerim"])
    board = client.get(reverse("reports:dashboard_unit", args=["KZ"])).context["board"]
    assert {part.instrument.slug for part in board.parts} == {"cami-pow", "vilm"}
    assert client.get(reverse("reports:dashboard_unit", args=["KZ"]) + "?instrument=ulaanbaatar").status_code == 404
    assert client.get(reverse("reports:dashboard_region") + "?instrument=nothing").status_code == 403


# The list behind the figures -------------------------------------------------------------------------


def test_the_list_filters_by_status_unit_priority_and_level(history, client, people):
    client.force_login(people["sara"])
    base = reverse("reports:progress")
    assert _rows_listed(client, base + "?status=completed") == 1
    assert _rows_listed(client, base + "?status=in-progress&unit=MN") == 1
    assert _rows_listed(client, base + "?status=in-progress&status=completed&unit=KZ&unit=MN") == 3
    high = Item.objects.filter(kind__in=Item.NUMBERED_KINDS, priority=Priority.HIGH)
    assert _rows_listed(client, base + "?priority=high") == sum(each.applies_to.count() for each in high)
    sub_items = Item.objects.filter(kind=Item.Kind.SUBITEM, applies_to__code="KZ").count()
    assert _rows_listed(client, base + "?level=sub-items&unit=KZ") == sub_items
    # The rows are read from the context of a drawing: the list read above is kept, so empty the cache.
    cache.clear()
    context = client.get(base + "?status=completed").context
    [row] = list(context["page"])
    assert (row.code, row.unit.code, row.cell.status) == ("1.1.1", "KZ", Status.COMPLETED)


def test_the_list_filters_by_agency_kind_and_deadline(people, client):
    client.force_login(people["sara"])
    base = reverse("reports:progress")
    ngo_items = Item.objects.filter(kind__in=Item.NUMBERED_KINDS, agencies__kind="ngo").distinct()
    assert _rows_listed(client, base + "?agency_kind=ngo") == sum(each.applies_to.count() for each in ngo_items)
    dated = Item.objects.filter(kind__in=Item.NUMBERED_KINDS, due__lt=datetime.date.today()).exclude(
        due_precision="ongoing"
    )
    assert _rows_listed(client, base + "?deadline=overdue") == sum(each.applies_to.count() for each in dated)
    # Deadlines count activities, as the dashboards' figures do; sub-items are a choice of level.
    for level, kinds in (("", Item.NUMBERED_KINDS), ("&level=both", Item.TRACKABLE_KINDS)):
        undated = Item.objects.filter(kind__in=kinds).filter(Q(due__isnull=True) | Q(due_precision="ongoing"))
        listed = _rows_listed(client, base + "?deadline=none" + level)
        assert listed == sum(each.applies_to.count() for each in undated)


def test_a_reader_lists_only_the_units_they_read(history, client, people):
    client.force_login(people["daulet"])
    response = client.get(reverse("reports:progress"))
    assert {row.unit.code for row in response.context["page"]} == {"KZ"}
    assert response.context["page"].paginator.count == Item.objects.numbered().filter(applies_to__code="KZ").count()
    # Asking for Mongolia is not a choice for them: nothing is listed.
    assert _rows_listed(client, reverse("reports:progress") + "?unit=MN") == 0


def test_the_list_exports_its_rows_to_excel(history, client, people):
    client.force_login(people["sara"])
    query = "?instrument=cami-pow&status=in-progress&status=completed"
    response = client.get(reverse("reports:progress_xlsx") + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == ("Instrument", "Code", "Activity", "Priority", "Due", "Reporting unit", "Status")
    body = [(row[1], row[5], row[6], row[7]) for row in rows[1:]]
    assert body == [
        ("1.1.1", "Kazakhstan", "● Completed", None),
        ("1.1.1", "Mongolia", "◑ In progress", None),
        ("1.1.2", "Kazakhstan", "◑ In progress", 40),
    ]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J4"
    accepted_on = rows[1][9]
    assert accepted_on.date() == datetime.date(2024, 3, 1)


def test_the_export_speaks_the_language_of_the_page(history, client, people):
    client.force_login(people["sara"])
    with translation.override("ru"):
        url = reverse("reports:progress_xlsx") + "?status=completed"
    sheet = load_workbook(io.BytesIO(client.get(url).content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[0] == "Документ" and header[5] == "Отчитывающаяся сторона"
    assert sheet.cell(row=2, column=7).value.endswith("Выполнено")


# Who sees what ------------------------------------------------------------------------------------

# Per URL, the status each person gets; "login" is a redirect to the sign-in page.
ACCESS = [
    ("reports:dashboards", (), {"anonymous": "login", "aigerim": 302, "bat": 302, "daulet": 302, "sara": 302,
                                "ada": 302, "nobody": 403}),
    ("reports:dashboard_region", (), {"anonymous": "login", "aigerim": 403, "bat": 403, "daulet": 403, "sara": 200,
                                      "ada": 200, "nobody": 403}),
    ("reports:dashboard_unit", ("KZ",), {"anonymous": "login", "aigerim": 200, "bat": 403, "daulet": 200,
                                         "sara": 200, "ada": 200, "nobody": 403}),
    ("reports:progress", (), {"anonymous": "login", "aigerim": 200, "bat": 200, "daulet": 200, "sara": 200,
                              "ada": 200, "nobody": 403}),
    ("reports:progress_xlsx", (), {"anonymous": "login", "aigerim": 200, "bat": 200, "daulet": 200, "sara": 200,
                                   "ada": 200, "nobody": 403}),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "args", "expected"), ACCESS)
def test_who_may_open_the_dashboards(people, client, role, name, args, expected):
    response = _get(client, people.get(role), reverse(name, args=args))
    if expected[role] == "login":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected[role]


@pytest.mark.parametrize(
    ("role", "target"),
    [("aigerim", ("KZ",)), ("bat", ("MN",)), ("daulet", ("KZ",)), ("sara", None), ("ada", None)],
)
def test_the_dashboards_link_leads_to_ones_own(people, client, role, target):
    response = _get(client, people[role], reverse("reports:dashboards"))
    expected = reverse("reports:dashboard_unit", args=target) if target else reverse("reports:dashboard_region")
    assert response.url == expected


def test_public_dashboards_show_accepted_updates_to_anyone(history, client, settings):
    settings.PUBLIC_DASHBOARD = True
    assert client.get(reverse("reports:dashboards")).url == reverse("reports:dashboard_region")
    response = client.get(reverse("reports:dashboard_region"))
    assert response.status_code == 200
    board = response.context["board"]
    assert board.reported_count == 3 and board.totals[Status.COMPLETED] == 1
    unit_page = client.get(reverse("reports:dashboard_unit", args=["KZ"]))
    assert unit_page.status_code == 200
    assert "aigerim@example.org" not in unit_page.content.decode()  # focal points stay with the unit's readers
    assert _rows_listed(client, reverse("reports:progress") + "?status=completed") == 1
    # The updates themselves stay behind their own permission.
    assert f'href="{history["kz_done"].get_absolute_url()}"' not in response.content.decode()


def test_public_dashboards_link_the_updates_when_progress_is_public(history, client, settings):
    settings.PUBLIC_DASHBOARD = True
    settings.PUBLIC_PROGRESS = True
    page = client.get(reverse("reports:dashboard_region")).content.decode()
    assert f'href="{history["kz_done"].get_absolute_url()}"' in page


# Queries do not grow with the data ----------------------------------------------------------------

PAGES = [
    ("sara", "reports:dashboard_region", (), ""),
    ("sara", "reports:dashboard_region", (), "?instrument=vilm"),
    ("daulet", "reports:dashboard_unit", ("KZ",), ""),
    ("sara", "reports:progress", (), ""),
    ("sara", "reports:progress", (), "?status=completed&unit=KZ&deadline=overdue"),
    ("sara", "reports:progress_xlsx", (), "?unit=MN"),
    ("sara", "reports:progress", (), "?level=both&status=in-progress"),
    ("sara", "actions:item_list", (), ""),
    ("sara", "actions:item_list", (), "?q=fence"),
    ("aigerim", "actions:item_list", (), "?q=%D0%B7%D0%B0%D0%B1%D0%BE%D1%80"),
    ("sara", "actions:item", ("cami-pow", "1.1.1"), ""),
    ("aigerim", "actions:item", ("cami-pow", "1.1.1"), ""),
    ("aigerim", "actions:my_reporting", (), ""),
    ("sara", "actions:review_queue", (), ""),
]


def _queries(client, people) -> dict:
    counts = {}
    for role, name, args, query in PAGES:
        client.force_login(people[role])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name, args=args) + query).status_code == 200
        counts[(role, name, query)] = len(captured)
    return counts


def test_the_number_of_queries_of_each_page_does_not_grow_with_the_data(history, client, people):
    meeting("COP14", cutoff=datetime.date(2025, 6, 30))
    few = _queries(client, people)
    generate_history(years=2, per_year=2, coverage=0.3, until=TODAY, narrative_chars=40)
    services.update_accept(update=history["kz_pending"], user=people["sara"])
    many = _queries(client, people)
    assert many == few
    assert max(many.values()) <= 30, many


# Read in thirty seconds ----------------------------------------------------------------------------


def _sections(page: str) -> dict[str, bool]:
    """Each section of the dashboard by id: True where it is folded into a closed <details>."""
    folded = {}
    for match in re.finditer(r'<section id="([^"]+)"[^>]*>\s*(<details class="fold"( open)?>)?', page):
        folded[match.group(1)] = bool(match.group(2)) and not match.group(3)
    return folded


def test_the_key_figures_and_changes_come_first_and_long_sections_fold(history, client, people):
    from reports.tests.meetings import meeting

    meeting("COP14", cutoff=datetime.date(2024, 1, 1))
    page = _get(client, people["sara"], reverse("reports:dashboard_unit", args=["KZ"])).content.decode()
    sections = _sections(page)
    assert list(sections)[:3] == ["figures", "changes", "status"]
    assert sections == {
        "figures": False,
        "changes": False,
        "status": False,
        "objectives": True,
        "matrix": True,
        "deadlines": True,
        "latest": True,
        "people": True,
    }
    # A folded section says in its summary what is inside.
    assert re.search(
        r'<summary><h2 id="deadlines-title">Deadlines</h2> <span class="fold-count">\d+ overdue, \d+ due soon', page
    )


def test_the_regional_heat_map_is_one_instrument_at_a_time(history, client, people):
    client.force_login(people["sara"])
    page = client.get(reverse("reports:dashboard_region")).content.decode()
    assert 'class="heat-map"' not in page
    choices = re.findall(r'<li><a href="\?instrument=([a-z-]+)#matrix">', page)
    assert choices == [instrument.slug for instrument in Instrument.objects.order_by("position")]
    cami_rows = Item.objects.filter(instrument__slug="cami-pow", kind__in=Item.TRACKABLE_KINDS).count()
    cami_units = ReportingUnit.objects.filter(items__instrument__slug="cami-pow").distinct().count()
    assert f"{cami_rows} activities and sub-items in {cami_units} reporting units" in page

    chosen = client.get(reverse("reports:dashboard_region") + "?instrument=cami-pow").content.decode()
    assert chosen.count('class="heat-map"') == 1
    assert _sections(chosen)["matrix"] is False  # open: the reader asked for it
    assert '<details class="fold" open>' in chosen
