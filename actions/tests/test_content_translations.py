"""The instruments' texts in every language: complete, marked, kept in the fixtures, corrected in Excel."""

import shutil
from io import BytesIO

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import load_workbook

from actions import content_translations, translation_workbook
from actions.loading import FixtureError, load_instruments
from actions.models import Agency, Footnote, Instrument, Item, ReportingUnit, ResponsibleParty, TranslationKind

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "ru", "mn", "kk")
FIXTURES = settings.BASE_DIR / "fixtures"


def item(instrument: str, key: str) -> Item:
    return Item.objects.select_related("instrument").get(instrument__slug=instrument, key=key)


# Completeness ---------------------------------------------------------------------------------------


def test_every_item_footnote_agency_and_unit_reads_in_every_language():
    lacking = []
    for model in (Item, Footnote):
        for record in model.objects.all():
            lacking += [
                f"{model.__name__} {record.pk} {code}" for code in LANGUAGES if not getattr(record, f"text_{code}")
            ]
    for model in (Agency, ReportingUnit):
        for record in model.objects.all():
            lacking += [
                f"{model.__name__} {record} {code}" for code in LANGUAGES if not getattr(record, f"name_{code}")
            ]
    for instrument in Instrument.objects.all():
        for text in content_translations.texts():
            if text.record == instrument:
                lacking += [f"{instrument.slug} {text.field} {code}" for code in LANGUAGES if not text.value(code)]
    for party in ResponsibleParty.objects.exclude(note_en=""):
        lacking += [
            f"{party.item.key} {party.agency.key} note {code}"
            for code in LANGUAGES
            if not getattr(party, f"note_{code}")
        ]
    assert lacking == []
    assert Item.objects.count() == 321 and Agency.objects.count() == 60


def test_originals_stay_verbatim_and_every_other_language_is_an_unofficial_translation():
    for record in list(Item.objects.select_related("instrument")) + list(Footnote.objects.all()):
        kinds = record.translation_kinds
        assert [code for code in LANGUAGES if kinds.get(code) == TranslationKind.ORIGINAL] == [
            record.original_language
        ], record
        assert {kinds[code] for code in LANGUAGES if code != record.original_language} == {
            TranslationKind.UNOFFICIAL
        }, record
    # The originals, as the seeds print them.
    assert item("cami-pow", "1.1.1").text_en.startswith("Strengthen the capacity of rangers")
    assert item("vilm", "1").text_mn == "Төмөр замын дагуух хашлагануудыг авч хаях"
    assert item("vilm", "1").text_kk == "Теміржол бойындағы қоршауларды алып тастау"
    assert item("ulaanbaatar", "4").footnotes.get().text_ru


def test_the_fixtures_hold_the_translations_as_the_database_writes_them():
    """Writing the translations back from a freshly loaded database gives the files in the repository."""
    for language in ("ru", "mn", "kk"):
        files = content_translations.fixture_files(FIXTURES, language)
        folder = FIXTURES / "translations" / language
        assert sorted(files) == sorted(path.name for path in folder.glob("*.yaml")), language
        for name, content in files.items():
            assert content == (folder / name).read_text(encoding="utf-8"), f"{language}/{name}"


# Loading the translation files -------------------------------------------------------------------------


@pytest.fixture
def fixture_copy(tmp_path):
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy, ignore=shutil.ignore_patterns("demo"))
    return copy


def test_a_translation_of_a_text_that_does_not_exist_stops_the_loading(fixture_copy):
    path = fixture_copy / "translations" / "kk" / "vilm.yaml"
    path.write_text(path.read_text(encoding="utf-8") + '  "99.9": "Жоқ іс-шара"\n', encoding="utf-8")
    before = item("vilm", "1").text_kk
    with pytest.raises(FixtureError, match=r"vilm item 99\.9"):
        load_instruments(fixture_copy)
    assert item("vilm", "1").text_kk == before


def test_a_translation_file_cannot_replace_an_original(fixture_copy):
    folder = fixture_copy / "translations" / "mn"
    (folder / "vilm.yaml").write_text('language: mn\ninstrument: vilm\nitems:\n  "1": "Өөр текст"\n', encoding="utf-8")
    with pytest.raises(FixtureError, match="cannot replace the original"):
        load_instruments(fixture_copy)
    assert item("vilm", "1").text_mn == "Төмөр замын дагуух хашлагануудыг авч хаях"


