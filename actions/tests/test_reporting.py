"""The reporting workflow as focal points and the Secretariat use it through the pages."""

import datetime

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from actions import services
from actions.attention import Reason, needing_attention
from actions.models import Evidence, Invitation, Progress, Role, Status, StatusUpdate
from actions.tests.people import PASSWORD
from actions.tests.reporting import PDF_BYTES, PNG_BYTES, docx, item, pdf, report, unit, workflow

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "status": "in-progress",
        "progress": "40",
        "refers_to": "2026-06-30",
        "narrative": "Two passages in the border fence near Beyneu.",
        "narrative_language": "en",
        "links": "https://www.cms.int/cami\n",
        "based_on_version": "0",
        "action": "submit",
    }
    data.update(overrides)
    return data


NEW_KZ_221 = ("KZ", "cami-pow", "2.2.1")


def test_submit_return_revise_accept_through_the_pages(client, people):
    aigerim, sara = people["aigerim"], people["sara"]
    client.force_login(aigerim)
    response = client.post(reverse("actions:update_new", args=NEW_KZ_221), {**form_data(), "files": [pdf()]})
    first = StatusUpdate.objects.get()
    assert response.url == first.get_absolute_url()
    assert (first.state, first.status, first.progress, first.author) == ("submitted", "in-progress", 40, aigerim)
    assert [(e.file_name, e.content_type) for e in first.evidence.exclude(file="")] == [
        ("report.pdf", "application/pdf")
    ]
    assert list(first.evidence.filter(file="").values_list("url", flat=True)) == ["https://www.cms.int/cami"]

    client.force_login(sara)
    queue = client.get(reverse("actions:review_queue"))
    assert "Two passages in the border fence near Beyneu." in queue.content.decode()
    client.post(reverse("actions:update_review", args=[first.pk]), {"decision": "return", "comment": "Which sections?"})
    first.refresh_from_db()
    assert (first.state, first.review_comment, first.reviewed_by) == ("returned", "Which sections?", sara)

    client.force_login(aigerim)
    revise_url = reverse("actions:update_revise", args=[first.pk])
    page = client.get(revise_url).content.decode()
    assert "Which sections?" in page and "Two passages in the border fence near Beyneu." in page
    version = Progress.objects.get(item=first.item, unit=first.unit).version
    client.post(
        revise_url,
        form_data(narrative="Two passages on the Uzbek border, Mangistau region.", based_on_version=str(version)),
    )
    second = StatusUpdate.objects.exclude(pk=first.pk).get()
    assert (second.state, second.revision_of) == ("submitted", first)
    first.refresh_from_db()
    assert first.state == "returned"  # the returned update stays as it was

    client.force_login(sara)
    client.post(reverse("actions:update_review", args=[second.pk]), {"decision": "accept"})
    second.refresh_from_db()
    assert second.state == "accepted"
    assert Progress.objects.get(item=second.item, unit=second.unit).current == second
    assert [event.action for event in second.events.all()] == ["created", "submitted", "accepted"]

    page = client.get(reverse("actions:item", args=["cami-pow", "2.2.1"])).content.decode()
    assert "Two passages on the Uzbek border, Mangistau region." in page
    client.logout()
    anonymous_page = client.get(reverse("actions:item", args=["cami-pow", "2.2.1"])).content.decode()
    assert "Mangistau" not in anonymous_page


