"""The reporting loop in a real browser, in Kazakh for the focal point and Russian for the
Secretariat: each lands where their work is, is told of the other's step (menu counts, inbox,
e-mail in their own language), and a revision keeps the returned update's evidence."""

import pytest
from django.core import mail
from django.utils import translation

from actions.models import Notification, StatusUpdate
from actions.tasks import send_notifications
from actions.tests.people import cast
from actions.tests.reporting import PDF_BYTES
from actions.tests.test_browser_reporting import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMMENT = "Укажите, пожалуйста, участок границы."


@pytest.fixture
def site(live_server):
    cast()
    return live_server.url


def menu(page) -> str:
    """The menu's text as the reader sees it, opening the folded menu first on a phone."""
    disclosure = page.locator("header details.menu")
    # On a wide screen the summary is hidden and the menu shows unfolded.
    if disclosure.locator("summary").is_visible() and not disclosure.evaluate("element => element.open"):
        disclosure.locator("summary").click()
    return page.locator("header").inner_text()


@pytest.mark.parametrize("width", [375, 1280])
def test_the_loop_in_kazakh_and_russian(site, page, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    files = {}
    for name in ("өткелдер.pdf", "карта.pdf", "акт.pdf"):
        files[name] = tmp_path / name
        files[name].write_bytes(PDF_BYTES)

    # The Kazakh focal point lands on My reporting and reports on CAMI 2.2.1 with a PDF.
    sign_in(page, site, "aigerim", language="kk")
    assert page.url == f"{site}/kk/reporting/"
    page.goto(f"{site}/kk/reporting/KZ/cami-pow/2.2.1/new/")
    page.locator("select[name=status]").select_option("in-progress")
    page.locator("textarea[name=narrative]").fill("Маңғыстау облысындағы қоршаудағы алғашқы өткелдер.")
    page.locator("input[type=file]").set_input_files([str(files["өткелдер.pdf"]), str(files["карта.pdf"])])
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url("**/updates/*/")
    first = StatusUpdate.objects.get()
    assert first.state == "submitted" and first.narrative_language == "kk"

    # The Secretariat, in Russian, lands on the review queue, counted in the menu, and is e-mailed.
    sign_in(page, site, "sara", language="ru")
    assert page.url == f"{site}/ru/review/"
    assert "Проверка (1)" in menu(page)
    send_notifications.call()  # what the task worker runs when the step is committed
    # The reviewers: the Secretariat officer and the administrator.
    assert sorted(message.to[0] for message in mail.outbox) == ["ada@example.org", "sara@example.org"]
    # One decision is one page load from the queue; a return without a comment keeps the choice.
    page.locator("input.select-update").check()
    page.locator("input[name=decision][value=return]").check()
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator("input[name=decision][value=return]").is_checked()
    assert StatusUpdate.objects.get().state == "submitted"
    page.locator("textarea[name=comment]").fill(COMMENT)
    page.locator("input.select-update").check()
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "1 обновление возвращено." in page.locator("main").inner_text()
    assert StatusUpdate.objects.get().state == "returned"

    # The focal point is told: a count in the menu, the inbox, an e-mail in Kazakh.
    send_notifications.call()
    returned_mail = [message for message in mail.outbox if message.to == ["aigerim@example.org"]]
    assert len(returned_mail) == 1
    with translation.override("kk"):
        assert translation.gettext("News from the CAMI commitment tracker:") in returned_mail[0].body
    sign_in(page, site, "aigerim", language="kk")
    assert "Қайтарылған (1)" in menu(page)
    assert Notification.objects.filter(recipient__username="aigerim", read_at=None).count() >= 1
    page.locator("a.inbox-link").click()
    page.wait_for_load_state()
    assert "2.2.1" in page.locator("main").inner_text()

    # Revising from the returned box: the Secretariat's comment and both files, kept, are on the
    # form. One is unticked, one file added.
    page.goto(f"{site}/kk/reporting/")
    page.locator(f"a[href='/kk/updates/{first.pk}/revise/']").first.click()
    page.wait_for_load_state()
    assert COMMENT in page.locator("main").inner_text()
    kept = page.locator("input[name=keep_evidence]")
    assert kept.count() == 2 and kept.nth(0).is_checked() and kept.nth(1).is_checked()
    dropped = first.evidence.get(file_name="карта.pdf")
    page.locator(f"input[name=keep_evidence][value='{dropped.pk}']").uncheck()
    page.locator("input[type=file]").set_input_files(str(files["акт.pdf"]))
    page.locator("textarea[name=narrative]").fill("Маңғыстау және Қызылорда облыстарындағы өткелдер.")
    page.locator("button[name=action][value=submit]").click()
    page.wait_for_url("**/updates/*/")
    revision = StatusUpdate.objects.latest("pk")
    assert revision.state == "submitted" and revision.pk != first.pk
    # The revision's page says what changed against the returned version.
    with translation.override("kk"):
        added, removed = translation.gettext("Evidence added"), translation.gettext("Evidence removed")
    changes = page.locator(".revision-changes").inner_text()
    assert f"{added}: акт.pdf" in changes and f"{removed}: карта.pdf" in changes
    # A kept file is the same stored file, not a copy.
    kept_file = first.evidence.get(file_name="өткелдер.pdf").file.name
    assert revision.evidence.get(file_name="өткелдер.pdf").file.name == kept_file

    # A comment each way.
    page.locator("form.comment-form textarea[name=text]").fill("Қызылорда өткелдерінің актісін қостым.")
    page.locator("form.comment-form button[type=submit]").click()
    page.wait_for_load_state()
    sign_in(page, site, "sara", language="ru")
    page.goto(f"{site}/ru/updates/{revision.pk}/")
    page.locator("form.comment-form textarea[name=text]").fill("Спасибо, принимаю.")
    page.locator("form.comment-form button[type=submit]").click()
    page.wait_for_load_state()
    main = page.locator("main").inner_text()
    assert "Қызылорда өткелдерінің актісін қостым." in main and "Спасибо, принимаю." in main

    # The Secretariat accepts from the queue; the author is e-mailed.
    mail.outbox.clear()
    page.goto(f"{site}/ru/review/")
    page.locator("input.select-update").check()
    page.locator("input[name=decision][value=accept]").check()
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()
    assert StatusUpdate.objects.get(pk=revision.pk).state == "accepted"
    send_notifications.call()
    assert "aigerim@example.org" in [message.to[0] for message in mail.outbox]

    # The activity page counts the accepted update's evidence; its page lists exactly the kept and
    # the added file.
    page.goto(f"{site}/kk/instruments/cami-pow/2.2.1/")
    timeline = page.locator(".unit-timeline", has_text="Қазақстан").inner_text()
    with translation.override("kk"):
        assert (
            translation.ngettext("%(counter)s piece of evidence", "%(counter)s pieces of evidence", 2) % {"counter": 2}
            in timeline
        )
    page.goto(f"{site}/kk/updates/{revision.pk}/")
    links = page.locator("main a[href*='/evidence/']").all_inner_texts()
    assert "өткелдер.pdf" in links and "акт.pdf" in links and "карта.pdf" not in links
    assert sorted(revision.evidence.values_list("file_name", flat=True)) == ["акт.pdf", "өткелдер.pdf"]
