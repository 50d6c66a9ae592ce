import csv
import datetime
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


# Files that open right: the CSV for programs, the CSV for Excel, the workbook's cell types, and
# the Data Package that describes them all (docs/open-data.md).

FILES = ("datapackage.json", "activities.csv", "activities.xlsx", "activities.json")
BOM = b"\xef\xbb\xbf"


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def test_csv_is_utf8_without_a_byte_order_mark_and_reads_back(client):
    response = client.get("/open-data/activities.csv")
    assert response["Content-Disposition"] == 'attachment; filename="activities.csv"'
    assert not response.content.startswith(BOM)
    rows = csv_rows(response.content)
    assert rows[0] == KEYS
    assert len(rows) == Item.objects.count() + 1
    records = {(row[0], row[2]): dict(zip(KEYS, row, strict=True)) for row in rows[1:]}
    action = records[("vilm", "1.2")]
    assert {name: action[name] for name in ("code", "key", "kind", "parent", "original_language")} == {
        "code": "1.2",
        "key": "1.2",
        "kind": "action",
        "parent": "1",
        "original_language": "mn",
    }
    assert (action["timeline_raw"], action["due"], action["due_precision"]) == (
        "2013 оны 7 дугаар сар",
        "2013-07-31",
        "month",
    )
    assert action["applies_to"] == "MN"
    assert action["text_mn"].startswith("Хашлаганы асуудлыг шийдвэрлэх")
    # Codes as printed, never numbers: 1.1.1 stays 1.1.1, 10 stays 10.
    activity = records[("cami-pow", "1.1.1")]
    assert (activity["code"], activity["key"], activity["parent"], activity["kind"]) == (
        "1.1.1",
        "1.1.1",
        "1.1",
        "activity",
    )
    assert (records[("cami-pow", "1")]["parent"], records[("cami-pow", "1")]["due"]) == ("", "")