def test_a_draft_is_kept_changed_and_submitted(client, people):
    client.force_login(people["aigerim"])
    client.post(reverse("actions:update_new", args=NEW_KZ_221), form_data(action="draft", links=""))
    draft = StatusUpdate.objects.get()
    assert draft.state == "draft" and draft.submitted_at is None
    client.post(
        reverse("actions:update_edit", args=[draft.pk]), {**form_data(status="planned", links=""), "files": [docx()]}
    )
    draft.refresh_from_db()
    assert draft.status == "planned"
    assert draft.evidence.get().content_type.endswith("wordprocessingml.document")
    client.post(reverse("actions:update_submit", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == "submitted"


def test_a_submitted_update_cannot_be_changed_or_deleted(people):
    updates = workflow(people)
    with pytest.raises(services.PermissionDenied):
        services.update_edit_draft(
            update=updates["pending_kz"],
            user=people["aigerim"],
            content=services.UpdateContent(status="completed", refers_to=datetime.date(2026, 1, 1)),
        )
    with pytest.raises(services.PermissionDenied):
        services.update_delete_draft(update=updates["accepted_kz"], user=people["ada"])
    assert StatusUpdate.objects.get(pk=updates["pending_kz"].pk).status == "in-progress"


def test_a_stale_submission_is_caught_and_kept_as_a_draft(client, people):
    aigerim = people["aigerim"]
    client.force_login(aigerim)
    form_page = client.get(reverse("actions:update_new", args=NEW_KZ_221))
    assert form_page.context["form"].initial["based_on_version"] == 0
    # Meanwhile a colleague submits an update on the same activity and unit.
    colleague = report(aigerim, "2.2.1", "KZ", narrative="The colleague's update")
    response = client.post(reverse("actions:update_new", args=NEW_KZ_221), form_data(based_on_version="0"), follow=True)
    mine = StatusUpdate.objects.exclude(pk=colleague.pk).get()
    assert mine.state == "draft"
    page = response.content.decode()
    assert "Someone else reported on this activity for Kazakhstan while you were writing." in page
    assert response.context["newer"].latest == colleague
    # Having read it, the author submits: the submit form carries the version seen.
    client.post(reverse("actions:update_submit", args=[mine.pk]), {"seen_version": "1"})
    mine.refresh_from_db()
    assert mine.state == "submitted"
    assert Progress.objects.get(item=mine.item, unit=mine.unit).version == 2


def test_the_service_refuses_a_stale_submission(people):
    aigerim = people["aigerim"]
    report(aigerim, "2.2.1", "KZ")
    with pytest.raises(services.StaleUpdate) as caught:
        services.update_create(
            author=aigerim,
            item=item("2.2.1"),
            unit=unit("KZ"),
            content=services.UpdateContent(status="completed", refers_to=datetime.date(2026, 1, 1)),
            based_on_version=0,
            submit=True,
        )
    assert caught.value.latest.narrative == "Passages were built."
    assert StatusUpdate.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("report.pdf", PDF_BYTES, True),
        ("photo.png", PNG_BYTES, True),
        ("page.pdf", b"<html><script>alert(1)</script></html>", False),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", False),
        ("fake.docx", b"PK\x03\x04not really a zip", False),
    ],
)
def test_evidence_type_is_read_from_the_content(client, people, name, content, accepted):
    client.force_login(people["aigerim"])
    response = client.post(
        reverse("actions:update_new", args=NEW_KZ_221), {**form_data(), "files": [pdf(name, content)]}
    )
    if accepted:
        assert response.status_code == 302
        assert Evidence.objects.exclude(file="").get().file_name == name
    else:
        assert response.status_code == 200
        assert f"{name} is not a PDF, an image or an office document" in response.content.decode()
        assert StatusUpdate.objects.count() == 0 and Evidence.objects.count() == 0


def test_evidence_whose_file_is_gone_is_not_found_rather_than_an_error(client, people):
    update = report(people["aigerim"], "2.2.1", "KZ", files=[pdf()])
    evidence = update.evidence.get()
    client.force_login(people["aigerim"])
    assert b"".join(client.get(reverse("actions:evidence", args=[evidence.pk])).streaming_content) == PDF_BYTES
    evidence.file.storage.delete(evidence.file.name)
    assert client.get(reverse("actions:evidence", args=[evidence.pk])).status_code == 404


