"""Notifications: who hears of each step, in which language, by e-mail once, in a digest or not at
all; a mail server that fails; the inbox; the numbers in the menu and what they cost."""

import datetime
import re
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext
from django_tasks import default_task_backend

from actions import notifications, services
from actions.counts import MenuCounts, menu_counts
from actions.models import EmailFrequency, Item, Notification, Profile, Reminder, Role, StatusUpdate
from actions.tasks import send_notifications
from actions.tests.people import person
from actions.tests.reporting import item, report, unit

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class FailingSMTPBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("451 the mail server is down")


FAILING = "actions.tests.test_notifications.FailingSMTPBackend"


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Steps committed as in a request, then the tasks they queue run at once, as a worker would."""
    settings.TASKS = IMMEDIATE

    def run(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)

    return run


@pytest.fixture
def aliya(people):
    """A second focal point of Kazakhstan, who reads Russian."""
    return person("aliya", Role.FOCAL_POINT, ("KZ",), language="ru")


def prefer(user, frequency):
    Profile.objects.filter(user=user).update(email_frequency=frequency)


def recipients(update, kind) -> set[str]:
    return set(Notification.objects.filter(update=update, kind=kind).values_list("recipient__username", flat=True))


def mailed_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def mail_to(user) -> mail.EmailMessage:
    [message] = [message for message in mail.outbox if message.to == [user.email]]
    return message


def submitted(people, code="2.2.1", unit_code="KZ", author="aigerim"):
    return report(people[author], code, unit_code)


def settled():
    """Send what the steps so far notified, and forget those e-mails."""
    notifications.send_immediate()
    mail.outbox.clear()


def revise(update, status="completed"):
    update.refresh_from_db()
    return services.update_create(
        author=update.author,
        item=update.item,
        unit=update.unit,
        content=services.UpdateContent(status=status, refers_to=datetime.date(2026, 6, 30)),
        based_on_version=services.current_version(update.item, update.unit),
        submit=True,
        revision_of=update,
    )


# Who hears of what -------------------------------------------------------------------------------


def test_a_submission_tells_the_reviewers(people, aliya, worker):
    update = worker(submitted, people)
    # Sara of the Secretariat and Ada the administrator review; nobody else hears of it.
    assert recipients(update, Notification.Kind.SUBMITTED) == {"sara", "ada"}
    assert mailed_to() == ["ada@example.org", "sara@example.org"]
    assert Notification.objects.count() == 2


def test_a_return_tells_the_author_and_the_other_focal_points_of_the_unit(people, aliya, worker):
    update = submitted(people)
    settled()
    worker(services.update_return, update=update, user=people["sara"], comment="Name the border sections.")
    # Not Bat (Mongolia), not Daulet (he reads Kazakhstan but does not report), not Sara herself.
    assert recipients(update, Notification.Kind.RETURNED) == {"aigerim", "aliya"}
    assert mailed_to() == ["aigerim@example.org", "aliya@example.org"]
    assert "Name the border sections." in mail_to(aliya).body


def test_an_acceptance_tells_the_author_and_the_other_focal_points_of_the_unit(people, aliya, worker):
    update = report(aliya, "2.2.1", "KZ")
    worker(services.update_accept, update=update, user=people["ada"])
    assert recipients(update, Notification.Kind.ACCEPTED) == {"aigerim", "aliya"}


def test_a_step_of_several_updates_at_once_is_one_email_per_person(people, aliya, worker):
    updates = [submitted(people, code) for code in ("1.1.1", "1.1.2", "1.1.3")]
    settled()
    worker(services.updates_review, updates=updates, user=people["sara"], accept=True)
    assert mailed_to() == ["aigerim@example.org", "aliya@example.org"]
    assert mail_to(people["aigerim"]).body.count("/kk/updates/") == 3


def test_nobody_hears_of_their_own_step(people):
    # Sara reports for the Secretariat's own unit: Ada reviews it, Sara is not told of her submission.
    regional = Item.objects.filter(applies_to__code="CMS", kind__in=Item.TRACKABLE_KINDS).first()
    update = report(people["sara"], regional.code, "CMS", instrument=regional.instrument.slug)
    assert recipients(update, Notification.Kind.SUBMITTED) == {"ada"}
    services.update_accept(update=update, user=people["ada"])
    assert recipients(update, Notification.Kind.ACCEPTED) == {"sara"}


def test_inactive_people_hear_nothing(people, aliya):
    aliya.is_active = False
    aliya.save()
    update = submitted(people)
    services.update_return(update=update, user=people["sara"], comment="Which sections?")
    assert recipients(update, Notification.Kind.RETURNED) == {"aigerim"}


def test_a_comment_of_the_unit_tells_the_reviewers(people, aliya, worker):
    update = submitted(people)
    made = worker(notifications.comment_added, update=update, author=aliya, text="The map is attached.")
    assert {each.recipient.username for each in made} == {"sara", "ada"}
    assert mailed_to() == ["ada@example.org", "sara@example.org"]
    assert "The map is attached." in mail_to(people["sara"]).body


def test_a_comment_of_a_reviewer_tells_the_unit(people, aliya):
    update = submitted(people)
    made = notifications.comment_added(update=update, author=people["sara"], text="Which sections?")
    assert {each.recipient.username for each in made} == {"aigerim", "aliya"}
    assert {each.text for each in made} == {"Which sections?"}
    # Without the text, the notification still says who commented on what.
    [bare, _] = notifications.comment_added(update=update, author=people["ada"])
    assert bare.text == "" and "commented on the update" in bare.headline


def test_nobody_hears_of_an_update_they_may_not_open(people, aliya):
    update = submitted(people)
    # Aliya moved to Mongolia: she is no longer told of Kazakhstan's updates.
    aliya.profile.units.set([unit("MN")])
    services.update_return(update=update, user=people["sara"], comment="Which sections?")
    assert recipients(update, Notification.Kind.RETURNED) == {"aigerim"}


def test_a_step_that_fails_tells_nobody(people):
    update = submitted(people)
    Notification.objects.all().delete()
    with pytest.raises(services.WorkflowError):
        with transaction.atomic():
            services.update_accept(update=update, user=people["sara"])
            services.update_accept(update=update, user=people["sara"])
    assert not Notification.objects.exists()


# E-mails: when, in which language, once --------------------------------------------------------------


def test_emails_go_out_only_once_the_step_is_committed(people, settings, django_capture_on_commit_callbacks):
    settings.TASKS = DUMMY
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submitted(people)
    # Inside the request nothing is sent: the task is queued when the transaction commits.
    assert mail.outbox == []
    assert default_task_backend.results == []
    for callback in callbacks:
        callback()
    [queued] = default_task_backend.results
    assert queued.task.func is send_notifications.func
    assert mail.outbox == []
    assert send_notifications.call() == 2
    assert mailed_to() == ["ada@example.org", "sara@example.org"]


def test_each_email_is_in_the_language_of_its_recipient(people, aliya, worker):
    update = submitted(people, "2.2.2")
    worker(services.update_return, update=update, user=people["sara"], comment="Name the border sections.")
    kazakh, russian = mail_to(people["aigerim"]), mail_to(aliya)
    kz, the_item = unit("KZ"), item("2.2.2")
    assert "Қазақстан" in kazakh.subject and "Казахстан" in russian.subject
    assert kazakh.body.startswith("Құрметті aigerim,")
    assert russian.body.startswith("Здравствуйте, aliya!")
    for message, language in ((kazakh, "kk"), (russian, "ru")):
        with translation.override(language):
            expected_subject = gettext("%(kind)s: %(item)s, %(unit)s") % {
                "kind": pgettext("update state", "Returned"),
                "item": "CAMI 2.2.2",
                "unit": kz.name,
            }
            assert message.subject == expected_subject
            assert the_item.text in message.body
            assert Notification.objects.get(update=update, recipient__email=message.to[0]).headline in message.body
            assert f"/{language}/updates/{update.pk}/" in message.body
            assert f"/{language}/inbox/" in message.body and f"/{language}/profile/" in message.body
    assert kazakh.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_superuser_without_a_profile_is_written_to_in_the_default_language(people, worker):
    worker(submitted, people)
    assert "Dear ada," in mail_to(people["ada"]).body


def test_the_worker_run_twice_sends_nothing_twice(people, worker):
    worker(submitted, people)
    assert len(mail.outbox) == 2
    assert send_notifications.call() == 0
    notifications.send_immediate(now=timezone.now() + datetime.timedelta(days=2))
    assert len(mail.outbox) == 2
    assert Notification.objects.filter(emailed_at=None).count() == 0
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_a_notification_claimed_by_one_worker_is_not_sent_by_another(people):
    submitted(people)
    [first, second] = Notification.objects.order_by("pk")
    now = timezone.now()
    assert notifications._claim(first.pk, now)
    assert not notifications._claim(first.pk, now)
    # The other worker sends only the row nobody claimed.
    outcome = notifications.send_immediate(now=now)
    assert [message.to for message in outcome.sent] == [[second.recipient.email]]
    # A worker that died after claiming: another sends the row once the claim has lapsed.
    outcome = notifications.send_immediate(now=now + notifications.CLAIM + datetime.timedelta(seconds=1))
    assert [message.to for message in outcome.sent] == [[first.recipient.email]]


def test_a_failing_mail_server_does_not_fail_the_step_and_is_tried_again(people, client, settings, worker):
    update = submitted(people)
    settled()
    settings.EMAIL_BACKEND = FAILING
    client.force_login(people["sara"])
    response = worker(
        client.post, reverse("actions:update_review", args=[update.pk]), {"decision": "return", "comment": "Which?"}
    )
    assert response.status_code == 302
    assert StatusUpdate.objects.get(pk=update.pk).state == StatusUpdate.State.RETURNED
    failed = Notification.objects.get(update=update, kind=Notification.Kind.RETURNED)
    assert failed.emailed_at is None and failed.attempts == 1
    assert "the mail server is down" in failed.last_error
    assert failed.next_attempt_at > timezone.now() + datetime.timedelta(minutes=4)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Not before its delay; then once.
    assert notifications.send_immediate().sent == []
    later = failed.next_attempt_at + datetime.timedelta(seconds=1)
    assert [message.to for message in notifications.send_immediate(now=later).sent] == [["aigerim@example.org"]]
    failed.refresh_from_db()
    assert failed.emailed_at is not None and failed.attempts == 2 and failed.last_error == ""
    assert notifications.send_immediate(now=later + datetime.timedelta(days=1)).sent == []


def test_a_failed_send_queues_its_retry_with_a_growing_delay(people, settings):
    settings.TASKS = DUMMY
    settings.EMAIL_BACKEND = FAILING
    default_task_backend.clear()
    submitted(people)
    before = timezone.now()
    assert send_notifications.call() == 0
    [retry] = default_task_backend.results
    assert retry.task.run_after >= before + notifications.FIRST_RETRY
    delays = [notifications.retry_delay(attempts) for attempts in range(1, notifications.MAX_ATTEMPTS + 1)]
    assert delays[:3] == [datetime.timedelta(minutes=minutes) for minutes in (5, 10, 20)]
    assert max(delays) == notifications.LONGEST_RETRY


def test_after_the_last_try_the_inbox_alone_tells(people, settings):
    settings.EMAIL_BACKEND = FAILING
    submitted(people)
    now = timezone.now()
    for _ in range(notifications.MAX_ATTEMPTS):
        assert len(notifications.send_immediate(now=now).failed) == 2
        now += notifications.LONGEST_RETRY
    assert notifications.send_immediate(now=now).failed == []
    assert set(Notification.objects.values_list("attempts", flat=True)) == {notifications.MAX_ATTEMPTS}
    assert Notification.objects.unread().count() == 2


# Digests and "no e-mail" -------------------------------------------------------------------------------


def digests(*args) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_a_digest_collects_a_days_notifications_in_one_email(people, worker):
    prefer(people["aigerim"], EmailFrequency.DIGEST)
    returned = submitted(people, "2.2.1")
    accepted = submitted(people, "2.2.2")
    worker(services.update_return, update=returned, user=people["sara"], comment="Which sections?")
    worker(services.update_accept, update=accepted, user=people["sara"])
    worker(notifications.comment_added, update=accepted, author=people["sara"], text="Well documented.")
    assert "aigerim@example.org" not in mailed_to()
    settled()

    assert "Sent 1 digests and 0 other e-mails." in digests()
    message = mail_to(people["aigerim"])
    with translation.override("kk"):
        for notification in Notification.objects.filter(recipient=people["aigerim"]):
            assert notification.headline in message.body
    assert "Which sections?" in message.body and "Well documented." in message.body
    assert message.body.count("/kk/updates/") == 3
    # The next day's digest holds only what came after.
    assert "Sent 0 digests" in digests()
    assert len(mail.outbox) == 1


def test_no_email_sends_nothing_but_keeps_the_inbox(people, worker):
    prefer(people["aigerim"], EmailFrequency.NONE)
    update = submitted(people)
    worker(services.update_return, update=update, user=people["sara"], comment="Which sections?")
    digests()
    notifications.send_immediate(now=timezone.now() + datetime.timedelta(days=1))
    assert "aigerim@example.org" not in mailed_to()
    assert Notification.objects.inbox(people["aigerim"]).unread().count() == 1


def test_a_person_without_an_email_address_is_told_in_the_inbox(people, worker):
    people["aigerim"].email = ""
    people["aigerim"].save()
    update = submitted(people)
    worker(services.update_return, update=update, user=people["sara"], comment="Which sections?")
    assert Notification.objects.get(recipient=people["aigerim"]).delivery == EmailFrequency.NONE


def test_no_email_also_stops_the_reminders(people):
    prefer(people["aigerim"], EmailFrequency.NONE)
    prefer(people["bat"], EmailFrequency.DIGEST)
    call_command("send_reminders", "--today", "2026-03-01", stdout=StringIO())
    assert mailed_to() == ["bat@example.org"]
    assert not Reminder.objects.filter(user=people["aigerim"]).exists()


def test_a_failed_digest_is_sent_by_the_next_run(people, settings):
    prefer(people["aigerim"], EmailFrequency.DIGEST)
    update = submitted(people)
    services.update_return(update=update, user=people["sara"], comment="Which sections?")
    settings.EMAIL_BACKEND = FAILING
    with pytest.raises(CommandError, match="tried again later"):
        digests()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outcome = notifications.send_digests(now=timezone.now() + datetime.timedelta(days=1))
    assert [message.to for message in outcome.sent] == [["aigerim@example.org"]]


# The inbox -------------------------------------------------------------------------------------------------


def test_the_inbox_lists_ones_own_notifications_newest_first_unread_marked(client, people, aliya):
    update = submitted(people)
    services.update_return(update=update, user=people["sara"], comment="Name the <b>border</b> sections.")
    services.update_accept(update=revise(update), user=people["sara"])
    client.force_login(people["aigerim"])
    html = client.get(reverse("actions:inbox")).content.decode()
    accepted_at, returned_at = html.index("accepted the update"), html.index("returned the update")
    assert accepted_at < returned_at
    assert html.count('<li class="unread">') == 2
    assert "Name the &lt;b&gt;border&lt;/b&gt; sections." in html
    # Nobody else's: Sara's notifications of the submissions are not in Aigerim's inbox.
    assert "submitted an update" not in html and "submitted a revision" not in html
    assert "Inbox (2" in html


def test_opening_a_notification_marks_it_read_and_leads_to_the_update(client, people):
    update = submitted(people)
    services.update_return(update=update, user=people["sara"], comment="Which sections?")
    notification = Notification.objects.get(recipient=people["aigerim"])
    client.force_login(people["aigerim"])
    response = client.post(reverse("actions:inbox_open", args=[notification.pk]))
    assert response.status_code == 302 and response.url == reverse("actions:update", args=[update.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    html = client.get(reverse("actions:inbox")).content.decode()
    assert '<li class="unread">' not in html and "Mark all as read" not in html
    # Opening it with a GET changes nothing.
    assert client.get(reverse("actions:inbox_open", args=[notification.pk])).status_code == 405


def test_another_persons_notification_cannot_be_opened(client, people):
    submitted(people)
    sara_s = Notification.objects.get(recipient=people["sara"])
    client.force_login(people["aigerim"])
    assert client.post(reverse("actions:inbox_open", args=[sara_s.pk])).status_code == 404
    sara_s.refresh_from_db()
    assert sara_s.read_at is None


def test_mark_all_as_read_marks_only_ones_own(client, people):
    for code in ("1.1.1", "1.1.2"):
        submitted(people, code)
    client.force_login(people["sara"])
    assert "Inbox (2" in client.get(reverse("actions:inbox")).content.decode()
    response = client.post(reverse("actions:inbox_read_all"))
    assert response.status_code == 302
    assert Notification.objects.inbox(people["sara"]).unread().count() == 0
    assert Notification.objects.inbox(people["ada"]).unread().count() == 2


def test_the_inbox_is_paginated(client, people):
    update = submitted(people)
    Notification.objects.bulk_create(
        [
            Notification(recipient=people["sara"], kind=Notification.Kind.COMMENT, update=update, delivery="none")
            for _ in range(60)
        ]
    )
    client.force_login(people["sara"])
    first = client.get(reverse("actions:inbox")).content.decode()
    assert first.count("<li class") == 50 and "Page 1 of 2" in first
    second = client.get(reverse("actions:inbox") + "?page=2").content.decode()
    assert second.count("<li class") == 11


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for name in ("actions:inbox", "actions:profile"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# My profile -----------------------------------------------------------------------------------------


def test_my_profile_chooses_the_emails_and_their_language(client, people):
    client.force_login(people["aigerim"])
    page = client.get(reverse("actions:profile")).content.decode()
    # Immediate e-mails unless the person chooses otherwise.
    assert re.search(r'name="email_frequency" value="immediate"[^>]* checked', page)
    response = client.post(
        reverse("actions:profile"), {"email_frequency": "digest", "language": "ru", "role": Role.SECRETARIAT}
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user=people["aigerim"])
    # The role is not the person's to choose.
    assert (profile.email_frequency, profile.language, profile.role) == ("digest", "ru", Role.FOCAL_POINT)


def test_the_menu_leads_to_my_profile_and_the_inbox(client, people):
    client.force_login(people["aigerim"])
    html = client.get(reverse("actions:home")).content.decode()
    assert f'href="{reverse("actions:profile")}"' in html and f'href="{reverse("actions:inbox")}"' in html


def test_a_person_without_a_profile_is_told_so(client, people):
    client.force_login(people["ada"])
    page = client.get(reverse("actions:profile")).content.decode()
    assert "Your account has no profile" in page and 'name="email_frequency"' not in page


# The numbers in the menu -------------------------------------------------------------------------------


def history(people, size: int) -> None:
    """`size` updates of Kazakhstan, each returned, revised and accepted, and one left returned."""
    codes = ["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.2.1", "1.2.2", "1.3.1", "1.3.2"][:size]
    for code in codes:
        update = submitted(people, code)
        services.update_return(update=update, user=people["sara"], comment="Which?")
        services.update_accept(update=revise(update), user=people["sara"])


def test_the_menu_counts(client, people):
    for code in ("2.2.1", "2.2.2", "1.3.4"):
        submitted(people, code)
    submitted(people, "1.3.4", "MN", author="bat")
    returned = StatusUpdate.objects.get(item=item("2.2.2"), unit__code="KZ")
    services.update_return(update=returned, user=people["sara"], comment="Which sections?")
    assert menu_counts(people["sara"]) == MenuCounts(review=3, returned=0, unread=4)
    assert menu_counts(people["aigerim"]) == MenuCounts(review=0, returned=1, unread=1)
    assert menu_counts(people["bat"]) == MenuCounts()
    assert menu_counts(people["daulet"]) == MenuCounts()

    client.force_login(people["sara"])
    assert "Review (3)" in client.get(reverse("actions:home")).content.decode()
    client.force_login(people["aigerim"])
    html = client.get(reverse("actions:home")).content.decode()
    assert f'href="{reverse("actions:my_reporting")}?reason=returned">Returned (1)</a>' in html
    assert "Review" not in html
    # A revision submitted answers the return.
    revise(returned)
    assert menu_counts(people["aigerim"]).returned == 0


def fresh(user):
    """The user as a new request loads it, with nothing cached."""
    return type(user).objects.get(pk=user.pk)


# The profile and the units are read once per request, and shared with the menu's permission checks.
@pytest.mark.parametrize(("name", "queries"), [("sara", 5), ("aigerim", 4), ("daulet", 3), ("ada", 4), ("nobody", 1)])
def test_the_menu_counts_cost_a_few_queries_whatever_the_history(people, django_assert_num_queries, name, queries):
    history(people, 1)
    user = fresh(people[name])
    with django_assert_num_queries(queries):
        menu_counts(user)
    history(people, 8)
    user = fresh(people[name])
    with django_assert_num_queries(queries):
        menu_counts(user)


def test_no_page_costs_more_queries_with_a_longer_history(client, people):
    def queries(path) -> int:
        with CaptureQueriesContext(transaction.get_connection()) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    history(people, 1)
    client.force_login(people["aigerim"])
    small = {path: queries(path) for path in (reverse("actions:home"), reverse("actions:inbox"))}
    history(people, 8)
    assert {path: queries(path) for path in small} == small
