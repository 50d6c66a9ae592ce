"""The instrument page's tree is drawn once per language and data version: an edit shows at once."""

import pytest
from django.urls import reverse
from django.utils import translation

from actions.models import Item

pytestmark = pytest.mark.django_db


def test_the_tree_is_drawn_once_and_an_edit_shows_on_the_next_reading(client, people, monkeypatch):
    from django.template import loader

    drawn = []
    render_to_string = loader.render_to_string
    monkeypatch.setattr(
        "actions.views.render_to_string",
        lambda name, *args, **kwargs: drawn.append(name) or render_to_string(name, *args, **kwargs),
    )
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
