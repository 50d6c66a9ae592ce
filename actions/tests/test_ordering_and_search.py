import pytest

from actions.models import Instrument, Item
from actions.naturalsort import natural_sort_key
from actions.timeline import parse_timeline

pytestmark = pytest.mark.django_db


def test_natural_sort_key():
    codes = ["1.2.10", "1.2.9", "1.3.1 (b)", "1.3.1", "1.3.1 (a)", "2.3.12", "2.3.2", "10.1", "9.2"]
    assert sorted(codes, key=natural_sort_key) == [
        "1.2.9",
        "1.2.10",
        "1.3.1",
        "1.3.1 (a)",
        "1.3.1 (b)",
        "2.3.2",
        "2.3.12",
        "9.2",
        "10.1",
    ]


def test_database_orders_codes_naturally():
    in_database = list(
        Item.objects.filter(instrument__slug="cami-pow", code__startswith="1.2.")
        .numbered()
        .values_list("code", flat=True)
    )
    assert in_database == [f"1.2.{n}" for n in range(1, 11)]
    vilm = list(Item.objects.filter(instrument__slug="vilm", kind=Item.Kind.SOLUTION).values_list("code", flat=True))
    assert vilm == [str(n) for n in range(1, 19)]


def test_tree_order_puts_headings_before_their_items():
    keys = list(
        Item.objects.filter(instrument__slug="cami-pow", path__startswith="cami-pow/2/2.2/").values_list(
            "key", flat=True
        )
    )
    assert keys[1:5] == ["2.2.1", "2.2.1/fences", "2.2.1 (a)", "2.2.1 (b)"]
    assert keys.index("2.2/land-tenure") == keys.index("2.2.2") - 1
    assert keys.index("2.2.1 (k)") < keys.index("2.2/land-tenure")


@pytest.mark.parametrize("query", ["хулан", "ХУЛАН", "Хулан", "хУлАн"])
def test_cyrillic_search_ignores_case(query):
    found = set(Item.objects.search(query).values_list("instrument__slug", "key"))
    assert ("ulaanbaatar", "25") in found  # "Хулан болон нүүдэллэдэг ..."


def test_search_mongolian_letters_and_english():
    instrument = Instrument.objects.get(slug="ulaanbaatar")
    Item.objects.create(
        instrument=instrument,
        kind=Item.Kind.RECOMMENDATION,
        code="99",
        key="99",
        slug="99",
        path="ulaanbaatar/99/",
        sort_key="0099",
        text_mn="Бөхөн гөрөөсний ӨНДӨР нүүдэл",
    )
    assert list(Item.objects.search("бөхөн гөрөөсний").values_list("key", flat=True)) == ["99"]
    assert list(Item.objects.search("өндөр нүүдэл").values_list("key", flat=True)) == ["99"]
    assert Item.objects.search("SNIFFER DOGS").get().key == "1.1.5"


def test_search_treats_like_wildcards_literally():
    assert not Item.objects.search("%_%zz").exists()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2013 оны 7 дугаар сар", ("2013-07-31", "month")),
        ("2013 оны 9 дүгээр сараас хойш", ("2013-09-30", "month")),
        ("7 дугаар сарын эхээр", ("2013-07-31", "month")),
        ("2013 оны зун", ("2013-08-31", "season")),
        ("2013 оны өвөл", ("2014-02-28", "season")),
        ("2015 он", ("2015-12-31", "year")),
        ("2013 оны эцэс", ("2013-12-31", "year")),
        ("2014 онд эхлэх", ("2014-12-31", "year")),
        ("Хашлага авч хаях ажилтай зэрэгцүүлэх; 2014 оны 7 дугаар сард тайланг танилцуулах", ("2014-07-31", "month")),
        ("Хэрэгжиж байгаа", (None, "ongoing")),
        ("", (None, "none")),
        ("Дунд шатны", (None, "none")),
    ],
)
def test_parse_timeline(text, expected):
    due = parse_timeline(text, default_year=2013)
    assert (due.date.isoformat() if due.date else None, due.precision) == expected
