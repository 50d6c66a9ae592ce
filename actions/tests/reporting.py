"""Updates in each state of the workflow, made through the services as the site makes them."""

import datetime
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from actions import services
from actions.models import Item, ReportingUnit, Status

# A PDF as small as a reader accepts; what matters here is that it starts like one.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"


def pdf(name="report.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def docx(name="minutes.docx"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def item(code: str, instrument: str = "cami-pow") -> Item:
    return Item.objects.get(instrument__slug=instrument, code=code)


def unit(code: str) -> ReportingUnit:
    return ReportingUnit.objects.get(code=code)


def content(
    status=Status.IN_PROGRESS,
    narrative="Passages were built.",
    progress=None,
    language="en",
    refers_to=datetime.date(2026, 6, 30),
):
    return services.UpdateContent(
        status=status,
        progress=progress,
        narrative=narrative,
        narrative_language=language,
        refers_to=refers_to,
    )


def report(author, code, unit_code, *, submit=True, instrument="cami-pow", files=(), links=(), **fields):
    the_item, the_unit = item(code, instrument), unit(unit_code)
    return services.update_create(
        author=author,
        item=the_item,
        unit=the_unit,
        content=content(**fields),
        based_on_version=services.current_version(the_item, the_unit),
        submit=submit,
        files=files,
        links=links,
    )


def workflow(people):
    """One update in each state, in Kazakhstan and Mongolia."""
    aigerim, bat, sara = people["aigerim"], people["bat"], people["sara"]
    draft_kz = report(aigerim, "1.3.4", "KZ", submit=False, narrative="Draft on 1.3.4", files=[pdf("draft.pdf")])
    pending_kz = report(aigerim, "2.2.1", "KZ", narrative="Pending on 2.2.1", files=[pdf()])
    accepted_kz = report(aigerim, "1.1.1", "KZ", narrative="Accepted on 1.1.1", status=Status.COMPLETED)
    services.update_accept(update=accepted_kz, user=sara)
    returned_kz = report(aigerim, "2.2.2", "KZ", narrative="Returned on 2.2.2")
    services.update_return(update=returned_kz, user=sara, comment="Please name the border sections.")
    pending_mn = report(bat, "1.3.4", "MN", narrative="Pending on 1.3.4 in Mongolia", files=[pdf("mn.pdf")])
    for update in (draft_kz, pending_kz, accepted_kz, returned_kz, pending_mn):
        update.refresh_from_db()
    return {
        "draft_kz": draft_kz,
        "pending_kz": pending_kz,
        "accepted_kz": accepted_kz,
        "returned_kz": returned_kz,
        "pending_mn": pending_mn,
    }
