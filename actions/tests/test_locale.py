"""Locale details: alphabetical order, dates and numbers, and Django's and the libraries' own strings."""

import datetime

import pytest
from django.utils import formats, translation
from django.utils.translation import gettext, pgettext

from actions.collation import sorted_alphabetically
from actions.models import Agency, ReportingUnit

pytestmark = pytest.mark.django_db


def unit_names(language: str) -> list[str]:
    with translation.override(language):
        return [unit.name for unit in ReportingUnit.objects.alphabetical()]


def test_reporting_units_in_the_order_of_each_alphabet():
    """The same order on SQLite and PostgreSQL: this test runs on both."""
    assert unit_names("kk") == [
        "Ауғанстан", "Бутан", "Германия", "Иран (Ислам Республикасы)", "Қазақстан", "Қырғызстан", "Қытай",
        "Моңғолия", "Непал", "Өзбекстан", "Пәкістан", "Ресей Федерациясы", "Тәжікстан", "Түрікменстан",
        "Үндістан", "CMS хатшылығы",
    ]  # fmt: skip
    assert unit_names("mn") == [
        "Афганистан", "Балба", "Бутан", "Герман", "Иран (Исламын Бүгд Найрамдах Улс)", "Казахстан", "Киргиз",
        "Монгол Улс", "Оросын Холбооны Улс", "Пакистан", "Тажикистан", "Туркменистан", "Узбекистан", "Хятад",
        "Энэтхэг", "CMS-ийн Нарийн бичгийн дарга нарын газар",
    ]  # fmt: skip
    assert unit_names("ru")[:4] == ["Афганистан", "Бутан", "Германия", "Индия"]
    assert unit_names("en")[:5] == ["Afghanistan", "Bhutan", "China", "Germany", "India"]
    assert unit_names("en")[-1] == "CMS Secretariat"


WORDS = ["Ұлы", "Үй", "Уақыт", "Ірі", "Ыстық", "Иә", "Әке", "Ана", "ана", "Өзен", "Орман", "Қала", "Кіл", "Ғалым",
         "Гүл", "Ңа", "Нан", "Һа", "Хан", "ёлка", "Ель", "Ежевика", "Zeta", "alpha", "12 ай", "(а)"]  # fmt: skip


def agency_order(language: str) -> list[str]:
    with translation.override(language):
        return [agency.name for agency in Agency.objects.filter(key__startswith="word-").alphabetical()]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "kk",
            ["(а)", "12 ай", "ана", "Ана", "Әке", "Гүл", "Ғалым", "Ежевика", "Ель", "ёлка", "Иә", "Кіл", "Қала",
             "Нан", "Ңа", "Орман", "Өзен", "Уақыт", "Ұлы", "Үй", "Хан", "Һа", "Ыстық", "Ірі", "alpha", "Zeta"],
        ),
        (
            "ru",
            ["(а)", "12 ай", "ана", "Ана", "Әке", "Гүл", "Ғалым", "Ежевика", "ёлка", "Ель", "Иә", "Ірі", "Кіл",
             "Қала", "Нан", "Ңа", "Орман", "Өзен", "Уақыт", "Үй", "Ұлы", "Хан", "Һа", "Ыстық", "alpha", "Zeta"],
        ),
        ("en", ["(а)", "12 ай", "alpha", "Zeta", "ана", "Ана"]),
    ],
)  # fmt: skip
def test_names_sort_by_the_readers_alphabet_in_the_database_and_in_python(language, expected):
    for position, word in enumerate(WORDS):
        Agency.objects.create(key=f"word-{position}", kind=Agency.Kind.OTHER, **{f"name_{language}": word})
    in_database = agency_order(language)
    # Kazakh: Ә after А, Ё after Е, Ғ after Г, Қ after К, Ң after Н, Ө after О, Ұ and Ү after У, Һ after
    # Х, І after Ы. Russian follows ICU's root order: ё sorts as е, І after И, Ү before Ұ. Cyrillic before
    # Latin for both, lower case first.
    assert [word for word in in_database if word in expected] == expected
    with translation.override(language):
        records = list(Agency.objects.filter(key__startswith="word-"))
        assert [agency.name for agency in sorted_alphabetically(records)] == in_database


@pytest.mark.parametrize(
    ("language", "date", "month", "number"),
    [
        ("en", "Nov. 21, 2026", "November 2026", "1,234,567.5"),
        ("ru", "21 ноября 2026 г.", "Ноябрь 2026 г.", "1\xa0234\xa0567,5"),
        ("mn", "2026 оны 11-р сарын 21", "2026 оны 11-р сар", "1\xa0234\xa0567,5"),
        ("kk", "21 қараша 2026 ж.", "Қараша 2026 ж.", "1\xa0234\xa0567,5"),
    ],
)
def test_dates_and_numbers_in_each_language(language, date, month, number):
    day = datetime.date(2026, 11, 21)
    with translation.override(language):
        assert formats.date_format(day, "DATE_FORMAT") == date
        assert formats.date_format(day, "YEAR_MONTH_FORMAT") == month
        assert formats.number_format(1234567.5, 1, use_l10n=True, force_grouping=True) == number


def test_kazakh_month_and_weekday_names():
    with translation.override("kk"):
        assert [formats.date_format(datetime.date(2026, month, 1), "j E") for month in (1, 5, 12)] == [
            "1 қаңтар",
            "1 мамыр",
            "1 желтоқсан",
        ]
        # 2026-11-16 is a Monday.
        week = [datetime.date(2026, 11, 16) + datetime.timedelta(days=offset) for offset in range(7)]
        assert [formats.date_format(day, "D") for day in week] == ["Дс", "Сс", "Ср", "Бс", "Жм", "Сн", "Жс"]
        assert formats.date_format(week[4], "l") == "Жұма"
        assert formats.date_format(datetime.date(2026, 1, 5), "b") == "қаң"


@pytest.mark.parametrize(
    ("msgid", "context"),
    [
        ("Log out", None),  # django.contrib.admin
        ("Select %s to change", None),
        ("Password confirmation", None),  # django.contrib.auth
        ("Filter", None),  # django-filter
        ("Import", None),  # django-import-export (and the tracker)
        ("Changed by", None),  # django-simple-history
        ("History", None),
    ],
)
@pytest.mark.parametrize("language", ["ru", "mn", "kk"])
def test_django_and_library_strings_in_every_language(language, msgid, context):
    with translation.override(language):
        translated = pgettext(context, msgid) if context else gettext(msgid)
    assert translated and translated != msgid


def test_the_kazakh_admin_reads_in_kazakh(client, people):
    client.force_login(people["ada"])
    page = client.get("/kk/admin/").content.decode()
    with translation.override("kk"):
        assert gettext("Site administration") in page and gettext("Log out") in page
        assert gettext("Recent actions") in page
    assert "Site administration" not in page and "Recent actions" not in page
