import pytest

from actions.tests.test_pages import rows

pytestmark = pytest.mark.django_db


def listed(client, query: str) -> list[str]:
    response = client.get(f"/en/activities/?{query}")
    assert response.status_code == 200
    return rows(response.content.decode())


def test_default_lists_numbered_items_fifty_per_page(client):
    html = client.get("/en/activities/").content.decode()
    assert "213 items found" in html  # 121 CAMI activities, 65 Vilm actions, 27 Ulaanbaatar recommendations
    assert len(rows(html)) == 50
    assert rows(html)[:3] == ["1.1.1", "1.1.2", "1.1.3"]
    assert "Page 1 of 5" in html


def test_last_page(client):
    assert listed(client, "page=5")[-3:] == ["25", "26", "27"]


def test_filter_by_instrument_and_objective(client):
    assert listed(client, "instrument=ulaanbaatar")[:2] == ["1", "2"]
    from actions.models import Item

    issue = Item.objects.get(instrument__slug="cami-pow", key="1.2")
    assert listed(client, f"within={issue.pk}") == [f"1.2.{n}" for n in range(1, 11)]


def test_filter_by_priority(client):
    codes = listed(client, "instrument=cami-pow&priority=medium-low&priority=low")
    assert codes and all(code.startswith(("2.", "3.", "4.")) for code in codes)


def test_filter_by_agency_and_kind(client):
    assert listed(client, "agency=traffic") == ["1.1.6"]
    assert "1.5.7" in listed(client, "agency_kind=private-sector")


def test_filter_by_reporting_unit(client):
    codes = listed(client, "unit=KZ&instrument=vilm")
    assert "2.3" in codes and "2.1" not in codes  # KЗ: prefix vs МГ: prefix


def test_subitems_on_request(client):
    assert listed(client, "kind=subitem&within=")[:2] == ["1.3.1 (a)", "1.3.1 (b)"]


def test_cyrillic_search_in_the_list(client):
    assert "25" in listed(client, "q=ХУЛАН")


def test_sort_by_priority_then_code(client):
    codes = listed(client, "instrument=cami-pow&order=priority")
    assert codes[:2] == ["1.1.1", "1.1.2"]
    codes = listed(client, "instrument=cami-pow&order=-priority")
    assert codes[0] == "1.6.3"  # conditional: "Following completion of gap analysis"


def test_sort_by_due_date(client):
    codes = listed(client, "instrument=vilm&order=due")
    assert codes[0] in {"1.1", "1.2"}


def test_invalid_filter_value_is_reported_not_a_crash(client):
    response = client.get("/en/activities/?priority=urgent")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
