"""On SQLite, simultaneous writers wait for each other instead of failing with "database is locked".

The tests' own database is SQLite in memory, one connection, so real concurrency needs a process
of its own on a SQLite file (as actions/tests/test_workbook_confirm_once.py does): there, threads
each on their own connection read and then write inside a transaction at the same moment (behind
a barrier), the pattern of every submission (check the version, then save). With the settings'
IMMEDIATE transactions they all succeed one after the other; with SQLite's default (DEFERRED) the
same script fails, which shows the test can tell the two apart.
"""

import json
import os
import subprocess
import sys

from django.conf import settings

SCRIPT = r"""
import json, sys, threading, time
import django
from django.conf import settings
if sys.argv[2] == "deferred":
    settings.DATABASES["default"]["OPTIONS"].pop("transaction_mode")
    settings.DATABASES["default"]["OPTIONS"]["timeout"] = 1
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE writes (n integer)")
connection.close()

count = int(sys.argv[1])
barrier = threading.Barrier(count)
errors = []

def write(number):
    barrier.wait()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM writes")
                cursor.fetchone()
                time.sleep(0.2)
                cursor.execute("INSERT INTO writes (n) VALUES (%s)", [number])
    except Exception as error:
        errors.append(str(error))
    finally:
        connection.close()

threads = [threading.Thread(target=write, args=(number,)) for number in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT COUNT(*) FROM writes")
    rows = cursor.fetchone()[0]
print(json.dumps({
    "rows": rows,
    "errors": errors,
    "options": {key: str(value) for key, value in settings.DATABASES["default"]["OPTIONS"].items()},
}))
"""


def run(database: str, count: int, mode: str) -> dict:
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
    }
    environment.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(count), mode],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_simultaneous_writers_on_sqlite_wait_their_turn(tmp_path):
    outcome = run(tmp_path / "writers.sqlite3", 6, "settings")
    assert outcome["options"] == {"transaction_mode": "IMMEDIATE", "timeout": "20"}
    assert outcome["errors"] == []
    assert outcome["rows"] == 6


def test_without_immediate_transactions_the_same_writers_fail(tmp_path):
    outcome = run(tmp_path / "writers.sqlite3", 6, "deferred")
    assert any("database is locked" in error for error in outcome["errors"]), outcome
    assert outcome["rows"] == 6 - len(outcome["errors"])