# What a reader sees -------------------------------------------------------------------------------------


def test_the_item_page_says_it_is_a_translation_and_links_to_the_original(client):
    action = item("vilm", "1.1")
    response = client.get(f"/kk/instruments/vilm/{action.slug}/")
    page = response.content.decode()
    with translation.override("kk"):
        assert translation.gettext("Unofficial translation.") in page
    assert f'lang="kk">{action.text_kk}' in page
    assert action.text_mn in page  # the original, behind "Show the original"
    assert f'href="/mn/instruments/vilm/{action.slug}/"' in page


def test_the_instrument_page_links_to_its_original(client):
    with translation.override("ru"):
        link = f'<a href="/mn/instruments/vilm/" lang="mn" hreflang="mn">{translation.gettext("Read the original")}</a>'
    assert link in client.get("/ru/instruments/vilm/").content.decode()
    # In its original language, no notice is needed.
    with translation.override("mn"):
        assert translation.gettext("Read the original") not in client.get("/mn/instruments/vilm/").content.decode()


@pytest.mark.parametrize(
    ("reader", "blank", "shown"),
    [
        ("kk", ["kk"], "ru"),
        ("kk", ["kk", "ru"], "en"),
        ("mn", ["mn"], "en"),
        ("ru", ["ru"], "en"),
    ],
)
def test_a_missing_translation_falls_back_and_says_so(client, reader, blank, shown):
    action = item("cami-pow", "1.1.1")
    Item.objects.filter(pk=action.pk).update(**{f"text_{code}": "" for code in blank if code != "en"})
    action.refresh_from_db()
    with translation.override(reader):
        assert action.displayed_language() == shown
        expected = getattr(action, f"text_{shown}")
        notice = translation.gettext("Not yet translated into this language; shown in")
    page = client.get(f"/{reader}/instruments/cami-pow/1.1.1/").content.decode()
    assert notice in page and f'lang="{shown}">{expected}' in page
    # Lists mark the stand-in with its language.
    listing = client.get(f"/{reader}/activities/?q=1.1.1").content.decode()
    assert f'<span lang="{shown}">' in listing and 'class="fallback"' in listing


# The translation workbook -----------------------------------------------------------------------------