def test_the_csv_for_excel_is_the_csv_with_a_byte_order_mark(client):
    plain = client.get("/open-data/activities.csv").content
    response = client.get("/open-data/activities-excel.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="activities-excel.csv"'
    assert response.content.startswith(BOM)
    assert response.content == BOM + plain
    text = response.content.decode("utf-8-sig")
    assert list(csv.DictReader(io.StringIO(text, newline="")))[0]["instrument"] == "cami-pow"
    assert "Хашлаганы" in text


def test_xlsx_due_is_a_date_cell_and_codes_are_text_cells(client):
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/open-data/activities.xlsx").content))
    rows = list(workbook.active.iter_rows())[1:]
    column = {name: KEYS.index(name) for name in KEYS}
    by_keys = {(row[0].value, row[2].value): row for row in rows}
    due = by_keys[("vilm", "1.2")][column["due"]]
    assert isinstance(due.value, datetime.datetime | datetime.date)
    assert due.value == datetime.datetime(2013, 7, 31)
    assert (due.data_type, due.number_format, due.is_date) == ("d", "yyyy-mm-dd", True)
    assert by_keys[("cami-pow", "1")][column["due"]].value is None
    dated = [row[column["due"]].value for row in rows if row[column["due"]].value is not None]
    assert dated and all(isinstance(value, datetime.datetime) for value in dated)
    assert workbook.active.column_dimensions["P"].width >= 10  # wide enough not to show ##########
    for name in ("code", "key", "parent"):
        cells = [row[column[name]] for row in rows if row[column[name]].value is not None]
        assert cells and all(cell.data_type == "s" and isinstance(cell.value, str) for cell in cells), name
    activity = by_keys[("cami-pow", "1.1.1")]
    assert (activity[column["code"]].value, activity[column["parent"]].value) == ("1.1.1", "1.1")
    assert by_keys[("ulaanbaatar", "10")][column["code"]].value == "10"


def datapackage(client) -> dict:
    response = client.get("/open-data/datapackage.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def written(client, directory, descriptor=None, **replaced: bytes):
    """The package and its files as served, in one folder, as someone who downloads them has them."""
    for name in FILES:
        content = client.get(f"/open-data/{name}").content
        (directory / name).write_bytes(replaced.get(name, content))
    if descriptor is not None:
        (directory / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    return str(directory / "datapackage.json")


def validated(path: str):
    import frictionless

    return frictionless.validate(path)


def errors(report) -> set[tuple]:
    """(resource, field, error type) of each error the validation found."""
    return {
        (task.name, getattr(error, "field_name", None), error.type) for task in report.tasks for error in task.errors
    }


def test_datapackage_describes_the_files(client):
    descriptor = datapackage(client)
    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["title"].startswith("CMS Central Asia commitments")
    # docs/open-data.md states no licence: the package claims none.
    assert "licenses" not in descriptor
    resources = {each["name"]: each for each in descriptor["resources"]}
    assert {name: (each["path"], each["format"], each["mediatype"]) for name, each in resources.items()} == {
        "activities": ("activities.csv", "csv", "text/csv"),
        "activities-xlsx": (
            "activities.xlsx",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "activities-json": ("activities.json", "json", "application/json"),
    }
    schema = resources["activities"]["schema"]
    types = {field["name"]: field["type"] for field in schema["fields"]}
    assert list(types) == KEYS
    assert {
        name: types[name] for name in ("instrument", "code", "key", "kind", "parent", "applies_to")
    } == dict.fromkeys(("instrument", "code", "key", "kind", "parent", "applies_to"), "string")
    assert types["due"] == "date"
    assert schema["primaryKey"] == ["instrument", "key"]
    fields = {field["name"]: field for field in schema["fields"]}
    assert '"; "' in fields["responsible"]["description"] and '"; "' in fields["applies_to"]["description"]
    json_types = {field["name"]: field["type"] for field in resources["activities-json"]["schema"]["fields"]}
    assert (json_types["responsible"], json_types["applies_to"], json_types["due"]) == ("array", "array", "date")


def test_datapackage_is_valid_for_the_files(client, tmp_path):
    report = validated(written(client, tmp_path))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    assert [(task.name, task.stats["rows"]) for task in report.tasks] == [
        ("activities", Item.objects.count()),
        ("activities-xlsx", Item.objects.count()),
        ("activities-json", Item.objects.count()),
    ]


@pytest.mark.parametrize(("field", "wrong"), [("code", "number"), ("due", "integer"), ("parent", "year")])
def test_datapackage_with_a_wrong_type_is_invalid(client, tmp_path, field, wrong):
    descriptor = datapackage(client)
    for resource in descriptor["resources"]:
        for each in resource["schema"]["fields"]:
            if each["name"] == field:
                each["type"] = wrong
                each.pop("format", None)
    report = validated(written(client, tmp_path, descriptor))
    assert not report.valid
    assert ("activities", field, "type-error") in errors(report)


def test_datapackage_catches_a_csv_that_breaks_its_schema(client, tmp_path):
    rows = csv_rows(client.get("/open-data/activities.csv").content)
    broken = io.StringIO()
    writer = csv.writer(broken)
    for row in rows:
        if row[0] == "vilm" and row[2] == "1.2":
            row[KEYS.index("due")] = "31/07/2013"
            row[KEYS.index("applies_to")] = "MN, KZ"
        if row[0] == "vilm" and row[2] == "1.3":
            row[KEYS.index("key")] = "1.2"
        writer.writerow(row)
    report = validated(written(client, tmp_path, **{"activities.csv": broken.getvalue().encode("utf-8")}))
    assert not report.valid
    assert errors(report) == {
        ("activities", "due", "type-error"),
        ("activities", "applies_to", "constraint-error"),
        ("activities", None, "primary-key"),
    }


def test_every_parent_is_a_row_of_the_same_instrument(client):
    """What a foreign key (instrument, parent) -> (instrument, key) would say: see reports/datapackage.py."""
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/activities.csv").content.decode("utf-8"))))
    keys = [(row["instrument"], row["key"]) for row in rows]
    assert len(set(keys)) == len(keys)
    assert [row for row in rows if row["parent"] and (row["instrument"], row["parent"]) not in set(keys)] == []
    assert any(not row["parent"] for row in rows)


def test_open_data_page_offers_the_package_and_the_csv_for_excel(client):
    page = client.get("/en/open-data/").content.decode()
    assert 'href="/open-data/datapackage.json"' in page
    assert 'href="/open-data/activities-excel.csv"' in page
    assert "Take the Excel workbook" in page
    assert "the CSV for Excel included, may turn codes into dates" in page
