"""Every view and action of the reporting workflow, for every role.

Roles (actions/tests/people.py): aigerim reports for Kazakhstan, bat for Mongolia, daulet reads
Kazakhstan for a ministry, sara is the Secretariat, ada an administrator, nobody has no role.
LOGIN means the anonymous visitor is sent to the sign-in page.
"""

import pytest
from django.urls import reverse

from actions.models import Notification, StatusUpdate, UpdateComment
from actions.permissions import allowed
from actions.tests.reporting import workflow
from actions.tests.urls import url_names

pytestmark = pytest.mark.django_db

LOGIN = "login"
ROLES = ("anonymous", "aigerim", "bat", "daulet", "sara", "ada", "nobody")


def expect(default, **by_role):
    return {role: by_role.get(role, default) for role in ROLES}


def item_new(unit, code="1.3.4", slug=None):
    return ("actions:update_new", (unit, "cami-pow", slug or code))


# (name, arguments or the update they take, method, expected per role)
MATRIX = [
    ("actions:my_reporting", (), "get", expect(200, anonymous=LOGIN)),
    ("actions:review_queue", (), "get", expect(403, anonymous=LOGIN, sara=200, ada=200)),
    ("actions:people", (), "get", expect(403, anonymous=LOGIN, sara=200, ada=200)),
    ("actions:translations", (), "get", expect(403, anonymous=LOGIN, sara=200, ada=200)),
    ("actions:translations_download", ("kk",), "get", expect(403, anonymous=LOGIN, sara=200, ada=200)),
    (*item_new("KZ"), "get", expect(403, anonymous=LOGIN, aigerim=200)),
    (*item_new("MN"), "get", expect(403, anonymous=LOGIN, bat=200)),
    (*item_new("CMS"), "get", expect(403, anonymous=LOGIN, sara=200, ada=200)),
    ("actions:update", "draft_kz", "get", expect(404, anonymous=LOGIN, aigerim=200)),
    ("actions:update", "pending_kz", "get", expect(404, anonymous=LOGIN, aigerim=200, daulet=200, sara=200, ada=200)),
    ("actions:update", "pending_mn", "get", expect(404, anonymous=LOGIN, bat=200, sara=200, ada=200)),
    ("actions:update", "accepted_kz", "get", expect(404, anonymous=LOGIN, aigerim=200, daulet=200, sara=200, ada=200)),
    ("actions:update_edit", "draft_kz", "get", expect(404, anonymous=LOGIN, aigerim=200)),
    (
        "actions:update_edit",
        "pending_kz",
        "get",
        expect(404, anonymous=LOGIN, aigerim=403, daulet=403, sara=403, ada=403),
    ),
    (
        "actions:update_revise",
        "returned_kz",
        "get",
        expect(404, anonymous=LOGIN, aigerim=200, daulet=403, sara=403, ada=403),
    ),
    (
        "actions:update_revise",
        "accepted_kz",
        "get",
        expect(404, anonymous=LOGIN, aigerim=403, daulet=403, sara=403, ada=403),
    ),
    ("actions:evidence", "draft_kz", "get", expect(404, anonymous=LOGIN, aigerim=200)),
    ("actions:evidence", "pending_kz", "get", expect(404, anonymous=LOGIN, aigerim=200, daulet=200, sara=200, ada=200)),
    ("actions:evidence", "pending_mn", "get", expect(404, anonymous=LOGIN, bat=200, sara=200, ada=200)),
    ("actions:evidence_inline", "draft_kz", "get", expect(404, anonymous=LOGIN, aigerim=200)),
    (
        "actions:evidence_inline",
        "pending_kz",
        "get",
        expect(404, anonymous=LOGIN, aigerim=200, daulet=200, sara=200, ada=200),
    ),
    ("actions:evidence_inline", "pending_mn", "get", expect(404, anonymous=LOGIN, bat=200, sara=200, ada=200)),
    ("actions:workbook_download", ("KZ",), "get", expect(403, anonymous=LOGIN, aigerim=200)),
    ("actions:workbook_upload", ("KZ",), "get", expect(403, anonymous=LOGIN, aigerim=200)),
    ("actions:workbook_download", ("CMS",), "get", expect(403, anonymous=LOGIN, sara=200, ada=200)),
    ("actions:workbook_confirm", ("KZ",), "post", expect(403, anonymous=LOGIN, aigerim=302)),
    # Everyone signed in is sent on to the page of their job.
    ("actions:landing", (), "get", expect(302, anonymous=LOGIN)),
]

