"""The Secretariat's review queue: count, filters, pages, decisions on the ticked or all matching
updates, choices kept on an error, a bounded number of queries; and the heat map's cells leading to
an item's timeline in a unit."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions import services
from actions.models import Item, ReportingUnit, Status, StatusUpdate
from actions.review_views import QUEUE_PAGE_SIZE
from actions.tests.reporting import pdf, report
from reports.tests.meetings import accepted

pytestmark = pytest.mark.django_db

QUEUE = "/en/review/"


def trackable(unit_code: str, instrument: str = "cami-pow") -> list[Item]:
    return list(
        Item.objects.filter(
            instrument__slug=instrument, kind__in=Item.TRACKABLE_KINDS, applies_to__code=unit_code
        ).order_by("sort_key")
    )


def submit_many(people, count: int, unit_code: str = "KZ", instrument: str = "cami-pow") -> list[StatusUpdate]:
    author = people["aigerim" if unit_code == "KZ" else "bat"]
    items = trackable(unit_code, instrument)
    return [
        report(author, items[index % len(items)].code, unit_code, instrument=instrument, narrative=f"Update {index}")
        for index in range(count)
    ]


def ticked(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="updates" value="(\d+)"[^>]*class="select-update" checked', page)}


def rows(page: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="updates" value="(\d+)"', page)}


def test_the_queue_counts_the_updates_waiting(client, people):
    submit_many(people, 28)
    client.force_login(people["sara"])
    page = client.get(QUEUE).content.decode()
    assert "28 updates waiting for review" in page
    one = StatusUpdate.objects.pending().first()
    services.update_accept(update=one, user=people["sara"])
    services.updates_review(
        updates=list(StatusUpdate.objects.pending()[:26]), user=people["sara"], accept=True, comment=""
    )
    assert "1 update waiting for review" in client.get(QUEUE).content.decode()


def test_each_row_shows_what_the_reviewer_decides_on(client, people):
    accepted(people, "2.2.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.PLANNED, progress=10)
    proposed = report(
        people["aigerim"],
        "2.2.1",
        "KZ",
        status=Status.IN_PROGRESS,
        progress=40,
        narrative="Екі өткел салынды.",
        language="kk",
        files=[pdf("passages.pdf")],
        links=["https://www.cms.int/cami"],
    )
    client.force_login(people["sara"])
    page = client.get(QUEUE).content.decode()
    row = re.search(rf'<tr>\s*<td><input type="checkbox" name="updates" value="{proposed.pk}".*?</tr>', page, re.S)
    row = row.group(0)
    item = proposed.item
    assert f">CAMI {item.code}</a>" in row
    assert item.text.split()[0] in row
    assert "Kazakhstan" in row
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert "Planned" in cells[3] and "10&nbsp;%" in cells[3]  # the accepted status in force
    assert "In progress" in cells[4] and "40&nbsp;%" in cells[4]  # the proposed one
    assert '<span lang="kk">Екі өткел салынды.</span>' in row and "Kazakh" in row
    assert "passages.pdf" in row and "https://www.cms.int/cami" in row


def test_a_row_without_an_accepted_update_says_so(client, people):
    report(people["aigerim"], "1.1.1", "KZ")
    client.force_login(people["sara"])
    assert "None accepted yet" in client.get(QUEUE).content.decode()


def test_the_queue_shows_thirty_a_page(client, people):
    updates = submit_many(people, 35)
    client.force_login(people["sara"])
    first = client.get(QUEUE).content.decode()
    second = client.get(QUEUE + "?page=2").content.decode()
    assert len(rows(first)) == QUEUE_PAGE_SIZE == 30
    assert len(rows(second)) == 5
    assert rows(first) | rows(second) == {update.pk for update in updates}
    assert 'href="?page=2"' in first and "Page 1 of 2" in first
    assert "35 updates waiting for review" in second


def test_the_filters_narrow_the_queue_and_keep_the_pages(client, people):
    kazakhstan = submit_many(people, 33, "KZ")
    mongolia = submit_many(people, 2, "MN")
    vilm = submit_many(people, 3, "KZ", instrument="vilm")
    client.force_login(people["sara"])
    page = client.get(QUEUE + "?unit=MN").content.decode()
    assert rows(page) == {update.pk for update in mongolia}
    assert "2 updates waiting for review" in page
    page = client.get(QUEUE + "?instrument=vilm").content.decode()
    assert rows(page) == {update.pk for update in vilm}
    page = client.get(QUEUE + "?instrument=cami-pow&unit=KZ").content.decode()
    assert "33 updates waiting for review" in page
    assert 'href="?instrument=cami-pow&amp;unit=KZ&amp;page=2"' in page
    second = client.get(QUEUE + "?instrument=cami-pow&unit=KZ&page=2").content.decode()
    assert rows(page) | rows(second) == {update.pk for update in kazakhstan}


@pytest.mark.parametrize("query", ["unit=XX", "instrument=nothing", "instrument=" + "9" * 40, "unit[]=KZ&unit=%27"])
def test_a_bad_filter_is_a_form_error(client, people, query):
    submit_many(people, 2)
    client.force_login(people["sara"])
    response = client.get(QUEUE + "?" + query)
    assert response.status_code == 200
    filters = response.context["filters"]
    assert not filters.is_valid() or "unit[]" in query
    if not filters.is_valid():
        assert "Select a valid choice" in response.content.decode()
    # The other filters still work, and the queue is still there.
    assert len(rows(response.content.decode())) == 2


def test_select_all_on_the_page_is_a_static_script_and_no_inline_one(client, people):
    submit_many(people, 2)
    client.force_login(people["sara"])
    page = client.get(QUEUE).content.decode()
    assert '<script src="/static/actions/review_queue.js" defer></script>' in page
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.search(r'<input type="checkbox" id="select-page" class="select-page" hidden aria-label="[^"]+">', page)
    script = open(finders.find("actions/review_queue.js"), encoding="utf-8").read()
    assert "select-page" in script and "select-update" in script


def test_all_matching_updates_are_decided_on_every_page(client, people):
    kazakhstan = submit_many(people, 33, "KZ")
    mongolia = submit_many(people, 2, "MN")
    client.force_login(people["sara"])
    response = client.post(QUEUE + "?unit=KZ", {"scope": "all", "matching": "33", "decision": "accept", "comment": ""})
    assert response.status_code == 302 and response.url == QUEUE + "?unit=KZ"
    assert set(StatusUpdate.objects.filter(pk__in=[u.pk for u in kazakhstan]).values_list("state", flat=True)) == {
        "accepted"
    }
    assert set(StatusUpdate.objects.filter(pk__in=[u.pk for u in mongolia]).values_list("state", flat=True)) == {
        "submitted"
    }


def test_all_matching_refuses_when_the_queue_changed_since_it_was_read(client, people):
    submit_many(people, 3)
    client.force_login(people["sara"])
    response = client.post(QUEUE, {"scope": "all", "matching": "2", "decision": "accept", "comment": ""})
    assert response.status_code == 200
    assert "3 updates now match the filters" in response.content.decode()
    assert StatusUpdate.objects.pending().count() == 3


def test_returning_without_a_comment_keeps_the_ticks_and_the_decision(client, people):
    updates = submit_many(people, 4)
    chosen = [updates[0].pk, updates[2].pk]
    client.force_login(people["sara"])
    response = client.post(QUEUE, {"updates": chosen, "decision": "return", "comment": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say what should be changed" in page
    assert ticked(page) == set(chosen)
    assert re.search(r'<input type="radio" name="decision" value="return"[^>]*checked', page)
    assert StatusUpdate.objects.pending().count() == 4


def test_an_error_keeps_the_all_matching_choice(client, people):
    submit_many(people, 2)
    client.force_login(people["sara"])
    page = client.post(QUEUE, {"scope": "all", "matching": "2", "decision": "return", "comment": ""})
    page = page.content.decode()
    assert '<input type="radio" name="scope" value="all" checked>' in page
    assert StatusUpdate.objects.pending().count() == 2


def test_nothing_ticked_is_a_form_error(client, people):
    submit_many(people, 2)
    client.force_login(people["sara"])
    response = client.post(QUEUE, {"decision": "accept", "comment": ""})
    assert response.status_code == 200
    assert "Tick the updates to decide on." in response.content.decode()


def test_the_ticked_updates_are_accepted_or_returned_from_the_list(client, people):
    updates = submit_many(people, 3)
    client.force_login(people["sara"])
    client.post(QUEUE, {"updates": [updates[0].pk], "decision": "accept", "comment": ""})
    client.post(QUEUE, {"updates": [updates[1].pk], "decision": "return", "comment": "Which sections?"})
    states = dict(StatusUpdate.objects.filter(pk__in=[u.pk for u in updates]).values_list("pk", "state"))
    assert states == {updates[0].pk: "accepted", updates[1].pk: "returned", updates[2].pk: "submitted"}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_queue_reads_a_bounded_number_of_queries(client, people, django_assert_max_num_queries):
    client.force_login(people["sara"])
    submit_many(people, 5)
    few = _queries(client, QUEUE)
    # Much more history, and eight times the updates waiting, with evidence and accepted states.
    items = trackable("KZ")
    for item in items[:10]:
        accepted(people, item.code, "KZ", on=datetime.date(2025, 1, 10))
    for index in range(35):
        report(people["aigerim"], items[index % 20].code, "KZ", files=[pdf(f"{index}.pdf")])
    assert StatusUpdate.objects.pending().count() == 40
    many = _queries(client, QUEUE)
    assert many == few
    # Each filter is looked up once to be checked.
    with django_assert_max_num_queries(few + 2):
        client.get(QUEUE + "?unit=KZ&instrument=cami-pow&page=2")


def test_the_heat_map_cells_link_to_the_items_timeline_in_the_unit(client, people):
    accepted(people, "1.1.1", "KZ", on=datetime.date(2025, 3, 1), status=Status.COMPLETED)
    client.force_login(people["sara"])
    page = client.get(reverse("reports:dashboard_region") + "?instrument=cami-pow").content.decode()
    row = re.search(r'<tr class="depth-\d"><th scope="row"><a href="[^"]+">1\.1\.1</a>.*?</tr>', page, re.S).group(0)
    url = reverse("actions:item", args=["cami-pow", "1.1.1"])
    cell = re.search(rf'<td class="s-completed"[^>]*><a href="{re.escape(url)}\?history=KZ#unit-KZ">', row)
    assert cell
    units = ReportingUnit.objects.filter(code__in=re.findall(r"\?history=([A-Z]+)#", row))
    assert set(Item.objects.get(instrument__slug="cami-pow", code="1.1.1").applies_to.all()) == set(units)
    timeline = client.get(f"{url}?history=KZ")
    assert timeline.status_code == 200
    kazakhstan = next(line for line in timeline.context["unit_progress"] if line["unit"].code == "KZ")
    assert kazakhstan["history"] is not None and len(kazakhstan["updates"]) == 1


def queue_row(page: str, pk: int) -> list[str]:
    """The cells of the queue's row of update `pk`, as HTML."""
    row = re.search(rf'<tr><td><input type="checkbox" name="updates" value="{pk}".*?</tr>', page, re.DOTALL).group(0)
    return re.findall(r"<td>(.*?)</td>", row, re.DOTALL)


