"""The instrument tree and the activity list are drawn once per language and data version, and per
reader only where readers differ: an edit shows at once, a search is always the reader's own."""

import pytest
from django.urls import reverse
from django.utils import translation

from actions.models import Item

pytestmark = pytest.mark.django_db


def test_the_tree_is_drawn_once_and_an_edit_shows_on_the_next_reading(client, people, monkeypatch):
    drawn = drawn_parts(monkeypatch)
    url = reverse("actions:instrument", args=["cami-pow"])
    first = client.get(url).content.decode()
    assert "Page of this heading" in first
    assert client.get(url).content.decode() == first
    assert drawn == ["actions/instrument_tree.html"]
    item = Item.objects.filter(instrument__slug="cami-pow", kind__in=Item.TRACKABLE_KINDS).order_by("sort_key").first()
    item.text = "Reworded for the test"
    item.save()
    assert "Reworded for the test" in client.get(url).content.decode()
    # Each language has its own tree: the Russian page is not the English one.
    with translation.override("ru"):
        russian = client.get(reverse("actions:instrument", args=["cami-pow"])).content.decode()
    assert drawn == ["actions/instrument_tree.html"] * 3
    assert 'lang="ru"' in russian and "Page of this heading" not in russian


def drawn_parts(monkeypatch) -> list[str]:
    from django.template import loader

    drawn = []
    render_to_string = loader.render_to_string
    monkeypatch.setattr(
        "actions.reading_views.render_to_string",
        lambda name, *args, **kwargs: drawn.append(name) or render_to_string(name, *args, **kwargs),
    )
    return drawn


def listed(page: str) -> str:
    """The filters and rows of the activity list, without the menu (whose form carries a fresh token)."""
    return page[page.index('<form method="get" class="filters"') : page.index("</main>")]


def test_the_activity_list_is_kept_per_filters_and_units(client, people, monkeypatch):
    drawn = drawn_parts(monkeypatch)
    url = reverse("actions:item_list")
    client.force_login(people["sara"])
    first = client.get(url, {"instrument": "vilm"}).content.decode()
    assert listed(client.get(url, {"instrument": "vilm"}).content.decode()) == listed(first)
    assert len(drawn) == 1
    # Other filters, or a focal point whose list starts at their unit, are drawn for themselves.
    other = client.get(url, {"instrument": "cami-pow"}).content.decode()
    client.force_login(people["aigerim"])
    own = client.get(url, {"instrument": "vilm"}).content.decode()
    assert len(drawn) == 3 and listed(other) != listed(first)
    assert "The items of your reporting units: Kazakhstan." in own
    assert "The items of your reporting units: CMS Secretariat." in first
    client.force_login(people["sara"])
    every_unit = {"instrument": "vilm", "unit": ""}
    assert "Reworded for the list" not in client.get(url, every_unit).content.decode()
    item = Item.objects.filter(instrument__slug="vilm", kind__in=Item.TRACKABLE_KINDS).order_by("sort_key").first()
    item.text = "Reworded for the list"
    item.save()
    assert "Reworded for the list" in client.get(url, every_unit).content.decode()


def test_a_search_is_drawn_for_each_reader(client, people, monkeypatch):
    drawn = drawn_parts(monkeypatch)
    url = reverse("actions:item_list")
    client.force_login(people["sara"])
    client.get(url, {"q": "fence"})
    client.get(url, {"q": "fence"})
    assert drawn == ["actions/item_list_body.html"] * 2