def export(client, language: str, interface: str = "en"):
    response = client.get(f"/{interface}/texts/{language}.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == translation_workbook.CONTENT_TYPE
    return load_workbook(BytesIO(response.content))


def find_row(sheet, identifier: str) -> int:
    """The row of a text in a workbook as exported: the hidden register lists the rows in order,
    each entry with its record's identifier in column J."""
    register = sheet.parent["tracker-translations"]
    for row in range(1, register.max_row + 1):
        if register.cell(row=row, column=10).value == identifier:
            return row + 1
    raise AssertionError(identifier)


def upload(client, book, interface: str = "en"):
    stream = BytesIO()
    book.save(stream)
    data = SimpleUploadedFile("texts.xlsx", stream.getvalue(), content_type=translation_workbook.CONTENT_TYPE)
    return client.post(f"/{interface}/texts/", {"workbook": data})


def test_the_secretariat_exports_one_language_with_originals_beside_it(client, people):
    client.force_login(people["sara"])
    book = export(client, "kk", interface="ru")
    sheet = book.worksheets[0]
    with translation.override("ru"):
        assert sheet.cell(row=1, column=5).value == translation.gettext("Original text")
        assert sheet.cell(row=1, column=7).value == translation.gettext("Text (%(language)s)") % {
            "language": translation.gettext("Kazakh")
        }
    action = item("vilm", "1.1")
    row = find_row(sheet, f"item:{action.pk}:text")
    cells = [sheet.cell(row=row, column=column).value for column in range(1, 9)]
    assert cells[1] == "1.1" and cells[4] == action.text_mn and cells[5] == action.text_en
    assert cells[6] == action.text_kk
    # Only the text in the exported language can be typed into; the sheet is protected.
    assert sheet.protection.sheet and not sheet.cell(row=row, column=7).protection.locked
    assert sheet.cell(row=row, column=5).protection.locked
    # Every text is a row: items, footnotes, instrument texts, agencies, units, and the 22 distinct
    # qualifiers of responsible parties.
    assert sheet.max_row - 1 == len(content_translations.texts()) == 447


def test_a_corrected_workbook_changes_the_texts_and_keeps_their_history(client, people):
    client.force_login(people["sara"])
    book = export(client, "kk")
    sheet = book.worksheets[0]
    action, unit = item("vilm", "1.1"), ReportingUnit.objects.get(code="DE")
    earlier = action.text_kk
    sheet.cell(row=find_row(sheet, f"item:{action.pk}:text"), column=7).value = "Түзетілген аударма"
    sheet.cell(
        row=find_row(sheet, f"reportingunit:{unit.pk}:name"), column=7
    ).value = "Германия Федеративтік Республикасы"
    response = upload(client, book)
    assert response.status_code == 302
    action.refresh_from_db()
    unit.refresh_from_db()
    assert action.text_kk == "Түзетілген аударма" and action.translation_kinds["kk"] == TranslationKind.UNOFFICIAL
    assert unit.name_kk == "Германия Федеративтік Республикасы"
    assert action.history.first().history_user == people["sara"]
    assert action.history.all()[1].text_kk == earlier
    messages = [str(message) for message in response.wsgi_request._messages]
    assert messages == ["2 texts changed (Kazakh)."]


def test_a_qualifier_is_translated_once_for_every_party_it_qualifies(client, people):
    """ "in cooperation with" qualifies several parties: one row of the workbook, one translation."""
    parties = ResponsibleParty.objects.filter(note_en="in cooperation with")
    assert parties.count() > 1
    assert {party.note_kk for party in parties} == {"бірлесіп"}
    client.force_login(people["sara"])
    book = export(client, "kk")
    sheet = book.worksheets[0]
    qualifier = next(text for text in content_translations.texts() if text.key == "in cooperation with")
    row = find_row(sheet, qualifier.identifier)
    assert sheet.cell(row=row, column=2).value == "in cooperation with"
    assert sheet.cell(row=row, column=7).value == "бірлесіп"
    sheet.cell(row=row, column=7).value = "ынтымақтаса отырып"
    assert upload(client, book).status_code == 302
    assert {party.note_kk for party in parties.all()} == {"ынтымақтаса отырып"}
    assert {party.translation_kinds["kk"] for party in parties.all()} == {TranslationKind.UNOFFICIAL}
    # The item page shows it in Kazakh beside the agency.
    party = parties.select_related("item__instrument").first()
    page = client.get(f"/kk{party.item.get_absolute_url()[3:]}").content.decode()
    assert "ынтымақтаса отырып" in page and "in cooperation with" not in page
    # ... and the fixtures written from the database keep it.
    assert (
        '"in cooperation with": "ынтымақтаса отырып"'
        in content_translations.fixture_files(FIXTURES, "kk")["qualifiers.yaml"]
    )


def test_a_wrong_row_saves_nothing_and_names_every_row_to_correct(client, people):
    client.force_login(people["sara"])
    book = export(client, "mn")
    sheet = book.worksheets[0]
    good = item("cami-pow", "1.1.1")
    original = item("vilm", "1")
    agency = Agency.objects.get(key="ngos")
    rows = {
        "good": find_row(sheet, f"item:{good.pk}:text"),
        "original": find_row(sheet, f"item:{original.pk}:text"),
        "formula": find_row(sheet, f"agency:{agency.pk}:name"),
        "empty": find_row(sheet, f"item:{item('cami-pow', '1.1.2').pk}:text"),
        "forged": find_row(sheet, f"item:{item('cami-pow', '1.1.3').pk}:text"),
    }
    sheet.cell(row=rows["good"], column=7).value = "Зөв засвар"
    sheet.cell(row=rows["original"], column=7).value = "Эх бичвэрийг өөрчлөх оролдлого"
    sheet.cell(row=rows["formula"], column=7).value = '=HYPERLINK("http://example.org","x")'
    sheet.cell(row=rows["empty"], column=7).value = None
    sheet.cell(row=rows["forged"], column=2).value = "1.1.4"
    sheet.cell(row=rows["forged"], column=7).value = "Өөр мөрийн текст"
    before = {key: (record.text_mn) for key, record in (("good", good), ("original", original))}

    response = upload(client, book, interface="mn")
    assert response.status_code == 400, response.context["errors"]
    page = response.content.decode()
    with translation.override("mn"):
        column = translation.gettext("Text (%(language)s)") % {"language": translation.gettext("Mongolian")}
        row_label = translation.gettext("Row %(row)s")
        expected = {
            rows["original"]: translation.gettext("This is the %(kind)s and cannot be changed here.")
            % {"kind": translation.gettext("original")},
            rows["formula"]: translation.gettext("A formula cannot be imported. Write the text itself."),
            rows["empty"]: translation.gettext("The text is empty. A text cannot be removed here; correct it instead."),
            rows["forged"]: translation.gettext(
                "This row shows %(part)s %(code)s, but its original text is that of %(expected)s. Part of the "
                "row has been moved, for example by sorting only some columns. Nothing has been saved: sort "
                "whole rows only, or export a new workbook."
            )
            % {"part": "CAMI Programme of Work", "code": "1.1.4", "expected": "CAMI Programme of Work 1.1.3"},
        }
    errors = response.context["errors"]
    assert sorted(error["row"] for error in errors) == sorted(expected), (errors, rows)
    for row, message in expected.items():
        shown = f"{row_label % {'row': row}}, {column}: " if row != rows["forged"] else f"{row_label % {'row': row}}: "
        assert f"<li>{shown}{message}</li>" in page.replace("&#x27;", "'"), message
    good.refresh_from_db()
    original.refresh_from_db()
    assert good.text_mn == before["good"] and original.text_mn == before["original"]
    assert Agency.objects.get(key="ngos").name_mn != '=HYPERLINK("http://example.org","x")'


def test_a_text_changed_on_the_site_since_the_export_is_a_conflict(client, people):
    client.force_login(people["sara"])
    book = export(client, "ru")
    action = item("ulaanbaatar", "16")
    Item.objects.filter(pk=action.pk).update(text_ru="Правка, сделанная на сайте")
    sheet = book.worksheets[0]
    sheet.cell(row=find_row(sheet, f"item:{action.pk}:text"), column=7).value = "Правка из книги"
    response = upload(client, book)
    assert response.status_code == 400
    action.refresh_from_db()
    assert action.text_ru == "Правка, сделанная на сайте"


def test_a_workbook_from_elsewhere_is_refused(client, people):
    client.force_login(people["sara"])
    from openpyxl import Workbook

    response = upload(client, Workbook())
    assert response.status_code == 400
    with translation.override("en"):
        assert "does not come from the tracker" in response.content.decode()


def test_only_the_secretariat_imports(client, people):
    client.force_login(people["aigerim"])
    sara_client = client.__class__()
    sara_client.force_login(people["sara"])
    book = export(sara_client, "kk")
    sheet = book.worksheets[0]
    action = item("vilm", "1.1")
    sheet.cell(row=find_row(sheet, f"item:{action.pk}:text"), column=7).value = "Рұқсатсыз өзгеріс"
    assert upload(client, book).status_code == 403
    assert client.get("/en/texts/kk.xlsx").status_code == 403
    action.refresh_from_db()
    assert action.text_kk != "Рұқсатсыз өзгеріс"


def test_the_page_shows_how_complete_each_language_is(client, people):
    client.force_login(people["ada"])
    response = client.get("/kk/texts/")
    assert response.status_code == 200
    coverage = {row["language"]: row for row in response.context["coverage"]}
    # English originals: the instruments' texts, and the 22 qualifiers written in English.
    assert {language: coverage[language]["missing"] for language in LANGUAGES} == dict.fromkeys(LANGUAGES, 0)
    assert coverage["mn"]["original"] == 132 and coverage["en"]["original"] == 217 + 22
    assert 'href="/kk/texts/mn.xlsx"' in response.content.decode()
