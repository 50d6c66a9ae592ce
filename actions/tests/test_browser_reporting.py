"""The reporting workflow in a real browser: sign in, report with evidence, return, revise, accept."""

import pytest

from actions.models import StatusUpdate
from actions.tests.people import PASSWORD, cast
from actions.tests.reporting import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server):
    cast()
    return live_server.url


def sign_in(page, site, username, language="en"):
    page.context.clear_cookies()
    page.goto(f"{site}/{language}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def test_report_return_revise_accept(site, page, tmp_path):
    evidence = tmp_path / "passages.pdf"
    evidence.write_bytes(PDF_BYTES)

    # The focal point for Kazakhstan reports on CAMI 2.2.1 with a PDF.
    sign_in(page, site, "aigerim")
    page.goto(f"{site}/en/instruments/cami-pow/2.2.1/")
    page.locator(".unit-timeline", has_text="Kazakhstan").get_by_role("link", name="Report progress").click()
    page.get_by_label("Status").select_option("in-progress")
    page.get_by_label("Progress (%)").fill("30")
    page.get_by_label("Narrative", exact=True).fill("First model passages in the border fence, Mangistau region.")
    page.get_by_label("Evidence files").set_input_files(str(evidence))
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/updates/*/")
    assert page.locator(".state").first.inner_text() == "Pending review"
    assert page.get_by_role("link", name="passages.pdf").is_visible()

    # The Secretariat returns it from the review queue's update page.
    sign_in(page, site, "sara")
    page.goto(f"{site}/en/review/")
    page.get_by_role("link", name="2.2.1").click()
    page.get_by_label("Return to the focal point").check()
    page.get_by_label("Comment").fill("Please add the Kyzylorda passages.")
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    first = StatusUpdate.objects.get()
    assert first.state == "returned"

    # The focal point sees it in My reporting, revises and resubmits.
    sign_in(page, site, "aigerim")
    page.goto(f"{site}/en/reporting/?reason=returned")
    # Returned updates wait in their own box at the top of My reporting.
    page.get_by_role("region", name="1 update returned to you").get_by_role("link", name="Revise and resubmit").click()
    assert page.get_by_text("Please add the Kyzylorda passages.").is_visible()
    page.get_by_label("Narrative", exact=True).fill("Model passages in Mangistau and Kyzylorda regions.")
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**/updates/*/")

    # The Secretariat accepts in bulk from the queue.
    sign_in(page, site, "sara")
    page.goto(f"{site}/en/review/")
    page.get_by_label("Select CAMI 2.2.1 for Kazakhstan").check()
    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    assert page.get_by_text("No update is waiting for review.").is_visible()

    # The activity page shows the accepted update in Kazakhstan's timeline.
    page.goto(f"{site}/en/instruments/cami-pow/2.2.1/")
    kazakhstan = page.locator(".unit-timeline", has_text="Kazakhstan")
    assert "Model passages in Mangistau and Kyzylorda regions." in kazakhstan.inner_text()
    assert "In progress" in kazakhstan.locator("p").first.inner_text()
    assert list(StatusUpdate.objects.order_by("pk").values_list("state", flat=True)) == ["returned", "accepted"]


def test_a_ministry_viewer_cannot_write(site, page):
    sign_in(page, site, "daulet", language="ru")
    page.goto(f"{site}/ru/instruments/cami-pow/2.2.1/")
    assert page.get_by_role("link", name="Report progress").count() == 0
    response = page.goto(f"{site}/ru/reporting/KZ/cami-pow/2.2.1/new/")
    assert response.status == 403
    response = page.goto(f"{site}/ru/review/")
    assert response.status == 403
    assert StatusUpdate.objects.count() == 0
