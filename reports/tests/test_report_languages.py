"""Meeting reports read right in each language: dates, numbers, translated texts and their marks."""

import datetime
import io
import re

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from actions.models import Instrument, Item, ReportingUnit, Status
from reports.documents import render_pdf
from reports.excel_exports import render_xlsx
from reports.snapshot import take
from reports.tests.meetings import accepted, meeting

pytestmark = pytest.mark.django_db

# The cut-off date as each language writes it, and the share of high-priority activities with
# progress, "1 of 35" (2.2.1, through the update of its own), with its decimal mark.
DATES = {
    "en": ("Dec. 23, 2025", "2.9"),
    "ru": ("23 декабря 2025 г.", "2,9"),
    "mn": ("2025 оны 12-р сарын 23", "2,9"),
    "kk": ("23 желтоқсан 2025 ж.", "2,9"),
}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def snapshot_in(people):
    accepted(people, "2.2.1", "KZ", on=datetime.date(2025, 5, 2), status=Status.IN_PROGRESS, progress=40,
             narrative="Өткелдер салынды.")  # fmt: skip
    cop = meeting(cutoff=datetime.date(2025, 12, 23))

    def snapshot(language):
        return take(cop, list(Instrument.objects.all()), ReportingUnit.objects.get(code="KZ"), language)

    return snapshot


@pytest.mark.parametrize("language", ["en", "ru", "mn", "kk"])
def test_the_pdf_writes_dates_numbers_and_texts_in_the_readers_language(snapshot_in, language):
    text = squeeze(
        "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(snapshot_in(language)))).pages)
    )
    date, share = DATES[language]
    assert date in text
    assert re.search(rf"\(\s?{re.escape(share)}\s?%\)", text), share
    # The activity's text in the reader's language, marked † where it is an unofficial translation.
    activity = Item.objects.get(instrument__slug="cami-pow", key="2.2.1")
    words = squeeze(activity.text_in(language))[:40]
    assert words in text
    marked = squeeze(activity.text_in(language)) + "†"
    assert (marked in text) == (language != "en")
    # A Mongolian original reads as written in a Mongolian report, in translation elsewhere.
    action = Item.objects.filter(instrument__slug="vilm", kind=Item.Kind.ACTION, applies_to__code="KZ").first()
    assert squeeze(action.text_in(language))[:30] in text


@pytest.mark.parametrize("language", ["mn", "kk"])
def test_the_workbook_has_headers_in_the_language_and_real_dates_and_numbers(snapshot_in, language):
    book = load_workbook(io.BytesIO(render_xlsx(snapshot_in(language))))
    with translation.override(language):
        assert book.sheetnames[0] == translation.gettext("Summary")
        instrument_header = translation.gettext("Instrument")
    narratives = book.worksheets[2]
    header = [cell.value for cell in narratives[1]]
    assert header[0] == instrument_header
    row = [cell for cell in narratives[2]]
    values = dict(zip(header, row, strict=False))
    activity = Item.objects.get(instrument__slug="cami-pow", key="2.2.1")
    assert row[2].value == activity.text_in(language)
    # Dates are dates and percentages numbers, so that the reader's Excel shows them its own way.
    dates = [cell for cell in row if isinstance(cell.value, datetime.datetime)]
    assert dates and all("yy" in cell.number_format for cell in dates)
    assert 40 in [cell.value for cell in values.values()]


def test_a_translated_meeting_name_is_on_the_cover_title_and_workbook_marked_unofficial(snapshot_in):
    from actions.models import Meeting

    cop = Meeting.objects.get()
    cop.name_en, cop.place_en = (
        "Fifteenth Meeting of the Conference of the Parties to CMS (COP15)",
        "Campo Grande, Brazil",
    )
    cop.name_kk, cop.place_kk = "CMS Тараптар конференциясының он бесінші отырысы (COP15)", "Кампу-Гранди, Бразилия"
    cop.translation_kinds = {"en": "original", "kk": "unofficial"}
    cop.save()

    def snapshot_in(language):
        return take(cop, list(Instrument.objects.all()), ReportingUnit.objects.get(code="KZ"), language)

    reader = PdfReader(io.BytesIO(render_pdf(snapshot_in("kk"))))
    cover = squeeze(reader.pages[0].extract_text())
    assert "CMS Тараптар конференциясының он бесінші отырысы (COP15)" in cover
    assert "Кампу-Гранди, Бразилия" in cover
    with translation.override("kk"):
        note = translation.gettext(
            "Unofficial translation of the meeting's name and place; the original: %(original)s."
        ) % {"original": "Fifteenth Meeting of the Conference of the Parties to CMS (COP15), Campo Grande, Brazil"}
        assert note != "Unofficial translation of the meeting's name and place; the original: %(original)s."
    assert note in cover
    assert reader.metadata.title.endswith("CMS Тараптар конференциясының он бесінші отырысы (COP15)")

    summary = load_workbook(io.BytesIO(render_xlsx(snapshot_in("kk")))).worksheets[0]
    facts = {row[0].value: row[1].value for row in summary.iter_rows(min_row=3, max_row=20) if row[0].value}
    assert "CMS Тараптар конференциясының он бесінші отырысы (COP15)" in facts.values()
    assert "Fifteenth Meeting of the Conference of the Parties to CMS (COP15), Campo Grande, Brazil" in facts.values()

    # The English cover shows the meeting's own name, with no such note.
    english = squeeze(PdfReader(io.BytesIO(render_pdf(snapshot_in("en")))).pages[0].extract_text())
    assert "Fifteenth Meeting of the Conference of the Parties to CMS (COP15)" in english
    assert "Unofficial translation of the meeting" not in english
