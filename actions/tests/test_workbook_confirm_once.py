"""A workbook preview is confirmed once: simultaneous confirmations of one preview save it once.

Real concurrency needs real connections, which the test database of the other tests (SQLite in
memory, or a transaction per test) does not give. So each case runs in a process of its own against
a database of its own: a SQLite file, or a new PostgreSQL database on the server the tests use.
There, several threads post the confirmation of the same preview with the same session at the same
moment (behind a barrier), each on its own connection.
"""

import json
import os
import subprocess
import sys
import uuid

import dj_database_url
import pytest
from django.conf import settings
from django.db import connection

SCRIPT = r"""
import json, sys, threading
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()  # responses carry their template context; e-mails stay in memory
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.contrib.messages import get_messages

call_command("migrate", verbosity=0)
call_command("load_instruments", verbosity=0)

import hashlib, io
from openpyxl import load_workbook
from django.core.files.uploadedfile import SimpleUploadedFile
from actions.models import StatusUpdate, WorkbookConfirmation
from actions.tests.people import cast

people = cast()
client = Client()
client.force_login(people["aigerim"])
book = load_workbook(io.BytesIO(client.get(reverse("actions:workbook_download", args=["KZ"])).content))
sheet = book.worksheets[0]
for number in (2, 3, 4):
    sheet.cell(number, 7).value = "Completed"
    sheet.cell(number, 9).value = f"Row {number}"
stream = io.BytesIO()
book.save(stream)
data = stream.getvalue()
preview = client.post(
    reverse("actions:workbook_upload", args=["KZ"]),
    {"workbook": SimpleUploadedFile("filled.xlsx", data)},
)
assert preview.status_code == 200 and not preview.context["errors"], preview.content[:500]

count = int(sys.argv[1])
barrier = threading.Barrier(count)
results = []

def confirm():
    own = Client()
    own.cookies = client.cookies  # the same browser session, in another tab or a double click
    barrier.wait()
    response = own.post(
        reverse("actions:workbook_confirm", args=["KZ"]),
        {"digest": hashlib.sha256(data).hexdigest(), "mode": "draft"},
    )
    results.append(
        {"status": response.status_code, "messages": [str(m) for m in get_messages(response.wsgi_request)]}
    )
    from django.db import connection
    connection.close()

threads = [threading.Thread(target=confirm) for _ in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({
    "results": results,
    "updates": StatusUpdate.objects.count(),
    "confirmations": WorkbookConfirmation.objects.count(),
}))
"""


def run(database_url: str, count: int) -> dict:
    environment = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tracker.settings"}
    environment.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(count)],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def database_url(tmp_path):
    """A new, empty database of the kind the tests run on."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'confirm-once.sqlite3'}"
        return
    import psycopg

    server = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"confirm_once_{uuid.uuid4().hex[:8]}"
    admin = {
        "host": server["HOST"] or "127.0.0.1",
        "port": server["PORT"] or 5432,
        "user": server["USER"],
        "password": server["PASSWORD"] or None,
        "dbname": server["NAME"],
        "autocommit": True,
    }
    with psycopg.connect(**admin) as created:
        created.execute(f'CREATE DATABASE "{name}"')
    credentials = f"{server['USER']}:{server['PASSWORD']}@" if server["PASSWORD"] else f"{server['USER']}@"
    yield f"postgres://{credentials}{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as dropped:
        dropped.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 4])
def test_simultaneous_confirmations_of_one_preview_save_it_once(database_url, count):
    outcome = run(database_url, count)
    assert outcome["updates"] == 3, outcome
    assert outcome["confirmations"] == 1
    assert [result["status"] for result in outcome["results"]] == [302] * count
    messages = sorted(message for result in outcome["results"] for message in result["messages"])
    assert messages == sorted(
        ["3 updates from the workbook were saved as drafts."]
        + [
            "This workbook preview has been confirmed already; its rows were saved then, and nothing more was saved now."
        ]
        * (count - 1)
    ), outcome
