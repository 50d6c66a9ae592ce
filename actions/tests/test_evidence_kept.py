"""Evidence is never dropped: a revision keeps the returned update's files, a failed form keeps its
uploads, and images and PDFs are previewed inline behind the same permission check (issue 15)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions import services
from actions.models import Evidence, PendingUpload, StatusUpdate
from actions.tests.reporting import PDF_BYTES, PNG_BYTES, docx, pdf, report

pytestmark = pytest.mark.django_db

NEW_KZ_221 = ("KZ", "cami-pow", "2.2.1")


def form_data(**overrides):
    return {
        "status": "in-progress",
        "progress": "40",
        "refers_to": "2026-06-30",
        "narrative": "Two passages in the border fence near Beyneu.",
        "narrative_language": "en",
        "links": "",
        "based_on_version": "0",
        "action": "submit",
        **overrides,
    }


def png(name="fence.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def stored(name: str) -> bool:
    return Evidence._meta.get_field("file").storage.exists(name)


@pytest.fixture
def returned(people):
    update = report(
        people["aigerim"],
        "2.2.1",
        "KZ",
        files=[pdf("keep.pdf"), pdf("drop.pdf")],
        links=["https://www.cms.int/cami"],
    )
    services.update_return(update=update, user=people["sara"], comment="Name the border sections.")
    return update


def revise(client, returned, **overrides):
    version = services.current_version(returned.item, returned.unit)
    return client.post(
        reverse("actions:update_revise", args=[returned.pk]), form_data(based_on_version=str(version), **overrides)
    )


def test_a_revision_keeps_the_ticked_files_by_reference_and_drops_the_unticked(client, people, returned):
    keep, drop = returned.evidence.exclude(file="").order_by("pk")
    link = returned.evidence.get(file="")
    client.force_login(people["aigerim"])
    page = client.get(reverse("actions:update_revise", args=[returned.pk])).content.decode()
    for evidence in (keep, drop, link):
        assert f'name="keep_evidence" value="{evidence.pk}" checked' in page
    assert "keep.pdf" in page and "drop.pdf" in page and "https://www.cms.int/cami" in page

    response = revise(client, returned, keep_evidence=[keep.pk, link.pk], files=[pdf("new.pdf")])
    assert response.status_code == 302
    revision = StatusUpdate.objects.get(revision_of=returned)
    files = {e.file_name: e.file.name for e in revision.evidence.exclude(file="")}
    assert set(files) == {"keep.pdf", "new.pdf"}
    assert files["keep.pdf"] == keep.file.name  # the same stored file, no copy
    assert list(revision.evidence.filter(file="").values_list("url", flat=True)) == ["https://www.cms.int/cami"]
    # The returned update is as it was, its files too.
    assert returned.evidence.count() == 3 and stored(keep.file.name) and stored(drop.file.name)
    # The kept file is served from the revision.
    kept = revision.evidence.get(file_name="keep.pdf")
    assert b"".join(client.get(reverse("actions:evidence", args=[kept.pk])).streaming_content) == PDF_BYTES


def test_deleting_a_revision_draft_keeps_the_file_the_returned_update_still_uses(
    client, people, returned, django_capture_on_commit_callbacks
):
    keep = returned.evidence.get(file_name="keep.pdf")
    client.force_login(people["aigerim"])
    revise(client, returned, keep_evidence=[keep.pk], action="draft")
    draft = StatusUpdate.objects.get(revision_of=returned)
    with django_capture_on_commit_callbacks(execute=True):
        services.update_edit_draft(
            update=draft,
            user=people["aigerim"],
            content=services.UpdateContent(status="planned", refers_to=datetime.date(2026, 6, 30)),
            remove_evidence=[draft.evidence.get().pk],
        )
    assert stored(keep.file.name)
    revise(client, returned, keep_evidence=[keep.pk], action="draft")
    draft = StatusUpdate.objects.filter(revision_of=returned).latest("pk")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_delete_draft(update=draft, user=people["aigerim"])
    assert stored(keep.file.name) and returned.evidence.filter(file=keep.file.name).exists()
    # A file no other row uses is deleted with its draft.
    own = report(people["aigerim"], "1.3.4", "KZ", submit=False, files=[pdf("own.pdf")])
    name = own.evidence.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.update_delete_draft(update=own, user=people["aigerim"])
    assert not stored(name)


def test_kept_files_count_against_the_limit(client, people, returned, settings):
    settings.EVIDENCE_MAX_FILES = 2
    client.force_login(people["aigerim"])
    ids = list(returned.evidence.exclude(file="").values_list("pk", flat=True))
    response = revise(client, returned, keep_evidence=ids, files=[pdf("third.pdf")])
    assert response.status_code == 200
    assert "At most 2 files can be attached to one update." in response.content.decode()
    assert not StatusUpdate.objects.filter(revision_of=returned).exists()


def test_a_kept_file_is_served_only_to_who_may_see_the_update(client, people, returned):
    client.force_login(people["aigerim"])
    revise(client, returned, keep_evidence=[returned.evidence.get(file_name="keep.pdf").pk])
    kept = StatusUpdate.objects.get(revision_of=returned).evidence.get()
    for name in ("actions:evidence", "actions:evidence_inline"):
        url = reverse(name, args=[kept.pk])
        assert Client().get(url).status_code == 302  # to the sign-in page
        for who in ("bat", "nobody"):
            outsider = Client()
            outsider.force_login(people[who])
            assert outsider.get(url).status_code in (403, 404), (name, who)
        reader = Client()
        reader.force_login(people["sara"])
        assert reader.get(url).status_code == 200


def test_a_failing_form_keeps_its_files_and_the_corrected_one_attaches_them_once(client, people):
    aigerim = people["aigerim"]
    client.force_login(aigerim)
    url = reverse("actions:update_new", args=NEW_KZ_221)
    svg = SimpleUploadedFile("map.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/svg+xml")
    response = client.post(url, form_data(refers_to="", files=[pdf("evidence.pdf"), svg]))
    assert response.status_code == 200
    pending = PendingUpload.objects.get()  # the refused SVG is not kept
    assert (pending.owner, pending.file_name, pending.content_type) == (aigerim, "evidence.pdf", "application/pdf")
    page = response.content.decode()
    assert f"kept: evidence.pdf, {len(PDF_BYTES)}" in page
    assert f'name="pending" value="{pending.pk}"' in page
    assert not StatusUpdate.objects.exists()

    response = client.post(url, form_data(pending=[pending.pk]))
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert list(update.evidence.values_list("file", "file_name")) == [(pending.file.name, "evidence.pdf")]
    assert not PendingUpload.objects.exists() and stored(pending.file.name)
    # The same form sent again attaches nothing more: the pending upload is gone.
    client.post(url, form_data(pending=[pending.pk], based_on_version="1"))
    assert Evidence.objects.filter(file=pending.file.name).count() == 1


def test_a_pending_upload_can_be_removed(client, people, django_capture_on_commit_callbacks):
    client.force_login(people["aigerim"])
    url = reverse("actions:update_new", args=NEW_KZ_221)
    client.post(url, form_data(status="", files=[pdf("first.pdf"), png()]))
    first, second = PendingUpload.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form_data(pending=[first.pk, second.pk], remove_pending=[first.pk]))
    assert response.status_code == 302
    assert list(StatusUpdate.objects.get().evidence.values_list("file_name", flat=True)) == ["fence.png"]
    assert not PendingUpload.objects.exists() and not stored(first.file.name)


def test_a_failing_draft_edit_keeps_its_files(client, people):
    draft = report(people["aigerim"], "2.2.1", "KZ", submit=False)
    client.force_login(people["aigerim"])
    url = reverse("actions:update_edit", args=[draft.pk])
    assert client.post(url, form_data(status="", files=[docx()])).status_code == 200
    pending = PendingUpload.objects.get()
    assert client.post(url, form_data(pending=[pending.pk])).status_code == 302
    assert list(draft.evidence.values_list("file", flat=True)) == [pending.file.name]


def test_another_users_pending_upload_cannot_be_attached(client, people):
    bat_pending = PendingUpload.objects.create(
        owner=people["bat"], file=pdf("mn.pdf"), file_name="mn.pdf", size=len(PDF_BYTES), content_type="application/pdf"
    )
    client.force_login(people["aigerim"])
    response = client.post(
        reverse("actions:update_new", args=NEW_KZ_221), form_data(pending=[bat_pending.pk], remove_pending=[])
    )
    assert response.status_code == 302
    assert not StatusUpdate.objects.get().evidence.exists()
    # Nor removed by her.
    client.post(reverse("actions:update_new", args=NEW_KZ_221), form_data(status="", remove_pending=[bat_pending.pk]))
    assert PendingUpload.objects.filter(pk=bat_pending.pk).exists()
    # Nor attached through the service.
    update = report(people["aigerim"], "1.3.4", "KZ", submit=False)
    services.update_edit_draft(
        update=update,
        user=people["aigerim"],
        content=services.UpdateContent(status="planned", refers_to=datetime.date(2026, 6, 30)),
        pending=[bat_pending],
    )
    assert not update.evidence.exists() and PendingUpload.objects.filter(pk=bat_pending.pk).exists()


def test_ids_no_column_holds_are_ignored(client, people, returned):
    client.force_login(people["aigerim"])
    odd = ["²", "-1", "0", "x", str(2**63), "9" * 5000]
    response = revise(client, returned, keep_evidence=odd, pending=odd, remove_pending=odd)
    assert response.status_code == 302
    assert not StatusUpdate.objects.get(revision_of=returned).evidence.exists()


def test_the_sweep_deletes_old_pending_uploads_and_keeps_new_ones(people, django_capture_on_commit_callbacks):
    def pending(name):
        return PendingUpload.objects.create(
            owner=people["aigerim"], file=pdf(name), file_name=name, size=len(PDF_BYTES), content_type="application/pdf"
        )

    old, new = pending("old.pdf"), pending("new.pdf")
    PendingUpload.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sweep_pending_uploads", verbosity=0)
    assert list(PendingUpload.objects.all()) == [new]
    assert not stored(old.file.name) and stored(new.file.name)


IMAGE_CSP = "default-src 'none'; sandbox"
# Chromium's PDF viewer does not start in a sandboxed document.
PDF_CSP = "frame-ancestors 'self'"


@pytest.mark.parametrize(
    ("upload", "inline", "policy"),
    [(png, True, IMAGE_CSP), (lambda: pdf("map.pdf"), True, PDF_CSP), (docx, False, IMAGE_CSP)],
    ids=["png", "pdf", "docx"],
)
def test_the_inline_preview_headers(client, people, upload, inline, policy):
    update = report(people["aigerim"], "2.2.1", "KZ", files=[upload()])
    evidence = update.evidence.get()
    client.force_login(people["sara"])
    response = client.get(reverse("actions:evidence_inline", args=[evidence.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;" if inline else "attachment;")
    assert evidence.file_name in disposition
    assert response["Content-Type"] == evidence.content_type
    assert response["Content-Security-Policy"] == policy  # not replaced by django-csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    # The download stays a download.
    download = client.get(reverse("actions:evidence", args=[evidence.pk]))
    assert download["Content-Disposition"].startswith("attachment;")


def test_the_update_page_shows_images_and_links_pdf_previews(client, people):
    update = report(people["aigerim"], "2.2.1", "KZ", files=[png(), pdf("map.pdf"), docx()])
    image, document, office = update.evidence.order_by("pk")
    client.force_login(people["aigerim"])
    page = client.get(update.get_absolute_url()).content.decode()
    assert f'<img class="evidence-preview" src="{reverse("actions:evidence_inline", args=[image.pk])}"' in page
    assert f'href="{reverse("actions:evidence_inline", args=[document.pk])}"' in page
    assert reverse("actions:evidence_inline", args=[office.pk]) not in page


def real_png() -> bytes:
    """A whole 2×2 PNG, which a browser decodes."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_image_is_shown_on_the_update_page_under_its_policy(live_server, page):
    from actions.tests.people import PASSWORD, cast

    people = cast()
    update = report(people["aigerim"], "2.2.1", "KZ", files=[SimpleUploadedFile("fence.png", real_png())])
    violations = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/en/accounts/login/")
    page.locator("#id_username").fill("aigerim")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(f"{live_server.url}{update.get_absolute_url()}")
    image = page.locator("img.evidence-preview")
    image.wait_for()
    # decode() settles once the image is loaded (and fails if it cannot be); a string predicate in
    # wait_for_function would be evaluated by eval, which the page's policy refuses.
    assert image.evaluate("element => element.decode().then(() => element.naturalWidth)") == 2
    assert violations == []
