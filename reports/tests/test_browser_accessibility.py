"""Every main page in each language, in a real Chromium: axe-core finds no serious or critical
violation, the keyboard reaches everything with a visible focus, and a screenshot of each page is
kept in artifacts/."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

from actions.models import Status
from actions.tests.people import PASSWORD, cast
from conftest import ARTIFACTS
from reports.tests.meetings import accepted, meeting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# (name, who, path after the language prefix)
PAGES = [
    ("home", None, "/"),
    ("instrument", None, "/instruments/cami-pow/"),
    ("activities", None, "/activities/"),
    ("activity", "sara", "/instruments/cami-pow/1.1.1/"),
    ("dashboard-region", "sara", "/dashboards/region/"),
    ("dashboard-region-vilm", "sara", "/dashboards/region/?instrument=vilm"),
    ("dashboard-kazakhstan", "daulet", "/dashboards/KZ/"),
    ("progress-list", "sara", "/progress/?status=in-progress&status=completed"),
    ("my-reporting", "aigerim", "/reporting/"),
    ("review", "sara", "/review/"),
    ("meeting-reports", "sara", "/meeting-reports/"),
    ("open-data", None, "/open-data/"),
    ("texts", "sara", "/texts/"),
    ("vilm-action", None, "/instruments/vilm/1.1/"),
    ("sign-in", None, "/accounts/login/"),
]


@pytest.fixture
def site(live_server):
    people = cast()
    meeting("COP14", cutoff=datetime.date(2025, 6, 30))
    accepted(people, "1.1.1", "KZ", on=datetime.date(2024, 3, 1), status=Status.COMPLETED)
    accepted(people, "1.1.2", "KZ", on=datetime.date(2025, 9, 1), status=Status.DELAYED)
    accepted(people, "1.1.1", "MN", on=datetime.date(2025, 9, 1), progress=30)
    return live_server.url


def _sign_in(page, site, username):
    page.context.clear_cookies()
    if username is None:
        return
    page.goto(f"{site}/en/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def _serious(results) -> list[str]:
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_main_page_passes_axe(site, page, language):
    axe = Axe()
    ARTIFACTS.mkdir(exist_ok=True)
    found = {}
    signed_in = object()
    for name, who, path in PAGES:
        if who != signed_in:
            _sign_in(page, site, who)
            signed_in = who
        response = page.goto(f"{site}/{language}{path}")
        assert response.status == 200, (name, response.status)
        assert page.locator("html").get_attribute("lang") == language
        page.screenshot(path=ARTIFACTS / f"page-{language}-{name}.png", full_page=True)
        problems = _serious(axe.run(page))
        if problems:
            found[name] = problems
    assert found == {}, "\n".join(f"{name}: {problem}" for name, problems in found.items() for problem in problems)


def _tab_through(page, presses: int) -> list[dict]:
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stops.append(
            page.evaluate(
                """() => {
                const element = document.activeElement;
                const box = element.getBoundingClientRect();
                const style = getComputedStyle(element);
                return {
                    tag: element.tagName.toLowerCase(),
                    text: (element.innerText || element.getAttribute('aria-label') || '').trim(),
                    href: element.getAttribute('href') || '',
                    visible: box.width > 0 && box.height > 0,
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0,
                };
            }"""
            )
        )
    return stops


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_keyboard_reaches_the_dashboard_figures_and_follows_them(site, page, language):
    _sign_in(page, site, "sara")
    page.goto(f"{site}/{language}/dashboards/region/")
    stops = _tab_through(page, 60)
    assert stops[0]["href"] == "#main"  # the skip link comes first
    assert all(stop["tag"] != "body" and stop["visible"] and stop["outline"] for stop in stops), [
        stop for stop in stops if not (stop["visible"] and stop["outline"])
    ]
    figures = [index for index, stop in enumerate(stops) if "/progress/" in stop["href"]]
    assert figures, "the key figures are reachable by keyboard"
    # Tab to the first figure again and follow it with Enter: the list behind it opens.
    page.goto(f"{site}/{language}/dashboards/region/")
    for _ in range(figures[0] + 1):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/{language}/progress/**")
    assert page.locator("p.count").is_visible()
    page.screenshot(path=ARTIFACTS / f"keyboard-{language}-progress.png")


# Targets that must be at least 24 x 24 px (WCAG 2.2, 2.5.8): the menu, the language links, the
# buttons and form controls, the heat map's cells. Links inside running text are exempt.
TARGETS = (
    ".site-header a, .site-header summary, .site-header button, main button, main select, main summary, "
    "main input[type=checkbox], main input[type=radio], main input[type=submit], table.heat-map td a, .pagination a"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_main_page_fits_a_phone(site, browser, language):
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    axe = Axe()
    ARTIFACTS.mkdir(exist_ok=True)
    wide, small, problems = {}, {}, {}
    signed_in = object()
    try:
        for name, who, path in PAGES:
            if who != signed_in:
                _sign_in(page, site, who)
                signed_in = who
            assert page.goto(f"{site}/{language}{path}").status == 200, name
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if width[0] != width[1]:
                wide[name] = width
            too_small = page.evaluate(
                """(selector) => [...document.querySelectorAll(selector)]
                    .filter(element => element.checkVisibility())
                    .map(element => [element, element.getBoundingClientRect()])
                    .filter(([element, box]) => box.height < 24 || box.width < 24)
                    .map(([element, box]) => `${element.tagName} "${element.innerText.trim().slice(0, 20)}" ${Math.round(box.width)}x${Math.round(box.height)}`)
                    .slice(0, 5)""",
                TARGETS,
            )
            if too_small:
                small[name] = too_small
            page.screenshot(path=ARTIFACTS / f"phone-{language}-{name}.png", full_page=True)
            found = _serious(axe.run(page))
            if found:
                problems[name] = found
        # The menu opens from the keyboard and its links are then reachable.
        page.goto(f"{site}/{language}/")
        menu = page.locator("details.menu > summary")
        assert menu.is_visible() and not page.locator(".menu nav a").first.is_visible()
        menu.focus()
        page.keyboard.press("Enter")
        assert page.locator(".menu nav a").first.is_visible()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('.menu nav') !== null")
        page.screenshot(path=ARTIFACTS / f"phone-{language}-menu-open.png")
    finally:
        context.close()
    assert wide == {}, "pages wider than the phone"
    assert small == {}, "tap targets under 24 px"
    assert problems == {}, problems