# POSTs that change something: the expected answer, and whether the change happened.
WRITES = [
    ("actions:update_submit", "draft_kz", expect(404, anonymous=LOGIN, aigerim=302)),
    ("actions:update_submit", "pending_kz", expect(404, anonymous=LOGIN, aigerim=403, daulet=403, sara=403, ada=403)),
    ("actions:update_delete", "draft_kz", expect(404, anonymous=LOGIN, aigerim=302)),
    ("actions:update_delete", "pending_kz", expect(404, anonymous=LOGIN, aigerim=403, daulet=403, sara=403, ada=403)),
    ("actions:update_delete", "accepted_kz", expect(404, anonymous=LOGIN, aigerim=403, daulet=403, sara=403, ada=403)),
    ("actions:update_review", "pending_kz", expect(404, anonymous=LOGIN, aigerim=403, daulet=403, sara=302, ada=302)),
    ("actions:update_review", "pending_mn", expect(404, anonymous=LOGIN, bat=403, sara=302, ada=302)),
]

# Comments in an update's discussion: written by the unit's focal points and the Secretariat only,
# on updates they may see; never on a draft.
COMMENTS = [
    ("actions:comment_add", "pending_kz", expect(404, anonymous=LOGIN, aigerim=302, daulet=403, sara=302, ada=302)),
    ("actions:comment_add", "pending_mn", expect(404, anonymous=LOGIN, bat=302, sara=302, ada=302)),
    ("actions:comment_add", "accepted_kz", expect(404, anonymous=LOGIN, aigerim=302, daulet=403, sara=302, ada=302)),
    ("actions:comment_add", "returned_kz", expect(404, anonymous=LOGIN, aigerim=302, daulet=403, sara=302, ada=302)),
    ("actions:comment_add", "draft_kz", expect(404, anonymous=LOGIN, aigerim=403)),
]

# Each person's own inbox and profile: everyone signed in has them, and sees and changes only their
# own. "notice:returned_kz" is Aigerim's notification of that return, which nobody else may open.
OWN_PAGES = [
    ("actions:inbox", (), "get", expect(200, anonymous=LOGIN)),
    ("actions:profile", (), "get", expect(200, anonymous=LOGIN)),
    ("actions:inbox_read_all", (), "post", expect(302, anonymous=LOGIN)),
    ("actions:inbox_open", "notice:returned_kz", "post", expect(404, anonymous=LOGIN, aigerim=302)),
]

# Pages anyone may open; what they show depends on the user (tested in test_reporting.py).
PUBLIC = {"actions:home", "actions:item_list", "actions:instrument", "actions:item", "actions:invitation_accept"}


def login(client, people, role):
    if role != "anonymous":
        client.force_login(people[role])


def address(name, arguments, updates):
    if isinstance(arguments, str) and arguments.startswith("notice:"):
        update = updates[arguments.removeprefix("notice:")]
        return reverse(name, args=[Notification.objects.get(recipient__username="aigerim", update=update).pk])
    if isinstance(arguments, str):
        update = updates[arguments]
        if name in ("actions:evidence", "actions:evidence_inline"):
            return reverse(name, args=[update.evidence.filter(url="").first().pk])
        return reverse(name, args=[update.pk])
    return reverse(name, args=arguments)


