import csv
import io
import json

import openpyxl
import pytest

from actions.models import Item

pytestmark = pytest.mark.django_db

KEYS = [
    "instrument",
    "code",
    "key",
    "kind",
    "parent",
    "text_en",
    "text_ru",
    "text_mn",
    "text_kk",
    "original_language",
    "responsible_raw",
    "responsible",
    "priority",
    "priority_raw",
    "timeline_raw",
    "due",
    "due_precision",
    "applies_to",
]


def by_key(records):
    return {(record["instrument"], record["key"]): record for record in records}


def test_json_has_one_record_per_item_with_documented_keys(client):
    response = client.get("/open-data/activities.json")
    assert response["Content-Type"] == "application/json"
    records = json.loads(response.content)
    assert len(records) == Item.objects.count()
    assert all(list(record) == KEYS for record in records)
    assert {record["instrument"] for record in records} == {"cami-pow", "vilm", "ulaanbaatar"}
    assert {record["kind"] for record in records} == set(Item.Kind.values)


def test_json_values(client):
    records = by_key(json.loads(client.get("/open-data/activities.json").content))
    subitem = records[("cami-pow", "1.3.1 (d)")]
    assert subitem["code"] == "1.3.1 (d)"
    assert subitem["kind"] == "subitem"
    assert subitem["parent"] == "1.3.1"
    assert subitem["priority"] == "high-medium"
    assert subitem["priority_raw"] == "High/medium (b, c, d)"
    assert subitem["original_language"] == "en"
    assert subitem["responsible"][:2] == ["CMS Secretariat", "UNEP World Conservation Monitoring Centre (UNEP-WCMC)"]
    assert "CMS" in subitem["applies_to"] and "KZ" in subitem["applies_to"]

    action = records[("vilm", "1.2")]
    assert action["timeline_raw"] == "2013 оны 7 дугаар сар"
    assert (action["due"], action["due_precision"]) == ("2013-07-31", "month")
    assert action["applies_to"] == ["MN"]
    assert action["original_language"] == "mn"
    assert action["text_mn"].startswith("Хашлаганы асуудлыг шийдвэрлэх")
    assert action["text_en"]

    heading = records[("cami-pow", "2.2.1/fences")]
    assert (heading["code"], heading["kind"], heading["parent"], heading["text_en"]) == (
        "",
        "subheading",
        "2.2.1",
        "Fences",
    )


def test_csv_joins_lists(client):
    response = client.get("/open-data/activities.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == KEYS
    row = by_key(rows)[("vilm", "2.3")]
    assert row["applies_to"] == "KZ"
    assert by_key(rows)[("cami-pow", "1.1.6")]["responsible"].startswith("Government agencies; NGOs; TRAFFIC")


def test_xlsx_reads_back(client):
    response = client.get("/open-data/activities.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == KEYS
    assert len(values) == Item.objects.count() + 1
    first = dict(zip(KEYS, values[1], strict=True))
    assert (first["instrument"], first["code"], first["kind"]) == ("cami-pow", "1", "objective")


def test_xlsx_never_turns_text_into_a_formula(client):
    Item.objects.filter(instrument__slug="cami-pow", key="1.1.1").update(text_en='=HYPERLINK("http://x","y")')
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/open-data/activities.xlsx").content))
    cells = [row for row in workbook.active.iter_rows() if row[2].value == "1.1.1"][0]
    assert cells[5].value == '=HYPERLINK("http://x","y")'
    assert cells[5].data_type == "s"
