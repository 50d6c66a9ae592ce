"""The discussion under an update, and what a revision changed against the update it revises.

Roles (actions/tests/people.py): aigerim reports for Kazakhstan, bat for Mongolia, daulet reads
Kazakhstan for a ministry, sara is the Secretariat.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from actions import services
from actions.discussion import word_diff
from actions.models import Notification, Status, UpdateComment
from actions.models.discussion import AppendOnly
from actions.tests.reporting import content, pdf, report, workflow
from actions.tests.urls import url_names

pytestmark = pytest.mark.django_db


def comment_url(update):
    return reverse("actions:comment_add", args=[update.pk])


def test_the_return_comment_opens_the_discussion_and_comments_follow_in_their_language(client, people):
    updates = workflow(people)
    returned = updates["returned_kz"]
    client.force_login(people["aigerim"])
    response = client.post(comment_url(returned), {"text": "Шекара учаскелері есепте көрсетілген.", "language": "kk"})
    assert response.status_code == 302 and response.url.endswith("#discussion")
    client.force_login(people["sara"])
    client.post(comment_url(returned), {"text": "Thank you, noted.", "language": "en"})

    page = client.get(returned.get_absolute_url())
    thread = page.context["discussion"]
    assert [(entry.text, entry.is_return) for entry in thread] == [
        ("Please name the border sections.", True),
        ("Шекара учаскелері есепте көрсетілген.", False),
        ("Thank you, noted.", False),
    ]
    assert [entry.author for entry in thread] == [people["sara"], people["aigerim"], people["sara"]]
    html = page.content.decode()
    assert '<p lang="kk">Шекара учаскелері есепте көрсетілген.</p>' in html
    assert html.index("Please name the border sections.") < html.index("Thank you, noted.")
    assert list(UpdateComment.objects.values_list("language", flat=True)) == ["kk", "en"]


def test_a_comment_is_in_the_page_language_unless_the_writer_chooses(client, people):
    updates = workflow(people)
    client.force_login(people["aigerim"])
    page = client.get(f"/ru/updates/{updates['pending_kz'].pk}/")
    assert page.context["comment_form"]["language"].value() == "ru"
    assert 'value="ru" selected' in page.content.decode()


def test_the_other_units_focal_point_neither_reads_nor_writes(client, people):
    updates = workflow(people)
    client.force_login(people["bat"])
    assert client.get(updates["pending_kz"].get_absolute_url()).status_code == 404
    assert client.post(comment_url(updates["pending_kz"]), {"text": "Hello", "language": "en"}).status_code == 404
    assert not UpdateComment.objects.exists()


def test_the_ministry_viewer_reads_the_discussion_but_cannot_write(client, people):
    updates = workflow(people)
    pending = updates["pending_kz"]
    services.comment_add(update=pending, author=people["sara"], text="Which districts?", language="en")
    client.force_login(people["daulet"])
    page = client.get(pending.get_absolute_url())
    assert page.status_code == 200
    assert "Which districts?" in page.content.decode()
    assert page.context["comment_form"] is None
    assert f'action="{comment_url(pending)}"' not in page.content.decode()
    assert client.post(comment_url(pending), {"text": "Us too", "language": "ru"}).status_code == 403
    assert UpdateComment.objects.count() == 1
    # The services refuse it too, whatever the caller.
    with pytest.raises(PermissionDenied):
        services.comment_add(update=pending, author=people["daulet"], text="Us too", language="ru")


def test_the_ministry_viewer_reads_only_the_discussions_of_updates_it_may_see(client, people):
    updates = workflow(people)
    services.comment_add(update=updates["pending_mn"], author=people["sara"], text="Mongolia only", language="en")
    client.force_login(people["daulet"])
    assert client.get(updates["pending_mn"].get_absolute_url()).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, people):
    updates = workflow(people)
    response = client.post(comment_url(updates["pending_kz"]), {"text": "Hello", "language": "en"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(comment_url(updates["pending_kz"])).status_code == 302
    assert not UpdateComment.objects.exists()


def test_an_empty_comment_is_a_form_error_and_saves_nothing(client, people):
    updates = workflow(people)
    client.force_login(people["sara"])
    response = client.post(comment_url(updates["pending_kz"]), {"text": "   ", "language": "en"})
    assert response.status_code == 200
    assert "text" in response.context["comment_form"].errors
    assert not UpdateComment.objects.exists()


def test_comments_are_append_only(people):
    updates = workflow(people)
    comment = services.comment_add(update=updates["pending_kz"], author=people["sara"], text="First", language="en")
    comment.text = "Changed"
    with pytest.raises(AppendOnly):
        comment.save()
    with pytest.raises(AppendOnly):
        comment.delete()
    assert UpdateComment.objects.get().text == "First"
    # No page changes or deletes a comment: the only address of the discussion adds one.
    assert {name for name in url_names("actions") if "comment" in name} == {"actions:comment_add"}


def test_a_get_of_the_comment_address_changes_nothing(client, people):
    updates = workflow(people)
    client.force_login(people["sara"])
    assert client.get(comment_url(updates["pending_kz"])).status_code == 405


def test_the_word_diff_marks_removed_and_added_words_and_escapes_them():
    diff = word_diff("Two passages near Beyneu.", "Three passages near Beyneu <b>and Shetpe</b>.")
    assert diff == (
        "<del>Two</del><ins>Three</ins> passages near <del>Beyneu.</del>"
        "<ins>Beyneu &lt;b&gt;and Shetpe&lt;/b&gt;.</ins>"
    )
    assert word_diff("same text", "same text") == "same text"
    assert word_diff("", "new") == "<ins>new</ins>"
    assert word_diff("<script>", "") == "<del>&lt;script&gt;</del>"


def test_a_revision_shows_what_changed_against_the_returned_update(client, people):
    aigerim, sara = people["aigerim"], people["sara"]
    returned = report(
        aigerim,
        "2.2.1",
        "KZ",
        status=Status.PLANNED,
        progress=10,
        narrative="Two passages near Beyneu.",
        files=[pdf("old-map.pdf")],
        links=["https://www.cms.int/cami"],
    )
    services.update_return(update=returned, user=sara, comment="Which sections?")
    returned.refresh_from_db()
    revision = services.update_create(
        author=aigerim,
        item=returned.item,
        unit=returned.unit,
        content=content(status=Status.IN_PROGRESS, progress=40, narrative="Three passages near Beyneu <b>now</b>."),
        based_on_version=services.current_version(returned.item, returned.unit),
        submit=True,
        files=[pdf("sections.pdf")],
        links=["https://www.cms.int/cami"],
        revision_of=returned,
    )
    client.force_login(sara)
    page = client.get(revision.get_absolute_url())
    changes = page.context["changes"]
    assert changes.revised == returned
    assert changes.progress == (10, 40)
    assert [str(each) for each in changes.added] == ["sections.pdf"]
    assert [str(each) for each in changes.removed] == ["old-map.pdf"]
    html = page.content.decode()
    revises = html[html.index("Revises") : html.index("</dd>", html.index("Revises"))]
    assert "Planned → In progress" in revises
    assert "10&nbsp;% → 40&nbsp;%" in revises
    assert "<del>Two</del><ins>Three</ins> passages near" in revises
    assert "&lt;b&gt;now&lt;/b&gt;" in revises and "<b>" not in revises
    assert "Evidence added: sections.pdf" in revises
    assert "Evidence removed: old-map.pdf" in revises
    assert "Returned" not in revises
    # The unchanged link is neither added nor removed.
    assert "cms.int" not in revises


def test_a_revision_that_changes_nothing_says_so(client, people):
    updates = workflow(people)
    returned = updates["returned_kz"]
    revision = services.update_create(
        author=people["aigerim"],
        item=returned.item,
        unit=returned.unit,
        content=content(narrative=returned.narrative, progress=returned.progress, status=returned.status),
        based_on_version=services.current_version(returned.item, returned.unit),
        submit=True,
        revision_of=returned,
    )
    client.force_login(people["aigerim"])
    page = client.get(revision.get_absolute_url()).content.decode()
    assert "Nothing was changed." in page


def test_a_comment_notifies_the_other_side(people):
    updates = workflow(people)
    pending = updates["pending_kz"]
    before = set(Notification.objects.values_list("pk", flat=True))
    services.comment_add(update=pending, author=people["aigerim"], text="Sections named.", language="en")
    made = Notification.objects.exclude(pk__in=before)
    assert people["sara"] in {notification.recipient for notification in made}
    assert people["aigerim"] not in {notification.recipient for notification in made}
