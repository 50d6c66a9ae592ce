import re

import pytest
from django.urls import reverse
from django.utils import translation

from actions.models import Item

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ru", "mn", "kk"]
# The "Activities" menu entry as each language says it: proves the page is in that language.
ACTIVITIES = {"en": "Activities", "ru": "Мероприятия", "mn": "Үйл ажиллагаа", "kk": "Іс-шаралар"}


def url(name, language, *args):
    with translation.override(language):
        return reverse(name, args=args)


def sample_items():
    """One item of every kind in every instrument."""
    seen, sample = set(), []
    for found in Item.objects.select_related("instrument"):
        if (found.instrument.slug, found.kind) not in seen:
            seen.add((found.instrument.slug, found.kind))
            sample.append(found)
    return sample


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_every_language(client, language):
    pages = [
        url("actions:home", language),
        url("actions:item_list", language),
        url("reports:open_data", language),
        *[url("actions:instrument", language, slug) for slug in ("cami-pow", "vilm", "ulaanbaatar")],
        *[url("actions:item", language, found.instrument.slug, found.slug) for found in sample_items()],
    ]
    assert len(pages) == 15  # 3 lists, 3 instruments, an item of each of 9 kinds
    for page in pages:
        assert page.startswith(f"/{language}/")
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, page
        assert ACTIVITIES[language] in html, page


def test_home_lists_the_three_instruments_with_size_and_period(client):
    html = client.get("/en/").content.decode()
    assert "CAMI Programme of Work" in html and "2014–2020" in html
    assert "121 numbered items" in html and "52 lettered sub-items" in html
    assert "65 numbered items" in html  # Vilm actions
    assert "27 numbered items" in html  # Ulaanbaatar recommendations


def test_language_switcher_links_to_the_same_page(client):
    html = client.get("/ru/instruments/vilm/2.1/").content.decode()
    for language in LANGUAGES:
        assert f'href="/{language}/instruments/vilm/2.1/"' in html


def test_instrument_page_shows_hierarchy_with_codes_and_priorities(client):
    html = client.get("/en/instruments/cami-pow/").content.decode()
    assert html.index(">1.2.9<") < html.index(">1.2.10<") < html.index(">1.3.1<")
    assert "<details" in html and "Fences" in html
    assert 'class="priority priority-high-medium"' in html


def test_activity_page_in_translation_offers_the_original(client):
    response = client.get("/en/instruments/ulaanbaatar/16/")
    html = response.content.decode()
    item = Item.objects.get(instrument__slug="ulaanbaatar", key="16")
    assert item.text_en in html
    assert "Unofficial translation." in html
    assert f'<p lang="mn">{item.text_mn}</p>' in html


def test_activity_page_falls_back_and_says_so(client):
    # No Kazakh text yet: Kazakh readers get Russian first, then English.
    html = client.get("/kk/instruments/cami-pow/1.1.1/").content.decode()
    assert 'lang="en"' in html
    assert "Strengthen the capacity of rangers" in html


def test_activity_page_shows_responsible_priority_units_and_references(client):
    html = client.get("/en/instruments/cami-pow/2.3.12/").content.decode()
    assert "/en/instruments/cami-pow/2.2.6/" in html  # See Activity 2.2.6
    html = client.get("/en/instruments/cami-pow/1.1.6/").content.decode()
    assert "TRAFFIC" in html and "to be confirmed" in html and "High/medium" in html
    html = client.get("/en/instruments/vilm/1.2/").content.decode()
    assert "2013 оны 7 дугаар сар" in html and "July 2013" in html


def test_activity_page_links_the_same_commitment_in_other_instruments(client):
    html = client.get("/en/instruments/cami-pow/2.2.1/").content.decode()
    assert "/en/instruments/vilm/1/" in html and "/en/instruments/ulaanbaatar/25/" in html


def test_breadcrumbs_include_uncoded_subheadings(client):
    html = client.get("/en/instruments/cami-pow/2.2.1-a/").content.decode()
    crumbs = html[html.index('class="breadcrumbs"') : html.index("</nav>", html.index('class="breadcrumbs"'))]
    for href in (
        "/en/instruments/cami-pow/2/",
        "/en/instruments/cami-pow/2.2/",
        "/en/instruments/cami-pow/2.2.1/",
        "/en/instruments/cami-pow/2.2.1-fences/",
    ):
        assert f'href="{href}"' in crumbs


def test_unknown_item_is_404(client):
    assert client.get("/en/instruments/cami-pow/9.9.9/").status_code == 404


def test_query_counts_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    # Drawn afresh (nothing kept yet): the page's own queries and the data version, read for the
    # page's ETag and for its kept part.
    with django_assert_max_num_queries(10):
        client.get("/en/activities/?level=both")
    with django_assert_max_num_queries(6):
        client.get("/en/instruments/cami-pow/")
    with django_assert_max_num_queries(14):
        client.get("/en/instruments/cami-pow/2.2.1/")


def rows(html: str) -> list[str]:
    return re.findall(r'<td class="code"><a href="[^"]+">([^<]+)</a>', html)


def test_admin_edits_every_language(admin_client):
    item = Item.objects.get(instrument__slug="vilm", key="2.1")
    html = admin_client.get(f"/en/admin/actions/item/{item.pk}/change/").content.decode()
    for language in LANGUAGES:
        assert f'name="text_{language}"' in html
    assert admin_client.get("/en/admin/actions/item/?q=хулан").status_code == 200
    assert admin_client.get("/kk/admin/actions/agency/").status_code == 200


def test_admin_is_for_staff_only(client):
    response = client.get("/en/admin/actions/item/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
