"""What every main page sends over a slow line, with ten years of quarterly history behind it: HTML
compressed through the real middleware stack and within the budget, and no id twice on a page."""

import datetime
import gzip
from collections import Counter
from html.parser import HTMLParser

import pytest

from actions.models import Item, StatusUpdate
from actions.synthetic import generate_history
from reports.tests.meetings import meeting

pytestmark = pytest.mark.django_db

# Every main page, compressed, at most this much (issue "on a phone, on a slow line").
BUDGET = 60 * 1024

PAGES = [
    ("sara", "/en/"),
    ("sara", "/en/instruments/cami-pow/"),
    ("sara", "/en/activities/"),
    ("sara", "/en/activities/?q=fence"),
    ("sara", "/en/instruments/cami-pow/2.2.1/"),
    ("sara", "/en/instruments/cami-pow/1.1.1/?history=KZ"),
    ("sara", "/en/dashboards/region/"),
    ("sara", "/en/dashboards/region/?instrument=cami-pow"),
    ("daulet", "/ru/dashboards/KZ/"),
    ("sara", "/en/progress/"),
    ("sara", "/en/progress/?status=completed&unit=KZ"),
    ("aigerim", "/kk/reporting/"),
    ("sara", "/en/review/"),
    ("sara", "/en/inbox/"),
    ("aigerim", "/kk/inbox/"),
    ("aigerim", "/kk/profile/"),
    ("sara", "/en/meeting-reports/"),
]


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids[value] += 1


def test_every_main_page_is_compressed_within_budget_and_has_unique_ids(client, people):
    meeting("COP14", cutoff=datetime.date(2025, 6, 30))
    report = generate_history(years=10, per_year=4, coverage=1, until=datetime.date(2025, 12, 31), seed=1)
    pairs = sum(item.applies_to.count() for item in Item.objects.filter(kind__in=Item.TRACKABLE_KINDS))
    assert report.updates == StatusUpdate.objects.count() >= 40 * pairs * 0.9
    sizes, too_big, repeated = {}, {}, {}
    for role, path in PAGES:
        client.force_login(people[role])
        response = client.get(path, secure=True, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert response.status_code == 200, path
        assert response["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in response["Vary"], path
        html = gzip.decompress(response.content).decode()
        sizes[path] = (len(html), len(response.content))
        if len(response.content) > BUDGET:
            too_big[path] = len(response.content)
        parser = Ids()
        parser.feed(html)
        doubled = [name for name, count in parser.ids.items() if count > 1]
        if doubled:
            repeated[path] = doubled
    assert too_big == {}, sizes
    assert repeated == {}
    # Compression is what makes the budget: one instrument's regional heat map alone is well over it.
    assert sizes["/en/dashboards/region/?instrument=cami-pow"][0] > 4 * BUDGET, sizes
    # The whole region's dashboard sends no heat map, only the way to each instrument's.
    assert sizes["/en/dashboards/region/"][0] < sizes["/en/dashboards/region/?instrument=cami-pow"][0] / 2, sizes


def test_files_that_are_compressed_already_are_sent_as_they_are(client, people):
    client.force_login(people["sara"])
    workbook = client.get("/en/progress/xlsx/?unit=KZ", secure=True, HTTP_ACCEPT_ENCODING="gzip")
    assert workbook.status_code == 200 and not workbook.has_header("Content-Encoding")
    csv = client.get("/open-data/activities.csv", secure=True, HTTP_ACCEPT_ENCODING="gzip")
    assert csv.status_code == 200 and csv["Content-Encoding"] == "gzip"


def test_the_same_page_is_not_the_same_size_twice(client, people):
    # BREACH reads secrets from compressed sizes: the random padding makes them vary.
    client.force_login(people["aigerim"])
    sizes = {len(client.get("/en/reporting/", secure=True, HTTP_ACCEPT_ENCODING="gzip").content) for _ in range(8)}
    assert len(sizes) > 1
