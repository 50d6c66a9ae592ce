"""manage.py send_reminders: who is reminded of what, in which language, and never twice."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext

# Registers the rules that the services check; without the URLconf loaded, nothing else imports it.
from actions.models import Item, Meeting, Reminder, ReportingUnit, Status, StatusUpdate
from actions.services import UpdateContent, current_version, update_create, update_return

pytestmark = pytest.mark.django_db

# Every Vilm action with a deadline is overdue by then; no CAMI activity has one.
LATER = "2026-03-01"
# Vilm 13.6 (Ustyurt saiga monitoring protocol, Kazakhstan) is due by the end of 2014.
AUTUMN_2014 = "2014-10-15"


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


def run(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def vilm(key: str) -> Item:
    return Item.objects.get(instrument__slug="vilm", key=key)


def mail_to(user) -> mail.EmailMessage:
    [message] = [message for message in mail.outbox if message.to == [user.email]]
    return message


def returned_update(people, item: Item, comment: str = "Please say which sections of the border.") -> StatusUpdate:
    kazakhstan = ReportingUnit.objects.get(code="KZ")
    update = update_create(
        author=people["aigerim"],
        item=item,
        unit=kazakhstan,
        content=UpdateContent(status=Status.IN_PROGRESS, refers_to=datetime.date(2025, 12, 31), narrative="Begun."),
        based_on_version=current_version(item, kazakhstan),
        submit=True,
    )
    return update_return(update=update, user=people["sara"], comment=comment)


def meeting(name="CMS COP15", symbol="UNEP/CMS/COP15", cutoff=datetime.date(2026, 6, 30)) -> Meeting:
    return Meeting.objects.create(
        name=name,
        body=Meeting.Body.COP,
        symbol=symbol,
        starts_on=cutoff + datetime.timedelta(days=120),
        ends_on=cutoff + datetime.timedelta(days=126),
        period_start=datetime.date(2023, 1, 1),
        period_end=cutoff,
        cutoff=cutoff,
    )


def test_only_focal_points_are_reminded(people):
    output = run("--today", LATER)
    assert sorted(message.to[0] for message in mail.outbox) == ["aigerim@example.org", "bat@example.org"]
    assert "Sent 2 e-mails to 2 people." in output
    for name in ("sara", "daulet", "ada", "nobody"):
        assert not Reminder.objects.filter(user=people[name]).exists()


def test_inactive_focal_points_and_those_without_an_address_are_not_reminded(people):
    people["aigerim"].is_active = False
    people["aigerim"].save()
    people["bat"].email = ""
    people["bat"].save()
    assert "Sent 0 e-mails to 0 people." in run("--today", LATER)
    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_overdue_vilm_actions_of_the_unit(people):
    run("--today", LATER)
    body = mail_to(people["aigerim"]).body
    for key in ("2.3", "6.1", "7.1", "7.3", "13.6"):  # the Vilm actions of Kazakhstan with a deadline
        item = vilm(key)
        assert Reminder.objects.filter(
            user=people["aigerim"],
            reason=Reminder.Reason.OVERDUE,
            subject=f"item:{item.pk}:unit:KZ:due:{item.due.isoformat()}",
        ).exists()
        assert f"/kk/instruments/vilm/{item.slug}/" in body
    # Mongolia's own actions go to Mongolia's focal point only.
    assert "/instruments/vilm/1.1/" not in body
    assert "/mn/instruments/vilm/1.1/" in mail_to(people["bat"]).body
    # "No update yet" alone is no reason for an e-mail: CAMI activities have no deadline.
    assert "/instruments/cami-pow/" not in body
    assert not Reminder.objects.filter(reason=Reminder.Reason.DUE_SOON).exists()


def test_due_soon_within_the_days_given(people):
    run("--today", AUTUMN_2014, "--days", "90")
    item = vilm("13.6")
    subject = f"item:{item.pk}:unit:KZ:due:2014-12-31"
    assert Reminder.objects.filter(user=people["aigerim"], reason=Reminder.Reason.DUE_SOON, subject=subject).exists()
    assert not Reminder.objects.filter(user=people["aigerim"], reason=Reminder.Reason.OVERDUE, subject=subject).exists()
    # 7.3 was due in July 2014: overdue already.
    assert Reminder.objects.filter(
        user=people["aigerim"], reason=Reminder.Reason.OVERDUE, subject__startswith=f"item:{vilm('7.3').pk}:"
    ).exists()

    # Once the deadline has passed, it is overdue: a new reason, reminded of once more.
    mail.outbox.clear()
    run("--today", "2015-01-05", "--days", "90")
    body = mail_to(people["aigerim"]).body
    assert "/kk/instruments/vilm/13.6/" in body
    assert "/kk/instruments/vilm/7.3/" not in body
    assert Reminder.objects.filter(user=people["aigerim"], reason=Reminder.Reason.OVERDUE, subject=subject).exists()


def test_nothing_due_soon_with_fewer_days(people):
    run("--today", AUTUMN_2014, "--days", "30")
    assert not Reminder.objects.filter(reason=Reminder.Reason.DUE_SOON).exists()


def test_returned_update_with_the_comment(people):
    item = Item.objects.get(instrument__slug="cami-pow", key="2.2.1 (d)")
    update = returned_update(people, item)
    run("--today", LATER)
    body = mail_to(people["aigerim"]).body
    assert "Please say which sections of the border." in body
    assert "/kk/instruments/cami-pow/2.2.1-d/" in body
    assert Reminder.objects.filter(
        user=people["aigerim"], reason=Reminder.Reason.RETURNED, subject=f"update:{update.pk}"
    ).exists()
    assert "Please say which sections" not in mail_to(people["bat"]).body


def test_running_twice_sends_nothing_the_second_time(people):
    run("--today", LATER)
    recorded = Reminder.objects.count()
    assert recorded > 0
    mail.outbox.clear()
    assert "Sent 0 e-mails to 0 people." in run("--today", LATER)
    assert mail.outbox == []
    assert Reminder.objects.count() == recorded


def test_a_later_return_sends_only_that(people):
    run("--today", LATER)
    mail.outbox.clear()
    update = returned_update(people, vilm("6.6"), comment="Which regions?")
    assert "Sent 1 e-mails to 1 people." in run("--today", LATER)
    [message] = mail.outbox
    assert message.to == ["aigerim@example.org"]
    assert "Which regions?" in message.body
    assert "/kk/instruments/vilm/6.6/" in message.body
    for key in ("2.3", "6.1", "7.1", "7.3", "13.6"):  # reminded of the first time
        assert f"/kk/instruments/vilm/{key}/" not in message.body
    assert list(
        Reminder.objects.filter(user=people["aigerim"]).order_by("-pk").values_list("reason", "subject")[:1]
    ) == [(Reminder.Reason.RETURNED, f"update:{update.pk}")]


def test_a_moved_deadline_is_reminded_of_again(people):
    run("--today", LATER)
    mail.outbox.clear()
    Item.objects.filter(pk=vilm("13.6").pk).update(due=datetime.date(2015, 12, 31))
    run("--today", LATER)
    [message] = mail.outbox
    assert message.to == ["aigerim@example.org"]
    assert "/kk/instruments/vilm/13.6/" in message.body
    assert "/kk/instruments/vilm/2.3/" not in message.body


def test_each_in_their_own_language(people):
    meeting(cutoff=datetime.date(2026, 6, 30))
    run("--today", LATER)
    for name, language in (("aigerim", "kk"), ("bat", "mn")):
        message = mail_to(people[name])
        with translation.override(language):
            subject = gettext("Reminder: your reporting in the CAMI commitment tracker")
            overdue = gettext("Overdue")
            reporting = reverse("actions:my_reporting")
            cutoff = formats.date_format(datetime.date(2026, 6, 30))
            action = vilm("7.1")
            text = action.text
            due = formats.date_format(action.due, "Y")
        assert message.subject == subject
        assert overdue in message.body
        assert reporting.startswith(f"/{language}/") and f"http://127.0.0.1:8000{reporting}" in message.body
        assert cutoff in message.body
        assert text in message.body
        assert due in message.body
    # The unofficial Kazakh translation for the reader of Kazakh, the Mongolian original for the other.
    assert vilm("7.1").text_kk in mail_to(people["aigerim"]).body
    assert vilm("7.1").text_mn in mail_to(people["bat"]).body


def test_the_address_of_the_site_in_links(people, settings):
    settings.SITE_URL = "https://tracker.example.org"
    run("--today", LATER)
    assert "https://tracker.example.org/kk/reporting/" in mail_to(people["aigerim"]).body


def test_a_failing_backend_records_nothing(people, settings):
    settings.EMAIL_BACKEND = "actions.tests.test_reminders.FailingBackend"
    with pytest.raises(CommandError, match="2 e-mails could not be sent"):
        run("--today", LATER)
    assert not Reminder.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "Sent 2 e-mails to 2 people." in run("--today", LATER)
    assert Reminder.objects.filter(user=people["aigerim"]).exists()


def test_the_next_cutoff_appears_once(people):
    meeting(name="Past meeting", symbol="OLD/1", cutoff=datetime.date(2025, 6, 30))
    later = meeting(name="CAMI range states meeting", symbol="", cutoff=datetime.date(2027, 1, 31))
    next_one = meeting(name="CMS COP15", symbol="UNEP/CMS/COP15", cutoff=datetime.date(2026, 6, 30))
    run("--today", LATER)
    for name in ("aigerim", "bat"):
        body = mail_to(people[name]).body
        assert body.count("CMS COP15") == 1 and "UNEP/CMS/COP15" in body
        assert "Past meeting" not in body and later.name not in body
        assert Reminder.objects.filter(
            user=people[name], reason=Reminder.Reason.CUTOFF, subject=f"meeting:{next_one.pk}:cutoff:2026-06-30"
        ).exists()

    mail.outbox.clear()
    returned_update(people, vilm("6.6"))
    run("--today", LATER)
    [message] = mail.outbox
    assert "CMS COP15" not in message.body


def test_a_cutoff_alone_is_worth_an_e_mail(people):
    run("--today", LATER)
    mail.outbox.clear()
    meeting()
    assert "Sent 2 e-mails to 2 people." in run("--today", LATER)
    assert all("UNEP/CMS/COP15" in message.body for message in mail.outbox)
    assert all("/instruments/vilm/" not in message.body for message in mail.outbox)


def test_dry_run_prints_and_records_nothing(people):
    output = run("--today", LATER, "--dry-run")
    assert mail.outbox == []
    assert not Reminder.objects.exists()
    assert "To: aigerim@example.org" in output and "/kk/instruments/vilm/2.3/" in output
    assert "would send 2 e-mails to 2 people" in output


def test_the_e_mail_reads_well(people):
    returned_update(people, vilm("6.6"), comment="Which regions?")
    meeting()
    run("--today", AUTUMN_2014)
    body = mail_to(people["aigerim"]).body
    assert "\n\n\n" not in body
    assert "{%" not in body and "{{" not in body
    assert body.index("Which regions?") < body.index("/vilm/2.3/") < body.index("/vilm/13.6/") < body.index("COP15")


@pytest.mark.parametrize("arguments", [("--days", "-1"), ("--days", "soon"), ("--today", "2014-13-01")])
def test_wrong_arguments_are_refused(people, arguments):
    with pytest.raises(CommandError):
        run(*arguments)
    assert not Reminder.objects.exists()
