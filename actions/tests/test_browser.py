"""A reader in a real browser: switching language, filtering, searching, opening the tree."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server):
    return live_server.url


def test_language_switcher_keeps_the_page(site, page):
    page.goto(f"{site}/en/instruments/vilm/")
    page.get_by_role("link", name="Қазақша").click()
    page.wait_for_url(f"{site}/kk/instruments/vilm/")
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.get_by_role("link", name="Іс-шаралар", exact=True).is_visible()


def test_search_and_filter_the_activity_list(site, page):
    page.goto(f"{site}/mn/activities/")
    page.get_by_label("Хайх").fill("ХУЛАН")
    page.get_by_role("button", name="Шүүх").click()
    page.wait_for_url("**q=*")
    codes = page.locator("td.code a").all_inner_texts()
    assert "25" in codes
    page.goto(f"{site}/en/activities/?instrument=vilm&unit=KZ")
    codes = page.locator("td.code a").all_inner_texts()
    assert "2.3" in codes and "2.1" not in codes


def test_the_tree_opens_and_leads_to_an_activity(site, page):
    page.goto(f"{site}/en/instruments/cami-pow/")
    activity_link = page.get_by_role("link", name="1.1.10", exact=True)
    assert not activity_link.is_visible()  # issues start collapsed
    page.locator("summary", has_text="Illegal hunting and trade").click()
    activity_link.click()
    page.wait_for_url(f"{site}/en/instruments/cami-pow/1.1.10/")
    assert "Rotate hunting areas" in page.locator("main").inner_text()


def test_keyboard_reaches_the_skip_link_first(site, page):
    page.goto(f"{site}/ru/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Перейти к содержанию"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