def check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "arguments", "method", "expected"), MATRIX, ids=lambda value: str(value))
def test_reading(client, people, role, name, arguments, method, expected):
    updates = workflow(people)
    login(client, people, role)
    url = address(name, arguments, updates)
    response = client.get(url) if method == "get" else client.post(url, {})
    check(response, expected[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "target", "expected"), WRITES, ids=lambda value: str(value))
def test_writing(client, people, role, name, target, expected):
    updates = workflow(people)
    update = updates[target]
    before = StatusUpdate.objects.filter(pk=update.pk).values("state").first()
    login(client, people, role)
    response = client.post(address(name, target, updates), {"decision": "accept", "comment": ""})
    check(response, expected[role])
    after = StatusUpdate.objects.filter(pk=update.pk).values("state").first()
    if expected[role] == 302:
        assert after != before
    else:
        assert after == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "target", "expected"), COMMENTS, ids=lambda value: str(value))
def test_commenting(client, people, role, name, target, expected):
    updates = workflow(people)
    update = updates[target]
    before = UpdateComment.objects.filter(update=update).count()
    login(client, people, role)
    response = client.post(address(name, target, updates), {"text": "Which sections?", "language": "ru"})
    check(response, expected[role])
    after = UpdateComment.objects.filter(update=update).count()
    assert after == before + (1 if expected[role] == 302 else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "arguments", "method", "expected"), OWN_PAGES, ids=lambda value: str(value))
def test_own_pages(client, people, role, name, arguments, method, expected):
    updates = workflow(people)
    login(client, people, role)
    url = address(name, arguments, updates)
    unread = dict(Notification.objects.values_list("pk", "read_at"))
    response = client.get(url) if method == "get" else client.post(url, {})
    check(response, expected[role])
    # Whatever the address, a person marks only their own notifications read.
    changed = {pk for pk, read_at in Notification.objects.values_list("pk", "read_at") if read_at != unread[pk]}
    assert Notification.objects.filter(pk__in=changed).exclude(recipient__username=role).count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_only_focal_points_of_the_unit_create_updates(client, people, role):
    workflow(people)
    login(client, people, role)
    before = StatusUpdate.objects.count()
    response = client.post(
        reverse("actions:update_new", args=["KZ", "cami-pow", "1.1.2"]),
        {
            "status": "planned",
            "refers_to": "2026-05-01",
            "narrative_language": "en",
            "based_on_version": 0,
            "action": "submit",
        },
    )
    if role == "aigerim":
        assert response.status_code == 302
        assert StatusUpdate.objects.count() == before + 1
    else:
        check(response, LOGIN if role == "anonymous" else 403)
        assert StatusUpdate.objects.count() == before


@pytest.mark.parametrize("public", [False, True])
def test_the_rule_and_the_queryset_agree(people, settings, public):
    settings.PUBLIC_PROGRESS = public
    updates = workflow(people)
    from django.contrib.auth.models import AnonymousUser

    for user in [AnonymousUser(), *people.values()]:
        visible = set(StatusUpdate.objects.for_user(user).values_list("pk", flat=True))
        for update in updates.values():
            assert allowed(user, "actions.view_update", update) == (update.pk in visible), (user, update.state)


def test_public_progress_shows_accepted_updates_only(client, people, settings):
    settings.PUBLIC_PROGRESS = True
    updates = workflow(people)
    assert client.get(reverse("actions:update", args=[updates["accepted_kz"].pk])).status_code == 302
    visible = set(StatusUpdate.objects.for_user(people["nobody"]))
    assert visible == {updates["accepted_kz"]}


def test_every_page_has_an_entry_in_the_matrix():
    covered = {entry[0] for entry in MATRIX} | {entry[0] for entry in WRITES} | {entry[0] for entry in COMMENTS}
    covered |= PUBLIC | {entry[0] for entry in OWN_PAGES}
    covered |= {"actions:update_new"}
    assert url_names("actions") - covered == set()