def test_evidence_size_is_limited(client, people, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    client.force_login(people["aigerim"])
    response = client.post(
        reverse("actions:update_new", args=NEW_KZ_221), {**form_data(), "files": [pdf(content=PDF_BYTES + b"0" * 2000)]}
    )
    assert "report.pdf is too large" in response.content.decode()
    assert StatusUpdate.objects.count() == 0


def test_bad_input_names_the_field_in_the_users_language(client, people):
    client.force_login(people["aigerim"])
    url = reverse("actions:update_new", args=NEW_KZ_221).replace("/en/", "/ru/", 1)
    response = client.post(url, form_data(progress="150", links="not a link"))
    form = response.context["form"]
    assert set(form.errors) == {"progress", "links"}
    with translation.override("ru"):
        expected = translation.gettext("Line %(line)s is not a web address starting with http:// or https://.")
    assert form.errors["links"] == [expected % {"line": 1}]
    assert StatusUpdate.objects.count() == 0


def test_evidence_is_served_only_to_those_allowed(client, people):
    updates = workflow(people)
    evidence = updates["pending_kz"].evidence.exclude(file="").get()
    client.force_login(people["daulet"])
    response = client.get(reverse("actions:evidence", args=[evidence.pk]))
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    client.force_login(people["bat"])
    assert client.get(reverse("actions:evidence", args=[evidence.pk])).status_code == 404


def test_bulk_review_is_all_or_nothing(client, people):
    updates = workflow(people)
    sara = people["sara"]
    client.force_login(sara)
    pending = [updates["pending_kz"].pk, updates["pending_mn"].pk]
    client.post(reverse("actions:review_queue"), {"updates": pending, "decision": "accept", "comment": ""})
    assert set(StatusUpdate.objects.filter(pk__in=pending).values_list("state", flat=True)) == {"accepted"}
    # One already reviewed, one pending: the whole decision is refused.
    newer = report(people["aigerim"], "1.3.4", "KZ")
    services.update_accept(update=newer, user=sara)
    again = report(people["aigerim"], "1.1.2", "KZ")
    response = client.post(
        reverse("actions:review_queue"), {"updates": [again.pk], "decision": "return", "comment": ""}
    )
    assert "Say what should be changed" in response.content.decode()
    assert StatusUpdate.objects.get(pk=again.pk).state == "submitted"


def test_accepting_an_older_update_keeps_the_newer_as_current(people):
    aigerim, sara = people["aigerim"], people["sara"]
    older = report(aigerim, "2.2.1", "KZ", status=Status.PLANNED)
    newer = report(aigerim, "2.2.1", "KZ", status=Status.COMPLETED)
    services.update_accept(update=newer, user=sara)
    services.update_accept(update=older, user=sara)
    assert Progress.objects.get(item=item("2.2.1"), unit=unit("KZ")).current == newer
    with pytest.raises(services.WorkflowError):
        services.update_return(update=older, user=sara, comment="Too late")


def test_a_unit_that_does_not_apply_is_refused(people):
    report(people["aigerim"], "2.3", "KZ", instrument="vilm")  # Vilm 2.3 is Kazakhstan's only
    with pytest.raises(ValidationError):
        report(people["bat"], "2.3", "MN", instrument="vilm")
    assert StatusUpdate.objects.filter(unit__code="MN").count() == 0


def test_activity_page_shows_each_units_timeline_to_those_allowed(client, people):
    updates = workflow(people)
    client.force_login(people["daulet"])
    page = client.get(reverse("actions:item", args=["cami-pow", "1.3.4"])).content.decode()
    assert "Pending on 1.3.4 in Mongolia" not in page  # Mongolia is not daulet's unit
    assert "Draft on 1.3.4" not in page  # drafts stay with the focal point
    client.force_login(people["sara"])
    page = client.get(reverse("actions:item", args=["cami-pow", "1.3.4"])).content.decode()
    assert "Pending on 1.3.4 in Mongolia" in page and "an update is pending review" in page
    client.force_login(people["aigerim"])
    response = client.get(reverse("actions:item", args=["cami-pow", "1.1.1"]))
    rows = {row["unit"].code: row for row in response.context["unit_progress"]}
    assert list(rows) == ["KZ"]
    assert rows["KZ"]["current"] == updates["accepted_kz"]
    assert rows["KZ"]["can_report"] is True


def test_activity_page_queries_do_not_grow_with_updates(client, people):
    workflow(people)
    client.force_login(people["sara"])
    url = reverse("actions:item", args=["cami-pow", "1.3.4"])

    def queries(kept: bool) -> int:
        if not kept:
            cache.clear()  # the text and references drawn again, as after an edit
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = queries(kept=False), queries(kept=True)
    for _ in range(3):
        report(people["aigerim"], "1.3.4", "KZ", files=[pdf()])
        report(people["bat"], "1.3.4", "MN", links=["https://example.org/a"])
    assert (queries(kept=False), queries(kept=True)) == few
    assert few[1] < few[0]


def test_activity_page_shows_the_latest_updates_and_pages_through_the_rest(client, people):
    for number in range(7):
        update = report(people["aigerim"], "1.1.1", "KZ", narrative=f"Update number {number}")
        services.update_accept(update=update, user=people["sara"])
    client.force_login(people["daulet"])
    url = reverse("actions:item", args=["cami-pow", "1.1.1"])
    page = client.get(url).content.decode()
    shown = [number for number in range(7) if f"Update number {number}<" in page]
    assert shown == [2, 3, 4, 5, 6]  # the five latest
    assert "All 7 updates" in page and 'href="?history=KZ#unit-KZ"' in page
    history = client.get(url + "?history=KZ").content.decode()
    assert [number for number in range(7) if f"Update number {number}<" in history] == list(range(7))
    assert "Show only the latest updates" in history


def test_my_reporting_lists_what_needs_an_update_high_priority_first(client, people):
    updates = workflow(people)
    client.force_login(people["aigerim"])
    response = client.get(reverse("actions:my_reporting"))
    entries = list(response.context["page"])
    keys = [(entry.item.key, entry.reasons) for entry in entries]
    assert ("2.2.2", [Reason.RETURNED]) in keys
    assert all(key != "1.1.1" for key, _ in keys)  # accepted: nothing needed
    assert all(key != "2.2.1" for key, _ in keys)  # pending review: waiting for the Secretariat
    ranks = [entry.sort_key()[0] for entry in entries]
    assert ranks == sorted(ranks)
    page = response.content.decode()
    assert "Revise and resubmit" in page
    drafts = response.context["drafts"]
    assert drafts == [updates["draft_kz"]]
    assert "Your drafts" in page


def test_overdue_and_due_soon_are_read_from_the_deadline(people):
    kz = unit("KZ")
    vilm_23 = item("2.3", "vilm")  # due 2013-08-31
    overdue = needing_attention([kz], today=datetime.date(2014, 1, 1), due_soon_days=90)
    assert Reason.OVERDUE in next(entry for entry in overdue if entry.item == vilm_23).reasons
    due_soon = needing_attention([kz], today=datetime.date(2013, 7, 1), due_soon_days=90)
    assert Reason.DUE_SOON in next(entry for entry in due_soon if entry.item == vilm_23).reasons
    report(people["aigerim"], "2.3", "KZ", instrument="vilm", status=Status.COMPLETED)
    settled = needing_attention([kz], today=datetime.date(2014, 1, 1), due_soon_days=90)
    assert vilm_23 not in [entry.item for entry in settled]


def test_quick_update_from_my_reporting(client, people):
    client.force_login(people["aigerim"])
    url = reverse("actions:my_reporting")
    response = client.post(
        reverse("actions:update_new", args=NEW_KZ_221),
        {
            "quick": "1",
            "next": url,
            "status": "planned",
            "refers_to": "2026-06-30",
            "narrative": "Quick",
            "narrative_language": "kk",
            "based_on_version": "0",
            "action": "submit",
        },
    )
    assert response.url == url
    update = StatusUpdate.objects.get()
    assert (update.status, update.state, update.narrative_language) == ("planned", "submitted", "kk")


def test_my_reporting_queries_are_bounded(client, people, django_assert_max_num_queries):
    workflow(people)
    client.force_login(people["aigerim"])
    with django_assert_max_num_queries(15):
        client.get(reverse("actions:my_reporting"))


def test_reference_data_edits_are_recorded_with_who_and_when(client, people):
    client.force_login(people["ada"])
    activity = item("2.2.1")
    before = activity.history.count()
    data = {
        "instrument": activity.instrument_id,
        "kind": activity.kind,
        "code": activity.code,
        "key": activity.key,
        "slug": activity.slug,
        "text_en": activity.text_en + " (corrected)",
        "text_ru": "",
        "text_mn": "",
        "text_kk": "",
        "responsible_raw": activity.responsible_raw,
        "priority": activity.priority,
        "priority_raw": activity.priority_raw,
        "timeline_raw": "2027",
        "due": "2027-12-31",
        "due_precision": "year",
        "parent": activity.parent_id,
        "applies_to": list(activity.applies_to.values_list("pk", flat=True)),
        "translation_kinds": "{}",
    }
    for prefix in ("responsible_parties", "footnotes", "references"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(reverse("admin:actions_item_change", args=[activity.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    latest = activity.history.first()
    assert activity.history.count() == before + 1
    assert latest.history_user == people["ada"]
    assert latest.text_en.endswith("(corrected)")
    assert str(latest.due) == "2027-12-31"


def test_login_logout_and_password_reset_in_kazakh(client, people):
    response = client.post(reverse("login").replace("/en/", "/kk/", 1), {"username": "aigerim", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("actions:my_reporting")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("actions:my_reporting")).status_code == 302
    client.post(reverse("password_reset").replace("/en/", "/kk/", 1), {"email": "aigerim@example.org"})
    assert len(mail.outbox) == 1
    with translation.override("kk"):
        from django.utils.translation import gettext

        assert mail.outbox[0].subject == gettext("Your new password for the CAMI commitment tracker")
    assert "/kk/accounts/reset/" in mail.outbox[0].body


def test_the_secretariat_invites_a_focal_point(client, people):
    client.force_login(people["sara"])
    kz = unit("KZ")
    response = client.post(
        reverse("actions:people"),
        {"email": "new@example.kz", "name": "Нұрлан", "role": Role.FOCAL_POINT, "units": [kz.pk], "language": "kk"},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert mail.outbox[0].to == ["new@example.kz"]
    assert f"/kk/accounts/invitation/{invitation.token}/" in mail.outbox[0].body
    client.logout()
    accept = reverse("actions:invitation_accept", args=[invitation.token])
    response = client.post(
        accept, {"username": "nurlan", "password1": "steppe-and-saiga-42", "password2": "steppe-and-saiga-42"}
    )
    assert response.url == reverse("actions:my_reporting")
    user = invitation.__class__.objects.get().accepted_by
    assert (user.username, user.email, user.profile.role, list(user.profile.units.all())) == (
        "nurlan",
        "new@example.kz",
        Role.FOCAL_POINT,
        [kz],
    )
    assert client.get(reverse("actions:update_new", args=NEW_KZ_221)).status_code == 200
    client.logout()
    assert client.get(accept).status_code == 410  # used


def test_a_focal_point_cannot_invite(client, people):
    client.force_login(people["aigerim"])
    response = client.post(
        reverse("actions:people"), {"email": "x@example.org", "role": Role.SECRETARIAT, "language": "en"}
    )
    assert response.status_code == 403
    assert Invitation.objects.count() == 0