def test_a_row_says_what_is_in_force_what_is_proposed_and_how_it_is_backed_in_the_readers_language(client, people):
    from actions.tests.reporting import content

    aigerim, sara = people["aigerim"], people["sara"]
    in_force = report(aigerim, "1.1.1", "KZ", status=Status.COMPLETED, narrative="Done.")
    services.update_accept(update=in_force, user=sara)
    narrative = "<script>alert(1)</script> Өткелдер " + "сөз " * 50
    pending = report(
        aigerim,
        "1.1.1",
        "KZ",
        status=Status.ONGOING,
        progress=80,
        narrative=narrative,
        language="kk",
        files=[pdf("<fence>.pdf")],
        links=["https://example.org/" + "a" * 100],
    )
    returned = report(aigerim, "1.1.2", "KZ", narrative="", status=Status.PLANNED)
    services.update_return(update=returned, user=sara, comment="Say more.")
    returned.refresh_from_db()
    revision = services.update_create(
        author=aigerim,
        item=returned.item,
        unit=returned.unit,
        content=content(narrative="", status=Status.PLANNED),
        based_on_version=services.current_version(returned.item, returned.unit),
        submit=True,
        revision_of=returned,
    )
    client.force_login(sara)
    page = client.get("/ru/review/").content.decode()
    tick, activity, unit, before, proposed, said, evidence, submitted = queue_row(page, pending.pk)
    assert 'aria-label="Выбрать CAMI 1.1.1 (Казахстан)"' in page and " checked" not in tick
    assert activity.startswith(f'<a class="code" href="/ru/updates/{pending.pk}/">CAMI 1.1.1</a><br><span lang=')
    assert unit == "Казахстан"
    assert (
        before
        == '<span class="status status-completed"><span class="symbol" aria-hidden="true">●</span> Выполнено</span>'
    )
    assert proposed.endswith("↻</span> Осуществляется на постоянной основе · 80&nbsp;%</span>")
    # The narrative is text, shortened to forty words, in its language, which is named.
    assert said.startswith('<span lang="kk">&lt;script&gt;alert(1)&lt;/script&gt; Өткелдер сөз')
    assert said.endswith(' …</span><br><span class="muted">казахский</span>') and said.count("сөз") == 38
    assert evidence == "&lt;fence&gt;.pdf<br>https://example.org/" + "a" * 39 + "…"
    assert submitted.endswith(f'<br><span class="muted">{aigerim.get_full_name() or aigerim.username}</span>')
    # A revision says so; an update without a narrative or evidence shows a dash; nothing in force yet.
    cells = queue_row(page, revision.pk)
    assert cells[3] == '<span class="muted">Пока не принято</span>'
    assert cells[4].endswith('◔</span> Запланировано</span><br><span class="muted">исправленная версия</span>')
    assert cells[5] == "—" and cells[6] == "—"
