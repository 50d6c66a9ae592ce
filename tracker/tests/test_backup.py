"""Backups: bin/backup and bin/restore on a PostgreSQL of the test's own, and the media archive.

The round trip backs up a site with the demonstration data, evidence files and meeting reports,
restores it into an empty database and an empty MEDIA_ROOT, and generates the same reports again
from the restored database: what a reader gets must not change.
"""

import hashlib
import io
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from moto import mock_aws
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter

from tracker.tests.servers import ROOT, TemporaryPostgres, manage, postgres_binaries, production_environment

pytestmark = pytest.mark.skipif(
    postgres_binaries() is None,
    reason="PostgreSQL's server programs (initdb, pg_ctl, pg_dump, pg_restore) are missing: bin/setup --dev installs them.",
)


def real_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def real_png(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (4, 3), colour)
    image.putpixel((0, 0), (255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# What focal points attach: the names they gave, and the bytes.
FILES = {
    "survey.pdf": real_pdf("Kulan passage survey"),
    "отчёт-фото.png": real_png((200, 30, 40)),
    "fence.png": real_png((20, 120, 60)),
}

# From an accepted update in fixtures/demo/updates.yaml, reported before COP15's cut-off.
DEMO_NARRATIVE = "a rapid assessment of the impact of BWFs on ungulate migration was conducted"

# A Kazakhstan update with a PDF and a photo, submitted and accepted, and a Mongolian draft with a
# photo and a link, through the services as the site's pages make them.
EVIDENCE_SCRIPT = """
import datetime
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from actions import services
from actions.models import Item, ReportingUnit, Status
User = get_user_model()
files = {files!r}
def upload(name):
    with open(files[name], "rb") as handle:
        return SimpleUploadedFile(name, handle.read())
for username, code, names, links, submit in (
    ("focal-kz", "KZ", ["survey.pdf", "отчёт-фото.png"], [], True),
    ("focal-mn", "MN", ["fence.png"], ["https://example.org/kulan-fence"], False),
):
    unit = ReportingUnit.objects.get(code=code)
    item = Item.objects.filter(kind__in=Item.TRACKABLE_KINDS, applies_to=unit).exclude(code="").order_by("pk").last()
    update = services.update_create(
        author=User.objects.get(username=username), item=item, unit=unit,
        content=services.UpdateContent(status=Status.IN_PROGRESS, refers_to=datetime.date(2025, 3, 1), progress=40,
                                       narrative="Fence survey with photographs."),
        based_on_version=services.current_version(item, unit), submit=submit,
        files=[upload(name) for name in names], links=links,
    )
    if submit:
        services.update_accept(update=update, user=User.objects.get(username="secretariat"))
"""

# Kazakhstan's report for COP15 (whose cut-off follows every accepted demonstration update), as a
# PDF in Russian and a workbook in Kazakh: Cyrillic data must come back whole.
REPORT_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from actions.models import Instrument, Meeting, ReportingUnit
from reports.models import MeetingReport
from reports.services import report_request
secretariat = get_user_model().objects.get(username="secretariat")
cop15 = Meeting.objects.get(name__endswith="(COP15)")
kz = ReportingUnit.objects.get(code="KZ")
made = []
for format, language in (("pdf", "ru"), ("xlsx", "kk")):
    report = report_request(user=secretariat, meeting=cop15, instruments=list(Instrument.objects.all()), unit=kz,
                            language=language, format=format)
    report.refresh_from_db()
    made.append({"format": format, "state": report.state, "error": report.error, "file": report.file.name})
print(json.dumps(made))
"""

# The state a restore must bring back: the rows of every model, each evidence row with its update
# and file, each archived report with its file and checksum.
FACTS_SCRIPT = """
import json
from django.apps import apps
from actions.models import Evidence
from reports.models import MeetingReport
print(json.dumps({
    "counts": {model._meta.label: model._base_manager.count() for model in apps.get_models()},
    "evidence": [
        [e.pk, e.update_id, e.update.unit.code, e.update.state, e.file_name, e.file.name, e.size, e.content_type, e.url]
        for e in Evidence.objects.select_related("update__unit").order_by("pk")
    ],
    "reports": [
        [r.pk, r.format, r.language, r.state, r.file.name, r.size, r.sha256] for r in MeetingReport.objects.order_by("pk")
    ],
}))
"""


@dataclass
class Site:
    environment: dict
    media: Path


@dataclass
class Backup:
    postgres: TemporaryPostgres
    before: Site
    folder: Path
    facts: dict
    reports: list[dict]
    make_site: Callable[[str], Site]


def run(script: str, *arguments: str, environment: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(ROOT / "bin" / script), *arguments], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def shell(environment: dict, script: str) -> str:
    return manage(environment, "shell", "--no-imports", "-c", script)


def facts(site: Site) -> dict:
    return json.loads(shell(site.environment, FACTS_SCRIPT))


def generate_reports(site: Site) -> list[dict]:
    made = json.loads(shell(site.environment, REPORT_SCRIPT))
    assert [(report["state"], report["error"]) for report in made] == [("ready", ""), ("ready", "")]
    return made


def table_count(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]


def files_under(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def backup(tmp_path_factory):
    """A site with the demonstration data, evidence and two reports, and its backup by bin/backup."""
    postgres = TemporaryPostgres()

    def make_site(name: str) -> Site:
        media = tmp_path_factory.mktemp(f"media-{name}")
        environment = production_environment(
            postgres.create_database(name),
            media,
            tmp_path_factory.mktemp(f"static-{name}"),
            TASKS_IMMEDIATE="true",
            PG_BIN=str(postgres.binaries),
        )
        return Site(environment, media)

    try:
        before = make_site("before")
        manage(before.environment, "migrate", "--no-input", "-v", "0")
        manage(before.environment, "load_instruments", "-v", "0")
        manage(before.environment, "load_demo", "--allow-production")
        uploads = tmp_path_factory.mktemp("uploads")
        paths = {}
        for name, data in FILES.items():
            (uploads / name).write_bytes(data)
            paths[name] = str(uploads / name)
        shell(before.environment, EVIDENCE_SCRIPT.format(files=paths))
        reports = generate_reports(before)
        state = facts(before)

        result = run("backup", str(tmp_path_factory.mktemp("backups")), environment=before.environment)
        assert result.returncode == 0, result.stderr
        folder = Path(result.stdout.strip())
        yield Backup(postgres, before, folder, state, reports, make_site)
    finally:
        postgres.close()


@pytest.mark.production
def test_a_restored_site_gives_the_same_reports_and_files(backup):
    before = backup.facts
    # What was backed up: the demonstration data, three files and a link, two reports.
    assert before["counts"]["actions.Meeting"] == 5
    assert before["counts"]["actions.Evidence"] == 4
    assert before["counts"]["reports.MeetingReport"] == 2
    assert before["counts"]["actions.StatusUpdate"] >= 7
    assert sorted(path.name for path in backup.folder.iterdir()) == ["SHA256SUMS", "database.dump", "media.tar"]
    with tarfile.open(backup.folder / "media.tar") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    assert len(manifest["files"]) == 5

    restored = backup.make_site("restored")
    assert table_count(restored.environment["DATABASE_URL"]) == 0
    result = run("restore", str(backup.folder), environment=restored.environment)
    assert result.returncode == 0, result.stderr
    assert "Imported 5 file(s)" in result.stdout

    # Every row of every table, every evidence row on its update and file, every archived report.
    after = facts(restored)
    assert after == before
    evidence_files = {row[5]: row for row in after["evidence"] if row[5]}
    assert sorted(row[4] for row in evidence_files.values()) == sorted(FILES)
    on_disk = files_under(restored.media / "evidence")
    assert sorted(on_disk) == sorted(evidence_files)
    for stored_name, (_pk, _update, _unit, _state, file_name, *_rest) in evidence_files.items():
        assert on_disk[stored_name] == FILES[file_name]
    kz_photo = next(row for row in after["evidence"] if row[4] == "отчёт-фото.png")
    kz_pdf = next(row for row in after["evidence"] if row[4] == "survey.pdf")
    assert kz_photo[1] == kz_pdf[1] and kz_pdf[2:4] == ["KZ", "accepted"]
    assert (kz_pdf[7], kz_photo[7]) == ("application/pdf", "image/png")
    archived = files_under(restored.media / "reports")
    assert {name: hashlib.sha256(data).hexdigest() for name, data in archived.items()} == {
        row[4]: row[6] for row in before["reports"]
    }

    # The same reports, generated again from the restored database.
    again = generate_reports(restored)
    first_pdf = (backup.before.media / "reports" / backup.reports[0]["file"]).read_bytes()
    second_pdf = (restored.media / "reports" / again[0]["file"]).read_bytes()
    first_pages = [page.extract_text() for page in PdfReader(io.BytesIO(first_pdf)).pages]
    second_pages = [page.extract_text() for page in PdfReader(io.BytesIO(second_pdf)).pages]
    assert len(first_pages) > 5
    assert "Казахстан" in first_pages[0]
    assert DEMO_NARRATIVE.replace(" ", "") in re.sub(r"\s+", "", "".join(first_pages))
    assert second_pages == first_pages

    first_book = load_workbook(io.BytesIO((backup.before.media / "reports" / backup.reports[1]["file"]).read_bytes()))
    second_book = load_workbook(io.BytesIO((restored.media / "reports" / again[1]["file"]).read_bytes()))
    assert second_book.sheetnames == first_book.sheetnames
    first_cells = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in first_book}
    second_cells = {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in second_book}
    assert second_cells == first_cells
    # Both hold a demonstration update's narrative, so that a restore that lost the updates would show.
    assert any(DEMO_NARRATIVE in str(value) for rows in first_cells.values() for row in rows for value in row)


@pytest.mark.production
def test_restore_refuses_a_database_with_tables_unless_forced(backup):
    occupied = backup.make_site("occupied")
    manage(occupied.environment, "migrate", "--no-input", "-v", "0")
    tables = table_count(occupied.environment["DATABASE_URL"])

    result = run("restore", str(backup.folder), environment=occupied.environment)
    assert result.returncode == 1
    assert f"the database has {tables} table(s) already" in result.stderr
    assert "Nothing was restored." in result.stderr
    assert facts(occupied)["counts"]["actions.Item"] == 0
    assert files_under(occupied.media) == {}

    # --force replaces the tables the dump holds.
    result = run("restore", "--force", str(backup.folder), environment=occupied.environment)
    assert result.returncode == 0, result.stderr
    assert facts(occupied) == backup.facts


@pytest.mark.production
def test_restore_refuses_a_damaged_backup(backup, tmp_path):
    damaged = tmp_path / "damaged"
    shutil.copytree(backup.folder, damaged)
    data = bytearray((damaged / "media.tar").read_bytes())
    with tarfile.open(damaged / "media.tar") as archive:
        member = next(info for info in archive if info.name.startswith("evidence/"))
    data[member.offset_data] ^= 0x01
    (damaged / "media.tar").write_bytes(bytes(data))
    target = backup.make_site("damaged")

    result = run("restore", str(damaged), environment=target.environment)
    assert result.returncode == 1
    assert "media.tar: FAILED" in result.stderr
    assert "do not match SHA256SUMS: the backup is damaged. Nothing was restored." in result.stderr
    assert table_count(target.environment["DATABASE_URL"]) == 0
    assert files_under(target.media) == {}


def test_backup_says_which_program_is_missing(tmp_path):
    environment = production_environment(
        "postgres://postgres@127.0.0.1:1/none", tmp_path, tmp_path, PG_BIN=str(tmp_path / "nowhere")
    )
    result = run("backup", str(tmp_path / "backups"), environment=environment)
    assert result.returncode == 1
    assert f"pg_dump is missing from PG_BIN={tmp_path / 'nowhere'}" in result.stderr
    assert "postgresql-client" in result.stderr
    assert not (tmp_path / "backups").exists()

    result = run("restore", str(tmp_path), environment=environment)
    assert result.returncode == 1
    assert "pg_restore is missing" in result.stderr and "postgresql-client" in result.stderr

    result = run("backup", str(tmp_path / "backups"), environment={**environment, "DATABASE_URL": "sqlite:///x"})
    assert result.returncode == 1
    assert "not a PostgreSQL database" in result.stderr


# export_media and import_media in this process, on local folders and on S3.


@pytest.fixture
def local_media(settings, tmp_path):
    """Evidence and reports storages in folders of their own; `use(name)` switches to another pair."""

    def use(name: str) -> Path:
        settings.STORAGES = {
            **settings.STORAGES,
            **{
                alias: {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": tmp_path / name / alias},
                }
                for alias in ("evidence", "reports")
            },
        }
        return tmp_path / name

    return use


def store_examples() -> dict[str, bytes]:
    saved = {
        "evidence/kz/a1.pdf": FILES["survey.pdf"],
        "evidence/mn/b2.png": FILES["fence.png"],
        "reports/2026/c3.xlsx": b"PK\x03\x04 workbook bytes \xff\x00",
    }
    for member, data in saved.items():
        alias, name = member.split("/", 1)
        assert storages[alias].save(name, ContentFile(data)) == name
    return saved


def test_import_skips_identical_files_and_refuses_to_overwrite_different_ones(local_media, tmp_path):
    local_media("site")
    saved = store_examples()
    call_command("export_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
    with tarfile.open(tmp_path / "media.tar") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        assert sorted(archive.getnames()) == sorted([*saved, "manifest.json"])
    assert manifest["files"] == {
        member: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for member, data in saved.items()
    }

    target = local_media("restored")
    output = io.StringIO()
    call_command("import_media", str(tmp_path / "media.tar"), stdout=output)
    assert "Imported 3 file(s)" in output.getvalue()
    assert files_under(target) == saved

    output = io.StringIO()
    call_command("import_media", str(tmp_path / "media.tar"), stdout=output)
    assert "Imported 0 file(s)" in output.getvalue() and "3 identical file(s) were already there" in output.getvalue()

    (target / "evidence/mn/b2.png").write_bytes(b"another photo")
    (target / "reports/2026/c3.xlsx").unlink()
    with pytest.raises(CommandError, match="existing files would be overwritten") as refused:
        call_command("import_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
    assert "evidence/mn/b2.png: a different file with this name is already stored" in str(refused.value)
    assert (target / "evidence/mn/b2.png").read_bytes() == b"another photo"
    assert not (target / "reports/2026/c3.xlsx").exists()


def test_import_refuses_an_archive_with_one_byte_changed(local_media, tmp_path):
    local_media("site")
    store_examples()
    call_command("export_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
    data = bytearray((tmp_path / "media.tar").read_bytes())
    with tarfile.open(tmp_path / "media.tar") as archive:
        member = archive.getmember("evidence/mn/b2.png")
    data[member.offset_data + 10] ^= 0x20
    (tmp_path / "media.tar").write_bytes(bytes(data))

    target = local_media("restored")
    with pytest.raises(CommandError, match="is damaged; nothing was imported") as refused:
        call_command("import_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
    assert "evidence/mn/b2.png: checksum mismatch" in str(refused.value)
    assert "evidence/kz/a1.pdf" not in str(refused.value)
    assert files_under(target) == {}


def test_export_refuses_to_overwrite_an_archive(local_media, tmp_path):
    local_media("site")
    (tmp_path / "media.tar").write_bytes(b"last night's backup")
    with pytest.raises(CommandError, match="exists already"):
        call_command("export_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
    assert (tmp_path / "media.tar").read_bytes() == b"last night's backup"


@pytest.fixture
def s3_media(settings, monkeypatch):
    """The evidence and reports storages on S3 as the production settings make them, in moto's S3."""
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("S3_REGION", "us-east-1")
    from tracker import settings as tracker_settings

    monkeypatch.setattr(tracker_settings, "MEDIA_STORAGE", "s3")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")

        def use(bucket: str) -> None:
            client.create_bucket(Bucket=bucket)
            monkeypatch.setenv("S3_BUCKET", bucket)
            settings.STORAGES = {
                **settings.STORAGES,
                "evidence": tracker_settings.media_storage("evidence"),
                "reports": tracker_settings.media_storage("reports"),
            }

        yield client, use


def bucket_objects(client, bucket: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {entry["Key"]: client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read() for entry in listed}


def test_media_goes_from_one_s3_bucket_to_another(s3_media, settings, tmp_path):
    client, use = s3_media
    use("tracker-site")
    assert settings.STORAGES["evidence"]["BACKEND"] == "storages.backends.s3.S3Storage"
    saved = store_examples()
    assert bucket_objects(client, "tracker-site") == saved
    call_command("export_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
    with tarfile.open(tmp_path / "media.tar") as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
        assert {name: archive.extractfile(name).read() for name in saved} == saved
    assert sorted(manifest["files"]) == sorted(saved)

    use("tracker-restored")
    output = io.StringIO()
    call_command("import_media", str(tmp_path / "media.tar"), stdout=output)
    assert "Imported 3 file(s)" in output.getvalue()
    assert bucket_objects(client, "tracker-restored") == saved

    output = io.StringIO()
    call_command("import_media", str(tmp_path / "media.tar"), stdout=output)
    assert "3 identical file(s) were already there" in output.getvalue()
    client.put_object(Bucket="tracker-restored", Key="evidence/kz/a1.pdf", Body=b"changed")
    with pytest.raises(CommandError, match="evidence/kz/a1.pdf: a different file"):
        call_command("import_media", str(tmp_path / "media.tar"), stdout=io.StringIO())
